import * as z from '../shared/zod';
import { readConfig } from '../shared/config';

/** Catalog configuration, read once per cold start. */
export const loadCatalogConfig = () => readConfig(z.object({ TABLE_NAME: z.string().check(z.minLength(1)) }));
