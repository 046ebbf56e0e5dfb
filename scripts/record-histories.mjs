// Records the run directories the report tests render (fixtures/histories/<name>/): real clusters,
// run by the CLI as a user runs them, judged by the real checkers — never invented results.
// History and logs are stored gzipped (test/support/report/recorded.ts unpacks them). Needs root
// (the partition and latency runs use the netns runtime) and the versions `.ci/setup` fetches.
//
//   node scripts/record-histories.mjs            # every fixture
//   node scripts/record-histories.mjs pass markup  # some
//   node scripts/record-histories.mjs --rejudge  # re-judge the stored ones with today's checkers
//   node scripts/record-histories.mjs --rejudge restart-stale  # re-judge some
//
// `restart-stale` is not in FIXTURES: it was captured from a test run (a fresh clone's `npm test`),
// where a timing race made n1 send a stale firing; no seed brings that race back on demand.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'fixtures', 'histories');
const bin = join(root, 'bin', 'amchaos.js');

/** name → the `amchaos run` arguments (a fixed seed; info logs unless the fixture says: small and replayable). */
const FIXTURES = {
  pass: ['--suite', 'exactly-once', '--versions', '0.25.0,0.33.1', '--seed', '101'],
  'no-cluster': ['--suite', 'exactly-once', '--versions', '0.33.1', '--no-cluster', '--seed', '102'],
  partition: ['--suite', 'split-brain', '--runtime', 'netns', '--versions', '0.33.1', '--seed', '103'],
  'latency-sweep': ['--suite', 'latency-sweep', '--runtime', 'netns', '--versions', '0.25.0', '--seed', '104'],
  expected: ['--suite', 'receiver-outage', '--versions', '0.33.1', '--seed', '105'],
  // Labels with markup, quotes, newlines, control characters and non-ASCII text, in duplicates (no
  // cluster: every node notifies) from both log formats (0.25.0 logfmt, 0.33.1 slog), with debug
  // logs so the evidence has log lines around it.
  markup: ['--suite', 'exactly-once', '--versions', '0.25.0,0.33.1', '--no-cluster', '--alerts', 'fixtures/alerts/markup.yaml', '--log-level', 'debug', '--seed', '106'],
  // Process faults: a node killed and restarted (storage kept, then wiped), one paused and resumed.
  restart: ['--suite', 'restart', '--versions', '0.33.1', '--seed', '109'],
  // Two clusters, Ctrl-C during the second: a run that stopped early (its second scenario unknown).
  interrupted: ['--suite', 'exactly-once', '--versions', '0.33.1,tsam', '--seed', '107'],
  // A healthy cluster and one broken on purpose: a pass beside a fail with duplicates.
  mixed: ['--suite', 'exactly-once', '--versions', '0.33.1,tsam:no-dedup', '--seed', '108'],
};
/** Fixtures whose run is interrupted (SIGINT) this many ms after it starts. */
const INTERRUPT_AFTER_MS = { interrupted: 20_000 };

function files(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/** Keeps summary.json as it is; gzips history.jsonl and the node logs; drops what the report re-renders. */
function store(name, runDir) {
  const dest = join(out, name);
  rmSync(dest, { recursive: true, force: true });
  for (const f of files(runDir)) {
    const rel = relative(runDir, f);
    if (rel === 'index.html' || rel === 'junit.xml' || rel.startsWith('.')) continue;
    const target = join(dest, rel === 'summary.json' ? rel : `${rel}.gz`);
    mkdirSync(join(target, '..'), { recursive: true });
    const data = readFileSync(f);
    writeFileSync(target, rel === 'summary.json' ? data : gzipSync(data, { level: 9 }));
  }
}

const args = process.argv.slice(2);
if (args.includes('--rejudge')) {
  const only = args.filter((a) => a !== '--rejudge');
  const stored = readdirSync(out).filter((n) => statSync(join(out, n)).isDirectory());
  for (const name of only.length > 0 ? only : stored) {
    if (!stored.includes(name)) throw new Error(`no stored fixture ${name}; stored: ${stored.join(', ')}`);
    const work = mkdtempSync(join(tmpdir(), 'amchaos-rejudge-'));
    const dir = join(work, name);
    for (const f of files(join(out, name))) {
      const rel = relative(join(out, name), f);
      const target = join(dir, rel.replace(/\.gz$/, ''));
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, rel.endsWith('.gz') ? gunzipSync(readFileSync(f)) : readFileSync(f));
    }
    const r = spawnSync(process.execPath, [bin, 'check', dir], { stdio: 'inherit' });
    if (r.status === 254) process.exit(254);
    rmSync(join(dir, 'summary.previous.json'), { force: true });
    store(name, dir);
    rmSync(work, { recursive: true, force: true });
  }
} else {
  const names = args.length > 0 ? args : Object.keys(FIXTURES);
  for (const name of names) {
    const a = FIXTURES[name];
    if (!a) throw new Error(`unknown fixture ${name}; fixtures: ${Object.keys(FIXTURES).join(', ')}`);
    const work = mkdtempSync(join(tmpdir(), 'amchaos-record-'));
    const runDir = join(work, name);
    const interruptAfter = INTERRUPT_AFTER_MS[name];
    const level = a.includes('--log-level') ? [] : ['--log-level', 'info'];
    const r = spawnSync(
      process.execPath,
      interruptAfter === undefined
        ? [bin, 'run', ...a, ...level, '--out', runDir]
        : ['-e', `const c = require('node:child_process').spawn(process.execPath, ${JSON.stringify([bin, 'run', ...a, ...level, '--out', runDir])}, { stdio: 'inherit' }); setTimeout(() => c.kill('SIGINT'), ${interruptAfter}); c.on('exit', (code) => process.exit(code ?? 1));`],
      { cwd: root, stdio: 'inherit' },
    );
    const expected = interruptAfter === undefined ? [0, 1] : [130];
    if (!expected.includes(r.status)) throw new Error(`${name}: amchaos run exited ${r.status}`);
    store(name, runDir);
    rmSync(work, { recursive: true, force: true });
    process.stdout.write(`recorded ${name} (exit ${r.status})\n`);
  }
}
