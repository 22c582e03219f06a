/**
 * What the console shows, computed from the local cloud's own state: a state
 * machine's definition as a graph, an execution's summary and the path it
 * took, with secrets redacted before anything leaves the process. Pure
 * functions, so the server stays a thin router.
 */
import type { JsonValue } from '../cloudformation/intrinsics';
import type { EngineEvent, ExecutionView } from '../stepfunctions/engine';

/** One state of a definition, as the console draws it. */
export interface GraphState {
  readonly name: string;
  readonly type: string;
  /**
   * Reached only through a `Catch`: error handling, which in a saga is the
   * compensation path. Drawn in its own colour.
   */
  readonly compensation: boolean;
}

/** One transition of a definition. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** `next`, `choice`, `default`, or `catch` (with the errors it catches). */
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  readonly label?: string;
}

/** A definition's top-level states and transitions. */
export interface StateGraph {
  readonly startAt: string;
  readonly states: readonly GraphState[];
  readonly edges: readonly GraphEdge[];
}

/** An execution as the console's list shows it. */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: number;
  readonly durationMs?: number;
  readonly correlationId?: string;
  /**
   * The order it is about: an `orderId` in its input (at the top, under
   * `data`, or under `detail.data`). A Standard saga's execution is named
   * after the order too; an Express one gets a name of Step Functions' own.
   */
  readonly orderId?: string;
  /** Why it did not go the happy way: the first error a Catch took, or the execution's error. */
  readonly reason?: string;
}

/** What happened to one state during an execution. */
export interface StateRun {
  readonly name: string;
  /** `succeeded`, `failed` (it failed and nothing caught it, or it is a Fail state), `caught` (it failed and a Catch took over), `running`. */
  readonly outcome: 'succeeded' | 'failed' | 'caught' | 'running';
  /** Times the state was entered (more than one in a loop). */
  readonly entered: number;
  /** Retries its Retry policy made, each with the error it retried. */
  readonly retries: readonly string[];
  readonly error?: string;
  readonly cause?: string;
  readonly input?: JsonValue;
  readonly output?: JsonValue;
}

/** One execution in full: its summary, the graph, the states in the order it entered them. */
export interface ExecutionDetail extends ExecutionSummary {
  readonly graph: StateGraph;
  readonly path: readonly string[];
  readonly states: readonly StateRun[];
  readonly input: JsonValue;
  readonly output?: JsonValue;
}

type Json = JsonValue;

/** A plain object as the JSON value it serializes to (what the console API answers). */
export const toJson = (value: object): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue;

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys whose values never leave the process: payment tokens and postal addresses. */
const SECRET_KEY = /^(paymentToken|shippingAddress|address|billingAddress|card(Number)?|cvc|cvv)$/i;
/** A string of 13 to 19 digits, maybe grouped by spaces or dashes: card-like. */
const CARD_LIKE = /^(?:\d[ -]?){12,18}\d$/;

export const REDACTED = '«redacted»';

/**
 * `value` with payment tokens, addresses and card-like numbers replaced by
 * {@link REDACTED}, at any depth; JSON held in a string (a task's `Payload`
 * or an error `Cause`) is redacted inside too.
 */
export const redact = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(redact);
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key.replace(/\.\$$/, '')) ? REDACTED : redact(inner as Json)]));
  }
  if (typeof value === 'string') {
    if (CARD_LIKE.test(value.trim())) return REDACTED;
    const trimmed = value.trim();
    if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
      try {
        return JSON.stringify(redact(JSON.parse(trimmed) as Json));
      } catch {
        return value;
      }
    }
  }
  return value;
};

/**
 * The top-level states of an ASL definition and their transitions. A state
 * is a compensation when it cannot be reached from `StartAt` without taking
 * a `Catch`: what the engine marks as compensating once a Catch is taken.
 *
 * @throws {SyntaxError} for a definition that is not JSON.
 */
export const graphOf = (definitionText: string): StateGraph => {
  const definition: unknown = JSON.parse(definitionText);
  const states = isObject(definition) && isObject(definition.States) ? definition.States : {};
  const startAt = isObject(definition) && typeof definition.StartAt === 'string' ? definition.StartAt : '';
  const edges: GraphEdge[] = [];
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    if (typeof state.Next === 'string') edges.push({ from: name, to: state.Next, kind: 'next' });
    if (Array.isArray(state.Choices)) {
      for (const choice of state.Choices) if (isObject(choice) && typeof choice.Next === 'string') edges.push({ from: name, to: choice.Next, kind: 'choice' });
    }
    if (typeof state.Default === 'string') edges.push({ from: name, to: state.Default, kind: 'default' });
    if (Array.isArray(state.Catch)) {
      for (const catcher of state.Catch) {
        if (!isObject(catcher) || typeof catcher.Next !== 'string') continue;
        const errors = Array.isArray(catcher.ErrorEquals) ? catcher.ErrorEquals.filter((error): error is string => typeof error === 'string') : [];
        edges.push({ from: name, to: catcher.Next, kind: 'catch', label: errors.join(', ') });
      }
    }
  }
  const normal = new Set<string>();
  const queue = startAt ? [startAt] : [];
  while (queue.length > 0) {
    const state = queue.shift() as string;
    if (normal.has(state)) continue;
    normal.add(state);
    for (const edge of edges) if (edge.from === state && edge.kind !== 'catch') queue.push(edge.to);
  }
  return {
    startAt,
    states: Object.entries(states).map(([name, state]) => ({ name, type: isObject(state) && typeof state.Type === 'string' ? state.Type : 'Unknown', compensation: !normal.has(name) })),
    edges,
  };
};

const correlationOf = (input: Json): string | undefined => {
  if (!isObject(input)) return undefined;
  const metadata = input.metadata;
  if (isObject(metadata) && typeof metadata.correlationId === 'string') return metadata.correlationId;
  return typeof input.correlationId === 'string' ? input.correlationId : undefined;
};

const orderIdOf = (input: Json): string | undefined => {
  const holders = [input, isObject(input) ? input.data : undefined, isObject(input) && isObject(input.detail) ? input.detail.data : undefined];
  for (const holder of holders) if (isObject(holder) && typeof holder.orderId === 'string') return holder.orderId;
  return undefined;
};

/** Top-level events only: a state inside a Map iteration carries an index. */
const topLevel = (event: EngineEvent): boolean => !('index' in event && event.index !== undefined);

/** An execution's line in the console's list. */
export const summaryOf = (execution: ExecutionView): ExecutionSummary => {
  const caught = execution.events.find((event): event is Extract<EngineEvent, { type: 'StateCaught' }> => event.type === 'StateCaught' && topLevel(event));
  const result = execution.result;
  const failure = result && result.status !== 'SUCCEEDED' ? result.error : undefined;
  const reason = caught ? `${caught.error} at ${caught.state}` : failure;
  const correlationId = correlationOf(execution.input);
  const orderId = orderIdOf(execution.input);
  const stop = execution.stopDate;
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    ...(stop ? { durationMs: stop.getTime() - execution.startDate.getTime() } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(orderId !== undefined ? { orderId } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
};

/** One execution with its graph and what happened to each state, redacted. */
export const detailOf = (execution: ExecutionView, definitionText: string): ExecutionDetail => {
  const graph = graphOf(definitionText);
  const types = new Map(graph.states.map((state) => [state.name, state.type]));
  const runs = new Map<string, { entered: number; retries: string[]; outcome: StateRun['outcome']; error?: string; cause?: string; input?: Json; output?: Json }>();
  const path: string[] = [];
  for (const event of execution.events) {
    if (!('state' in event) || !topLevel(event)) continue;
    const run = runs.get(event.state);
    switch (event.type) {
      case 'StateEntered':
        path.push(event.state);
        if (run) {
          run.entered += 1;
          run.outcome = 'running';
          run.input = event.input;
        } else runs.set(event.state, { entered: 1, retries: [], outcome: types.get(event.state) === 'Fail' ? 'failed' : 'running', input: event.input });
        break;
      case 'StateExited':
        // A caught state exits too (its output is its input with the error at the Catch's ResultPath): it stays caught.
        if (run) {
          if (run.outcome === 'running') run.outcome = 'succeeded';
          run.output = event.output;
        }
        break;
      case 'StateRetried':
        run?.retries.push(event.error);
        break;
      case 'StateFailed':
        if (run) Object.assign(run, { outcome: 'failed', error: event.error, cause: event.cause });
        break;
      case 'StateCaught':
        if (run) Object.assign(run, { outcome: 'caught', error: event.error });
        break;
      default:
        break;
    }
  }
  const result = execution.result;
  return {
    ...summaryOf(execution),
    graph,
    path,
    input: redact(execution.input),
    ...(result?.status === 'SUCCEEDED' ? { output: redact(result.output) } : {}),
    states: [...runs.entries()].map(([name, run]) => ({
      name,
      outcome: types.get(name) === 'Fail' ? 'failed' : run.outcome,
      entered: run.entered,
      retries: run.retries,
      ...(run.error !== undefined ? { error: run.error } : {}),
      ...(run.cause !== undefined ? { cause: String(redact(run.cause)) } : {}),
      ...(run.input !== undefined ? { input: redact(run.input) } : {}),
      ...(run.output !== undefined ? { output: redact(run.output) } : {}),
    })),
  };
};
