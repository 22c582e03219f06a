/** Whether a start created the execution or found it already there. */
export type StartOutcome = 'started' | 'already-started';

/** Port: starts one saga execution under a name, at most once per name. */
export interface SagaStarter {
  start(name: string, input: string): Promise<StartOutcome>;
}
