import { ArnFormat, Stack } from 'aws-cdk-lib';
import {
  HttpIntegrationType,
  HttpRouteIntegration,
  PayloadFormatVersion,
  type HttpMethod,
  type HttpRouteIntegrationBindOptions,
  type HttpRouteIntegrationConfig,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

/**
 * A Lambda proxy integration (payload 2.0) whose permission names its route
 * exactly: method and path (`<api>/*\/GET/orders/{id}`, the path as the route
 * declares it, which is what API Gateway puts in the source ARN of the
 * invocation). CDK's `HttpLambdaIntegration` leaves the method a wildcard, so
 * two routes on one path (GET and POST /orders) each grant the other's calls
 * and neither permission is needed on its own.
 */
export class RouteLambdaIntegration extends HttpRouteIntegration {
  /**
   * @param id id of the underlying integration construct (one per route).
   * @param handler the function the route invokes.
   * @param method the route's method (the integration serves this one route).
   */
  public constructor(
    private readonly integrationId: string,
    private readonly handler: IFunction,
    private readonly method: HttpMethod,
  ) {
    super(integrationId);
  }

  protected override completeBind(options: HttpRouteIntegrationBindOptions): void {
    const route = options.route;
    this.handler.addPermission(`${this.integrationId}-Permission`, {
      scope: options.scope,
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: Stack.of(route).formatArn({
        service: 'execute-api',
        resource: route.httpApi.apiId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        resourceName: `*/${this.method}${route.path ?? ''}`,
      }),
    });
  }

  public bind(): HttpRouteIntegrationConfig {
    return { type: HttpIntegrationType.AWS_PROXY, uri: this.handler.functionArn, payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 };
  }
}
