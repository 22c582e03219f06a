import type { CancellationReason } from '../../shared/contracts/common';

/**
 * Where an order's saga execution (named after the order) stands, as the
 * reconciler needs to know it: absent, still running, decided (the outcome
 * it published), or stopped in a way only a person can sort out.
 */
export type SagaState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'running' }
  | { readonly kind: 'confirmed' }
  | { readonly kind: 'cancelled'; readonly reason: CancellationReason }
  | { readonly kind: 'needs-attention'; readonly status: string; readonly error?: string };

/** Port: the order sagas, one execution per order, named after it. */
export interface SagaExecutions {
  stateOf(orderId: string): Promise<SagaState>;
  /** Starts the order's execution with this input; 'already-started' when the name is taken. */
  start(orderId: string, input: string): Promise<'started' | 'already-started'>;
}
