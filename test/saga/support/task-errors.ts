import { SagaErrors } from '../../../functions/shared/contracts/saga';
import { BusinessRuleError, TransientError } from '../../../functions/shared/errors';

/**
 * The errors the saga's task functions throw, as the services define them:
 * business errors extend BusinessRuleError with a literal name from
 * SagaErrors, which is what the state machine's Catch matches.
 */

export class OutOfStockError extends BusinessRuleError {
  public constructor(productId = 'p-mug') {
    super(`Not enough stock of ${productId}`);
    this.name = SagaErrors.outOfStock;
  }
}

export class DuplicateSagaError extends BusinessRuleError {
  public constructor(orderId: string) {
    super(`Order ${orderId} is handled by another execution`);
    this.name = SagaErrors.duplicateSaga;
  }
}

export class PaymentDeclinedError extends BusinessRuleError {
  public constructor() {
    super('The card was declined');
    this.name = SagaErrors.paymentDeclined;
  }
}

export class ShippingUnavailableError extends BusinessRuleError {
  public constructor(country = 'AQ') {
    super(`The carrier does not serve ${country}`);
    this.name = SagaErrors.shippingUnavailable;
  }
}

/** CreateShipment finding the order's shipment cancelled: its owner cancelled the order before the saga got there. */
export class ShipmentCancelledError extends BusinessRuleError {
  public constructor(orderId: string) {
    super(`Shipment 'shp-${orderId}' was cancelled and cannot be created again.`);
    this.name = SagaErrors.shipmentCancelled;
  }
}

/** What a dependency being down looks like from a task. */
export const providerUnavailable = (): TransientError => new TransientError('payment provider unavailable');

/** An error of the Lambda service itself (throttling, an internal error), which Step Functions names `Lambda.*`. */
export class LambdaServiceError extends Error {
  public constructor(
    name:
      | 'Lambda.ServiceException'
      | 'Lambda.AWSLambdaException'
      | 'Lambda.SdkClientException'
      | 'Lambda.ClientExecutionTimeoutException'
      | 'Lambda.TooManyRequestsException',
    message = 'Rate exceeded',
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * An invocation Lambda failed itself, by the `errorType` of its error
 * document (`Sandbox.Timedout`, `Runtime.OutOfMemory`, `Runtime.ExitError`),
 * or with none (`''`), which Step Functions reports as `Lambda.Unknown`.
 */
export class LambdaPlatformError extends Error {
  public constructor(errorType: 'Sandbox.Timedout' | 'Runtime.OutOfMemory' | 'Runtime.ExitError' | '', message: string) {
    super(message);
    this.name = errorType;
  }
}

/** What the optimized events:putEvents integration raises when PutEvents answers a non-zero FailedEntryCount. */
export class FailedEntryError extends Error {
  public constructor(message = 'InternalFailure: the entry could not be put') {
    super(message);
    this.name = 'EventBridge.FailedEntry';
  }
}
