import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod's mini API (`zod/mini`), with English messages: every schema of the
 * functions is built with it (`import * as z from '…/shared/zod'`).
 *
 * Why mini: the same core, checks and messages as zod's classic API, without
 * the methods on every schema, so a bundle loads about a fifth of the code
 * (issue 11: cold start). Why this module: classic zod sets English messages
 * when its first schema is built, mini sets none (every issue would read
 * "Invalid input"), so importing zod through here sets them before a schema
 * exists. `en` comes from `zod/locales` by name, which esbuild tree-shakes
 * to that one locale (`z.locales.en` would bundle all of them).
 */
config(en());

export * from 'zod/mini';
