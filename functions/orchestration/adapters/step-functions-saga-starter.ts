import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { stepFunctions } from '../../shared/clients/step-functions';
import type { SagaStarter, StartOutcome } from '../ports/saga-starter';

/**
 * Starts executions of one state machine by name. Step Functions keeps a
 * Standard execution's name for 90 days: a second start with the same name
 * returns the running execution (same input) or fails with
 * ExecutionAlreadyExists — either way no second execution exists.
 */
export class StepFunctionsSagaStarter implements SagaStarter {
  public constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = stepFunctions(),
  ) {}

  public async start(name: string, input: string): Promise<StartOutcome> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input }));
      return 'started';
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return 'already-started';
      throw error;
    }
  }
}
