/**
 * Names in the orders table layout, shared by the CDK construct that
 * declares it and the adapter that queries it, so the two cannot drift.
 */

/** The index listing a user's orders by creation time: `gsi1pk` = user id, `gsi1sk` = `<createdAt>#<orderId>`. */
export const BY_USER_INDEX = 'byUser';

/**
 * The sparse index of the orders the reconciler must look at, oldest first:
 * those still PENDING, and those whose owner asked to cancel them and that
 * are not cancelled yet (CONFIRMED ones included). `gsi2pk` = `PENDING` and
 * `gsi2sk` = `<time>#<orderId>`, the time being the cancellation request's if
 * there is one, else the order's creation; they exist only while the order
 * needs looking at, so the reconciler finds the orders that may be stuck
 * without reading the others: a global secondary index holds only the items
 * that have its key attributes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html).
 * Keys only.
 */
export const PENDING_INDEX = 'pendingByAge';

/** The partition of {@link PENDING_INDEX}. */
export const PENDING_PARTITION = 'PENDING';
