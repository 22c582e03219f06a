import { readFileSync } from 'node:fs';

/** `cdk deploy --outputs-file`: stack name → output key → value. */
export type StackOutputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The shop's stack names: `ServerlessShop` (one stack), or `ServerlessShop-<stage>-<Part>` (a stage of several stacks). */
const SHOP_STACK = /^ServerlessShop(?:-([A-Za-z0-9]+))?(?:-[A-Za-z0-9-]+)?$/;

/** An output could not be read from the outputs file. */
export class StackOutputError extends Error {
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'StackOutputError';
  }
}

/** Reads a `cdk deploy --outputs-file` file. */
export const readStackOutputs = (file: string): StackOutputs => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StackOutputError(`Cannot read ${file}: deploy with 'npm run deploy' (it writes the outputs there), or pass the URL.`, { cause: error });
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new StackOutputError(`${file} is not a CDK outputs file (an object of stacks).`);
  return parsed as StackOutputs;
};

/**
 * The value of output `key`, from whichever stack has it: the stacks are
 * split by service in a stage, so no stack name is hard-coded. With `stage`,
 * only that stage's stacks count (`ServerlessShop-<stage>-…`; the single
 * `ServerlessShop` stack of a stage-less app counts when it is alone). More
 * than one candidate is an error naming them, never a guess.
 */
export const findStackOutput = (outputs: StackOutputs, key: string, stage?: string): { readonly stack: string; readonly value: string } => {
  const candidates = Object.entries(outputs).filter(([, values]) => typeof values?.[key] === 'string' && values[key] !== '');
  const stageOf = (stack: string): string | undefined => {
    const match = SHOP_STACK.exec(stack);
    return match && stack !== 'ServerlessShop' ? match[1] : undefined;
  };
  let chosen = candidates;
  if (stage !== undefined) {
    chosen = candidates.filter(([stack]) => stageOf(stack) === stage);
    if (chosen.length === 0 && candidates.length === 1 && candidates[0][0] === 'ServerlessShop') chosen = candidates;
  }
  if (chosen.length === 1) return { stack: chosen[0][0], value: chosen[0][1][key] };
  const where = stage === undefined ? '' : ` of stage '${stage}'`;
  if (chosen.length === 0) {
    const others = candidates.map(([stack]) => stack).join(', ');
    throw new StackOutputError(`No stack${where} has an output '${key}'${others ? ` (these do: ${others})` : ''}.`);
  }
  throw new StackOutputError(`Several stacks${where} have an output '${key}' (${chosen.map(([stack]) => stack).join(', ')}): pass --stage to choose.`);
};
