/**
 * What DynamoDB does and DynamoDB Local never does, injected at the proxy
 * (`./dynamodb-proxy`) by the fault configuration's `dynamodb` section:
 *
 * - a transaction cancelled because another one holds an item
 *   (`TransactionCanceledException`, reason `TransactionConflict`);
 * - throttling (`ProvisionedThroughputExceededException` with its
 *   `ThrottlingReasons`, or `ThrottlingError` inside a transaction);
 * - global secondary indexes read behind their table: items written in the
 *   last `indexLagMs` are missing from an index read. DynamoDB would show an
 *   updated item's previous index entry; the proxy cannot, so a lagging read
 *   misses recently written items (new and updated alike) and still shows
 *   recently deleted ones' absence — the read-after-write gap that matters.
 *
 * The answers are shaped as DynamoDB's: the SDK parses them into the same
 * exceptions, with the same cancellation reasons.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TroubleshootingThrottling.html
 */
import { DEFAULT_INDEX_LAG_MS } from '../fault-injection';
import type { DynamoDbFaults } from '../faults';
import type { Random } from '../support/random';
import { tableArn } from './dynamodb-actions';
import type { DynamoDbCall, ProxyAnswer } from './dynamodb-proxy';

/** A fault as it is injected, for the log. */
export interface InjectedDynamoDbFault {
  readonly kind: 'transaction-conflict' | 'throttling' | 'index-lag';
  readonly operation: string;
  readonly table: string;
  /** Who made the call. */
  readonly caller: string;
  /** For index lag: how many items the read missed. */
  readonly hidden?: number;
}

const DATA_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem']);
const TRANSACTIONS = new Set(['TransactWriteItems', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

type Input = Readonly<Record<string, unknown>>;
const object = (value: unknown): Input => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Input) : {});
const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** How long a write is remembered for index lag: a little over the longest lag a configuration may ask for. */
const WRITE_MEMORY_MS = 61_000;

/** Options of {@link DynamoDbFaultPlan}. */
export interface DynamoDbFaultPlanOptions {
  /** The faults, or undefined for none (then only writes are remembered, cheaply). */
  readonly faults: () => DynamoDbFaults | undefined;
  /** The draws (a seeded stream of the run). */
  readonly random: Random;
  /** The key attributes of a table: partition key, then sort key if any. */
  readonly keyOf: (tableName: string) => readonly string[];
  /** Hears every injected fault. */
  readonly onFault?: (fault: InjectedDynamoDbFault) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Decides and shapes DynamoDB faults for the proxy: `intercept` answers in
 * DynamoDB Local's stead, `transform` changes DynamoDB Local's answer.
 */
export class DynamoDbFaultPlan {
  /** When each item (table + primary key) was last written, for index lag. */
  private readonly written = new Map<string, number>();
  private readonly now: () => number;

  public constructor(private readonly options: DynamoDbFaultPlanOptions) {
    this.now = options.now ?? Date.now;
  }

  /** An injected conflict or throttle, or undefined to let the call through. */
  public intercept(call: DynamoDbCall): ProxyAnswer | undefined {
    const faults = this.options.faults();
    if (!faults) return undefined;
    const { operation } = call;
    const random = this.options.random;
    if (TRANSACTIONS.has(operation)) {
      const items = list(call.input.TransactItems);
      const conflict = random() < (faults.transactionConflictRate ?? 0);
      const throttle = random() < (faults.throttleRate ?? 0);
      const victim = Math.floor(random() * items.length);
      if (!conflict && !throttle) return undefined;
      const code = conflict ? 'TransactionConflict' : 'ThrottlingError';
      this.report(conflict ? 'transaction-conflict' : 'throttling', call, tableOfTransactItem(items[victim]));
      return transactionCancelled(items.length, victim, code);
    }
    if (DATA_OPERATIONS.has(operation) && random() < (faults.throttleRate ?? 0)) {
      const table = tablesOf(call)[0] ?? '';
      this.report('throttling', call, table);
      const kind = WRITES.has(operation) ? 'Write' : 'Read';
      const onIndex = typeof call.input.IndexName === 'string';
      return {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message:
            'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
          ThrottlingReasons: [
            {
              reason: `${onIndex ? 'Index' : 'Table'}${kind}KeyRangeThroughputExceeded`,
              resource: `${tableArn(table)}${onIndex ? `/index/${String(call.input.IndexName)}` : ''}`,
            },
          ],
        },
      };
    }
    return undefined;
  }

  /** Remembers successful writes; makes a lagging index read miss what was written too recently. */
  public transform(call: DynamoDbCall, output: Record<string, unknown>): Record<string, unknown> | undefined {
    if (WRITES.has(call.operation)) {
      this.remember(call);
      return undefined;
    }
    if (!READS.has(call.operation) || typeof call.input.IndexName !== 'string') return undefined;
    const faults = this.options.faults();
    if (!faults?.indexLagRate || this.options.random() >= faults.indexLagRate) return undefined;
    const table = String(call.input.TableName ?? '');
    const since = this.now() - (faults.indexLagMs ?? DEFAULT_INDEX_LAG_MS);
    const items = list(output.Items);
    const visible = items.filter((item) => (this.written.get(this.itemKey(table, object(item))) ?? 0) < since);
    const hidden = items.length - visible.length;
    this.report('index-lag', call, table, hidden);
    if (hidden === 0) return undefined;
    return { ...output, Items: visible, Count: visible.length };
  }

  private remember(call: DynamoDbCall): void {
    const at = this.now();
    for (const [table, item] of writtenItems(call)) this.written.set(this.itemKey(table, item), at);
    if (this.written.size > 50_000) {
      for (const [key, time] of this.written) if (time < at - WRITE_MEMORY_MS) this.written.delete(key);
    }
  }

  private itemKey(table: string, item: Input): string {
    return `${table}|${this.options.keyOf(table).map((name) => JSON.stringify(item[name] ?? null)).join('|')}`;
  }

  private report(kind: InjectedDynamoDbFault['kind'], call: DynamoDbCall, table: string, hidden?: number): void {
    this.options.onFault?.({ kind, operation: call.operation, table, caller: call.principal.label, ...(hidden === undefined ? {} : { hidden }) });
  }
}

/** DynamoDB's answer to a cancelled transaction: a reason per item, in order. */
const transactionCancelled = (count: number, victim: number, code: 'TransactionConflict' | 'ThrottlingError'): ProxyAnswer => {
  const reasons = Array.from({ length: count }, (_, i) =>
    i === victim ? { Code: code, Message: code === 'TransactionConflict' ? 'Transaction is ongoing for the item' : 'Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.' } : { Code: 'None' },
  );
  return {
    status: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      CancellationReasons: reasons,
    },
  };
};

const tableOfTransactItem = (entry: unknown): string => String(object(Object.values(object(entry))[0]).TableName ?? '');

const tablesOf = (call: DynamoDbCall): string[] => {
  if (typeof call.input.TableName === 'string') return [call.input.TableName];
  return Object.keys(object(call.input.RequestItems));
};

/** The items a successful write touched: each (table, item or key). */
const writtenItems = (call: DynamoDbCall): Array<[string, Input]> => {
  const { input, operation } = call;
  switch (operation) {
    case 'PutItem':
      return [[String(input.TableName ?? ''), object(input.Item)]];
    case 'UpdateItem':
    case 'DeleteItem':
      return [[String(input.TableName ?? ''), object(input.Key)]];
    case 'BatchWriteItem':
      return Object.entries(object(input.RequestItems)).flatMap(([table, requests]) =>
        list(requests).map((request): [string, Input] => {
          const { PutRequest, DeleteRequest } = object(request);
          return [table, PutRequest === undefined ? object(object(DeleteRequest).Key) : object(object(PutRequest).Item)];
        }),
      );
    case 'TransactWriteItems':
      return list(input.TransactItems).flatMap((entry): Array<[string, Input]> => {
        const [kind, body] = Object.entries(object(entry))[0] ?? ['', {}];
        const request = object(body);
        if (kind === 'ConditionCheck') return [];
        return [[String(request.TableName ?? ''), object(kind === 'Put' ? request.Item : request.Key)]];
      });
    default:
      return [];
  }
};
