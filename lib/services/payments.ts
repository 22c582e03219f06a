import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { breakerEnvironment, type BreakerProps } from '../constructs/breaker-settings';
import { ServiceTable } from '../constructs/service-table';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link PaymentsService}. */
export interface PaymentsServiceProps {
  /** Version reported in logs. @default 'unknown' */
  readonly version?: string;
  /**
   * How long one call to the payment provider may take before it counts as
   * the provider being unavailable (and a failure for the circuit breaker).
   * Must leave the charge/refund functions time to record the outcome.
   * @default Duration.seconds(2)
   */
  readonly providerTimeout?: Duration;
  /**
   * The payment provider's circuit breaker, shared by every environment of
   * the charge and refund functions (its state is the item
   * `BREAKER#payment-provider` in the payments table).
   * @default 5 failures, open for 30 s, each environment trusting its last read for 1 s
   */
  readonly providerBreaker?: BreakerProps;
}

/** Timeout of the charge and refund functions: a provider call plus the table writes around it. */
const PROVIDER_FUNCTION_TIMEOUT = Duration.seconds(15);

/**
 * Payments, one per order: the saga's ChargePayment and RefundPayment tasks
 * (which call the payment provider behind a timeout and a circuit breaker
 * they share through the payments table: GetItem and UpdateItem on its
 * `BREAKER#payment-provider` item, which their grants already cover),
 * and a read-only GetPayment lookup the orders service invokes for order
 * details. No HTTP routes.
 */
export class PaymentsService extends Construct {
  public readonly table: ServiceTable['table'];
  /** Saga task ChargePayment. */
  public readonly chargeFunction: ShopFunction;
  /** Saga compensation RefundPayment. */
  public readonly refundFunction: ShopFunction;
  /** Internal query GetPayment, for the orders service. Read-only. */
  public readonly getPaymentFunction: ShopFunction;

  public constructor(scope: Construct, id: string, props: PaymentsServiceProps = {}) {
    super(scope, id);
    const providerTimeout = props.providerTimeout ?? Duration.seconds(2);
    const providerTimeoutMs = providerTimeout.toMilliseconds();
    if (providerTimeoutMs < 1 || providerTimeoutMs >= PROVIDER_FUNCTION_TIMEOUT.toMilliseconds() / 2) {
      throw new Error(
        `PaymentsService '${id}': providerTimeout must be between 1 ms and ${PROVIDER_FUNCTION_TIMEOUT.toSeconds() / 2} s ` +
          `(half the ${PROVIDER_FUNCTION_TIMEOUT.toSeconds()} s function timeout), not ${providerTimeout.toHumanString()}.`,
      );
    }

    this.table = new ServiceTable(this, 'Payments').table;
    const tableEnvironment = { TABLE_NAME: this.table.tableName };
    const providerEnvironment = { ...tableEnvironment, PROVIDER_TIMEOUT_MS: String(providerTimeoutMs), ...breakerEnvironment(`PaymentsService '${id}': providerBreaker`, 'PROVIDER', props.providerBreaker) };

    this.chargeFunction = new ShopFunction(this, 'ChargePayment', {
      service: 'payments',
      entry: 'payments/entries/charge-payment.ts',
      description: 'Saga task: charge the order once through the payment provider',
      environment: providerEnvironment,
      timeout: PROVIDER_FUNCTION_TIMEOUT,
      version: props.version,
      traced: true,
    });
    this.table.grant(this.chargeFunction, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    this.refundFunction = new ShopFunction(this, 'RefundPayment', {
      service: 'payments',
      entry: 'payments/entries/refund-payment.ts',
      description: 'Saga compensation: refund (or void) the order payment once',
      environment: providerEnvironment,
      timeout: PROVIDER_FUNCTION_TIMEOUT,
      version: props.version,
      traced: true,
    });
    this.table.grant(this.refundFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');

    this.getPaymentFunction = new ShopFunction(this, 'GetPayment', {
      service: 'payments',
      entry: 'payments/entries/get-payment.ts',
      description: 'The payment of an order, for the orders service',
      environment: tableEnvironment,
      version: props.version,
    });
    this.table.grant(this.getPaymentFunction, 'dynamodb:GetItem');
  }
}
