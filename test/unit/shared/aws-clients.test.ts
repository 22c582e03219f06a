import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sdkTimeouts, withCallDeadline } from '../../../functions/shared/aws-clients';
import { DeadlineExceededError, loadDeadlines } from '../../../functions/shared/deadlines';
import { ConfigurationError } from '../../../functions/shared/errors';

/**
 * The shared clients' deadlines against a real SDK client and a real socket:
 * a DynamoDB endpoint that accepts connections and answers late or never.
 */

interface FakeEndpoint {
  readonly url: string;
  /** Requests received, in order. */
  readonly requests: IncomingMessage[];
  /** Requests whose connection has been closed (by the client giving up). */
  closed(): number;
  stop(): Promise<void>;
}

/** An endpoint that answers the n-th request (0-based) as `answer` says: `undefined` never answers. */
const endpoint = async (answer: (n: number) => string | undefined): Promise<FakeEndpoint> => {
  const requests: IncomingMessage[] = [];
  let closed = 0;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const n = requests.push(request) - 1;
    request.resume();
    request.socket.once('close', () => {
      closed += 1;
    });
    const body = answer(n);
    if (body !== undefined) request.once('end', () => response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closed: () => closed,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const clientOf = (url: string, deadlineMs: number) =>
  withCallDeadline(
    new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, ...sdkTimeouts(deadlineMs) }),
    'A DynamoDB call',
    deadlineMs,
  );

const getItem = () => new GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'ORDER#1' } } });

describe('the shared AWS clients', () => {
  let fake: FakeEndpoint | undefined;
  let client: DynamoDBClient | undefined;

  afterEach(async () => {
    client?.destroy();
    await fake?.stop();
    fake = undefined;
    client = undefined;
  });

  it('fail a call that never answers at its deadline, and close every connection it opened', async () => {
    // Prepare
    fake = await endpoint(() => undefined);
    client = clientOf(fake.url, 600);
    const started = Date.now();

    // Act
    const outcome = await client.send(getItem()).catch((error: unknown) => error);

    // Assess
    const elapsed = Date.now() - started;
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect(outcome).toMatchObject({ message: 'A DynamoDB call did not answer within 600 ms.', code: 'ETIMEDOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(595);
    expect(elapsed).toBeLessThan(1600);
    expect(fake.requests.length).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.closed()).toBe(fake.requests.length);
  });

  it('succeed when the attempt after a hung one answers within the deadline', async () => {
    // Prepare
    fake = await endpoint((n) => (n === 0 ? undefined : '{}'));
    client = clientOf(fake.url, 2400);

    // Act
    const output = await client.send(getItem());

    // Assess
    expect(output.Item).toBeUndefined();
    expect(output.$metadata.attempts).toBe(2);
    expect(fake.requests).toHaveLength(2);
  });

  it("keep a caller's shorter deadline", async () => {
    // Prepare
    fake = await endpoint(() => undefined);
    client = clientOf(fake.url, 5000);
    const started = Date.now();

    // Act
    const outcome = await client.send(getItem(), { abortSignal: AbortSignal.timeout(150) }).catch((error: unknown) => error);

    // Assess
    expect(Date.now() - started).toBeLessThan(1000);
    expect(outcome).toMatchObject({ name: expect.stringMatching(/Abort|Timeout/) });
  });
});

describe('loadDeadlines', () => {
  it('reads the deadlines lib/ sets, and defaults to 2 s for service calls and 1.5 s for AWS calls', () => {
    expect(loadDeadlines({ SHOP_CALL_DEADLINE_MS: '3000', SHOP_AWS_DEADLINE_MS: '800' })).toEqual({ callMs: 3000, awsMs: 800 });
    expect(loadDeadlines({})).toEqual({ callMs: 2000, awsMs: 1500 });
  });

  it('refuses a deadline that is not a positive number of milliseconds, naming the variable', () => {
    expect(() => loadDeadlines({ SHOP_AWS_DEADLINE_MS: 'soon' })).toThrow(ConfigurationError);
    expect(() => loadDeadlines({ SHOP_CALL_DEADLINE_MS: '0' })).toThrow(/SHOP_CALL_DEADLINE_MS/);
  });
});
