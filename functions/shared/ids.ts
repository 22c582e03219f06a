import { randomUUID } from 'node:crypto';

/** A new random id (UUID v4). */
export const newId = (): string => randomUUID();
