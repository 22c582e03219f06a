import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from '../../shared/zod';
import type { DataOf, EventDetail } from '../../shared/contracts/envelope';
import type { OrderPlaced } from '../../shared/contracts/events';
import { ContractViolationError } from '../../shared/errors';
import { internalQuery } from '../../shared/middleware';
import { logger } from '../../shared/powertools';
import { safeParse } from '../../shared/validation';
import { storedOrderSchema } from '../domain/order';
import { orderPlacedDetail } from '../use-cases/order-placed-event';

const attributeValue = z.custom<AttributeValue>((value) => typeof value === 'object' && value !== null && !Array.isArray(value));

/** One DynamoDB stream record, as an EventBridge Pipe passes it to its enrichment. Other fields are ignored. */
export const orderStreamRecordSchema = z.object({
  eventID: z.string().check(z.minLength(1)),
  eventName: z.optional(z.string()),
  dynamodb: z.optional(z.object({ NewImage: z.optional(z.record(z.string(), attributeValue)) })),
});

/** The batch of stream records the outbox pipe sends. */
export const orderStreamBatchSchema = z.array(orderStreamRecordSchema);
export type OrderStreamBatch = z.infer<typeof orderStreamBatchSchema>;

const isOrderInsert = (record: OrderStreamBatch[number]): boolean =>
  record.eventName === 'INSERT' && record.dynamodb?.NewImage?.type?.S === 'ORDER';

/**
 * The outbox's enrichment: turns the batch of new-order stream records into
 * OrderPlaced details, one per order, which the pipe puts on the bus. The
 * pipe's filter already passes only INSERTs of type ORDER; anything else
 * that slips through is skipped, not published. A stored order that breaks
 * the contract fails the batch, so the pipe retries it and then parks it in
 * its dead-letter queue.
 */
export const createPublishOrderPlacedHandler = () =>
  internalQuery('PublishOrderPlaced', orderStreamBatchSchema, async (records): Promise<Array<EventDetail<DataOf<typeof OrderPlaced>>>> => {
    const details = records.filter(isOrderInsert).map((record, index) => {
      const image = unmarshall(record.dynamodb?.NewImage ?? {});
      const order = safeParse(storedOrderSchema, image);
      if (!order.ok) throw new ContractViolationError(`Stream record ${index} (${record.eventID})`, order.issues);
      return orderPlacedDetail(order.value, record.eventID);
    });
    if (details.length !== records.length) {
      logger.warn('Skipped stream records that are not new orders', { received: records.length, published: details.length });
    }
    logger.info('OrderPlaced events enriched', { orderIds: details.map((d) => d.data.orderId) });
    return details;
  });
