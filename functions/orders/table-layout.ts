/**
 * Names in the orders table layout, shared by the CDK construct that
 * declares it and the adapter that queries it, so the two cannot drift.
 */

/** The index listing a user's orders by creation time: `gsi1pk` = user id, `gsi1sk` = `<createdAt>#<orderId>`. */
export const BY_USER_INDEX = 'byUser';

/**
 * The sparse index of orders still PENDING, oldest first: `gsi2pk` =
 * `PENDING` and `gsi2sk` = `<createdAt>#<orderId>` exist only while the order
 * is PENDING (every status change removes them), so the reconciler finds the
 * orders that may be stuck without reading the others. Keys only.
 */
export const PENDING_INDEX = 'pendingByAge';

/** The partition of {@link PENDING_INDEX}. */
export const PENDING_PARTITION = 'PENDING';
