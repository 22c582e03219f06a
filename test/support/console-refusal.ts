import { ConsoleRequestError } from '../../local/console/request-error';

/** The console's refusal of `work` (its status and message); fails when `work` succeeds or throws something else. */
export const refusalOf = async (work: () => Promise<unknown>): Promise<ConsoleRequestError> => {
  try {
    await work();
  } catch (error) {
    if (error instanceof ConsoleRequestError) return error;
    throw error;
  }
  throw new Error('expected a ConsoleRequestError');
};
