/**
 * What IAM authorizes for one DynamoDB (or DynamoDB Streams) API call: the
 * actions and resources of the Service Authorization Reference, with the
 * condition keys DynamoDB fills in. A transaction is authorized item by item
 * (`TransactWriteItems` has no action of its own: each Put needs
 * `dynamodb:PutItem` on its table, each ConditionCheck
 * `dynamodb:ConditionCheckItem`...); a Query or Scan of an index needs the
 * action on the index ARN, not the table's.
 *
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../resources';

/** One action on one resource, as IAM evaluates it. */
export interface DynamoDbAuthorization {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/** The call cannot be authorized locally (PartiQL, an unknown operation). */
export class UnauthorizableCallError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnauthorizableCallError';
  }
}

type Input = Readonly<Record<string, unknown>>;

/** The ARN of a table of the local cloud. */
export const tableArn = (tableName: string): string => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableName}`;

/**
 * A stream ARN as IAM sees it. DynamoDB Local names streams
 * `arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/<label>`; the
 * template (and so every policy) names them by the table ARN with the stream
 * label `local`.
 */
export const normalizedStreamArn = (streamArn: string): string => {
  const match = /:table\/([^/]+)\/stream\/.+$/.exec(streamArn);
  return match ? `${tableArn(match[1] ?? '')}/stream/local` : streamArn;
};

const string = (value: unknown): string => (typeof value === 'string' ? value : '');
const object = (value: unknown): Input => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Input) : {});

/** Partition key values of DynamoDB items / keys (`dynamodb:LeadingKeys`). */
const leadingKeys = (items: readonly Input[], hashKey: string | undefined): string[] => {
  if (!hashKey) return [];
  return items.flatMap((item) => {
    const value = object(item[hashKey]);
    const scalar = value.S ?? value.N ?? value.B;
    return typeof scalar === 'string' ? [scalar] : [];
  });
};

/** The condition keys DynamoDB sets from a request's parameters. */
const requestKeys = (input: Input, items: readonly Input[], hashKey: string | undefined, enclosing?: string): Record<string, string | string[]> => {
  const context: Record<string, string | string[]> = {};
  const keys = leadingKeys(items, hashKey);
  if (keys.length > 0) context['dynamodb:LeadingKeys'] = keys;
  if (typeof input.Select === 'string') context['dynamodb:Select'] = input.Select;
  if (typeof input.ReturnValues === 'string') context['dynamodb:ReturnValues'] = input.ReturnValues;
  if (typeof input.ReturnConsumedCapacity === 'string') context['dynamodb:ReturnConsumedCapacity'] = input.ReturnConsumedCapacity;
  if (enclosing) context['dynamodb:EnclosingOperation'] = enclosing;
  return context;
};

/**
 * The authorizations one call needs.
 *
 * @param target the `X-Amz-Target` header (`DynamoDB_20120810.GetItem`).
 * @param hashKeyOf the partition key attribute of a table, for `dynamodb:LeadingKeys`.
 * @param streamOfIterator the stream a shard iterator reads, for `GetRecords` (whose only input is the iterator).
 * @throws {UnauthorizableCallError} for PartiQL and unknown operations.
 */
export const dynamoDbAuthorizations = (
  target: string,
  input: Input,
  hashKeyOf: (tableName: string) => string | undefined,
  streamOfIterator: (iterator: string) => string | undefined,
): DynamoDbAuthorization[] => {
  const [prefix, operation = ''] = target.split('.');
  const on = (action: string, table: string, items: readonly Input[] = [], suffix = '', enclosing?: string, source: Input = input): DynamoDbAuthorization => ({
    action: `dynamodb:${action}`,
    resource: `${tableArn(table)}${suffix}`,
    context: requestKeys(source, items, hashKeyOf(table), enclosing),
  });
  if (prefix === 'DynamoDBStreams_20120810') {
    if (operation === 'ListStreams') return [{ action: 'dynamodb:ListStreams', resource: '*', context: {} }];
    if (operation === 'GetRecords') {
      const stream = streamOfIterator(string(input.ShardIterator));
      if (!stream) throw new UnauthorizableCallError('GetRecords with a shard iterator the local cloud did not hand out');
      return [{ action: 'dynamodb:GetRecords', resource: normalizedStreamArn(stream), context: {} }];
    }
    if (operation === 'DescribeStream' || operation === 'GetShardIterator') {
      return [{ action: `dynamodb:${operation}`, resource: normalizedStreamArn(string(input.StreamArn)), context: {} }];
    }
    throw new UnauthorizableCallError(`DynamoDB Streams ${operation} is not an operation the local IAM knows`);
  }
  if (prefix !== 'DynamoDB_20120810') throw new UnauthorizableCallError(`${target} is not a DynamoDB operation`);
  const table = string(input.TableName);
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [on(operation, table, [object(input.Key)])];
    case 'PutItem':
      return [on(operation, table, [object(input.Item)])];
    case 'Query':
    case 'Scan':
      return [on(operation, table, [], typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : '')];
    case 'BatchGetItem':
      return Object.entries(object(input.RequestItems)).map(([name, request]) => on('BatchGetItem', name, (Array.isArray(object(request).Keys) ? (object(request).Keys as unknown[]) : []).map(object)));
    case 'BatchWriteItem':
      return Object.entries(object(input.RequestItems)).map(([name, requests]) =>
        on(
          'BatchWriteItem',
          name,
          (Array.isArray(requests) ? requests : []).map((r) => {
            const { PutRequest, DeleteRequest } = object(r);
            return PutRequest === undefined ? object(object(DeleteRequest).Key) : object(object(PutRequest).Item);
          }),
        ),
      );
    case 'TransactWriteItems':
      return (Array.isArray(input.TransactItems) ? input.TransactItems : []).map((entry) => {
        const item = object(entry);
        const [kind, body] = Object.entries(item)[0] ?? ['', {}];
        const request = object(body);
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind];
        if (!action) throw new UnauthorizableCallError(`TransactWriteItems entry of kind ${kind}`);
        return on(action, string(request.TableName), [object(kind === 'Put' ? request.Item : request.Key)], '', 'TransactWriteItems', request);
      });
    case 'TransactGetItems':
      return (Array.isArray(input.TransactItems) ? input.TransactItems : []).map((entry) => {
        const request = object(object(entry).Get);
        return on('GetItem', string(request.TableName), [object(request.Key)], '', 'TransactGetItems', request);
      });
    case 'ListTables':
    case 'DescribeLimits':
    case 'DescribeEndpoints':
      return [{ action: `dynamodb:${operation}`, resource: '*', context: {} }];
    case 'ExecuteStatement':
    case 'BatchExecuteStatement':
    case 'ExecuteTransaction':
      throw new UnauthorizableCallError(`PartiQL (${operation}) is not authorized by the local IAM: use the item and query operations`);
    case 'ListTagsOfResource':
    case 'TagResource':
    case 'UntagResource':
      return [{ action: `dynamodb:${operation}`, resource: string(input.ResourceArn).replace(/:ddblocal:/, `:${LOCAL_REGION}:`), context: {} }];
    default:
      if (!table) throw new UnauthorizableCallError(`DynamoDB ${operation} is not an operation the local IAM knows`);
      return [on(operation, table)];
  }
};
