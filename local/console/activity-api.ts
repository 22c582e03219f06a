/**
 * The console's read API over the {@link ActivityRecorder}: the Functions
 * view's table and log lines, the Events view's timeline and one event in
 * full. Each answer checks its query parameters (a bad one is a 400 that
 * says what is wrong, an unknown one too, so a typo does not silently
 * filter nothing) and redacts what it hands out as the other views do.
 */
import { ConsoleRequestError } from './request-error';
import type { JsonValue } from '../cloudformation/intrinsics';
import type { ActivityRecorder } from './activity';
import { redact, toJson } from './console-data';

/** The most log lines one answer carries. @default 1000 */
export const MAX_LOG_LINES = 1000;
/** Log lines an answer carries when the query names no limit. */
export const DEFAULT_LOG_LINES = 200;
/** The most events one answer carries. @default 500 */
export const MAX_EVENTS = 500;
/** Events an answer carries when the query names no limit. */
export const DEFAULT_EVENTS = 100;
/** The longest correlation id a filter takes. */
const MAX_CORRELATION_ID = 256;

/** `GET /api/functions`: each function's counts and duration percentiles, and the recorder's bounds. */
export const functionsAnswer = (recorder: ActivityRecorder, params: URLSearchParams): JsonValue => {
  known(params, []);
  return toJson({ bounds: recorder.bounds, functions: recorder.functions() });
};

/** `GET /api/logs?correlationId=&function=&limit=`: the newest matching log lines, redacted. */
export const logsAnswer = (recorder: ActivityRecorder, params: URLSearchParams): JsonValue => {
  known(params, ['correlationId', 'function', 'limit']);
  const functionName = optional(params, 'function');
  if (functionName !== undefined && !recorder.hasFunction(functionName)) {
    throw new ConsoleRequestError(400, `function: no function ${functionName}; the functions are ${recorder.functions().map((fn) => fn.name).join(', ')}`);
  }
  const correlationId = correlation(params);
  const answer = recorder.logs({ limit: limit(params, DEFAULT_LOG_LINES, MAX_LOG_LINES), ...(functionName !== undefined ? { functionName } : {}), ...(correlationId !== undefined ? { correlationId } : {}) });
  return toJson({
    ...answer,
    bound: recorder.bounds.logLines,
    lines: answer.lines.map((line) => ({ ...line, message: redact(line.message), ...(line.fields !== undefined ? { fields: redact(line.fields) } : {}) })),
  });
};

/** `GET /api/events?bus=&correlationId=&limit=`: the buses, and the newest matching events with their rules and targets. */
export const eventsAnswer = (recorder: ActivityRecorder, params: URLSearchParams): JsonValue => {
  known(params, ['bus', 'correlationId', 'limit']);
  const bus = knownBus(recorder, optional(params, 'bus'));
  const correlationId = correlation(params);
  const answer = recorder.eventTimeline({ limit: limit(params, DEFAULT_EVENTS, MAX_EVENTS), ...(bus !== undefined ? { bus } : {}), ...(correlationId !== undefined ? { correlationId } : {}) });
  return toJson({ ...answer, bound: recorder.bounds.events, buses: recorder.buses() });
};

/** `GET /api/event?bus=&id=`: one event as the bus received it, redacted, with what its targets got. */
export const eventAnswer = (recorder: ActivityRecorder, params: URLSearchParams): JsonValue => {
  known(params, ['bus', 'id']);
  const bus = knownBus(recorder, optional(params, 'bus'));
  const id = optional(params, 'id');
  if (bus === undefined || id === undefined) throw new ConsoleRequestError(400, 'bus and id are required');
  const found = recorder.event(bus, id);
  if (!found) throw new ConsoleRequestError(404, `No event ${id} on ${bus} among the newest ${String(recorder.bounds.events)} kept`);
  return toJson({ ...found.activity, ...(found.event ? { event: redact(found.event as unknown as JsonValue) } : {}) });
};

/** Refuses a parameter the route does not take. */
const known = (params: URLSearchParams, names: readonly string[]): void => {
  for (const name of new Set(params.keys())) {
    if (!names.includes(name)) throw new ConsoleRequestError(400, `Unknown parameter ${name}: ${names.length > 0 ? `this route takes ${names.join(', ')}` : 'this route takes none'}`);
  }
};

/** A parameter's value; an empty one counts as absent (an empty filter box). */
const optional = (params: URLSearchParams, name: string): string | undefined => {
  const values = params.getAll(name);
  if (values.length > 1) throw new ConsoleRequestError(400, `${name} is given ${String(values.length)} times; give it once`);
  const value = values[0]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

const limit = (params: URLSearchParams, fallback: number, max: number): number => {
  const text = optional(params, 'limit');
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(value) || value < 1 || value > max) throw new ConsoleRequestError(400, `limit must be a whole number from 1 to ${String(max)}`);
  return value;
};

const correlation = (params: URLSearchParams): string | undefined => {
  const value = optional(params, 'correlationId');
  if (value !== undefined && value.length > MAX_CORRELATION_ID) throw new ConsoleRequestError(400, `correlationId is longer than ${String(MAX_CORRELATION_ID)} characters`);
  return value;
};

const knownBus = (recorder: ActivityRecorder, bus: string | undefined): string | undefined => {
  if (bus !== undefined && !recorder.hasBus(bus)) throw new ConsoleRequestError(400, `bus: no bus ${bus}; the buses are ${recorder.buses().map((known) => known.name).join(', ')}`);
  return bus;
};


/** The activity routes, by path. */
const ROUTES: Readonly<Record<string, (recorder: ActivityRecorder, params: URLSearchParams) => JsonValue>> = {
  '/api/functions': functionsAnswer,
  '/api/logs': logsAnswer,
  '/api/events': eventsAnswer,
  '/api/event': eventAnswer,
};

/**
 * The answer to a request for one of the activity routes; undefined for
 * another path, which the console's other routes answer.
 *
 * @throws {ConsoleRequestError} for a method other than GET, or a bad query.
 */
export const answerActivity = (recorder: ActivityRecorder, method: string, url: URL): JsonValue | undefined => {
  const route = Object.prototype.hasOwnProperty.call(ROUTES, url.pathname) ? ROUTES[url.pathname] : undefined;
  if (route === undefined) return undefined;
  if (method !== 'GET') throw new ConsoleRequestError(405, `${url.pathname} answers GET only`);
  return route(recorder, url.searchParams);
};
