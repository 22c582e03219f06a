import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb/dynamodb-local';
import { LOCAL_REGION } from '../../../local/resources';
import { ownedDocumentClient } from '../../../local/support/document-client';
import { scanAll } from '../../support/dynamodb';

/** Every item of every table, each as canonical JSON, sorted: two snapshots are equal exactly when the data is. */
export type TableSnapshot = ReadonlyMap<string, readonly string[]>;

/** JSON with keys sorted at every level and sets as sorted arrays, so equal items print equally. */
const canonical = (value: unknown): string => {
  if (value instanceof Set) return `set${canonical([...value].map(canonical).sort())}`;
  if (value instanceof Uint8Array) return `bytes(${Buffer.from(value).toString('base64')})`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
};

/** Reads whole tables of the local cloud (consistent scans), to prove a run wrote nothing. */
export class TableScanner {
  private readonly client: DynamoDBDocumentClient;

  public constructor(
    endpoint: string,
    private readonly tableNames: readonly string[],
  ) {
    this.client = ownedDocumentClient(new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
  }

  public async snapshot(): Promise<TableSnapshot> {
    const tables = await Promise.all(
      this.tableNames.map(async (name) => [name, (await scanAll(this.client, name)).map(canonical).sort()] as const),
    );
    return new Map(tables);
  }

  public close(): void {
    this.client.destroy();
  }
}

const SHOWN_ITEM_CHARS = 400;

/** What changed between two snapshots, one line per item added or removed (a changed item is both); empty when nothing did. */
export const diffSnapshots = (before: TableSnapshot, after: TableSnapshot): string[] => {
  const lines: string[] = [];
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const was = new Set(before.get(table) ?? []);
    const is = new Set(after.get(table) ?? []);
    for (const item of is) if (!was.has(item)) lines.push(`+ ${table}: ${item.slice(0, SHOWN_ITEM_CHARS)}`);
    for (const item of was) if (!is.has(item)) lines.push(`- ${table}: ${item.slice(0, SHOWN_ITEM_CHARS)}`);
  }
  return lines;
};

/** Items per table, for a one-line summary. */
export const describeSnapshot = (snapshot: TableSnapshot): string =>
  [...snapshot].map(([table, items]) => `${table}: ${items.length}`).join(', ');
