import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OPENAPI_FILE } from '../../lib/openapi/files';
import { API_DESCRIPTION_PATH, registerApiDescription } from '../../local/api-description';
import { AwsEndpoint } from '../../local/aws-endpoint';

describe('the API description on the local AWS endpoint', () => {
  const endpoint = new AwsEndpoint();
  const scratch = mkdtempSync(path.join(tmpdir(), 'api-description-'));
  const regenerated = path.join(scratch, 'openapi.json');
  let url: string;

  beforeAll(async () => {
    writeFileSync(regenerated, readFileSync(OPENAPI_FILE));
    registerApiDescription(endpoint, regenerated);
    endpoint.registerJson('AWSEvents', { ListEventBuses: async () => ({ EventBuses: [{ Name: 'default' }] }) });
    url = await endpoint.listen();
  });
  afterAll(() => endpoint.close());

  it('serves the checked-in docs/openapi.json as JSON at /openapi.json', async () => {
    const response = await fetch(`${url}${API_DESCRIPTION_PATH}`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
  });

  it('serves the file as it is now, so a regenerated description needs no restart', async () => {
    writeFileSync(regenerated, '{"openapi":"3.1.0","info":{"title":"changed","version":"0"},"paths":{}}');

    const body = (await (await fetch(`${url}${API_DESCRIPTION_PATH}`)).json()) as { info: { title: string } };

    expect(body.info.title).toBe('changed');
  });

  it('leaves the AWS protocols the endpoint speaks as they were', async () => {
    const events = new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

    await expect(events.send(new ListEventBusesCommand({}))).resolves.toMatchObject({ EventBuses: [{ Name: 'default' }] });
    expect((await fetch(`${url}/openapi.yaml`)).status).toBe(404);
  });
});
