import { readFile } from 'node:fs/promises';
import { AwsServiceError, type AwsEndpoint } from './aws-endpoint';

/**
 * Where the local AWS endpoint serves the API description. Not on the HTTP
 * API's own port: API Gateway serves nothing there but the template's routes,
 * so a path there could collide with one, and would not exist on AWS. No AWS
 * API the endpoint speaks uses this path.
 */
export const API_DESCRIPTION_PATH = '/openapi.json';

/**
 * Serves an OpenAPI document (a file, read at each request, so a regenerated
 * one is served at once) at {@link API_DESCRIPTION_PATH} on the local AWS
 * endpoint, to anyone: it is documentation, not an AWS call.
 */
export const registerApiDescription = (endpoint: AwsEndpoint, file: string): void => {
  endpoint.registerRest({
    method: 'GET',
    path: API_DESCRIPTION_PATH,
    handle: async () => {
      let body: string;
      try {
        body = await readFile(file, 'utf8');
      } catch {
        throw new AwsServiceError('ResourceNotFoundException', `No API description at ${file}: run npm run openapi`, 404);
      }
      return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body };
    },
  });
};
