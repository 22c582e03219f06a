import * as z from 'zod';
import { readConfig } from '../shared/config';

/** Inventory configuration, read once per cold start. */
export const loadInventoryConfig = () => readConfig(z.object({ TABLE_NAME: z.string().min(1) }));
