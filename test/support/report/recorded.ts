import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packageRoot } from '../../../src/util/paths.js';

/**
 * Run directories of REAL runs for the report tests (fixtures/histories/, recorded by
 * scripts/record-histories.mjs: real clusters run by the CLI, judged by the real checkers):
 *
 * | name | what it is |
 * |---|---|
 * | `pass` | exactly-once on 0.25.0 ×3 and 0.33.1 ×3 (both log formats): every check passes |
 * | `no-cluster` | the exactly-once control, 0.33.1 ×3 without peering: fails with duplicates |
 * | `mixed` | exactly-once on 0.33.1 ×3 and tsam:no-dedup ×3: a pass beside a fail |
 * | `partition` | split-brain on the netns runtime, 0.33.1 ×3: a partition, at-most-k, convergence |
 * | `latency-sweep` | latency-sweep on netns, 0.25.0 ×3: the sweep figures the report charts |
 * | `expected` | receiver-outage, 0.33.1 ×3: receiver faults and an expected failure (validity) |
 * | `markup` | exactly-once with labels that hold markup, quotes, newlines and non-ASCII text |
 * | `interrupted` | exactly-once on 0.33.1 and tsam, Ctrl-C during the second: an unknown scenario |
 */
export type RecordedRun = 'pass' | 'no-cluster' | 'mixed' | 'partition' | 'latency-sweep' | 'expected' | 'markup' | 'interrupted';

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

/**
 * Unpacks a recorded run into `<parent>/<dirName ?? name>` (history and logs un-gzipped), with
 * `startedAt` moved if asked (the runs index orders by it). Returns the run directory.
 */
export async function unpackRecordedRun(name: RecordedRun, parent: string, opts: { dirName?: string; startedAt?: string } = {}): Promise<string> {
  const from = join(packageRoot(), 'fixtures', 'histories', name);
  if (!(await stat(from).then((s) => s.isDirectory(), () => false))) throw new Error(`no recorded run ${name}: run node scripts/record-histories.mjs ${name}`);
  const dir = join(parent, opts.dirName ?? name);
  for (const f of await files(from)) {
    const rel = relative(from, f);
    const target = join(dir, rel.replace(/\.gz$/, ''));
    await mkdir(join(target, '..'), { recursive: true });
    const data = await readFile(f);
    await writeFile(target, rel.endsWith('.gz') ? gunzipSync(data) : data);
  }
  if (opts.startedAt) {
    const file = join(dir, 'summary.json');
    const s = JSON.parse(await readFile(file, 'utf8')) as { startedAt: string };
    s.startedAt = opts.startedAt;
    await writeFile(file, JSON.stringify(s, null, 2) + '\n');
  }
  return dir;
}
