import * as z from '../shared/zod';
import { readConfig } from '../shared/config';

/** Inventory configuration, read once per cold start. */
export const loadInventoryConfig = () => readConfig(z.object({ TABLE_NAME: z.string().check(z.minLength(1)) }));
