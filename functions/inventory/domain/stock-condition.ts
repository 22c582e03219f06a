/**
 * The stock condition of a reservation line: the product has stock and it
 * covers the quantity, so taking the quantity never leaves it negative. A
 * missing product covers nothing, not even 0 units.
 *
 * It is one rule in the two forms the repositories need: a predicate for
 * whatever holds the stock in memory, and the same predicate as the
 * condition of a DynamoDB update of the stock item. Both live here so they
 * change together; `test/adapters/stock-condition.test.ts` proves on
 * DynamoDB Local that they agree around every boundary.
 */
export const stockCovers = (stock: number | undefined, quantity: number): boolean => stock !== undefined && stock >= quantity;

/**
 * {@link stockCovers} as a DynamoDB `ConditionExpression` on a stock item
 * (`pk`, `stock`), with the quantity in the placeholder `quantity` (e.g. `:q`).
 */
export const stockCoversCondition = (quantity: `:${string}`): string => `attribute_exists(pk) AND stock >= ${quantity}`;
