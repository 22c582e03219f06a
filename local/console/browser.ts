/**
 * The headless Chromium the console's tests and screenshots drive: the
 * Debian package's (`apt-get install chromium`, which .ci/run installs when
 * it is missing), or the one `SHOP_CHROMIUM` names. playwright-core never
 * downloads a browser of its own.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where the browser is looked for when `SHOP_CHROMIUM` is not set. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** No Chromium where one was expected. */
export class ChromiumMissingError extends Error {
  public constructor(executable: string) {
    super(`No Chromium at ${executable}: install it (apt-get install chromium) or point SHOP_CHROMIUM at one.`);
    this.name = 'ChromiumMissingError';
  }
}

/** Launches headless Chromium. @throws {ChromiumMissingError} when there is none. */
export const launchChromium = async (): Promise<Browser> => {
  const executablePath = process.env.SHOP_CHROMIUM?.trim() || DEFAULT_CHROMIUM;
  if (!existsSync(executablePath)) throw new ChromiumMissingError(executablePath);
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
};
