/**
 * Port: checks that one dependency answers. Resolves when it does; rejects,
 * with an error saying why, when it does not. It must stop when `signal`
 * aborts: the probe gives each check a deadline.
 */
export type DependencyCheck = (signal: AbortSignal) => Promise<void>;
