/**
 * The Lambda resource's Metadata key naming its entry file (relative to
 * `functions/`): what `npm start -- --watch` rebuilds the function from.
 * CloudFormation and Lambda ignore Metadata. A module of its own so the local
 * cloud reads it without loading the CDK.
 */
export const SHOP_ENTRY_METADATA = 'shop:entry';
