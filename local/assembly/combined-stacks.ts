import { CloudAssemblyError, type AssemblyStack, type Template, type TemplateResource } from './cloud-assembly';

/**
 * The stacks of an assembly in an order CloudFormation could deploy them:
 * each after the stacks it depends on (as `cdk deploy --all` does).
 *
 * @throws {CloudAssemblyError} on a dependency on a stack the assembly lacks, or a cycle.
 */
export const deploymentOrder = <S extends Pick<AssemblyStack, 'name' | 'dependencies'>>(stacks: readonly S[]): S[] => {
  const byName = new Map(stacks.map((stack) => [stack.name, stack]));
  const ordered: S[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (stack: S, chain: readonly string[]): void => {
    if (state.get(stack.name) === 'done') return;
    if (state.get(stack.name) === 'visiting') throw new CloudAssemblyError(`The stacks depend on each other in a cycle: ${[...chain, stack.name].join(' → ')}.`);
    state.set(stack.name, 'visiting');
    for (const dependency of stack.dependencies) {
      const producer = byName.get(dependency);
      if (!producer) throw new CloudAssemblyError(`Stack ${stack.name} depends on ${dependency}, which is not in the assembly.`);
      visit(producer, [...chain, stack.name]);
    }
    state.set(stack.name, 'done');
    ordered.push(stack);
  };
  for (const stack of stacks) visit(stack, []);
  return ordered;
};

/** The stacks `name` depends on, directly or through others. */
const dependencyClosure = (stacks: ReadonlyMap<string, Pick<AssemblyStack, 'dependencies'>>, name: string): Set<string> => {
  const seen = new Set<string>();
  const pending = [...(stacks.get(name)?.dependencies ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(stacks.get(next)?.dependencies ?? []));
  }
  return seen;
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where a template's cross-stack references lead: an output of a stack by name, or an export. */
interface References {
  output(stack: string, output: string, at: string): unknown;
  export(name: string, at: string): unknown;
}

/**
 * Rewrites what ties a template to its own stack, so it can sit next to the
 * others in one template: a cross-stack reference (`Fn::GetStackOutput`,
 * CDK's weak one, or `Fn::ImportValue`, its strong one) becomes the
 * producing stack's output value, which refers to the producer's resources
 * by logical id, and `AWS::StackName` becomes the stack's name.
 */
const detach = (value: unknown, at: string, consumer: string, references: References): unknown => {
  if (Array.isArray(value)) return value.map((item, i) => detach(item, `${at}[${i}]`, consumer, references));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'Ref' && value.Ref === 'AWS::StackName') return consumer;
  if (keys.length === 1 && keys[0] === 'Fn::GetStackOutput') {
    const args = value['Fn::GetStackOutput'];
    if (!isObject(args) || typeof args.StackName !== 'string' || typeof args.OutputName !== 'string') {
      throw new CloudAssemblyError(`${consumer} ${at}: Fn::GetStackOutput needs a literal StackName and OutputName.`);
    }
    if (args.RoleArn !== undefined) {
      throw new CloudAssemblyError(`${consumer} ${at}: Fn::GetStackOutput with a RoleArn reads another account's stack; the local cloud runs one account.`);
    }
    return references.output(args.StackName, args.OutputName, at);
  }
  if (keys.length === 1 && keys[0] === 'Fn::ImportValue') {
    const name = value['Fn::ImportValue'];
    if (typeof name !== 'string') throw new CloudAssemblyError(`${consumer} ${at}: Fn::ImportValue needs a literal export name.`);
    return references.export(name, at);
  }
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, detach(child, `${at}.${key}`, consumer, references)]));
};

/** The keys (`POST /orders`) of the HTTP API routes among `resources`. */
const routeKeysOf = (resources: Readonly<Record<string, TemplateResource>>): string[] =>
  Object.values(resources).flatMap((r) => (r.Type === 'AWS::ApiGatewayV2::Route' && typeof r.Properties?.RouteKey === 'string' ? [r.Properties.RouteKey] : []));

/**
 * Route keys a stage's `RouteSettings` may name: API Gateway refuses a stage
 * whose settings name a route the API does not have yet ("Unable to find
 * Route by key … within the provided RouteSettings"), so the routes must be
 * in the stage's stack or in one it depends on.
 */
const checkStageRoutes = (stack: string, resources: Readonly<Record<string, TemplateResource>>, routesBefore: ReadonlySet<string>): void => {
  const routes = new Set([...routesBefore, ...routeKeysOf(resources)]);
  for (const [logicalId, resource] of Object.entries(resources)) {
    const settings = resource.Type === 'AWS::ApiGatewayV2::Stage' ? resource.Properties?.RouteSettings : undefined;
    if (!isObject(settings)) continue;
    const missing = Object.keys(settings).filter((key) => !routes.has(key));
    if (missing.length > 0) {
      throw new CloudAssemblyError(
        `Stack ${stack}: stage ${logicalId} throttles ${missing.map((key) => `'${key}'`).join(', ')}, but no route with that key is in ${stack} or a stack it depends on. ` +
          `API Gateway would refuse the stage when ${stack} deploys ("Unable to find Route by key ${missing[0] ?? ''} within the provided RouteSettings").`,
      );
    }
  }
};

/** Names every stack of a combined stage (`ServerlessShop-dev` for `ServerlessShop-dev-Shared`, `…-Orders`, …). */
const commonName = (names: readonly string[]): string => {
  if (names.length === 1) return names[0] ?? '';
  const parts = names.map((name) => name.split('-'));
  const shared: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length - 1 && p[i] === parts[0]?.[i]); i += 1) shared.push(parts[0]?.[i] ?? '');
  return shared.length > 0 ? shared.join('-') : names.join('+');
};

/**
 * The stacks of an assembly as one stack, as a deployment of all of them
 * leaves the account: their resources side by side, each cross-stack
 * reference resolved to what it names. The local cloud names resources by
 * logical id, so two stacks may not share one. Checks what deploying the
 * stacks in order would check: every `Fn::GetStackOutput` names an output
 * of a stack its consumer depends on (so `cdk deploy -e <consumer>` finds
 * it), and every stage's route settings name routes deployed with or before
 * it.
 *
 * @throws {CloudAssemblyError} on any of these, or a logical id or output key in two stacks.
 */
export const combineStacks = (stacks: readonly AssemblyStack[]): AssemblyStack => {
  if (stacks.length === 0) throw new CloudAssemblyError('The cloud assembly has no stack.');
  const ordered = deploymentOrder(stacks);
  const byName = new Map(ordered.map((stack) => [stack.name, stack]));
  const resources: Record<string, TemplateResource> = {};
  const owner = new Map<string, AssemblyStack>();
  const outputs: Record<string, { Value: unknown; Description?: string }> = {};
  const outputOwner = new Map<string, string>();
  const parameters: NonNullable<Template['Parameters']> = {};
  const conditions: Record<string, unknown> = {};
  const routesOf = new Map<string, Set<string>>();
  for (const stack of ordered) {
    const before = dependencyClosure(byName, stack.name);
    const references: References = {
      output: (producer, output, at) => {
        const where = `${stack.name} ${at}: Fn::GetStackOutput of ${producer}.${output}`;
        const producing = byName.get(producer);
        if (!producing) throw new CloudAssemblyError(`${where}: there is no stack ${producer} in the assembly.`);
        if (!before.has(producer)) throw new CloudAssemblyError(`${where}: ${stack.name} does not depend on ${producer}, so deploying it first may find no such output.`);
        const value = producing.template.Outputs?.[output];
        if (!value) throw new CloudAssemblyError(`${where}: ${producer} has no output ${output}.`);
        return value.Value;
      },
      export: (name, at) => {
        const found = [...before].flatMap((producer) => Object.values(byName.get(producer)?.template.Outputs ?? {}).filter((output) => output.Export?.Name === name));
        const [output] = found;
        if (!output) throw new CloudAssemblyError(`${stack.name} ${at}: Fn::ImportValue of ${name}: no stack ${stack.name} depends on exports it ("No export named ${name} found").`);
        return output.Value;
      },
    };
    const template = detach(stack.template, 'template', stack.name, references) as Template;
    checkStageRoutes(stack.name, template.Resources, new Set([...before].flatMap((name) => [...(routesOf.get(name) ?? [])])));
    routesOf.set(stack.name, new Set(routeKeysOf(template.Resources)));
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::CDK::Metadata') continue;
      const other = owner.get(logicalId);
      if (other) throw new CloudAssemblyError(`Logical id ${logicalId} is in two stacks, ${other.name} and ${stack.name}: the local cloud names resources by logical id, so each must be unique across the assembly.`);
      owner.set(logicalId, stack);
      resources[logicalId] = resource;
    }
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      const other = outputOwner.get(key);
      if (other) throw new CloudAssemblyError(`Output ${key} is in two stacks, ${other} and ${stack.name}.`);
      outputOwner.set(key, stack.name);
      outputs[key] = output;
    }
    Object.assign(parameters, template.Parameters ?? {});
    for (const [key, condition] of Object.entries(template.Conditions ?? {})) {
      if (key in conditions) throw new CloudAssemblyError(`Condition ${key} is in two stacks.`);
      conditions[key] = condition;
    }
  }
  return {
    name: commonName(ordered.map((stack) => stack.name)),
    template: {
      Resources: resources,
      Outputs: outputs,
      ...(Object.keys(parameters).length > 0 ? { Parameters: parameters } : {}),
      ...(Object.keys(conditions).length > 0 ? { Conditions: conditions } : {}),
    },
    dependencies: [],
    assetPath: (logicalId) => owner.get(logicalId)?.assetPath(logicalId),
  };
};
