/**
 * Which Step Functions workflow type runs the order saga, chosen with
 * `-c saga=express|standard` (see "What it costs" in README.md):
 * - `express`: billed by duration, not by transition; at-least-once starts,
 *   at most 5 minutes, no execution history (its execution logs instead).
 * - `standard`: exactly-once transitions, a 90-day history and redrive,
 *   billed per state transition.
 */
export type SagaType = 'express' | 'standard';

export const SAGA_TYPES: readonly SagaType[] = ['express', 'standard'];

/** The type used when the context says nothing. */
export const DEFAULT_SAGA_TYPE: SagaType = 'standard';

/**
 * The saga type `value` names; undefined when it is undefined.
 * @throws Error naming `what` and the types there are, for any other value
 */
export const sagaTypeOf = (value: unknown, what: string): SagaType | undefined => {
  if (value === undefined) return undefined;
  const found = SAGA_TYPES.find((type) => type === value);
  if (found === undefined) throw new Error(`${what} must be one of ${SAGA_TYPES.join(', ')}, not ${JSON.stringify(value)}.`);
  return found;
};

/** The saga type the CDK context value `saga` names, or the default when it is absent. */
export const sagaTypeFromContext = (value: unknown): SagaType => sagaTypeOf(value, "The context value 'saga'") ?? DEFAULT_SAGA_TYPE;
