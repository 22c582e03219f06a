/**
 * What the console's Tables, Faults-and-cost, Express and redrive tests and
 * screenshots show: one local cloud synthesized with the Express saga
 * (`-c saga=express`, the context the Express e2e suites synthesize, so a
 * test run synthesizes it once), started with the faults of
 * ./console-faults.json; three orders placed through the API (confirmed,
 * declined, out of stock), thirty rows in the products table to page
 * through, and one OrderPlaced that the saga's rule dead-lettered, as
 * EventBridge leaves it in the rule's dead-letter queue.
 */
import * as path from 'node:path';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListEventBusesCommand, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Page } from 'playwright-core';
import { resolveQueue } from '../../../lib/ops/redrive';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb/dynamodb-local';
import { readFaultsFile } from '../../../local/fault-injection';
import { LOCAL_REGION } from '../../../local/resources';
import type { OrderRequest } from '../../e2e/support/shop-client';
import { startConsoleCloud, type ConsoleCloud } from './scenario';

/** The faults the local cloud runs with, as `npm start --faults` would be given them: harmless ones (a little latency, a little index lag). */
export const CONSOLE_FAULTS_FILE = 'test/console/support/console-faults.json';

/** Rows written straight into the products table, more than a page of the Tables view holds. */
export const EXTRA_PRODUCT_ROWS = 30;

/** The running scenario. */
export interface OpsScenario extends ConsoleCloud {
  /** A page with the console open. */
  readonly page: Page;
  /** The order ids: each is the name of its Express saga execution. */
  readonly placed: { readonly happy: string; readonly declined: string; readonly outOfStock: string };
  /** The logical ids of the products table and of the saga rule's dead-letter queue. */
  readonly productsTable: string;
  readonly sagaDeadLetters: string;
  /** The Express order saga's ARN. */
  readonly sagaArn: string;
}

const order = (productId: string, quantity: number, paymentToken: string): OrderRequest => ({
  items: [{ productId, quantity }],
  paymentToken,
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

const only = (what: string, found: readonly string[]): string => {
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.join(', ') || 'none'}`);
  return found[0] ?? '';
};

/** Starts the Express local cloud with its faults, arranges the scenario and opens the console. */
export const startOpsScenario = async (): Promise<OpsScenario> =>
  startConsoleCloud({ context: { saga: 'express' }, faults: readFaultsFile(path.join(__dirname, '..', '..', '..', CONSOLE_FAULTS_FILE)), faultsFile: CONSOLE_FAULTS_FILE, scheduleScale: 0 }, async (cloud) => {
    const { fresh, shop, admin, alice, collected } = cloud;
    const config = { endpoint: fresh.cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: { accessKeyId: 'tester', secretAccessKey: 'tester' } };
    const [sqs, events, sfn] = [new SQSClient(config), new EventBridgeClient(config), new SFNClient(config)];
    const dynamo = new DynamoDBClient({ endpoint: fresh.cloud.dynamoDbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    try {
      await shop.stockProduct(admin, { id: 'ops-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 50);
      await shop.stockProduct(admin, { id: 'ops-lamp', name: 'Lamp', price: { amount: 4500, currency: 'EUR' } }, 1);
      const happy = await shop.placeAcceptedOrder(alice, order('ops-mug', 1, 'tok_visa'));
      const declined = await shop.placeAcceptedOrder(alice, order('ops-mug', 1, 'tok_decline'));
      const outOfStock = await shop.placeAcceptedOrder(alice, order('ops-lamp', 2, 'tok_visa'));
      for (const [placed, status] of [[happy, 'CONFIRMED'], [declined, 'CANCELLED'], [outOfStock, 'CANCELLED']] as const) {
        const outcome = await shop.outcomeOf(alice, placed);
        if (outcome.status !== status) throw new Error(`order ${placed.orderId} ended ${outcome.status}, not ${status}:\n${collected.describe(placed.correlationId)}`);
      }

      // More rows than a page, written straight into DynamoDB: the Tables view reads them as it reads every item.
      const productsTable = only('products table', [...fresh.cloud.tables.keys()].filter((id) => id.startsWith('CatalogProductsTable')));
      const tableName = fresh.cloud.tables.get(productsTable) ?? '';
      for (let first = 0; first < EXTRA_PRODUCT_ROWS; first += 25) {
        const rows = Array.from({ length: Math.min(25, EXTRA_PRODUCT_ROWS - first) }, (_, i) => ({ PutRequest: { Item: { pk: { S: `PAGE#${String(first + i).padStart(2, '0')}` }, note: { S: 'a row to page through' } } } }));
        await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: rows } }));
      }

      // The happy order's OrderPlaced, as EventBridge leaves an event it could not deliver in the rule's dead-letter queue.
      const sagaDeadLetters = only('saga rule dead-letter queue', fresh.cloud.queueLogicalIds().filter((id) => id.includes('StartOrderSagaDeadLetters')));
      const sagaArn = only('order saga', ((await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).flatMap((machine) => (machine.name?.startsWith('OrderSaga') && machine.stateMachineArn ? [machine.stateMachineArn] : [])));
      const rules: string[] = [];
      for (const bus of (await events.send(new ListEventBusesCommand({}))).EventBuses ?? []) {
        for (const rule of (await events.send(new ListRulesCommand({ EventBusName: bus.Name }))).Rules ?? []) if (rule.Name?.includes('StartOrderSaga') && rule.Arn) rules.push(rule.Arn);
      }
      const event = {
        version: '0',
        id: 'e6b3b0c4-0000-4000-8000-000000000001',
        'detail-type': 'OrderPlaced',
        source: 'shop.orders',
        account: '000000000000',
        time: new Date().toISOString(),
        region: LOCAL_REGION,
        resources: [],
        detail: { metadata: { eventId: 'e6b3b0c4-0000-4000-8000-000000000002', version: 1, occurredAt: new Date().toISOString(), correlationId: happy.correlationId ?? 'console-redrive' }, data: { orderId: happy.orderId } },
      };
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: (await resolveQueue(sqs, 'StartOrderSagaDeadLetters')).url,
          MessageBody: JSON.stringify(event),
          MessageAttributes: {
            RULE_ARN: { DataType: 'String', StringValue: only('saga rule', rules) },
            TARGET_ARN: { DataType: 'String', StringValue: sagaArn },
            ERROR_CODE: { DataType: 'String', StringValue: 'ThrottlingException' },
            ERROR_MESSAGE: { DataType: 'String', StringValue: 'Rate exceeded' },
          },
        }),
      );
      const page = await cloud.openPage();
      return { ...cloud, page, placed: { happy: happy.orderId, declined: declined.orderId, outOfStock: outOfStock.orderId }, productsTable, sagaDeadLetters, sagaArn };
    } finally {
      for (const client of [sqs, events, sfn, dynamo]) client.destroy();
    }
  });
