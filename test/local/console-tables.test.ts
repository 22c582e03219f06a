import { BatchWriteItemCommand, CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, plainOf, TABLE_PAGE_SIZE, TableBrowser } from '../../local/console/tables-api';
import { createTestTable, testDynamoDbClient } from '../support/dynamodb';
import { refusalOf } from '../support/console-refusal';

/*
 * The Tables view's reads, against the test run's DynamoDB Local: the list,
 * pages of a Scan or a Query with their cursors, items as plain redacted
 * JSON, and the 4xx a bad table, index, key or cursor gets.
 */

let client: DynamoDBClient;
let orders: string;
let counters: string;
let browser: TableBrowser;

beforeAll(async () => {
  client = testDynamoDbClient();
  orders = await createTestTable({ indexes: [{ name: 'byUser', partitionKey: 'user', sortKey: 'at' }] });
  // 27 orders, the odd ones of bob, each with an address the view must redact.
  const items = Array.from({ length: 27 }, (_, i) => ({
    PutRequest: {
      Item: {
        pk: { S: `ORDER#${String(i).padStart(2, '0')}` },
        user: { S: i % 2 === 1 ? 'bob' : 'alice' },
        at: { S: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` },
        total: { M: { amount: { N: '1200' }, currency: { S: 'EUR' } } },
        shippingAddress: { M: { line1: { S: '1 Main St' } } },
      },
    },
  }));
  for (let first = 0; first < items.length; first += 25) await client.send(new BatchWriteItemCommand({ RequestItems: { [orders]: items.slice(first, first + 25) } }));
  counters = `test-${randomUUID()}`;
  await client.send(new CreateTableCommand({ TableName: counters, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'n', AttributeType: 'N' }], KeySchema: [{ AttributeName: 'n', KeyType: 'HASH' }] }));
  browser = new TableBrowser(client, new Map([['OrdersTableD281FF1A', orders], ['CountersTable0A1B2C3D', counters]]));
});

afterAll(() => client?.destroy());

describe('TableBrowser', () => {
  it('lists each table with its keys, its indexes and their item counts', async () => {
    // Act
    const tables = await browser.list();

    // Assess
    expect(tables).toEqual([
      { logicalId: 'OrdersTableD281FF1A', tableName: orders, partitionKey: 'pk', itemCount: 27, indexes: [{ name: 'byUser', partitionKey: 'user', sortKey: 'at', projection: 'ALL', itemCount: 27 }] },
      { logicalId: 'CountersTable0A1B2C3D', tableName: counters, partitionKey: 'n', itemCount: 0, indexes: [] },
    ]);
  });

  it('scans 25 items a page as plain JSON, redacted, and the next page from the cursor, the last without one', async () => {
    // Act
    const first = await browser.page({ table: 'OrdersTableD281FF1A' });
    const second = await browser.page({ table: orders, cursor: first.next });

    // Assess
    expect(first.items).toHaveLength(TABLE_PAGE_SIZE);
    expect(typeof first.next).toBe('string');
    expect(second.items).toHaveLength(27 - TABLE_PAGE_SIZE);
    expect(second.next).toBeUndefined();
    expect(new Set([...first.items, ...second.items].map((item) => (item as { pk: string }).pk)).size).toBe(27);
    expect(first.items[0]).toEqual({ pk: expect.stringMatching(/^ORDER#/), user: expect.stringMatching(/^(alice|bob)$/), at: expect.stringMatching(/^2026-01-01T/), total: { amount: 1200, currency: 'EUR' }, shippingAddress: '«redacted»' });
    expect(first.keyAttributes).toEqual(['pk']);
  });

  it("scans an index, whose keys come first, and queries one partition key of it, in the index's order", async () => {
    // Act
    const scanned = await browser.page({ table: orders, index: 'byUser' });
    const bobs = await browser.page({ table: orders, index: 'byUser', key: 'bob' });

    // Assess
    expect(scanned.keyAttributes).toEqual(['user', 'at', 'pk']);
    expect(bobs.items).toHaveLength(13);
    expect(bobs.items.map((item) => (item as { user: string }).user)).toEqual(Array.from({ length: 13 }, () => 'bob'));
    const times = bobs.items.map((item) => (item as { at: string }).at);
    expect(times).toEqual([...times].sort());
  });

  it('types the partition key as the table declares it', async () => {
    // Act
    const none = await browser.page({ table: counters, key: '7' });
    const notANumber = await refusalOf(() => browser.page({ table: counters, key: 'seven' }));

    // Assess
    expect(none.items).toEqual([]);
    expect(notANumber).toMatchObject({ status: 400, message: "n is a number: 'seven' is not one" });
  });

  it('answers 404 for a table or index the template does not have, and 400 for a cursor it did not hand out or of another table, index or key', async () => {
    // Prepare
    const page = await browser.page({ table: orders });

    // Act
    const failures = await Promise.all([
      refusalOf(() => browser.page({ table: 'NoSuchTable' })),
      refusalOf(() => browser.page({ table: orders, index: 'byNothing' })),
      refusalOf(() => browser.page({ table: counters, index: 'byNothing' })),
      refusalOf(() => browser.page({ table: orders, cursor: 'not a cursor' })),
      refusalOf(() => browser.page({ table: orders, cursor: Buffer.from('{"table":"x","start":{"pk":{"X":1}}}').toString('base64url') })),
      refusalOf(() => browser.page({ table: orders, index: 'byUser', cursor: page.next })),
      refusalOf(() => browser.page({ table: orders, key: 'bob', cursor: page.next })),
      refusalOf(() => browser.page({ table: orders, cursor: encodeCursor({ table: orders, start: { nope: { S: 'x' } } }) })),
    ]);

    // Assess
    expect(failures.map((failure) => failure.status)).toEqual([404, 404, 404, 400, 400, 400, 400, 400]);
    expect(failures[0]?.message).toBe('No table NoSuchTable in the template; its tables: OrdersTableD281FF1A, CountersTable0A1B2C3D');
    expect(failures[1]?.message).toBe('Table OrdersTableD281FF1A has no index byNothing; its indexes: byUser');
    expect(failures[2]?.message).toBe('Table CountersTable0A1B2C3D has no index byNothing (it has none)');
    expect(failures[5]?.message).toBe('cursor belongs to another table, index or key: start from the first page');
    expect(failures[7]?.message).toMatch(/^DynamoDB refused the page: /);
  });
});

describe('cursors and plain JSON', () => {
  it('round-trips a start key, binary included', () => {
    // Prepare
    const cursor = { table: 't', index: 'i', key: 'k', start: { pk: { S: 'a' }, n: { N: '1' }, b: { B: Uint8Array.from([1, 2, 255]) } } };

    // Act
    const decoded = decodeCursor(encodeCursor(cursor));

    // Assess
    expect(decoded).toEqual({ ...cursor, start: { pk: { S: 'a' }, n: { N: '1' }, b: { B: Buffer.from([1, 2, 255]) } } });
  });

  it('turns every DynamoDB type into plain JSON, keeping the digits of a number a double cannot hold', () => {
    // Act
    const plain = plainOf({
      M: {
        s: { S: 'x' },
        n: { N: '12.5' },
        big: { N: '12345678901234567890' },
        yes: { BOOL: true },
        nothing: { NULL: true },
        list: { L: [{ S: 'a' }, { N: '2' }] },
        strings: { SS: ['a', 'b'] },
        numbers: { NS: ['1', '2'] },
        bytes: { B: Uint8Array.from([104, 105]) },
        byteSet: { BS: [Uint8Array.from([104])] },
      },
    });

    // Assess
    expect(plain).toEqual({ s: 'x', n: 12.5, big: '12345678901234567890', yes: true, nothing: null, list: ['a', 2], strings: ['a', 'b'], numbers: [1, 2], bytes: 'aGk=', byteSet: ['aA=='] });
  });
});
