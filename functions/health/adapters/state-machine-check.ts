import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { stepFunctions } from '../../shared/clients/step-functions';
import type { DependencyCheck } from '../ports/dependency-check';

/** Ready when the state machine exists and is `ACTIVE` (not being deleted). */
export const stateMachineCheck =
  (stateMachineArn: string, client: Pick<SFNClient, 'send'> = stepFunctions()): DependencyCheck =>
  async (abortSignal) => {
    const { status } = await client.send(new DescribeStateMachineCommand({ stateMachineArn }), { abortSignal });
    if (status !== 'ACTIVE') throw new Error(`The state machine is ${status ?? 'of no status'}.`);
  };
