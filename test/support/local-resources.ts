import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../../local/resources';

/** ARNs of local resources, as the local cloud's template model names them. */
export const queueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
export const functionArn = (name: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
export const busArn = (name: string): string => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;
export const stateMachineArn = (name: string): string => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;

/** A resolved template resource for an emulator under test (`Ref` is the logical id). */
export const resource = (logicalId: string, type: string, properties: Record<string, unknown>, arn?: string): LocalResource => ({
  logicalId,
  type,
  properties,
  ref: logicalId,
  ...(arn === undefined ? {} : { arn }),
});

/** A queue of the template as the SQS emulator resolves it (`Ref` is its URL). */
export const queueResource = (logicalId: string, properties: Record<string, unknown> = {}): LocalResource => ({
  logicalId,
  type: 'AWS::SQS::Queue',
  properties,
  ref: `http://localhost:4566/000000000000/${logicalId}`,
  arn: queueArn(logicalId),
});

/** The error `build` throws; fails the test if it throws none. */
export const failureOf = (build: () => unknown): unknown => {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
};
