import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EVENT_SCHEMA_DIR, generatedFiles, REPO_ROOT } from '../lib/openapi/files';

/**
 * npm run openapi: writes docs/openapi.json and docs/events/<Event>.v<N>.json
 * from the route tables, the zod schemas and the event contracts. The files
 * are checked in; test/contracts/openapi-generated.test.ts fails when they are stale.
 */
const files = generatedFiles();
mkdirSync(EVENT_SCHEMA_DIR, { recursive: true });
for (const name of readdirSync(EVENT_SCHEMA_DIR)) {
  const file = path.join(EVENT_SCHEMA_DIR, name);
  if (name.endsWith('.json') && !files.has(file)) rmSync(file);
}
for (const [file, text] of files) {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${path.relative(REPO_ROOT, file)}\n`);
}
