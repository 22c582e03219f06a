import * as z from 'zod';
import { createCatalogApi } from '../../../functions/catalog/handlers/api';
import { createInventoryApi } from '../../../functions/inventory/handlers/api';
import { createOrdersApi } from '../../../functions/orders/handlers/api';
import { ValidationError } from '../../../functions/shared/errors';
import { validate, type HttpEvent, type HttpResult } from '../../../functions/shared/http';
import { FakeExecutions, FakeShipmentCanceller } from '../../fakes/cancellations';
import { InMemoryInventoryRepository, stockLevel } from '../../fakes/inventory-repository';
import { FakePaymentReader, FakeShipmentReader } from '../../fakes/order-readers';
import { InMemoryOrderRepository } from '../../fakes/order-repository';
import { FakePriceCatalog } from '../../fakes/price-catalog';
import { InMemoryProductRepository, product } from '../../fakes/product-repository';
import { admin, alice, bodyOf, httpEvent, invoke } from '../../support/lambda';

/*
 * What every route that reads a JSON body, or a query string, answers when
 * the input is not what it accepts: the media type (415), and the name of
 * each unknown query parameter or body field (422).
 */

type Api = (event: HttpEvent, context: Parameters<ReturnType<typeof createCatalogApi>>[1]) => Promise<HttpResult>;

interface Problem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

const problemOf = (result: HttpResult): Problem => bodyOf(result) as Problem;

const address = { name: 'Alice', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

/** Counts writes, so a refused request is seen to write nothing. */
const setup = () => {
  const products = new InMemoryProductRepository([product()]);
  const inventory = new InMemoryInventoryRepository([stockLevel('p-mug', 7)]);
  const orders = new InMemoryOrderRepository();
  const catalog = createCatalogApi({ products, now: () => new Date('2026-02-02T00:00:00Z') });
  const stock = createInventoryApi({ inventory, now: () => new Date('2026-02-02T00:00:00Z') });
  const ordering = createOrdersApi({
    orders,
    catalog: new FakePriceCatalog(),
    payments: new FakePaymentReader(),
    shipments: new FakeShipmentReader(),
    shipping: new FakeShipmentCanceller(),
    cancellations: new FakeExecutions(),
    now: () => new Date('2026-03-01T12:00:00Z'),
  });
  const written = () => ({ products: [...products.products.keys()], stockWrites: inventory.writes, orders: orders.orders.size });
  return { catalog, stock, ordering, written };
};

/** Every route that takes a JSON body, with a body it accepts. */
const bodyRoutes = (apis: ReturnType<typeof setup>): ReadonlyArray<{ readonly name: string; readonly api: Api; readonly event: (body: unknown) => HttpEvent; readonly ok: number }> => [
  {
    name: 'POST /products',
    api: apis.catalog as Api,
    event: (body) => httpEvent({ routeKey: 'POST /products', caller: admin, body }),
    ok: 201,
  },
  {
    name: 'PUT /products/{id}',
    api: apis.catalog as Api,
    event: (body) => httpEvent({ routeKey: 'PUT /products/{id}', pathParameters: { id: 'p-mug' }, caller: admin, body }),
    ok: 200,
  },
  {
    name: 'PUT /inventory/{productId}',
    api: apis.stock as Api,
    event: (body) => httpEvent({ routeKey: 'PUT /inventory/{productId}', pathParameters: { productId: 'p-mug' }, caller: admin, body }),
    ok: 200,
  },
  {
    name: 'POST /orders',
    api: apis.ordering as Api,
    event: (body) => httpEvent({ routeKey: 'POST /orders', caller: alice, body }),
    ok: 202,
  },
];

const validBodies: Readonly<Record<string, unknown>> = {
  'POST /products': { id: 'p-new', name: 'New', category: 'kitchen', price: { amount: 100, currency: 'EUR' } },
  'PUT /products/{id}': { name: 'Renamed' },
  'PUT /inventory/{productId}': { stock: 3 },
  'POST /orders': { items: [{ productId: 'p-mug', quantity: 1 }], shippingAddress: address },
};

/** The event with its Content-Type header set to `type`, or removed. */
const withContentType = (event: HttpEvent, type: string | undefined): HttpEvent => {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).filter(([name]) => name !== 'content-type'));
  return { ...event, headers: type === undefined ? headers : { ...headers, 'content-type': type } };
};

describe('a JSON body without a JSON Content-Type', () => {
  const routeNames = bodyRoutes(setup()).map((r) => r.name);

  it.each(routeNames)('%s answers 415 UNSUPPORTED_MEDIA_TYPE for a body with no Content-Type, or another, writing nothing', async (name) => {
    // Prepare
    const apis = setup();
    const route = bodyRoutes(apis).find((r) => r.name === name);
    if (!route) throw new Error(`no route ${name}`);
    const before = apis.written();
    const event = route.event(validBodies[name]);

    // Act
    const missing = await invoke(route.api, withContentType(event, undefined));
    const text = await invoke(route.api, withContentType(event, 'text/plain'));
    const form = await invoke(route.api, withContentType(event, 'application/x-www-form-urlencoded'));

    // Assess
    for (const result of [missing, text, form]) {
      expect(result.statusCode).toBe(415);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
      expect(problemOf(result)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported Media Type' });
    }
    expect(problemOf(missing).detail).toBe('A body needs Content-Type: application/json.');
    expect(problemOf(text).detail).toBe("Content-Type must be application/json, not 'text/plain'.");
    expect(apis.written()).toEqual(before);
  });

  it.each(routeNames)('%s accepts the same body with a JSON Content-Type, parameters and +json suffixes included', async (name) => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json']) {
      const apis = setup();
      const route = bodyRoutes(apis).find((r) => r.name === name);
      if (!route) throw new Error(`no route ${name}`);
      const result = await invoke(route.api, withContentType(route.event(validBodies[name]), type));
      expect({ type, status: result.statusCode }).toEqual({ type, status: route.ok });
    }
  });

  it('leaves a body-less request as it was: 400 BODY_REQUIRED without a Content-Type', async () => {
    // Prepare
    const apis = setup();
    const routes = bodyRoutes(apis);

    // Act
    const results = await Promise.all(routes.map((route) => invoke(route.api, withContentType(route.event(undefined), undefined))));

    // Assess
    expect(results.map((r) => [r.statusCode, problemOf(r).code])).toEqual(routes.map(() => [400, 'BODY_REQUIRED']));
  });

  it('does not ask routes without a body for a Content-Type', async () => {
    const apis = setup();
    const list = await invoke(apis.catalog as Api, withContentType(httpEvent({ routeKey: 'GET /products' }), undefined));
    const remove = await invoke(apis.catalog as Api, withContentType(httpEvent({ routeKey: 'DELETE /products/{id}', pathParameters: { id: 'p-mug' }, caller: admin }), undefined));
    expect([list.statusCode, remove.statusCode]).toEqual([200, 204]);
  });
});

describe('unknown input, named', () => {
  it('names an unknown query parameter by its name, as a query parameter, on every listing', async () => {
    // Prepare
    const apis = setup();

    // Act
    const products = await invoke(apis.catalog as Api, httpEvent({ routeKey: 'GET /products', query: { limit: '5', colour: 'red' } }));
    const orders = await invoke(apis.ordering as Api, httpEvent({ routeKey: 'GET /orders', caller: alice, query: { sort: 'asc', page: '2' } }));

    // Assess
    expect(products.statusCode).toBe(422);
    expect(problemOf(products)).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'Invalid request: colour: unknown query parameter',
      errors: [{ path: 'colour', message: 'unknown query parameter' }],
    });
    expect(orders.statusCode).toBe(422);
    expect(problemOf(orders).errors).toEqual([
      { path: 'sort', message: 'unknown query parameter' },
      { path: 'page', message: 'unknown query parameter' },
    ]);
  });

  it('names each unknown body field by its path, at the top level and nested, writing nothing', async () => {
    // Prepare
    const apis = setup();
    const before = apis.written();
    const order = validBodies['POST /orders'] as Record<string, unknown>;

    // Act
    const top = await invoke(apis.stock as Api, httpEvent({ routeKey: 'PUT /inventory/{productId}', pathParameters: { productId: 'p-mug' }, caller: admin, body: { stock: 5, reserved: 2, note: 'x' } }));
    const nested = await invoke(
      apis.ordering as Api,
      httpEvent({ routeKey: 'POST /orders', caller: alice, body: { ...order, userId: 'user-bob', items: [{ productId: 'p-mug', quantity: 1, unitPrice: { amount: 1, currency: 'EUR' } }] } }),
    );

    // Assess
    expect(top.statusCode).toBe(422);
    expect(problemOf(top)).toMatchObject({
      detail: 'Invalid request: reserved: unknown field; note: unknown field',
      errors: [
        { path: 'reserved', message: 'unknown field' },
        { path: 'note', message: 'unknown field' },
      ],
    });
    expect(nested.statusCode).toBe(422);
    expect(problemOf(nested).errors?.map((e) => e.path).sort()).toEqual(['items.0.unitPrice', 'userId']);
    expect(apis.written()).toEqual(before);
  });

  it('keeps every other issue at the path zod gives it, alongside the unknown keys', () => {
    // Prepare
    const schema = z.object({ a: z.object({ b: z.number() }).strict() }).strict();

    // Act
    const issuesOf = (keys?: 'field' | 'query parameter'): unknown => {
      try {
        validate(schema, { a: { b: 'x', c: 1 }, d: 2 }, keys);
        return undefined;
      } catch (error) {
        return error instanceof ValidationError ? error.issues : error;
      }
    };

    // Assess
    expect(issuesOf('field')).toEqual([
      { path: 'a.b', message: expect.stringContaining('expected number') },
      { path: 'a.c', message: 'unknown field' },
      { path: 'd', message: 'unknown field' },
    ]);
    expect(issuesOf()).toEqual(expect.arrayContaining([{ path: 'd', message: 'unknown query parameter' }]));
  });
});
