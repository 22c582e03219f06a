/**
 * Names in the catalog table layout, shared by the CDK construct that
 * declares it and the adapter that queries it, so the two cannot drift.
 *
 * Items are keyed by `pk` = product id. Both indexes are sparse: they hold
 * products only, not the availability a product's item may hold before the
 * product is created or after it is deleted, and both sort by `id`, which
 * never changes, so a listing's order is stable under pagination.
 */

/** Every product, by id: `listing` = {@link LISTING_PARTITION}, sort key `id`. */
export const LISTING_INDEX = 'listing';

/** The one partition of {@link LISTING_INDEX}. */
export const LISTING_PARTITION = 'PRODUCT';

/** Products of one category, by id: partition key `category`, sort key `id`. */
export const CATEGORY_INDEX = 'byCategory';
