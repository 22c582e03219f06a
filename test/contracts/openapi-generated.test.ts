import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EVENT_SCHEMA_DIR, generatedFiles, REPO_ROOT } from '../../lib/openapi/files';

/**
 * The checked-in API description and event schemas against the code they are
 * generated from. A suite of its own, apart from test/cdk/suites/openapi.ts (which
 * validates the checked-in document and matches it to the synthesized
 * template): it reads only the code, so the mutation run includes it and
 * leaves the slow rest out.
 */
describe('the API description (docs/openapi.json) and the event schemas', () => {
  it('is what `npm run openapi` generates from the code, and the event schemas too: nobody edits them by hand', () => {
    // Prepare
    const expected = generatedFiles();

    // Act
    const stale = [...expected].filter(([file, text]) => {
      try {
        return readFileSync(file, 'utf8') !== text;
      } catch {
        return true;
      }
    });
    const extra = readdirSync(EVENT_SCHEMA_DIR).map((name) => path.join(EVENT_SCHEMA_DIR, name)).filter((file) => !expected.has(file));

    // Assess
    expect({ stale: stale.map(([file]) => path.relative(REPO_ROOT, file)), extra: extra.map((file) => path.relative(REPO_ROOT, file)) }).toEqual({ stale: [], extra: [] });
  });
});
