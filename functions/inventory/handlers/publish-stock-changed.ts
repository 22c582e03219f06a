import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from '../../shared/zod';
import type { DataOf, EventDetail } from '../../shared/contracts/envelope';
import type { StockChanged } from '../../shared/contracts/events';
import { ContractViolationError } from '../../shared/errors';
import { internalQuery } from '../../shared/middleware';
import { logger } from '../../shared/powertools';
import { safeParse } from '../../shared/validation';
import { stockChangedDetail, storedStockSchema } from '../use-cases/stock-changed-event';

const attributeValue = z.custom<AttributeValue>((value) => typeof value === 'object' && value !== null && !Array.isArray(value));

/** One DynamoDB stream record, as an EventBridge Pipe passes it to its enrichment. Other fields are ignored. */
export const stockStreamRecordSchema = z.object({
  eventID: z.string().check(z.minLength(1)),
  eventName: z.optional(z.string()),
  dynamodb: z.optional(
    z.object({
      Keys: z.optional(z.record(z.string(), attributeValue)),
      NewImage: z.optional(z.record(z.string(), attributeValue)),
    }),
  ),
});

/** The batch of stream records the inventory outbox pipe sends. */
export const stockStreamBatchSchema = z.array(stockStreamRecordSchema);
export type StockStreamBatch = z.infer<typeof stockStreamBatchSchema>;

const isStockWrite = (record: StockStreamBatch[number]): boolean =>
  (record.eventName === 'INSERT' || record.eventName === 'MODIFY') && record.dynamodb?.NewImage?.pk?.S?.startsWith('PRODUCT#') === true;

/**
 * The inventory outbox's enrichment: turns the batch of stock-item stream
 * records into StockChanged details, one per change, which the pipe puts on
 * the bus. The pipe's filter already passes only writes of stock items
 * (reservations are left out); anything else that slips through is skipped.
 * A stored stock item that breaks its shape fails the batch, so the pipe
 * retries it and then parks it in its dead-letter queue.
 */
export const createPublishStockChangedHandler = () =>
  internalQuery('PublishStockChanged', stockStreamBatchSchema, async (records): Promise<Array<EventDetail<DataOf<typeof StockChanged>>>> => {
    const details = records.filter(isStockWrite).map((record, index) => {
      const stock = safeParse(storedStockSchema, unmarshall(record.dynamodb?.NewImage ?? {}));
      if (!stock.ok) throw new ContractViolationError(`Stream record ${index} (${record.eventID})`, stock.issues);
      return stockChangedDetail(stock.value, record.eventID);
    });
    if (details.length !== records.length) {
      logger.warn('Skipped stream records that are not stock changes', { received: records.length, published: details.length });
    }
    logger.info('StockChanged events enriched', { changes: details.map((d) => `${d.data.productId}@${d.data.version}=${d.data.available}`) });
    return details;
  });
