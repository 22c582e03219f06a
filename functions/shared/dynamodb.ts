/** True if DynamoDB refused a write because its condition did not hold. */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * Cancellation reasons of a failed TransactWriteItems, one per item in
 * request order (`None` where that item was fine).
 */
export const transactionCancellationReasons = (error: unknown): string[] | undefined => {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  return reasons?.map((r) => r.Code ?? 'None') ?? [];
};
