/** Jest transformer: esbuild TypeScript/ESM → CommonJS with inline source maps. */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const loader = /\.[cm]?ts$/.test(filename) ? 'ts' : 'js';
    const { code, map } = transformSync(source, {
      loader,
      format: 'cjs',
      target: 'node20',
      sourcemap: 'both',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
