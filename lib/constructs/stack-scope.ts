import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The ids of the constructs from `construct`'s stack down to `construct` (`['Api', 'Api']` for the HTTP API of `ShopApi` 'Api'). */
const pathInStack = (construct: Construct): string[] => {
  const stack = Stack.of(construct);
  const scopes = construct.node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).map((scope) => scope.node.id);
};

/**
 * The scope at the same path in `owner`'s stack as `shared` has in its own:
 * `shared` itself when they share a stack, else plain constructs made on
 * first use. A shared construct (the bus, the API) makes what a service adds
 * to it (a rule, a route) in the service's stack, so the service deploys
 * alone; and since a logical id is derived from the path within the stack,
 * every resource keeps the logical id it had when the shop was one stack.
 */
export const mirrorScope = (shared: Construct, owner: Construct): Construct => {
  const stack = Stack.of(owner);
  if (stack === Stack.of(shared)) return shared;
  let scope: Construct = stack;
  for (const id of pathInStack(shared)) scope = scope.node.tryFindChild(id) ?? new Construct(scope, id);
  return scope;
};
