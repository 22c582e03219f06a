import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Where a running local cloud tells tools (`npm run token`, tests) how to reach it. */
export const STATE_FILE = path.join(process.cwd(), '.local-cloud', 'state.json');

/** What a running local cloud publishes about itself. */
export interface LocalCloudState {
  readonly pid: number;
  readonly apiUrl: string;
  readonly awsEndpointUrl: string;
  readonly controlUrl: string;
  readonly startedAt: string;
}

export const writeState = (state: LocalCloudState, file = STATE_FILE): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
};

export const readState = (file = STATE_FILE): LocalCloudState | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalCloudState) : undefined;

export const removeState = (file = STATE_FILE): void => rmSync(file, { force: true });
