import * as z from 'zod';
import type { $ZodObject, $ZodType } from 'zod/v4/core';
import { productPageSchema, productViewSchema } from '../../functions/catalog/handlers/api-responses';
import { productPageQuery, productPath } from '../../functions/catalog/handlers/api';
import { ProductAlreadyExistsError, ProductNotFoundError } from '../../functions/catalog/domain/errors';
import { newProductSchema, productChangesSchema } from '../../functions/catalog/domain/product';
import { catalogRoutes } from '../../functions/catalog/routes';
import { healthSchema, notReadySchema, readySchema } from '../../functions/health/handlers/api-responses';
import { healthRoutes } from '../../functions/health/routes';
import { stockLevelSchema } from '../../functions/inventory/handlers/api-responses';
import { stockPath } from '../../functions/inventory/handlers/api';
import { InventoryNotFoundError } from '../../functions/inventory/domain/errors';
import { stockChangeSchema } from '../../functions/inventory/domain/inventory';
import { inventoryRoutes } from '../../functions/inventory/routes';
import { orderDetailsViewSchema, orderPageSchema, orderViewSchema, placementViewSchema } from '../../functions/orders/handlers/api-responses';
import { IDEMPOTENCY_HEADER, orderPageQuery, orderPath } from '../../functions/orders/handlers/api';
import {
  IdempotencyKeyReusedError,
  MixedCurrenciesError,
  OrderNotCancellableError,
  OrderNotFoundError,
  OrderTooLargeError,
  UnknownProductError,
} from '../../functions/orders/domain/errors';
import { idempotencyKeySchema } from '../../functions/orders/domain/idempotency';
import { placeOrderRequestSchema } from '../../functions/orders/domain/order';
import { ordersRoutes } from '../../functions/orders/routes';
import { shipmentPath } from '../../functions/shipping/handlers/api';
import { shipmentViewSchema } from '../../functions/shipping/handlers/views';
import { ShipmentNotFoundError, ShipmentNotShippableError } from '../../functions/shipping/domain/errors';
import { shippingRoutes } from '../../functions/shipping/routes';
import {
  DependencyUnavailableError,
  ForbiddenError,
  MalformedRequestError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
  type ProblemError,
} from '../../functions/shared/errors';
import { ADMIN_GROUP, CARRIER_GROUP, MAX_BODY_BYTES, type Access } from '../../functions/shared/http';
import type { RouteTable } from '../../functions/shared/middleware';
import { problemSchema } from '../../functions/shared/problem-schema';
import { DEFAULT_THROTTLES } from '../config/throttles';

/**
 * The shop's OpenAPI 3.1 description, generated from what the code runs: the
 * route tables (route key → access), the zod schemas the handlers validate
 * requests with and answer with, and the error classes they throw. Generator
 * code only (`npm run openapi` writes docs/openapi.json; a test fails when the
 * checked-in file differs): `z.toJSONSchema` never reaches a Lambda bundle.
 */

/** A route's default throttle, as a sentence (lib/config/throttles.ts; a stage or `-c throttles` may change it). */
const throttledAt = (route: string): string => {
  const limit = DEFAULT_THROTTLES.routeThrottles?.[route] ?? DEFAULT_THROTTLES.throttle;
  return limit ? `Throttled by default at ${limit.rateLimit} requests/s (burst ${limit.burstLimit}).` : '';
};

/** A JSON value as the document holds it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A schema as the document holds it: draft 2020-12, OpenAPI 3.1's dialect, without `$schema`. */
export const jsonSchemaOf = (schema: $ZodType, io: 'input' | 'output'): JsonObject => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonObject;
  return rest;
};

/** A success answer of an operation. */
interface Success {
  readonly status: number;
  readonly description: string;
  /** Component name of the body; none for an empty body (204). */
  readonly body?: string;
  readonly location?: boolean;
}

/** What the generator needs to know of a route beyond its route table. */
interface OperationSpec {
  readonly summary: string;
  readonly description?: string;
  readonly path?: $ZodObject;
  readonly query?: $ZodObject;
  /** Component name of the JSON request body. */
  readonly body?: string;
  readonly idempotencyKey?: boolean;
  readonly success: Success;
  /** The route's own errors (not found, conflicts, business rules on input), as the classes the code throws. */
  readonly errors?: readonly ProblemError[];
  /** Whether a dependency can be unavailable (503 + Retry-After). @default true */
  readonly callsDependencies?: boolean;
}

/** Components: request bodies are read as input (defaults optional), answers as output. */
const REQUEST_BODIES: Readonly<Record<string, $ZodType>> = {
  NewProduct: newProductSchema,
  ProductChanges: productChangesSchema,
  StockChange: stockChangeSchema,
  PlaceOrderRequest: placeOrderRequestSchema,
};

const RESPONSE_BODIES: Readonly<Record<string, $ZodType>> = {
  Health: healthSchema,
  Ready: readySchema,
  NotReady: notReadySchema,
  Product: productViewSchema,
  ProductPage: productPageSchema,
  StockLevel: stockLevelSchema,
  OrderPlacement: placementViewSchema,
  Order: orderViewSchema,
  OrderPage: orderPageSchema,
  OrderDetails: orderDetailsViewSchema,
  Shipment: shipmentViewSchema,
  Problem: problemSchema,
  GatewayError: z.object({ message: z.string() }).meta({
    description: "API Gateway's own answer, before any function runs: `Unauthorized` (no or a refused token), `Too Many Requests` (throttled), `Not Found` (no such route), `Internal Server Error` (the function could not be invoked).",
  }),
};

/** Every route's description, by route key. A route missing here, or described but not routed, fails the build. */
const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'GET /health': {
    summary: 'Liveness',
    description: 'Calls no dependency, so it fails only if the function cannot run. Never cached (`cache-control: no-store`).',
    success: { status: 200, description: 'The function runs.', body: 'Health' },
    callsDependencies: false,
  },
  'GET /ready': {
    summary: 'Readiness',
    description:
      `Checks every table, the bus, the state machines and the functions invoked synchronously, in parallel, each within 1 s. Each environment checks at most every 3 s. ${throttledAt('GET /ready')}`,
    success: { status: 200, description: 'Every dependency answered in time.', body: 'Ready' },
    callsDependencies: false,
  },
  'GET /products': {
    summary: 'List products',
    description: 'In product-id order, so a cursor never skips or repeats a product while products are added.',
    query: productPageQuery,
    success: { status: 200, description: 'A page of products.', body: 'ProductPage' },
    errors: [new ValidationError([], 'INVALID_CURSOR')],
  },
  'GET /products/{id}': {
    summary: 'Get a product',
    path: productPath,
    success: { status: 200, description: 'The product.', body: 'Product' },
    errors: [new ProductNotFoundError('')],
  },
  'POST /products': {
    summary: 'Create a product',
    description: 'Amounts are integer minor units. Without an `id`, one is generated.',
    body: 'NewProduct',
    success: { status: 201, description: 'Created.', body: 'Product', location: true },
    errors: [new ProductAlreadyExistsError('')],
  },
  'PUT /products/{id}': {
    summary: 'Change a product',
    description: 'Changes only the fields sent; `"imageUrl": null` removes the image.',
    path: productPath,
    body: 'ProductChanges',
    success: { status: 200, description: 'The changed product.', body: 'Product' },
    errors: [new ProductNotFoundError('')],
  },
  'DELETE /products/{id}': {
    summary: 'Delete a product',
    path: productPath,
    success: { status: 204, description: 'Deleted.' },
    errors: [new ProductNotFoundError('')],
  },
  'GET /inventory/{productId}': {
    summary: 'Units on hand',
    path: stockPath,
    success: { status: 200, description: 'The stock level.', body: 'StockLevel' },
    errors: [new InventoryNotFoundError('')],
  },
  'PUT /inventory/{productId}': {
    summary: 'Set the units on hand',
    path: stockPath,
    body: 'StockChange',
    success: { status: 200, description: 'The new stock level.', body: 'StockLevel' },
  },
  'POST /orders': {
    summary: 'Place an order',
    description:
      `The order belongs to the token's \`sub\`; prices come from the catalog, never from the client. Accepted as \`PENDING\`; poll the order until the saga decides (\`CONFIRMED\` or \`CANCELLED\`). With an \`Idempotency-Key\`, a retry with the same body gets the first answer (and the same order); another body is 409. ${throttledAt('POST /orders')}`,
    body: 'PlaceOrderRequest',
    idempotencyKey: true,
    success: { status: 202, description: 'Accepted: the order is PENDING.', body: 'OrderPlacement', location: true },
    errors: [new IdempotencyKeyReusedError(), new UnknownProductError([]), new MixedCurrenciesError([]), new OrderTooLargeError([])],
  },
  'GET /orders': {
    summary: 'My orders',
    description: 'Newest first.',
    query: orderPageQuery,
    success: { status: 200, description: 'A page of the caller\'s orders.', body: 'OrderPage' },
    errors: [new ValidationError([], 'INVALID_CURSOR')],
  },
  'GET /orders/{id}': {
    summary: 'My order',
    description: "Someone else's order is a 404, exactly like a missing one.",
    path: orderPath,
    success: { status: 200, description: 'The order.', body: 'Order' },
    errors: [new OrderNotFoundError('')],
  },
  'GET /orders/{id}/details': {
    summary: 'My order, its payment and its shipment',
    path: orderPath,
    success: { status: 200, description: 'The order with its payment and shipment (each null while none exists).', body: 'OrderDetails' },
    errors: [new OrderNotFoundError('')],
  },
  'POST /orders/{id}/cancel': {
    summary: 'Cancel my order',
    description:
      'While `PENDING` or `CONFIRMED`: the order then ends `CANCELLED(CUSTOMER_REQUEST)`, its payment refunded (or never captured), its stock released, its shipment cancelled. Already `CANCELLED`: 202 again, nothing runs.',
    path: orderPath,
    success: { status: 202, description: 'Accepted: the order, with `cancellationRequestedAt`.', body: 'Order', location: true },
    errors: [new OrderNotFoundError(''), new OrderNotCancellableError('', 'SHIPPED')],
  },
  'POST /shipments/{id}/ship': {
    summary: 'Hand a shipment to the carrier',
    description: '`CREATED → SHIPPED`, and publishes `OrderShipped`; the order can no longer be cancelled. Again: 200, published again.',
    path: shipmentPath,
    success: { status: 200, description: 'The shipment.', body: 'Shipment' },
    errors: [new ShipmentNotFoundError(''), new ShipmentNotShippableError('', 'CANCELLED'), new ShipmentNotShippableError('', 'DELIVERED')],
  },
  'POST /shipments/{id}/deliver': {
    summary: 'Mark a shipment delivered',
    description: 'From `CREATED` or `SHIPPED`, and publishes `ShipmentDelivered`. Again: 200, published again.',
    path: shipmentPath,
    success: { status: 200, description: 'The shipment.', body: 'Shipment' },
    errors: [new ShipmentNotFoundError(''), new ShipmentNotShippableError('', 'CANCELLED')],
  },
};

/** Every service's route table, as the CDK constructs and the handlers read them. */
export const ROUTE_TABLES: Readonly<Record<string, RouteTable>> = {
  health: healthRoutes,
  catalog: catalogRoutes,
  inventory: inventoryRoutes,
  orders: ordersRoutes,
  shipping: shippingRoutes,
};

const ACCESS_NOTES: Readonly<Record<Access, string>> = {
  public: 'Anyone: no token.',
  user: 'Any signed-in user (a Cognito ID token).',
  admin: `Admin only: a signed-in member of the \`${ADMIN_GROUP}\` group.`,
  carrier: `Carriers: a signed-in member of the \`${CARRIER_GROUP}\` or \`${ADMIN_GROUP}\` group.`,
};

/** Problem codes by HTTP status, in the order they are first met. */
type ProblemsByStatus = Map<number, string[]>;

const addProblem = (problems: ProblemsByStatus, status: number, code: string): void => {
  const codes = problems.get(status) ?? [];
  if (!codes.includes(code)) codes.push(code);
  problems.set(status, codes);
};

/** The problems a route can answer: its own, and those of its access, its input and the HTTP chain. */
const problemsOf = (access: Access, spec: OperationSpec): ProblemsByStatus => {
  const problems: ProblemsByStatus = new Map();
  const add = (error: ProblemError) => addProblem(problems, error.status, error.code);
  if (spec.body) {
    add(new MalformedRequestError('', 'MALFORMED_JSON'));
    add(new MalformedRequestError('', 'BODY_REQUIRED'));
  }
  if (access !== 'public') add(new UnauthorizedError());
  if (access === 'admin' || access === 'carrier') add(new ForbiddenError());
  for (const error of spec.errors ?? []) if (error.status === 404) add(error);
  for (const error of spec.errors ?? []) if (error.status === 409) add(error);
  if (spec.body) {
    add(new PayloadTooLargeError(''));
    addProblem(problems, 415, 'UNSUPPORTED_MEDIA_TYPE');
  }
  if (spec.body || spec.path || spec.query || spec.idempotencyKey) add(new ValidationError([]));
  for (const error of spec.errors ?? []) if (error.status !== 404 && error.status !== 409) add(error);
  addProblem(problems, 500, 'INTERNAL_ERROR');
  if (spec.callsDependencies ?? true) add(new DependencyUnavailableError(''));
  return problems;
};

const ref = (component: string): JsonObject => ({ $ref: `#/components/schemas/${component}` });

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'The request could not be read',
  401: 'No valid token',
  403: 'Not in a group allowed to do this',
  404: 'Not found, or not yours',
  409: 'Conflicts with the current state',
  413: `The body is over ${MAX_BODY_BYTES} bytes`,
  415: 'The body is not `application/json`',
  422: 'Well-formed, but invalid',
  429: 'Throttled by API Gateway',
  500: 'Something went wrong on our side (logged with the correlation id)',
  503: 'A dependency is unavailable: retry after `Retry-After` seconds',
};

const retryAfterHeader: JsonObject = {
  description: 'Seconds to wait before retrying.',
  schema: { type: 'integer', minimum: 1 },
};

const correlationHeader: JsonObject = {
  description: 'The request\'s correlation id, in every log line, event and saga step it causes.',
  schema: { type: 'string' },
};

/** A problem+json answer whose `code` is one of `codes`. */
const problemResponse = (status: number, codes: readonly string[], gatewayToo: boolean): JsonObject => {
  const content: JsonObject = {
    'application/problem+json': {
      schema: { allOf: [ref('Problem'), { type: 'object', properties: { status: { const: status }, code: { enum: [...codes] } } }] },
    },
  };
  if (gatewayToo) content['application/json'] = { schema: ref('GatewayError') };
  const headers: JsonObject = { 'x-correlation-id': correlationHeader };
  if (status === 503) headers['Retry-After'] = retryAfterHeader;
  return { description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}.`, headers, content };
};

const parametersOf = (spec: OperationSpec): Json[] => {
  const parameters: Json[] = [];
  const fromObject = (where: 'path' | 'query', object: $ZodObject) => {
    const schema = jsonSchemaOf(object, 'input');
    const properties = (schema.properties ?? {}) as JsonObject;
    const required = new Set((schema.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: property });
    }
  };
  if (spec.path) fromObject('path', spec.path);
  if (spec.query) fromObject('query', spec.query);
  if (spec.idempotencyKey) {
    parameters.push({
      name: IDEMPOTENCY_HEADER.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`),
      in: 'header',
      required: false,
      description: 'Makes the request safe to retry: the same key with the same body gets the first answer for 24 hours.',
      schema: jsonSchemaOf(idempotencyKeySchema, 'input'),
    });
  }
  return parameters;
};

const operationOf = (routeKey: string, access: Access, service: string, spec: OperationSpec): JsonObject => {
  const responses: JsonObject = {};
  const success: JsonObject = { description: spec.success.description };
  const successHeaders: JsonObject = { 'x-correlation-id': correlationHeader };
  if (spec.success.location) successHeaders.Location = { description: 'Where the resource is.', schema: { type: 'string' } };
  success.headers = successHeaders;
  if (spec.success.body) success.content = { 'application/json': { schema: ref(spec.success.body) } };
  responses[String(spec.success.status)] = success;
  const problems = problemsOf(access, spec);
  if (routeKey === 'GET /ready') addProblem(problems, 503, 'NOT_READY');
  for (const [status, codes] of [...problems].sort(([a], [b]) => a - b)) {
    responses[String(status)] = problemResponse(status, codes, status === 401 || status === 500);
  }
  if (routeKey === 'GET /ready') {
    responses['503'] = {
      description: 'Not ready: the problem names what failed or timed out, with every check.',
      headers: { 'x-correlation-id': correlationHeader, 'Retry-After': retryAfterHeader },
      content: { 'application/problem+json': { schema: ref('NotReady') } },
    };
  }
  responses['429'] = { description: STATUS_TEXT[429] ?? '', content: { 'application/json': { schema: ref('GatewayError') } } };
  const ordered = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
  const operation: JsonObject = {
    operationId: operationIdOf(routeKey),
    tags: [service],
    summary: spec.summary,
    description: [ACCESS_NOTES[access], spec.description].filter(Boolean).join(' '),
    security: access === 'public' ? [] : [{ cognitoJwt: [] }],
    'x-shop-access': access,
  };
  const parameters = parametersOf(spec);
  if (parameters.length > 0) operation.parameters = parameters;
  if (spec.body) operation.requestBody = { required: true, content: { 'application/json': { schema: ref(spec.body) } } };
  operation.responses = ordered;
  return operation;
};

/** `GET /orders/{id}/details` → `getOrdersIdDetails`. */
const operationIdOf = (routeKey: string): string => {
  const [method, path] = routeKey.split(' ');
  const words = (path ?? '').split('/').filter(Boolean).map((part) => part.replace(/[{}]/g, ''));
  return `${(method ?? '').toLowerCase()}${words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}`;
};

/** Fails on a route without a description and a description without a route. */
const checkCoverage = (): void => {
  const routed = Object.values(ROUTE_TABLES).flatMap((table) => Object.keys(table));
  const missing = routed.filter((key) => !(key in OPERATIONS));
  const unrouted = Object.keys(OPERATIONS).filter((key) => !routed.includes(key));
  if (missing.length > 0 || unrouted.length > 0) {
    throw new Error(`lib/openapi/document.ts: describe ${missing.join(', ') || 'nothing more'}; drop ${unrouted.join(', ') || 'nothing'}.`);
  }
};

/** The version the document describes: package.json's. */
export interface DocumentOptions {
  readonly version: string;
}

/** The OpenAPI 3.1 document of the shop's HTTP API. */
export const buildOpenApiDocument = ({ version }: DocumentOptions): JsonObject => {
  checkCoverage();
  const paths: JsonObject = {};
  for (const [service, table] of Object.entries(ROUTE_TABLES)) {
    for (const [routeKey, access] of Object.entries(table)) {
      const [method, path] = routeKey.split(' ') as [string, string];
      const spec = OPERATIONS[routeKey] as OperationSpec;
      const item = (paths[path] ?? {}) as JsonObject;
      item[method.toLowerCase()] = operationOf(routeKey, access, service, spec);
      paths[path] = item;
    }
  }
  const schemas: JsonObject = {};
  for (const [name, schema] of Object.entries(REQUEST_BODIES)) schemas[name] = jsonSchemaOf(schema, 'input');
  for (const [name, schema] of Object.entries(RESPONSE_BODIES)) schemas[name] = jsonSchemaOf(schema, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'serverless-shop',
      version,
      description:
        'The shop\'s HTTP API (API Gateway HTTP API, payload 2.0). Every route answers JSON; errors from the functions are `application/problem+json` (RFC 9457) with a stable `code`; API Gateway\'s own refusals (no token, throttled, no such route) are `{"message": ...}`. Every answer carries `x-correlation-id`. Generated by `npm run openapi` from the route tables and zod schemas: do not edit.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      { url: 'http://127.0.0.1:3000', description: 'The local cloud (`npm start`)' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'A deployed stack: its `ApiUrl` output',
        variables: { apiId: { default: 'abcdef1234' }, region: { default: 'eu-west-1' } },
      },
    ],
    tags: Object.keys(ROUTE_TABLES).map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        cognitoJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `A Cognito ID token of the stack's user pool (locally: \`npm run -s token -- alice [--admin] [--carrier]\`). API Gateway's JWT authorizer checks it; the function checks the \`cognito:groups\` claim (\`${ADMIN_GROUP}\`, \`${CARRIER_GROUP}\`).`,
        },
      },
    },
  };
};
