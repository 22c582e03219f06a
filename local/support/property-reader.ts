/**
 * Reading a template resource's resolved properties the way every emulator
 * of the local cloud must: with the types CloudFormation declares, refusing
 * what is not emulated with a message that names the resource and the
 * property, and never ignoring anything silently.
 */
import { UnsupportedFeatureError } from '../errors';
import type { LocalResource } from '../resources';

/** A JSON object inside resolved template properties. */
export type PropertyObject = Readonly<Record<string, unknown>>;

/** True for a JSON object (not `null`, not a list). */
export const isPropertyObject = (value: unknown): value is PropertyObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * Reads one resource's resolved properties with the types CloudFormation
 * declares for them. Every failure is an {@link UnsupportedFeatureError} naming
 * the resource and the property path (`Targets[0].RetryPolicy.MaximumRetryAttempts`),
 * so a developer knows exactly what to change; nothing is silently ignored.
 */
export class PropertyReader {
  public constructor(public readonly resource: LocalResource) {}

  /** The error for a property the local cloud refuses. */
  public fail(path: string, detail: string): UnsupportedFeatureError {
    return new UnsupportedFeatureError(this.resource.logicalId, this.resource.type, path, detail);
  }

  /**
   * Refuses keys of `object` outside `known`; `refused` gives the reason for
   * keys CloudFormation knows but the local cloud does not implement.
   */
  public only(object: PropertyObject, path: string, known: readonly string[], refused: Readonly<Record<string, string>> = {}): void {
    for (const key of Object.keys(object)) {
      const reason = refused[key];
      if (reason !== undefined) throw this.fail(child(path, key), reason);
      if (!known.includes(key)) throw this.fail(child(path, key), 'this property is not emulated by the local cloud');
    }
  }

  /** A required object. */
  public object(value: unknown, path: string): PropertyObject {
    if (!isPropertyObject(value)) throw this.fail(path, value === undefined ? 'is required' : 'must be an object');
    return value;
  }

  /** An object, or `undefined` when absent. */
  public optionalObject(value: unknown, path: string): PropertyObject | undefined {
    return value === undefined ? undefined : this.object(value, path);
  }

  /** A required list. */
  public array(value: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(value)) throw this.fail(path, value === undefined ? 'is required' : 'must be a list');
    return value;
  }

  /** A required, non-empty string. */
  public string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') throw this.fail(path, value === undefined ? 'is required' : 'must be a non-empty string');
    return value;
  }

  /** A non-empty string, or `undefined` when absent. */
  public optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  /** An integer in `[min, max]`; numeric strings are accepted, as CloudFormation does. */
  public integer(value: unknown, path: string, min: number, max: number, fallback?: number): number {
    if (value === undefined && fallback !== undefined) return fallback;
    const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      throw this.fail(path, `must be an integer from ${String(min)} to ${String(max)}`);
    }
    return number;
  }

  /** One of the allowed strings (`fallback` when absent, if given). */
  public oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback?: T): T {
    if (value === undefined && fallback !== undefined) return fallback;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) throw this.fail(path, `must be one of ${allowed.join(', ')}`);
    return match;
  }

  /**
   * A required ARN of an SQS queue the template declares: the local cloud has
   * no other queues (nor SNS topics) to send a target, dead letter or
   * destination to.
   */
  public templateQueue(value: unknown, path: string, queues: { has(queue: string): boolean }): string {
    const arn = this.string(value, path);
    if (!queues.has(arn)) throw this.fail(path, `no SQS queue ${arn} in the template (only the template's SQS queues are emulated)`);
    return arn;
  }

  /**
   * Refuses a customer-managed KMS key at `path` (an empty string means the
   * AWS-owned key, which is what the local cloud amounts to).
   */
  public noKmsKey(value: unknown, path = 'KmsKeyIdentifier'): void {
    if (value !== undefined && value !== '') throw this.fail(path, 'customer-managed KMS keys are not emulated');
  }
}
