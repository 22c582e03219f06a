import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { SagaType } from '../../../lib/config/saga-type';
import { ShopStack } from '../../../lib/shop-stack';
import { testAppContext } from '../../support/cdk-context';

/** A CloudFormation resource as the assertions library returns it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The shop app of the CDK tests and its one stack. */
export interface ShopApp {
  readonly app: App;
  readonly stack: ShopStack;
}

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
    cachedApp = { app, stack: new ShopStack(app, 'Shop', { version: 'v-test', env: { account: '123456789012', region: 'eu-west-1' } }) };
  }
  return cachedApp;
};

const cachedBySagaType = new Map<SagaType, Template>();

/**
 * The shop's synthesized template (synthesizing {@link shopApp}), built once
 * per test file; with a saga type, the shop synthesized with that type
 * (`-c saga=…`), built once per type.
 */
export const shopTemplate = (sagaType?: SagaType): Template => {
  if (sagaType === undefined) {
    cached ??= Template.fromStack(shopApp().stack);
    return cached;
  }
  let template = cachedBySagaType.get(sagaType);
  if (!template) {
    const app = new App({ context: testAppContext({ 'aws:cdk:enable-path-metadata': true, saga: sagaType }) });
    template = Template.fromStack(new ShopStack(app, 'Shop', { version: 'v-test', env: { account: '123456789012', region: 'eu-west-1' } }));
    cachedBySagaType.set(sagaType, template);
  }
  return template;
};

/** Every resource of a type, by logical id. */
export const resourcesOf = (type: string): Record<string, CfnResource> => shopTemplate().findResources(type) as Record<string, CfnResource>;

/** The construct path (`Shop/Orders/Api/Resource`) of a resource. */
export const pathOf = (resource: CfnResource): string => String(resource.Metadata?.['aws:cdk:path'] ?? '');

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
