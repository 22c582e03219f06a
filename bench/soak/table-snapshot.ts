import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/**
 * The five services' tables as the soak reads them at the end of a run: the
 * items it checks the invariants on, parsed with the layouts the adapters
 * write (functions/<service>/adapters/dynamodb-*-repository.ts). Anything
 * that does not parse is kept in `unreadable`, because a malformed item is a
 * finding too.
 */

const money = z.object({ amount: z.number().int(), currency: z.string() });
const line = z.object({ productId: z.string(), quantity: z.number().int() });

/** `PRODUCT#<id>` in the inventory table: units on hand and not reserved. */
export const stockItemSchema = z.object({ pk: z.string().startsWith('PRODUCT#'), productId: z.string(), stock: z.number() });
export type StockItem = z.infer<typeof stockItemSchema>;

/** `RESERVATION#<orderId>` in the inventory table. */
export const reservationItemSchema = z.object({
  pk: z.string().startsWith('RESERVATION#'),
  orderId: z.string(),
  executionId: z.string(),
  lines: z.array(line),
  status: z.enum(['RESERVED', 'RELEASED']),
});
export type ReservationItem = z.infer<typeof reservationItemSchema>;

/** `PAYMENT#<orderId>` in the payments table. */
export const paymentItemSchema = z.object({
  pk: z.string().startsWith('PAYMENT#'),
  orderId: z.string(),
  paymentId: z.string(),
  amount: money,
  status: z.enum(['PENDING', 'CAPTURED', 'DECLINED', 'REFUNDED', 'VOIDED']),
  chargeId: z.string().optional(),
  refundId: z.string().optional(),
  declineReason: z.string().optional(),
});
export type PaymentItem = z.infer<typeof paymentItemSchema>;

/** `SHIPMENT#shp-<orderId>` in the shipping table. */
export const shipmentItemSchema = z.object({
  pk: z.string().startsWith('SHIPMENT#'),
  shipmentId: z.string(),
  orderId: z.string(),
  status: z.enum(['CREATED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
  items: z.array(line),
  /** Written CANCELLED by a customer's cancellation before the saga created it. */
  cancelledBeforeCreation: z.boolean().optional(),
});
export type ShipmentItem = z.infer<typeof shipmentItemSchema>;

/** `ORDER#<orderId>` (type ORDER) in the orders table. */
export const orderItemSchema = z.object({
  pk: z.string().startsWith('ORDER#'),
  type: z.literal('ORDER'),
  orderId: z.string(),
  userId: z.string(),
  items: z.array(line.extend({ unitPrice: money })),
  total: money,
  paymentToken: z.string(),
  shippingAddress: z.object({ country: z.string() }),
  status: z.enum(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
  cancellationReason: z.string().optional(),
  /** When its owner asked to cancel it (kept on a cancelled order, dropped when the request could not be met). */
  cancelRequestedAt: z.string().optional(),
  correlationId: z.string(),
});
export type OrderItem = z.infer<typeof orderItemSchema>;

/** `IDEMPOTENCY#<userId>#<key>` (type IDEMPOTENCY) in the orders table. */
export const idempotencyItemSchema = z.object({
  pk: z.string().startsWith('IDEMPOTENCY#'),
  type: z.literal('IDEMPOTENCY'),
  orderId: z.string(),
  requestHash: z.string(),
});
export type IdempotencyItem = z.infer<typeof idempotencyItemSchema>;

/** Every item of the soak's interest, by kind. */
export interface TableSnapshot {
  readonly stock: readonly StockItem[];
  readonly reservations: readonly ReservationItem[];
  readonly payments: readonly PaymentItem[];
  readonly shipments: readonly ShipmentItem[];
  readonly orders: readonly OrderItem[];
  readonly idempotency: readonly IdempotencyItem[];
  /** Items whose key says what they are but whose attributes do not fit that layout. */
  readonly unreadable: ReadonlyArray<{ readonly table: string; readonly pk: string; readonly problem: string }>;
}

/** Names of the tables the soak reads. */
export interface SoakTables {
  readonly inventory: string;
  readonly payments: string;
  readonly shipping: string;
  readonly orders: string;
}

/** Logical-id prefixes of the tables in the synthesized template (the construct ids, before CDK's hash). */
const TABLE_PREFIXES: Readonly<Record<keyof SoakTables, string>> = {
  inventory: 'InventoryStockTable',
  payments: 'PaymentsTable',
  shipping: 'ShippingShipmentsTable',
  orders: 'OrdersTable',
};

/** The template's tables did not include one the soak reads. */
export class SoakTableNotFoundError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SoakTableNotFoundError';
  }
}

/** Finds each service table among the local cloud's tables (logical id → name) by its construct id. */
export const soakTablesOf = (tables: ReadonlyMap<string, string>): SoakTables => {
  const find = (key: keyof SoakTables): string => {
    const prefix = TABLE_PREFIXES[key];
    const matches = [...tables].filter(([logicalId]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(logicalId));
    if (matches.length !== 1) {
      throw new SoakTableNotFoundError(`Expected one table ${prefix}<hash> in the template, found ${matches.length} among: ${[...tables.keys()].join(', ')}`);
    }
    return matches[0][1];
  };
  return { inventory: find('inventory'), payments: find('payments'), shipping: find('shipping'), orders: find('orders') };
};

/** The Express saga's claims table (see OrderSaga), by its logical id. */
export const sagaClaimsTableOf = (tables: ReadonlyMap<string, string>): string => {
  const matches = [...tables].filter(([logicalId]) => /^OrderSagaClaimsTable[0-9A-F]{8}$/.test(logicalId));
  if (matches.length !== 1) throw new SoakTableNotFoundError(`Expected one table OrderSagaClaimsTable<hash> (an Express saga's), found ${matches.length} among: ${[...tables.keys()].join(', ')}`);
  return matches[0][1];
};

/** Every item of a table (consistent reads, all pages). */
export const scanAll = async (client: DynamoDBDocumentClient, tableName: string, filter?: { readonly prefix: string }): Promise<Array<Record<string, unknown>>> => {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey: start,
        ...(filter ? { FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': filter.prefix } } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/** The on-hand count of every product, for sampling during the run. */
export const readStock = async (client: DynamoDBDocumentClient, tableName: string): Promise<StockItem[]> =>
  (await scanAll(client, tableName, { prefix: 'PRODUCT#' })).flatMap((item) => {
    const parsed = stockItemSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });

/** Reads the four tables and sorts their items by layout. */
export const readSnapshot = async (client: DynamoDBDocumentClient, tables: SoakTables): Promise<TableSnapshot> => {
  const unreadable: Array<{ table: string; pk: string; problem: string }> = [];
  const sort = <T>(table: string, items: ReadonlyArray<Record<string, unknown>>, prefix: string, schema: z.ZodType<T>, when: (item: Record<string, unknown>) => boolean = () => true): T[] =>
    items
      .filter((item) => String(item.pk).startsWith(prefix) && when(item))
      .flatMap((item) => {
        const parsed = schema.safeParse(item);
        if (parsed.success) return [parsed.data];
        unreadable.push({ table, pk: String(item.pk), problem: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
        return [];
      });
  const [inventory, payments, shipping, orders] = await Promise.all([
    scanAll(client, tables.inventory),
    scanAll(client, tables.payments),
    scanAll(client, tables.shipping),
    scanAll(client, tables.orders),
  ]);
  return {
    stock: sort('inventory', inventory, 'PRODUCT#', stockItemSchema),
    reservations: sort('inventory', inventory, 'RESERVATION#', reservationItemSchema),
    payments: sort('payments', payments, 'PAYMENT#', paymentItemSchema),
    shipments: sort('shipping', shipping, 'SHIPMENT#', shipmentItemSchema),
    orders: sort('orders', orders, 'ORDER#', orderItemSchema),
    idempotency: sort('orders', orders, 'IDEMPOTENCY#', idempotencyItemSchema),
    unreadable,
  };
};
