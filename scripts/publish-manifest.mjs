// `npm pack` / `npm publish` ship the built dist/, so the published package needs no build script:
// prepack strips `prepare` from package.json (a registry or tarball install then runs no script and
// npm has nothing to list for review), postpack puts it back (a git checkout or a git-URL install
// still builds, and npm still lists that build for the user's review). The same move as pinst.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package.json', import.meta.url);
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const mode = process.argv[2];
if (mode === 'strip' && pkg.scripts.prepare !== undefined) {
  pkg.scripts._prepare = pkg.scripts.prepare;
  delete pkg.scripts.prepare;
} else if (mode === 'restore' && pkg.scripts._prepare !== undefined) {
  pkg.scripts.prepare = pkg.scripts._prepare;
  delete pkg.scripts._prepare;
} else if (mode !== 'strip' && mode !== 'restore') {
  throw new Error('usage: publish-manifest.mjs strip|restore');
}
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
