import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OPENAPI_FILE, REPO_ROOT } from '../../../lib/openapi/files';
import { resourcesOf } from '../support/template';

/** The routes AWS gets: the synthesized template's route keys, with their authorization. */
const templateRoutes = (): Map<string, string> =>
  new Map(Object.values(resourcesOf('AWS::ApiGatewayV2::Route')).map((r) => [String(r.Properties?.RouteKey), String(r.Properties?.AuthorizationType)]));

interface OpenApiOperation {
  readonly security?: ReadonlyArray<Record<string, unknown>>;
  readonly responses: Record<string, unknown>;
  readonly requestBody?: unknown;
}
interface OpenApiDocument {
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
}

const checkedIn = (): OpenApiDocument => JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiDocument;

const operationsOf = (document: OpenApiDocument): Map<string, OpenApiOperation> =>
  new Map(Object.entries(document.paths).flatMap(([route, item]) => Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${route}`, operation] as const)));

/**
 * Validates a document with @seriousme/openapi-schema-validator (the
 * OpenAPI Initiative's 3.1 JSON Schema, with ajv, and every `$ref` checked).
 * It is ESM that finds its schemas through `import.meta.url`, so it runs in a
 * node of its own rather than through jest's CommonJS transform.
 */
const validate = (file: string): { valid: boolean; errors?: unknown } => {
  const script = "import { Validator } from '@seriousme/openapi-schema-validator'; const result = await new Validator().validate(process.argv[1]); process.stdout.write(JSON.stringify(result));";
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, file], { cwd: REPO_ROOT, encoding: 'utf8' });
  return JSON.parse(output) as { valid: boolean; errors?: unknown };
};

/** Whether the checked-in files are what the code generates: openapi-generated.test.ts. */
describe('the API description (docs/openapi.json)', () => {
  it('is a valid OpenAPI 3.1 document, as a maintained validator reads it', () => {
    expect(validate(OPENAPI_FILE)).toEqual({ valid: true });
  });

  it("would be refused if it were not: a parameter in the body (OpenAPI 2's way), a dangling $ref", () => {
    // Prepare: the checked-in document, broken twice over
    const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, { parameters: Array<Record<string, unknown>> }>> };
    const idempotencyKey = document.paths['/orders']?.post?.parameters[0];
    if (idempotencyKey) idempotencyKey.in = 'body';
    const broken = path.join(mkdtempSync(path.join(tmpdir(), 'openapi-')), 'broken.json');
    writeFileSync(broken, JSON.stringify(document));
    const dangling = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { components: { schemas: Record<string, unknown> } };
    delete dangling.components.schemas.Order;
    const danglingFile = path.join(path.dirname(broken), 'dangling.json');
    writeFileSync(danglingFile, JSON.stringify(dangling));

    // Act / Assess
    expect(validate(broken).valid).toBe(false);
    expect(validate(danglingFile).valid).toBe(false);
  });

  it("has exactly the template's routes as operations, each secured as its route is", () => {
    // Prepare
    const routes = templateRoutes();

    // Act
    const operations = operationsOf(checkedIn());

    // Assess
    expect([...operations.keys()].sort()).toEqual([...routes.keys()].sort());
    for (const [key, operation] of operations) {
      const secured = (operation.security ?? []).length > 0;
      expect({ key, authorization: secured ? 'JWT' : 'NONE' }).toEqual({ key, authorization: routes.get(key) });
    }
  });

  it('gives every route its success, a 500 problem and a 429 from API Gateway; every route that reads a body its 400, 413, 415 and 422', () => {
    for (const [key, operation] of operationsOf(checkedIn())) {
      const statuses = Object.keys(operation.responses);
      expect({ key, success: statuses.some((s) => /^2\d\d$/.test(s)) }).toEqual({ key, success: true });
      expect({ key, statuses }).toEqual({ key, statuses: expect.arrayContaining(['429', '500']) });
      if (operation.requestBody) expect({ key, statuses }).toEqual({ key, statuses: expect.arrayContaining(['400', '413', '415', '422']) });
      if (operation.security?.length) expect({ key, statuses }).toEqual({ key, statuses: expect.arrayContaining(['401']) });
    }
  });
});

describe('the request collection (docs/shop.http)', () => {
  const REQUEST_LINE = /^(GET|POST|PUT|PATCH|DELETE) \{\{baseUrl\}\}(\/[^\s?]*)/;

  it("has one request per route of the template, and no other", () => {
    // Prepare
    const routes = [...templateRoutes().keys()];
    const patterns = routes.map((key) => {
      const [method, route] = key.split(' ') as [string, string];
      return { key, method, regex: new RegExp(`^${route.replace(/\{[^}]+\}/g, '[^/]+')}$`) };
    });
    const lines = readFileSync(path.join(REPO_ROOT, 'docs', 'shop.http'), 'utf8').split('\n');

    // Act: each request line, as the route API Gateway would match it to
    const requested = lines.flatMap((line) => {
      const match = REQUEST_LINE.exec(line);
      if (!match) return [];
      const [, method, requestPath] = match;
      const keys = patterns.filter((p) => p.method === method && p.regex.test(requestPath ?? '')).map((p) => p.key);
      return [keys.length === 1 ? keys[0] : `${line} (matches ${keys.length} routes)`];
    });

    // Assess
    expect(requested.length).toBeGreaterThan(0);
    expect([...requested].sort()).toEqual([...routes].sort());
  });
});
