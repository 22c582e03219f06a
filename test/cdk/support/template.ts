import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import type { SagaType } from '../../../lib/config/saga-type';
import { ShopStacks, type ShopStacksProps } from '../../../lib/shop-stacks';
import { combineStacks } from '../../../local/assembly/combined-stacks';
import { testAppContext } from '../../support/cdk-context';

/** A CloudFormation resource as the assertions library returns it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The shop app of the CDK tests and its stacks. */
export interface ShopApp {
  readonly app: App;
  readonly shop: ShopStacks;
}

/** The account and region of the tests' stacks. */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' } as const;

/**
 * The stacks of an app (or of those under `scope`) as one template, as the
 * local cloud runs them ({@link combineStacks}): every stack's resources,
 * cross-stack references resolved to the logical ids they name, so an
 * assertion need not know which stack owns a resource.
 */
export const combinedTemplate = (app: App, scope?: Construct): Template => {
  const assembly = app.synth();
  const wanted = new Set((scope ?? app).node.findAll().filter((c): c is Stack => Stack.isStack(c)).map((stack) => stack.artifactId));
  const stacks = assembly.stacks.filter((artifact) => wanted.has(artifact.id));
  const ids = new Set(stacks.map((artifact) => artifact.id));
  const combined = combineStacks(
    stacks.map((artifact) => ({
      name: artifact.stackName,
      template: artifact.template as never,
      dependencies: artifact.dependencies.map((dependency) => dependency.id).filter((id) => ids.has(id)),
      assetPath: () => undefined,
    })),
  );
  return Template.fromJSON(combined.template as unknown as Record<string, unknown>);
};

/** The shop's stacks (prefix `Shop`) in a new app with the tests' context and `context`, and their combined template. */
export const newShopTemplate = (props: ShopStacksProps = {}, context: Record<string, unknown> = {}): { readonly app: App; readonly shop: ShopStacks; readonly template: Template } => {
  const app = new App({ context: testAppContext({ 'aws:cdk:enable-path-metadata': true, ...context }) });
  const shop = new ShopStacks(app, 'Shop', { version: 'v-test', env: TEST_ENV, ...props });
  return { app, shop, template: combinedTemplate(app) };
};

let cachedApp: ShopApp | undefined;
let cached: Template | undefined;

/**
 * The shop's app, built once per test file. Bundling is skipped (the
 * template is what is asserted, not the bundles) and construct paths are
 * kept so tests can tell which service owns a resource.
 */
export const shopApp = (): ShopApp => {
  if (!cachedApp) {
    const app = new App({ context: testAppContext({ 'aws:cdk:enable-path-metadata': true }) });
    cachedApp = { app, shop: new ShopStacks(app, 'Shop', { version: 'v-test', env: TEST_ENV }) };
  }
  return cachedApp;
};

const cachedBySagaType = new Map<SagaType, Template>();

/**
 * The shop's stacks as one template (synthesizing {@link shopApp}), built
 * once per test file; with a saga type, the shop synthesized with that type
 * (`-c saga=…`), built once per type.
 */
export const shopTemplate = (sagaType?: SagaType): Template => {
  if (sagaType === undefined) {
    cached ??= combinedTemplate(shopApp().app);
    return cached;
  }
  let template = cachedBySagaType.get(sagaType);
  if (!template) {
    template = newShopTemplate({}, { saga: sagaType }).template;
    cachedBySagaType.set(sagaType, template);
  }
  return template;
};

/** Every resource of a type, by logical id. */
export const resourcesOf = (type: string): Record<string, CfnResource> => shopTemplate().findResources(type) as Record<string, CfnResource>;

/** The construct path (`Shop-Orders/Orders/Api/Resource`) of a resource. */
export const pathOf = (resource: CfnResource): string => String(resource.Metadata?.['aws:cdk:path'] ?? '');

/** The construct path of a resource below its stack (`Orders/Api/Resource`). */
export const pathInStackOf = (resource: CfnResource): string => pathOf(resource).split('/').slice(1).join('/');

/** The service a resource belongs to: the first construct below the stack. */
export const serviceOf = (resource: CfnResource): string => pathOf(resource).split('/')[1] ?? '';

/** Logical ids a value references (Ref / Fn::GetAtt), recursively. */
export const referencedIds = (value: unknown): Set<string> => {
  const ids = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      if (key === 'Ref' && typeof child === 'string') ids.add(child);
      else if (key === 'Fn::GetAtt' && Array.isArray(child) && typeof child[0] === 'string') ids.add(child[0]);
      else walk(child);
    }
  };
  walk(value);
  return ids;
};
