import { TransientError } from '../../shared/errors';
import { ProviderUnavailableError } from '../ports/payment-provider';

/** Runs a provider call; the provider being unavailable is a retryable error for the saga. */
export const callProvider = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProviderUnavailableError) throw new TransientError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
};
