import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackRecordedRun } from '../../test/support/report/recorded.js';
import type { RunSummary } from '../summary/summary.js';
import { parseHistory } from './load.js';
import { mergeCatalogues, mergeRunDirs } from './merge.js';

describe('amchaos report merge', () => {
  let dir: string;
  let a: string;
  let b: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amchaos-merge-'));
    a = await unpackRecordedRun('pass', dir, { dirName: 'shard-1' });
    b = await unpackRecordedRun('no-cluster', dir, { dirName: 'shard-2' });
    // Shard 2 carries a catalogue cell (as `amchaos catalogue --shard` writes).
    const sb = JSON.parse(await readFile(join(b, 'summary.json'), 'utf8')) as RunSummary;
    sb.catalogue = {
      versions: ['0.25.0'],
      modes: [{ id: 'split-brain', rows: [6], title: 'Split brain', trigger: 't', upstream: ['prometheus/alertmanager#1340'] }],
      cells: [{ mode: 'split-brain', version: '0.25.0', suite: 'split-brain', scenario: sb.scenarios[0]!.id, cluster: '0.25.0x3', result: 'reproduced', summary: 'seen' }],
      shard: '2/2',
    };
    await writeFile(join(b, 'summary.json'), JSON.stringify(sb));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one summary, one history with unique seqs, evidence shifted with it, logs, one report, one JUnit and the matrix', async () => {
    const out = join(dir, 'merged');
    const [sa, sb] = await Promise.all([a, b].map(async (d) => JSON.parse(await readFile(join(d, 'summary.json'), 'utf8')) as RunSummary));
    const { summary } = await mergeRunDirs([a, b], out);
    expect(summary.scenarios.map((s) => s.id)).toEqual([...sa!.scenarios, ...sb!.scenarios].map((s) => s.id));
    const events = parseHistory(await readFile(join(out, 'history.jsonl'), 'utf8')).events;
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
    // Every scenario's range and every evidence seq still name its own events.
    for (const s of summary.scenarios) {
      const [from, to] = s.historyRange;
      // A real run's range opens with its setup phase; its scenario.start follows inside the range.
      const start = events.find((e) => e.type === 'scenario.start' && e.seq >= from && e.seq <= to);
      expect(start, `${s.id}: no scenario.start in its shifted range`).toBeDefined();
      expect(events.filter((e) => e.seq >= from && e.seq <= to && e.type === 'scenario.start')).toHaveLength(1);
      for (const c of s.checks) for (const e of c.evidence) for (const q of e.events) expect(q >= from && q <= to, `${s.id} ${c.name} seq ${q}`).toBe(true);
      for (const rel of Object.values(s.logs)) await expect(readFile(join(out, rel), 'utf8')).resolves.toBeTypeOf('string');
    }
    // The outcome of the merged run follows the one rule: a pass beside the no-cluster control (a real failing run) fails.
    expect([sa!.outcome, sb!.outcome]).toEqual(['pass', 'fail']);
    expect(summary.outcome).toBe('fail');
    const junit = new XMLParser({ ignoreAttributes: false }).parse(await readFile(join(out, 'junit.xml'), 'utf8')) as { testsuites: { testsuite: unknown[] | unknown } };
    const suites = Array.isArray(junit.testsuites.testsuite) ? junit.testsuites.testsuite : [junit.testsuites.testsuite];
    expect(suites.length).toBe(summary.scenarios.length);
    expect(summary.catalogue?.cells).toHaveLength(1);
    expect(summary.catalogue?.shard).toBeUndefined();
    const page = await readFile(join(out, 'catalogue.html'), 'utf8');
    expect(page).toContain('Split brain');
    expect(page).toContain(`index.html#sc${summary.scenarios.findIndex((s) => s.id === sb!.scenarios[0]!.id) + 1}-claim`);
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain('catalogue.html');
  });

  it('refuses no inputs, a missing run and the output among the inputs, before writing anything', async () => {
    await expect(mergeRunDirs([], join(dir, 'x'))).rejects.toThrow(/at least one run directory/);
    await expect(mergeRunDirs([join(dir, 'nope')], join(dir, 'y'))).rejects.toMatchObject({ code: 'AMCHAOS_INVALID_RUN_DIR' });
    await expect(mergeRunDirs([a], a)).rejects.toThrow(/also the output directory/);
  });

  it('keeps one cell per mode and version, a decided one over an unknown one', () => {
    const mode = { id: 'm', rows: [1], title: 'm', trigger: '', upstream: [] };
    const cell = (result: 'unknown' | 'reproduced', scenario?: string) => ({ mode: 'm', version: 'v', suite: 's', cluster: 'c', result, summary: result, ...(scenario ? { scenario } : {}) });
    const merged = mergeCatalogues([{ versions: ['v'], modes: [mode], cells: [cell('unknown')] }, { versions: ['v', 'w'], modes: [mode], cells: [cell('reproduced', 'x')] }, undefined]);
    expect(merged?.versions).toEqual(['v', 'w']);
    expect(merged?.cells).toEqual([cell('reproduced', 'x')]);
    expect(mergeCatalogues([undefined])).toBeUndefined();
  });
});
