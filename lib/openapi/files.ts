import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildOpenApiDocument } from './document';
import { buildEventSchemas } from './events';

/** The repository's root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where the API description is checked in: with the request collection and the event schemas, in docs/. */
export const OPENAPI_FILE = path.join(REPO_ROOT, 'docs', 'openapi.json');

/** Where the event schemas are checked in, one file per event version. */
export const EVENT_SCHEMA_DIR = path.join(REPO_ROOT, 'docs', 'events');

const asFile = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Every generated file and what it must contain, by absolute path. */
export const generatedFiles = (): Map<string, string> => {
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const files = new Map<string, string>([[OPENAPI_FILE, asFile(buildOpenApiDocument({ version }))]]);
  for (const { fileName, schema } of buildEventSchemas()) files.set(path.join(EVENT_SCHEMA_DIR, fileName), asFile(schema));
  return files;
};
