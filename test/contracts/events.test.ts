import { AllEvents } from '../../functions/shared/contracts/events';
import {
  compensationFailedDetail,
  orderCancelledDetail,
  orderConfirmedDetail,
  orderPlacedDetail,
  orderShippedDetail,
  shipmentDeliveredDetail,
  stockChangedDetail,
} from '../fixtures/events';

const fixtures: Record<string, unknown> = {
  OrderPlaced: orderPlacedDetail,
  OrderConfirmed: orderConfirmedDetail,
  OrderCancelled: orderCancelledDetail,
  CompensationFailed: compensationFailedDetail,
  OrderShipped: orderShippedDetail,
  ShipmentDelivered: shipmentDeliveredDetail,
  StockChanged: stockChangedDetail,
};

describe('event contracts', () => {
  it('has exactly one fixture per contract', () => {
    expect(Object.keys(fixtures).sort()).toEqual(AllEvents.map((c) => c.detailType).sort());
  });

  it.each(AllEvents.map((c) => [c.detailType, c] as const))('%s: is versioned, sourced from a shop service, and accepts its fixture', (detailType, contract) => {
    expect(contract.version).toMatch(/^\d+$/);
    expect(contract.source).toMatch(/^shop\.[a-z]+$/);
    expect(contract.detail.safeParse(fixtures[detailType]).success).toBe(true);
  });

  it.each(AllEvents.map((c) => [c.detailType, c] as const))('%s: rejects another version and a detail without metadata', (detailType, contract) => {
    const fixture = fixtures[detailType] as { metadata: object; data: object };
    expect(contract.detail.safeParse({ ...fixture, metadata: { ...fixture.metadata, version: '99' } }).success).toBe(false);
    expect(contract.detail.safeParse({ data: fixture.data }).success).toBe(false);
  });

  it('keeps money in integer minor units', () => {
    const [orderPlaced] = AllEvents;
    const withFloat = { ...orderPlacedDetail, data: { ...orderPlacedDetail.data, total: { amount: 29.99, currency: 'EUR' } } };
    expect(orderPlaced.detail.safeParse(withFloat).success).toBe(false);
  });

  it('StockChanged: refuses negative or fractional units and a version that is not a positive count', () => {
    // Prepare
    const contract = AllEvents.find((c) => c.detailType === 'StockChanged');
    const withData = (data: object) => ({ ...stockChangedDetail, data: { ...stockChangedDetail.data, ...data } });

    // Act
    const verdicts = [{ available: -1 }, { available: 1.5 }, { version: 0 }, { version: 2.5 }, { productId: '../x' }].map(
      (data) => contract?.detail.safeParse(withData(data)).success,
    );

    // Assess
    expect(verdicts).toEqual([false, false, false, false, false]);
  });
});
