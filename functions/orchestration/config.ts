import * as z from '../shared/zod';
import { readConfig } from '../shared/config';

/** Saga starter configuration, read once per cold start. */
export const loadOrchestrationConfig = () => readConfig(z.object({ STATE_MACHINE_ARN: z.string().check(z.minLength(1)) }));
