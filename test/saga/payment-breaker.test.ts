import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { rmSync } from 'node:fs';
import { sagaArnOf } from '../../bench/soak/saga-history';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { LocalCloud } from '../../local/local-cloud';
import { HopLog } from '../../local/log';
import { LOCAL_REGION } from '../../local/resources';
import { synthesizedAssembly, type SynthesizedAssembly } from '../../local/fresh-local-cloud';
import { eventually } from '../e2e/support/eventually';
import { ShopClient, type OrderRequest } from '../e2e/support/shop-client';
import type { Caller } from '../e2e/support/target';
import { editedCopy } from '../support/assembly';

/*
 * The payment provider's circuit breaker, shared by every environment of the
 * charge and refund functions, on the local cloud with IAM strict: three
 * orders whose card the provider cannot reach (tok_unavailable) fail charges
 * in several environments at once until five in a row open the breaker;
 * an order placed then fails fast, TECHNICAL, its charge refused without
 * calling the provider (tok_visa would have been approved); once the open
 * window is over one call probes, closes it, and orders confirm again.
 *
 * The open window is 5 s instead of 30 s: the template is the synthesized
 * one with PROVIDER_BREAKER_OPEN_MS changed, the variable PaymentsService's
 * `providerBreaker.openFor` sets. Nothing in the handlers knows a test runs.
 */

jest.setTimeout(240_000);

const OPEN_MS = 5_000;

type Template = { Resources: Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }> };

/** The shop's assembly, synthesized (or taken from the run's cache) by beforeAll: only copied or read. */
let synthesized: SynthesizedAssembly;
let assembly: string;
let cloud: LocalCloud;
let shop: ShopClient;
let alice: Caller;
const lines: string[] = [];

/** The synthesized assembly with the payment functions' breaker window shortened. */
const withOpenWindow = (ms: number): string =>
  editedCopy<Template>(synthesized.dir, 'shop-breaker-', (template) => {
    let changed = 0;
    for (const resource of Object.values(template.Resources)) {
      const variables = resource.Properties.Environment?.Variables;
      if (resource.Type === 'AWS::Lambda::Function' && variables?.PROVIDER_BREAKER_OPEN_MS !== undefined) {
        variables.PROVIDER_BREAKER_OPEN_MS = String(ms);
        changed += 1;
      }
    }
    if (changed !== 2) throw new Error(`expected the charge and refund functions to carry PROVIDER_BREAKER_OPEN_MS, found ${changed}`);
  });

const order = (paymentToken: string): OrderRequest => ({
  items: [{ productId: 'breaker-mug', quantity: 1 }],
  paymentToken,
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

/** Hop lines (with the verbose hop log, functions' INFO lines included; not the payload lines under them) that match. */
const logged = (pattern: RegExp): string[] => lines.filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line) && pattern.test(line));

/** The EMF records functions printed, from the verbose hop log's payload lines. */
const emfRecords = (): Array<Record<string, unknown>> =>
  lines.flatMap((line) => {
    const text = line.trim();
    if (!text.startsWith('{') || !text.includes('"_aws"')) return [];
    try {
      return [JSON.parse(text) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

/** The errors of the ChargePayment attempts of an order's saga, from its execution history. */
const chargeFailures = async (orderId: string): Promise<string[]> => {
  const sfn = new SFNClient({ endpoint: cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const executionArn = `${(await sagaArnOf(sfn)).replace(':stateMachine:', ':execution:')}:${orderId}`;
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const failures: string[] = [];
    let state = '';
    for (const event of events) {
      if (event.stateEnteredEventDetails?.name) state = event.stateEnteredEventDetails.name;
      const failed = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
      if (state === 'ChargePayment' && failed) failures.push(`${failed.error ?? ''}: ${failed.cause ?? ''}`);
    }
    return failures;
  } finally {
    sfn.destroy();
  }
};

const breakerItem = async (): Promise<Record<string, unknown> | undefined> => {
  const table = [...cloud.tables.entries()].find(([logicalId]) => logicalId.startsWith('PaymentsTable'))?.[1];
  if (!table) throw new Error('no payments table');
  const dynamo = new DynamoDBClient({ endpoint: cloud.dynamoDbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'BREAKER#payment-provider' } }, ConsistentRead: true }));
    return Item ? { state: Item.breakerState?.S, failures: Item.failures?.N } : undefined;
  } finally {
    dynamo.destroy();
  }
};

beforeAll(async () => {
  synthesized = await synthesizedAssembly();
  assembly = withOpenWindow(OPEN_MS);
  const log = new HopLog({
    verbose: true,
    color: false,
    write: (text) => {
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(line);
      if (process.env.SHOP_E2E_VERBOSE) process.stderr.write(text);
    },
  });
  cloud = await LocalCloud.start({ assemblyDir: assembly, apiPort: 0, log, retryDelayScale: 0.05, iam: 'strict', dynamoDb: startDynamoDbLocal() });
  shop = new ShopClient({ apiUrl: cloud.apiUrl, waitMs: 60_000, diagnostics: () => lines.slice(-80).join('\n') });
  const admin = { name: 'admin', token: cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
  alice = { name: 'alice', token: cloud.issuer.mint({ username: 'alice@example.com' }).token };
  await shop.stockProduct(admin, { id: 'breaker-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 50);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
  synthesized?.remove();
  if (assembly) rmSync(assembly, { recursive: true, force: true });
});

describe('the payment provider circuit breaker, shared by every environment', () => {
  it('opens once on failures from several environments, fails later charges fast without calling the provider, and closes after the window', async () => {
    // Act 1: three orders the provider cannot charge, at once: their sagas fail charges in parallel environments
    const unreachable = await Promise.all([1, 2, 3].map(() => shop.placeAcceptedOrder(alice, order('tok_unavailable'))));
    await eventually('the breaker to open', async () => logged(/Circuit breaker payment-provider CLOSED → OPEN/), (found) => found.length > 0, {
      timeoutMs: 30_000,
      diagnostics: () => lines.slice(-80).join('\n'),
    });
    const stateWhileOpen = await breakerItem();

    // Act 2: an order with a card the provider would approve, while the circuit is open
    const refused = await shop.placeAcceptedOrder(alice, order('tok_visa'));
    const refusedOutcome = await shop.outcomeOf(alice, refused);
    const refusedAttempts = await chargeFailures(refused.orderId);
    const openLines = logged(/Circuit breaker payment-provider CLOSED → OPEN/);

    // Act 3: the window ends; one call probes and closes it
    await eventually('the breaker to close', async () => logged(/Circuit breaker payment-provider HALF_OPEN → CLOSED: the probe succeeded/), (found) => found.length > 0, {
      timeoutMs: 60_000,
      diagnostics: () => lines.slice(-80).join('\n'),
    });
    const after = await shop.placeAcceptedOrder(alice, order('tok_visa'));
    const afterOutcome = await shop.outcomeOf(alice, after);
    for (const placed of unreachable) await shop.outcomeOf(alice, placed);

    // Assess: opened once, by five consecutive failures, with its state in the payments table
    expect(openLines).toHaveLength(1);
    // (environments failing at the same moment may count a 6th before one of them opens it)
    expect(openLines[0]).toMatch(/PaymentsChargePayment[0-9A-F]{8}: WARN Circuit breaker payment-provider CLOSED → OPEN: [5-9] consecutive failures; calls are refused until/);
    expect(stateWhileOpen).toMatchObject({ state: 'OPEN' });

    // Assess: the order placed while open failed fast, TECHNICAL, and its charge was never made
    expect(refusedOutcome).toMatchObject({ status: 'CANCELLED', cancellationReason: 'TECHNICAL' });
    expect(refusedAttempts).toHaveLength(4);
    for (const attempt of refusedAttempts) expect(attempt).toMatch(/^TransientError: .*circuit is open.*charge was not attempted/);
    expect((await shop.details(alice, refused.orderId)).payment).toMatchObject({ status: 'VOIDED' });

    // Assess: one probe closed it, and orders confirm again
    expect(logged(/Circuit breaker payment-provider OPEN → HALF_OPEN: the open window is over; this call is the probe/)).toHaveLength(1);
    expect(logged(/Circuit breaker payment-provider HALF_OPEN → CLOSED/)).toHaveLength(1);
    expect(afterOutcome.status).toBe('CONFIRMED');
    expect(await breakerItem()).toMatchObject({ state: 'CLOSED', failures: '0' });

    // Assess: each transition counted once, by dependency and state; refusals counted
    const transitions = emfRecords().filter((record) => 'CircuitBreakerTransitions' in record);
    expect(transitions.map((record) => record.state)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
    for (const record of transitions) expect(record).toMatchObject({ dependency: 'payment-provider', service: 'payments', CircuitBreakerTransitions: 1 });
    expect(emfRecords().filter((record) => 'CircuitBreakerRejections' in record).length).toBeGreaterThanOrEqual(4);
    expect(cloud.iam.authorizer.denials).toEqual([]);

    // Assess: the other metrics of the run, as the functions printed them
    expect(emfRecords().filter((record) => record.route === 'POST /orders' && record.outcome === '2xx' && typeof record.ApiLatency === 'number')).toHaveLength(5);
    const durations = emfRecords().filter((record) => 'SagaDuration' in record);
    expect(durations.filter((record) => record.outcome === 'CANCELLED')).toHaveLength(4);
    expect(durations.filter((record) => record.outcome === 'CONFIRMED')).toHaveLength(1);
    for (const record of durations) expect(record.SagaDuration).toEqual(expect.any(Number));
  });
});
