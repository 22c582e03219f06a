import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The template file of the shop's stack in a synthesized assembly
 * (`ServerlessShop-<stage>.template.json`), whatever the stage.
 * @throws when the assembly holds no such template, or more than one
 */
export const shopTemplateFile = (assemblyDir: string): string => {
  const files = readdirSync(assemblyDir).filter((name) => /^ServerlessShop-[a-z][a-z0-9-]*\.template\.json$/.test(name));
  if (files.length !== 1) throw new Error(`expected one ServerlessShop-<stage> template in ${assemblyDir}, found ${files.length === 0 ? 'none' : files.join(', ')}`);
  return path.join(assemblyDir, files[0] ?? '');
};
