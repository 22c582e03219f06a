import { DEFAULT_MIX, planSoak, type MixRates, type PlanOptions } from '../../bench/soak/order-mix';
import { seededRandom } from '../../bench/soak/random';

const options = (rates: Partial<MixRates>): PlanOptions => ({ orders: 150, users: 6, products: 12, warmupOrders: 3, runId: 'test', rates: { ...DEFAULT_MIX, ...rates } });
const momentsOf = (plan: ReturnType<typeof planSoak>) => plan.orders.map((order) => order.cancel);

describe("the soak's plan", () => {
  it('cancels at least one order at every moment whose rate is not 0, however the draws fall', () => {
    // Prepare: a rate for 'before' that no draw will ever hit, none for 'during'
    const rates = { cancelBefore: 1e-12, cancelDuring: 0, cancelAfter: 0.06 };

    // Act
    const plans = [1, 2, 3, 2222133533].map((seed) => planSoak(seededRandom(seed), options(rates)));

    // Assess
    for (const plan of plans) {
      const moments = momentsOf(plan);
      expect(moments.filter((moment) => moment === 'before')).toHaveLength(1);
      expect(moments).not.toContain('during');
      expect(moments.filter((moment) => moment === 'after').length).toBeGreaterThanOrEqual(1);
      expect(plan.orders.map((order) => order.index)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    }
  });

  it('plans the same orders from the same seed', () => {
    expect(planSoak(seededRandom(2222133533), options({}))).toEqual(planSoak(seededRandom(2222133533), options({})));
  });
});
