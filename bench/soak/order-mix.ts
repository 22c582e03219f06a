import type { Random } from './random';

/** What `POST /orders` takes, as the README documents it. */
export interface OrderRequest {
  readonly items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>;
  readonly paymentToken: string;
  readonly shippingAddress: {
    readonly name: string;
    readonly line1: string;
    readonly city: string;
    readonly postalCode: string;
    readonly country: string;
  };
}

/** A product the soak creates, with the stock it starts with. */
export interface SoakProduct {
  readonly id: string;
  readonly name: string;
  readonly price: { readonly amount: number; readonly currency: string };
  readonly initialStock: number;
}

/**
 * How the soak sends an order a second time with the same Idempotency-Key:
 * `concurrent` fires both at once (the key's race), `sequential` repeats the
 * request after the first answered (a client retry).
 */
export type Duplication = 'none' | 'concurrent' | 'sequential';

/**
 * When the soak's shopper cancels an order: `before` right after it is
 * accepted (the saga has most likely not started), `during` a random moment
 * later (somewhere in the saga), `after` once it is seen CONFIRMED — and when
 * the order is also to be shipped, at the same moment as the carrier ships
 * it, so the two race for the shipment.
 */
export type CancelMoment = 'none' | 'before' | 'during' | 'after';

/** One order of the soak, decided before the run. */
export interface PlannedOrder {
  /** Position in the plan, from 0. */
  readonly index: number;
  /** Index of the user who places it. */
  readonly user: number;
  /** Sent with every attempt of this order, so retries and duplicates name one order. */
  readonly idempotencyKey: string;
  readonly request: OrderRequest;
  readonly duplication: Duplication;
  /** Once confirmed, the soak ships it (as a carrier), then delivers it if `deliver`. */
  readonly ship: boolean;
  /** Once confirmed (and shipped, if `ship`), the soak marks its shipment delivered (as admin), and does it twice when `deliverTwice`. */
  readonly deliver: boolean;
  readonly deliverTwice: boolean;
  /** When its owner cancels it, if ever. */
  readonly cancel: CancelMoment;
  /** For `cancel: 'during'`: how long after the order was accepted. */
  readonly cancelAfterMs: number;
}

/** The share of each input in the mix; every rate is a probability per order. */
export interface MixRates {
  /** `tok_decline`: CANCELLED(PAYMENT_DECLINED). @default 0.1 */
  readonly decline: number;
  /** `tok_insufficient_funds`: CANCELLED(PAYMENT_DECLINED). @default 0.03 */
  readonly insufficientFunds: number;
  /** `tok_flaky`: the first charge attempt fails transiently, the saga retries. @default 0.05 */
  readonly flaky: number;
  /** Country `AQ`: CANCELLED(SHIPPING_UNAVAILABLE) after a refund. @default 0.08 */
  readonly unserved: number;
  /** Sent twice with the same Idempotency-Key. @default 0.1 */
  readonly duplicate: number;
  /** Delivered once confirmed. @default 0.2 */
  readonly deliver: number;
  /** Shipped once confirmed (then delivered, if drawn). @default 0.2 */
  readonly ship: number;
  /** Cancelled by its owner right after it is accepted. @default 0.04 */
  readonly cancelBefore: number;
  /** Cancelled by its owner 0-1.5 s after it is accepted, while its saga runs. @default 0.05 */
  readonly cancelDuring: number;
  /** Cancelled by its owner once confirmed (racing the carrier when it is shipped too). @default 0.06 */
  readonly cancelAfter: number;
  /**
   * Initial stock of each product as a share of the units the plan asks for
   * it: below 1, the catalog is short of demand. @default 0.6
   */
  readonly stockRatio: number;
}

/** @see MixRates */
export const DEFAULT_MIX: MixRates = {
  decline: 0.1,
  insufficientFunds: 0.03,
  flaky: 0.05,
  unserved: 0.08,
  duplicate: 0.1,
  deliver: 0.2,
  ship: 0.2,
  cancelBefore: 0.04,
  cancelDuring: 0.05,
  cancelAfter: 0.06,
  stockRatio: 0.6,
};

const cancelMomentFor = (random: Random, rates: MixRates): CancelMoment => {
  const draw = random.next();
  if (draw < rates.cancelBefore) return 'before';
  if (draw < rates.cancelBefore + rates.cancelDuring) return 'during';
  if (draw < rates.cancelBefore + rates.cancelDuring + rates.cancelAfter) return 'after';
  return 'none';
};

/** Tokens the payment simulator declines (README, "Making an order fail, on purpose"). */
export const DECLINING_TOKENS: readonly string[] = ['tok_decline', 'tok_insufficient_funds'];

/** The country the carrier does not serve. */
export const UNSERVED_COUNTRY = 'AQ';

const SERVED_COUNTRIES = ['US', 'DE', 'FR', 'GB', 'NL', 'ES', 'IT'];

/** The whole plan: catalog and orders. */
export interface SoakPlan {
  /** The catalog, the warm-up product last. */
  readonly products: readonly SoakProduct[];
  /**
   * Placed before the measured orders, without faults, on a product of their
   * own stocked for all of them: they start the functions' execution
   * environments, so cold starts do not count in the latency figures. They
   * are checked like every other order.
   */
  readonly warmup: readonly PlannedOrder[];
  readonly orders: readonly PlannedOrder[];
}

/** What {@link planSoak} needs. */
export interface PlanOptions {
  readonly orders: number;
  readonly users: number;
  /** Distinct products in the catalog. */
  readonly products: number;
  /** Warm-up orders (see {@link SoakPlan.warmup}). */
  readonly warmupOrders: number;
  /** Prefix of product ids and Idempotency-Keys, unique per run. */
  readonly runId: string;
  readonly rates: MixRates;
}

const tokenFor = (random: Random, rates: MixRates): string => {
  const draw = random.next();
  if (draw < rates.decline) return 'tok_decline';
  if (draw < rates.decline + rates.insufficientFunds) return 'tok_insufficient_funds';
  if (draw < rates.decline + rates.insufficientFunds + rates.flaky) return 'tok_flaky';
  return 'tok_visa';
};

/**
 * Draws the catalog and the orders. The warm-up orders take one unit of the
 * warm-up product each; the first goes to the unserved country (so the
 * refund and release functions start too), the second is shipped and
 * delivered, the third cancelled once confirmed. Each cancellation moment
 * whose rate is not 0 is planned for at least one order. Each order has 1-3 distinct products of
 * 1-3 units; the catalog's stock is then set to `stockRatio` of what the
 * orders ask for, rounded down, so the shop runs out while orders are still
 * arriving and some end OUT_OF_STOCK.
 */
export const planSoak = (random: Random, options: PlanOptions): SoakPlan => {
  const ids = Array.from({ length: options.products }, (_, i) => `soak-${options.runId}-p${i + 1}`);
  const demand = new Map<string, number>(ids.map((id) => [id, 0]));
  const orders: PlannedOrder[] = [];
  for (let index = 0; index < options.orders; index += 1) {
    const items = random.sample(ids, random.int(1, 3)).map((productId) => ({ productId, quantity: random.int(1, 3) }));
    for (const item of items) demand.set(item.productId, (demand.get(item.productId) ?? 0) + item.quantity);
    const user = random.int(0, options.users - 1);
    const duplicate = random.chance(options.rates.duplicate);
    const deliver = random.chance(options.rates.deliver);
    const ship = random.chance(options.rates.ship);
    const cancel = cancelMomentFor(random, options.rates);
    const cancelAfterMs = random.int(0, 1500);
    orders.push({
      index,
      user,
      idempotencyKey: `soak-${options.runId}-${index}`,
      request: {
        items,
        paymentToken: tokenFor(random, options.rates),
        shippingAddress: {
          name: `Soak Shopper ${user + 1}`,
          line1: `${index + 1} Chaos Street`,
          city: 'Springfield',
          postalCode: String(10000 + index),
          country: random.chance(options.rates.unserved) ? UNSERVED_COUNTRY : random.pick(SERVED_COUNTRIES),
        },
      },
      duplication: duplicate ? (random.chance(0.5) ? 'concurrent' : 'sequential') : 'none',
      ship,
      deliver,
      deliverTwice: deliver && random.chance(0.25),
      cancel,
      cancelAfterMs,
    });
  }
  // Every moment with a rate at least once, so that every run cancels before, during and after a saga:
  // drawn alone at 4 %, one plan of 150 orders in about 450 would have no cancellation before its saga.
  // (A plan that has them all draws nothing more, so the seeds of earlier runs plan what they planned.)
  const moments = [['before', options.rates.cancelBefore], ['during', options.rates.cancelDuring], ['after', options.rates.cancelAfter]] as const;
  for (const [moment, rate] of moments) {
    if (rate <= 0 || orders.some((order) => order.cancel === moment)) continue;
    const spare = orders.filter((order) => order.cancel === 'none');
    if (spare.length === 0) break;
    const chosen = random.pick(spare);
    orders[chosen.index] = { ...chosen, cancel: moment };
  }
  const products: SoakProduct[] = ids.map((id, i) => ({
    id,
    name: `Soak product ${i + 1}`,
    price: { amount: random.int(150, 5000), currency: 'EUR' },
    initialStock: Math.floor((demand.get(id) ?? 0) * options.rates.stockRatio),
  }));
  const warmupProduct = `soak-${options.runId}-warmup`;
  const warmup = Array.from({ length: options.warmupOrders }, (_, index): PlannedOrder => ({
    index,
    user: index % options.users,
    idempotencyKey: `soak-${options.runId}-warmup-${index}`,
    request: {
      items: [{ productId: warmupProduct, quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: {
        name: 'Soak Warm-up',
        line1: `${index + 1} Warm-up Road`,
        city: 'Springfield',
        postalCode: '12345',
        country: index === 0 ? UNSERVED_COUNTRY : 'US',
      },
    },
    duplication: 'none',
    ship: index === 1,
    deliver: index === 1,
    deliverTwice: false,
    // The third is cancelled once confirmed, so the cancellation's functions and state machine start too.
    cancel: index === 2 ? 'after' : 'none',
    cancelAfterMs: 0,
  }));
  products.push({ id: warmupProduct, name: 'Soak warm-up', price: { amount: 100, currency: 'EUR' }, initialStock: options.warmupOrders });
  return { products, warmup, orders };
};
