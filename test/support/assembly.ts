import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

type Resources = Record<string, unknown>;

/**
 * Edits the shop's templates in a synthesized assembly
 * (`ServerlessShop-<stage>-<part>.template.json`, whatever the stage) as if
 * they were one: `edit` gets every stack's resources by logical id (they are
 * unique across the stacks), changes or deletes some, and each change is
 * written back to the stack that holds the resource.
 * @throws when the assembly holds no shop template, or `edit` adds a resource (no stack would own it)
 */
export const editShopTemplates = <T extends { Resources: Resources }>(assemblyDir: string, edit: (template: T) => void): void => {
  const files = readdirSync(assemblyDir).filter((name) => /^ServerlessShop-[a-z][a-z0-9-]*-[A-Za-z]+\.template\.json$/.test(name));
  if (files.length === 0) throw new Error(`no ServerlessShop-<stage>-… template in ${assemblyDir}`);
  const templates = files.map((name) => {
    const file = path.join(assemblyDir, name);
    return { file, template: JSON.parse(readFileSync(file, 'utf8')) as { Resources: Resources } };
  });
  const merged = { Resources: Object.assign({}, ...templates.map(({ template }) => template.Resources)) as Resources } as T;
  edit(merged);
  const owned = new Set(templates.flatMap(({ template }) => Object.keys(template.Resources)));
  const added = Object.keys(merged.Resources).filter((id) => !owned.has(id));
  if (added.length > 0) throw new Error(`editShopTemplates: ${added.join(', ')} added; no stack would own it`);
  for (const { file, template } of templates) {
    template.Resources = Object.fromEntries(Object.keys(template.Resources).filter((id) => id in merged.Resources).map((id) => [id, merged.Resources[id]]));
    writeFileSync(file, JSON.stringify(template));
  }
};

/**
 * A copy of a synthesized assembly in a new temporary directory (named
 * `prefix…`; the caller removes it), its shop templates changed by `edit`
 * ({@link editShopTemplates}). The assembly copied is left as it was.
 */
export const editedCopy = <T extends { Resources: Resources }>(assemblyDir: string, prefix: string, edit: (template: T) => void): string => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cpSync(assemblyDir, dir, { recursive: true });
  editShopTemplates(dir, edit);
  return dir;
};
