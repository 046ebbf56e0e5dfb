// `npm pack` / `npm publish` ship the built dist/, so the published package needs no build script:
// prepack strips `prepare` from package.json (a registry or tarball install then runs no script and
// npm has nothing to list for review), postpack puts it back (a git checkout or a git-URL install
// still builds, and npm still lists that build for the user's review). The same move as pinst.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package.json', import.meta.url);
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const mode = process.argv[2];
if (mode !== 'strip' && mode !== 'restore') throw new Error('usage: publish-manifest.mjs strip|restore');
const [from, to] = mode === 'strip' ? ['prepare', '_prepare'] : ['_prepare', 'prepare'];
// Renamed in place, so the restored file is the one that was packed, byte for byte.
pkg.scripts = Object.fromEntries(Object.entries(pkg.scripts).map(([k, v]) => [k === from ? to : k, v]));
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
