/** Port: checks that one dependency answers. Resolves to a failure message, or undefined when healthy. */
export type DependencyCheck = () => Promise<string | undefined>;
