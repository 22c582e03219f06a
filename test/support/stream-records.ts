import { marshall } from '@aws-sdk/util-dynamodb';

/** What sets the records of one table's stream apart. */
export interface StreamOf {
  /** The table's name, in the stream ARN. */
  readonly table: string;
  /** The event name of a record when a test names none. */
  readonly defaultEventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly sizeBytes: number;
}

/**
 * A maker of DynamoDB stream records (NEW_IMAGE) of one table, as an
 * EventBridge Pipe hands them to its enrichment.
 */
export const streamRecordsOf =
  (stream: StreamOf) =>
  (eventID: string, image: Record<string, unknown>, eventName: string = stream.defaultEventName) => ({
    eventID,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1772366399,
      Keys: { pk: { S: String(image.pk) } },
      NewImage: marshall(image, { removeUndefinedValues: true }),
      SequenceNumber: '100',
      SizeBytes: stream.sizeBytes,
      StreamViewType: 'NEW_IMAGE',
    },
    eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${stream.table}/stream/2026-03-01T00:00:00.000`,
  });
