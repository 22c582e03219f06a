import { DynamoDbInventoryRepository } from '../../functions/inventory/adapters/dynamodb-inventory-repository';
import type { Reservation } from '../../functions/inventory/domain/inventory';
import { stockCovers } from '../../functions/inventory/domain/stock-condition';
import type { InventoryRepository } from '../../functions/inventory/ports/inventory-repository';
import { InMemoryInventoryRepository, stockLevel } from '../fakes/inventory-repository';
import { createTestTable, testDocumentClient } from '../support/dynamodb';

/** Stock on hand (undefined: the product has none) and the quantity one line asks for. */
const CASES: ReadonlyArray<{ readonly stock: number | undefined; readonly quantity: number; readonly covered: boolean }> = [
  { stock: undefined, quantity: 1, covered: false },
  { stock: 0, quantity: 1, covered: false },
  { stock: 4, quantity: 5, covered: false },
  { stock: 5, quantity: 5, covered: true },
  { stock: 6, quantity: 5, covered: true },
  { stock: 1_000_000, quantity: 1_000, covered: true },
];

const reservationOf = (productId: string, quantity: number): Reservation => ({
  orderId: `order-${productId}`,
  executionId: 'exec-1',
  lines: [{ productId, quantity }],
  status: 'RESERVED',
  reservedAt: '2026-03-01T12:00:00.000Z',
});

/** Reserves each case's line in a repository holding the case's stock; what it answers and what stock is left. */
const outcomes = async (repository: InventoryRepository) =>
  Promise.all(
    CASES.map(async ({ stock, quantity }, i) => {
      const productId = `p-${i}`;
      if (stock !== undefined) await repository.putStock(stockLevel(productId, stock));
      const result = await repository.reserve(reservationOf(productId, quantity));
      return { kind: result.kind, left: (await repository.getStock(productId))?.stock };
    }),
  );

const expected = CASES.map(({ stock, quantity, covered }) =>
  covered ? { kind: 'reserved', left: (stock ?? 0) - quantity } : { kind: 'outOfStock', left: stock },
);

describe('the stock condition, one rule for DynamoDB and for memory', () => {
  it('covers a quantity only when stock exists and is at least the quantity', () => {
    expect(CASES.map(({ stock, quantity }) => stockCovers(stock, quantity))).toEqual(CASES.map((c) => c.covered));
  });

  it('decides on DynamoDB Local exactly as the predicate does, and never leaves stock negative', async () => {
    // Prepare
    const client = testDocumentClient();
    const repository = new DynamoDbInventoryRepository(await createTestTable(), client);

    // Act
    const results = await outcomes(repository).finally(() => client.destroy());

    // Assess
    expect(results).toEqual(expected);
  });

  it('decides in the in-memory repository the unit tests use exactly as on DynamoDB Local', async () => {
    expect(await outcomes(new InMemoryInventoryRepository())).toEqual(expected);
  });
});
