import { UnsupportedFeatureError } from '../errors';

/**
 * The template has what AWS itself refuses when it deploys (CloudFormation
 * fails and rolls back): start-up stops with what AWS would say, naming the
 * function and the property.
 */
export class InvalidFunctionConfigurationError extends UnsupportedFeatureError {
  public constructor(logicalId: string, property: string, awsMessage: string) {
    super(logicalId, 'AWS::Lambda::Function', property, awsMessage);
    this.message = `${logicalId} (AWS::Lambda::Function): ${property} — AWS refuses this when it deploys: ${awsMessage}`;
    this.name = 'InvalidFunctionConfigurationError';
  }
}
