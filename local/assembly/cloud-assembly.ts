import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A resource of a CloudFormation template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}

/** A synthesized CloudFormation template. */
export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Description?: string; readonly Export?: { readonly Name?: unknown } }>;
  readonly Parameters?: Record<string, { readonly Type: string; readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

/** One stack of the assembly, with where its assets are on disk. */
export interface AssemblyStack {
  readonly name: string;
  readonly template: Template;
  /** The stacks this one depends on (deployed before it), by name. */
  readonly dependencies: readonly string[];
  /** Directory of a resource's asset (e.g. a Lambda bundle), from its `aws:asset:path` metadata. */
  assetPath(logicalId: string): string | undefined;
}

/** The cloud assembly cannot be read or has what the local cloud cannot run. */
export class CloudAssemblyError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CloudAssemblyError';
  }
}

interface Manifest {
  readonly artifacts?: Record<string, { readonly type: string; readonly dependencies?: readonly string[]; readonly properties?: { readonly templateFile?: string } }>;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CloudAssemblyError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
};

/**
 * Reads the stacks of a synthesized cloud assembly (`cdk.out`): the same
 * templates and asset bundles `cdk deploy` would upload.
 */
export const readCloudAssembly = (dir: string): AssemblyStack[] => {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new CloudAssemblyError(`No cloud assembly in ${dir}: run 'npx cdk synth' first (npm start does it for you).`);
  }
  const manifest = readJson(manifestFile) as Manifest;
  const stackArtifacts = Object.entries(manifest.artifacts ?? {}).filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack');
  const stackNames = new Set(stackArtifacts.map(([name]) => name));
  return stackArtifacts
    .map(([name, artifact]) => {
      const templateFile = artifact.properties?.templateFile;
      if (!templateFile) throw new CloudAssemblyError(`Stack ${name} in ${manifestFile} names no template file.`);
      const template = readJson(path.join(dir, templateFile)) as Template;
      if (typeof template !== 'object' || template === null || typeof template.Resources !== 'object') {
        throw new CloudAssemblyError(`${templateFile} is not a CloudFormation template with Resources.`);
      }
      return {
        name,
        template,
        // Asset artifacts (bundles to upload) are dependencies too; only stacks order a deployment.
        dependencies: (artifact.dependencies ?? []).filter((dependency) => stackNames.has(dependency)),
        assetPath: (logicalId: string) => {
          const assetPath = template.Resources[logicalId]?.Metadata?.['aws:asset:path'];
          return typeof assetPath === 'string' ? path.resolve(dir, assetPath) : undefined;
        },
      };
    });
};
