import * as z from 'zod';
import { readConfig } from '../shared/config';

/** Catalog configuration, read once per cold start. */
export const loadCatalogConfig = () => readConfig(z.object({ TABLE_NAME: z.string().min(1) }));
