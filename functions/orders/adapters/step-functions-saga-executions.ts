import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsSagaStarter } from '../../orchestration/adapters/step-functions-saga-starter';
import { stepFunctions } from '../../shared/clients/step-functions';
import { sagaOutcomeSchema } from '../../shared/contracts/saga';
import type { SagaExecutions, SagaState } from '../ports/saga-executions';

/**
 * The order saga on Step Functions. An order's execution is named after the
 * order (the starter does so), so its ARN is known without listing:
 * `arn:…:execution:<state machine>:<order id>`.
 */
export class StepFunctionsSagaExecutions implements SagaExecutions {
  private readonly starter: StepFunctionsSagaStarter;

  public constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = stepFunctions(),
  ) {
    this.starter = new StepFunctionsSagaStarter(stateMachineArn, client);
  }

  public async stateOf(orderId: string): Promise<SagaState> {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;
    let described;
    try {
      described = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return { kind: 'absent' };
      throw error;
    }
    const status = described.status ?? 'UNKNOWN';
    if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return { kind: 'running' };
    if (status !== 'SUCCEEDED') return { kind: 'needs-attention', status, ...(described.error ? { error: described.error } : {}) };
    const outcome = sagaOutcomeSchema.safeParse(parseJson(described.output));
    return outcome.success ? outcome.data : { kind: 'needs-attention', status, error: 'the execution succeeded without an order outcome (AlreadyHandled?)' };
  }

  public start(orderId: string, input: string): Promise<'started' | 'already-started'> {
    return this.starter.start(orderId, input);
  }
}

const parseJson = (text: string | undefined): unknown => {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
};
