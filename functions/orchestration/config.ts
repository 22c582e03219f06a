import * as z from 'zod';
import { readConfig } from '../shared/config';

/** Saga starter configuration, read once per cold start. */
export const loadOrchestrationConfig = () => readConfig(z.object({ STATE_MACHINE_ARN: z.string().min(1) }));
