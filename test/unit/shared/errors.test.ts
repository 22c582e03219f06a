import { ProductAlreadyExistsError, ProductNotFoundError } from '../../../functions/catalog/domain/errors';
import { DuplicateSagaError, InventoryNotFoundError, OutOfStockError, ReservationTooLargeError } from '../../../functions/inventory/domain/errors';
import {
  IdempotencyKeyReusedError,
  MixedCurrenciesError,
  OrderNotCancellableError,
  OrderNotFoundError,
  OrderTooLargeError,
  UnknownProductError,
} from '../../../functions/orders/domain/errors';
import { PaymentClosedError, PaymentDeclinedError } from '../../../functions/payments/domain/errors';
import { SagaErrors } from '../../../functions/shared/contracts/saga';
import {
  ConfigurationError,
  ConflictError,
  ContractViolationError,
  DependencyUnavailableError,
  ForbiddenError,
  MalformedRequestError,
  NotFoundError,
  PayloadTooLargeError,
  TransientError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../functions/shared/errors';
import { CircuitOpenError } from '../../../functions/shared/shared-circuit-breaker';
import {
  ShipmentCancelledError,
  ShipmentNotDeliverableError,
  ShipmentNotFoundError,
  ShipmentNotShippableError,
  ShippingUnavailableError,
} from '../../../functions/shipping/domain/errors';

/**
 * What an error tells whoever meets it. A saga task's error `name` is the
 * `errorType` the state machine's Retry and Catch match (bundles are
 * minified, so it is a literal, not the class name); every other error's
 * `name` is what a log line or an execution's history shows. A 4xx error's
 * message is the problem's `detail`: it names what the caller asked for.
 * The tables hold factories: an error built while jest collects the tests
 * would make every constructor a static mutant for Stryker.
 */
describe('errors', () => {
  it.each<[string, () => Error, string, string]>([
    ['ProductNotFoundError', () => new ProductNotFoundError('red-mug'), '404 PRODUCT_NOT_FOUND', 'red-mug'],
    ['ProductAlreadyExistsError', () => new ProductAlreadyExistsError('red-mug'), '409 PRODUCT_EXISTS', 'red-mug'],
    ['InventoryNotFoundError', () => new InventoryNotFoundError('red-mug'), '404 INVENTORY_NOT_FOUND', 'red-mug'],
    ['OrderNotFoundError', () => new OrderNotFoundError('ord-1'), '404 ORDER_NOT_FOUND', 'ord-1'],
    ['IdempotencyKeyReusedError', () => new IdempotencyKeyReusedError(), '409 IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key'],
    ['UnknownProductError', () => new UnknownProductError([{ path: 'items.0.productId', message: 'no such product' }]), '422 UNKNOWN_PRODUCT', 'items.0.productId'],
    ['MixedCurrenciesError', () => new MixedCurrenciesError(['EUR', 'USD']), '422 MIXED_CURRENCIES', 'EUR, USD'],
    ['OrderTooLargeError', () => new OrderTooLargeError([{ path: 'items', message: 'too many' }]), '422 ORDER_TOO_LARGE', 'items'],
    ['OrderNotCancellableError', () => new OrderNotCancellableError('ord-1', 'SHIPPED'), '409 ORDER_NOT_CANCELLABLE', 'SHIPPED'],
    ['ShipmentNotFoundError', () => new ShipmentNotFoundError('shp-ord-1'), '404 SHIPMENT_NOT_FOUND', 'shp-ord-1'],
    ['ShipmentNotShippableError', () => new ShipmentNotShippableError('shp-ord-1', 'CANCELLED'), '409 SHIPMENT_CANCELLED', 'cancelled'],
    ['ShipmentNotShippableError', () => new ShipmentNotShippableError('shp-ord-1', 'DELIVERED'), '409 SHIPMENT_DELIVERED', 'delivered'],
    ['ShipmentNotDeliverableError', () => new ShipmentNotDeliverableError('shp-ord-1'), '409 SHIPMENT_CANCELLED', 'shp-ord-1'],
    ['MalformedRequestError', () => new MalformedRequestError('The body is not valid JSON.'), '400 MALFORMED_REQUEST', 'JSON'],
    ['UnauthorizedError', () => new UnauthorizedError(), '401 UNAUTHORIZED', 'Authentication'],
    ['ForbiddenError', () => new ForbiddenError(), '403 FORBIDDEN', 'not allowed'],
    ['NotFoundError', () => new NotFoundError('THING_NOT_FOUND', 'No thing 7.'), '404 THING_NOT_FOUND', 'thing 7'],
    ['ConflictError', () => new ConflictError('THING_TAKEN', 'Thing 7 is taken.'), '409 THING_TAKEN', 'Thing 7'],
    ['PayloadTooLargeError', () => new PayloadTooLargeError('At most 65536 bytes.'), '413 PAYLOAD_TOO_LARGE', '65536'],
    ['UnsupportedMediaTypeError', () => new UnsupportedMediaTypeError('Not text/plain.'), '415 UNSUPPORTED_MEDIA_TYPE', 'text/plain'],
    ['ValidationError', () => new ValidationError([{ path: 'name', message: 'is required' }]), '422 VALIDATION_FAILED', 'name: is required'],
    ['DependencyUnavailableError', () => new DependencyUnavailableError('The store is busy.'), '503 DEPENDENCY_UNAVAILABLE', 'busy'],
  ])('%s answers %#: its status and code, and a detail that names what was asked for', (name, make, statusAndCode, subject) => {
    const error = make();
    const { status, code } = error as unknown as { status: number; code: string };
    expect(error.name).toBe(name);
    expect(`${status} ${code}`).toBe(statusAndCode);
    expect(error.message).toContain(subject);
  });

  it.each<[string, () => Error, string]>([
    [SagaErrors.outOfStock, () => new OutOfStockError(['red-mug', 'blue-cup']), 'red-mug, blue-cup'],
    [SagaErrors.duplicateSaga, () => new DuplicateSagaError('ord-1', 'exec-2'), 'exec-2'],
    [SagaErrors.paymentDeclined, () => new PaymentDeclinedError('ord-1', 'card_declined'), 'card_declined'],
    [SagaErrors.shippingUnavailable, () => new ShippingUnavailableError('AQ'), 'AQ'],
    [SagaErrors.shipmentCancelled, () => new ShipmentCancelledError('shp-ord-1'), 'shp-ord-1'],
    [SagaErrors.transient, () => new TransientError('The table is throttled.'), 'throttled'],
    ['ReservationTooLargeError', () => new ReservationTooLargeError(120, 99), '99'],
    ['PaymentClosedError', () => new PaymentClosedError('ord-1', 'REFUNDED'), 'REFUNDED'],
    ['ConfigurationError', () => new ConfigurationError('TABLE_NAME is not set.'), 'TABLE_NAME'],
  ])('a saga task or start-up error is named %s, and its message says which', (name, make, subject) => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error.message).toContain(subject);
  });

  it('names every broken field of an event that violates its contract, and the event itself when the root is wrong', () => {
    const error = new ContractViolationError('OrderPlaced for order ord-1', [
      { path: 'items.0.quantity', message: 'must be positive' },
      { path: '', message: 'must be an object' },
    ]);

    expect(error.name).toBe('ContractViolationError');
    expect(error.message).toBe('OrderPlaced for order ord-1 violates its contract: items.0.quantity: must be positive; (root): must be an object');
    expect(error.issues).toHaveLength(2);
  });

  it('says which field of a 422 is wrong, and that the body as a whole is when no field is named', () => {
    const error = new ValidationError([
      { path: 'price.amount', message: 'must be positive' },
      { path: '', message: 'must be an object' },
    ]);

    expect(error.message).toContain('price.amount: must be positive');
    expect(error.message).toContain('(body): must be an object');
  });

  it('tells an open circuit from a half-open one whose probe is in flight, naming the dependency', () => {
    const open = new CircuitOpenError({ dependency: 'payment-provider', state: 'OPEN', retryAfterMs: 20_000 });
    const halfOpen = new CircuitOpenError({ dependency: 'payment-provider', state: 'HALF_OPEN', retryAfterMs: 0 });

    expect([open.name, halfOpen.name]).toEqual(['CircuitOpenError', 'CircuitOpenError']);
    expect(open.message).toContain('payment-provider');
    expect(open.message).toContain('20000 ms');
    expect(open.message).not.toContain('half-open');
    expect(halfOpen.message).toContain('payment-provider');
    expect(halfOpen.message).toContain('half-open');
  });
});
