/**
 * A template resource after the local cloud has resolved its intrinsics:
 * every `Ref`/`Fn::GetAtt`/`Fn::Join`/`Fn::Sub` in `properties` is already a
 * plain value (names and ARNs of the local resources). Emulators receive
 * these for the types they own.
 */
export interface LocalResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
  /** What `Ref` returns for it locally (a name, id or ARN, per resource type). */
  readonly ref: string;
  /** Its ARN, when the type has one. */
  readonly arn?: string;
}

/** The account and region the local cloud pretends to be. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** Checks that a resource uses only the properties an emulator implements. */
export const assertKnownProperties = (
  resource: LocalResource,
  known: readonly string[],
  fail: (property: string) => Error,
): void => {
  for (const property of Object.keys(resource.properties)) if (!known.includes(property)) throw fail(property);
};
