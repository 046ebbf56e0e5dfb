#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci` via `prepare`).
// This entry point puts the pieces together: the CLI (dist/src/cli) and the built-in suites
// (dist/suites), which it hands to the CLI — the core under src/ never imports suites/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli/main.js', import.meta.url);
const suites = new URL('../dist/suites/index.js', import.meta.url);
if (!existsSync(fileURLToPath(cli)) || !existsSync(fileURLToPath(suites))) {
  process.stderr.write('amchaos: not built yet. Run `npm run build` (npm ci does it for you) and try again.\n');
  process.exit(254);
}
const { main } = await import(cli.href);
await main(async () => (await import(suites.href)).SUITES);
