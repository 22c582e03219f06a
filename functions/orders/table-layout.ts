/**
 * Names in the orders table layout, shared by the CDK construct that
 * declares it and the adapter that queries it, so the two cannot drift.
 */

/** The index listing a user's orders by creation time: `gsi1pk` = user id, `gsi1sk` = `<createdAt>#<orderId>`. */
export const BY_USER_INDEX = 'byUser';
