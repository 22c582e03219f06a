/**
 * Compile-time checks that a zod schema describes exactly a type the code
 * builds: the API description is generated from the schemas, the answers from
 * the types, and `tsc` fails when one changes without the other.
 */

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * `true` when A and B have the same properties (none more, none less, the
 * same optionality) and each is assignable to the other, readonly-ness aside.
 */
export type SameShape<A, B> = Same<keyof A, keyof B> extends true ? Same<DeepReadonly<A>, DeepReadonly<B>> : false;
