import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SharedBundler } from '../../lib/constructs/esbuild-bundler';
import { FUNCTIONS_DIR } from '../../lib/constructs/shop-function';

describe('SharedBundler', () => {
  it("writes an ESM bundle whose source map is where its sourceMappingURL says (so stack traces name our TypeScript)", () => {
    // Prepare
    const outputDir = mkdtempSync(path.join(tmpdir(), 'bundle-test-'));
    const entry = path.join(FUNCTIONS_DIR, 'catalog', 'entries', 'get-prices.ts');

    // Act
    const bundled = SharedBundler.of(FUNCTIONS_DIR).localBundling(entry).tryBundle(outputDir, { image: undefined as never });

    // Assess
    expect(bundled).toBe(true);
    const code = readFileSync(path.join(outputDir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/export\s*\{\s*\w+ as handler\s*\}/);
    const mapFile = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
    expect(mapFile).toBeDefined();
    expect(existsSync(path.join(outputDir, String(mapFile)))).toBe(true);
    const map = JSON.parse(readFileSync(path.join(outputDir, String(mapFile)), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('functions/catalog/handlers/get-prices.ts'))).toBe(true);
  });
});
