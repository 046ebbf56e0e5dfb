import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';
import { checkCommand } from '../run/check.js';
import { SUITES } from '../../suites/index.js';
import { renderRunHtml } from './html.js';
import { esc, jsonScript, shellQuote } from './page.js';
import { loadRun, parseHistory, splitScenarios } from './load.js';
import { excerpt, lineTime, parseLog } from './logs.js';
import { buildModel, distribution, latencySweepOf, splitFigures, type LatencySweepModel, type TimelineData } from './model.js';
import { renderParentIndex, renderRunIndex, renderRunReport, reportCommand } from './render.js';
import { unpackMergedRuns, unpackRecordedRun, type RecordedRun } from '../../test/support/report/recorded.js';
import { writeJudgedRun } from '../../test/support/report/judged-run.js';

/**
 * The report of REAL runs: the recorded runs of fixtures/histories/ (real clusters, judged by the
 * real checkers; see test/support/report/recorded.ts for what each is) and, for a scale no recording
 * has, generated histories judged by the real checkers (test/support/report/judged-run.ts). Every
 * number asserted below is what those runs really hold (their summary.json and history.jsonl).
 */

let root: string;
/** The runs index folder: five runs with every outcome, started an hour apart. */
let reports: string;
const runs: Record<string, string> = {};

const INDEXED: [RecordedRun, string][] = [
  ['pass', '2026-01-15T10:00:00.000Z'],
  ['no-cluster', '2026-01-15T11:00:00.000Z'],
  ['mixed', '2026-01-15T12:00:00.000Z'],
  ['expected', '2026-01-15T13:00:00.000Z'],
  ['interrupted', '2026-01-15T14:00:00.000Z'],
];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-report-'));
  reports = join(root, 'reports');
  for (const [name, startedAt] of INDEXED) runs[name] = await unpackRecordedRun(name, reports, { startedAt });
  const other = join(root, 'other');
  for (const name of ['partition', 'latency-sweep', 'markup', 'restart'] as const) runs[name] = await unpackRecordedRun(name, other);
  // A failure, a run that could not finish, an expected failure and passes, in one run.
  runs['merged'] = await unpackMergedRuns(['mixed', 'interrupted', 'expected'], other, { dirName: 'merged' });
  for (const dir of Object.values(runs)) await renderRunReport(dir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function dataBlock(html: string): { timelines: TimelineData[] } {
  const m = /<script type="application\/json" id="amchaos-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no data block');
  return JSON.parse(m[1]) as { timelines: TimelineData[] };
}

const html = (dir: string): Promise<string> => readFile(join(dir, 'index.html'), 'utf8');
const answerOf = (h: string): string => /<p class="answer" id="answer">([\s\S]*?)<\/p>/.exec(h)?.[1] ?? '';
const summaryOf = async (dir: string): Promise<RunSummary> => JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;

describe('run report (index.html)', () => {
  it('a passing run says PASS and that every check held, with the exactly-once answer', async () => {
    const h = await html(runs['pass']!);
    expect(h).toContain('id="verdict">PASS<');
    const answer = answerOf(h);
    expect(answer).toMatch(/^<strong class="t-pass">Held:<\/strong>/);
    // 0.25.0 ×3 and 0.33.1 ×3 each judged 8 healthy transitions (summary.json: healthyTransitions 8 + 8).
    expect(answer).toContain('<span class="check-name">exactly-once</span> in all 2 scenarios (each of 16 group transitions while the cluster was healthy notified exactly once)');
    expect(answer).not.toContain('Failed');
    expect(h).toContain('npx amchaos run --suite exactly-once --versions 0.25.0,0.33.1 --log-level info --seed 101');
    expect(h).not.toContain('class="findings"');
  });

  it('a failing run says FAIL, lists findings with when, from which node and under which fault', async () => {
    const h = await html(runs['merged']!);
    expect(h).toContain('id="verdict">FAIL<');
    // The headline names the failed check first: tsam:no-dedup's 28 duplicates (summary.json).
    const answer = answerOf(h);
    expect(answer).toMatch(/^<strong class="t-fail">Failed:<\/strong> <span class="check-name">exactly-once<\/span> in <a href="#sc2-c2">exactly-once\/tsam:no-dedupx3<\/a> \(28 duplicate notifications while healthy\)/);
    expect(answer.indexOf('Failed:')).toBeLessThan(answer.indexOf('Could not run:'));
    expect(answer.indexOf('Could not run:')).toBeLessThan(answer.indexOf('Failed as expected:'));
    expect(answer.indexOf('Failed as expected:')).toBeLessThan(answer.indexOf('Held:'));
    expect(answer).toContain('<a href="#sc4">exactly-once/tsamx3</a> (AMCHAOS_INTERRUPTED)');
    const findings = /<ol class="findings">([\s\S]*?)<\/ol>/.exec(h)?.[1] ?? '';
    // Unexpected failure first, then unknown, then the expected one.
    const order = ['exactly-once/tsam:no-dedupx3', 'exactly-once/tsamx3', 'receiver-outage/0.33.1x3'].map((id) => findings.indexOf(id));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(findings).toContain('<span class="k">from</span> n1, n2, n3 · <span class="k">under</span> no fault active (healthy cluster)');
    expect(findings).toContain('could not run: AMCHAOS_INTERRUPTED: interrupted');
    // The expected failure's evidence lies in the two receiver faults the suite injected.
    expect(findings).toContain('<span class="k">under</span> receiver answers 503 <span class="dim">(fault #1, t=6.737 s–t=11.782 s)</span>; receiver down <span class="dim">(fault #2, t=11.783 s–t=14.284 s)</span>');
    expect(findings).toContain('expected: receiver failing longer than peer_timeout');
    // The control is not clustered: its headline and findings say so, not "while healthy".
    const control = await html(runs['no-cluster']!);
    expect(answerOf(control)).toMatch(/^<strong class="t-fail">Failed:<\/strong> <span class="check-name">exactly-once<\/span> in <a href="#sc1-c2">exactly-once\/0\.33\.1x3\/no-cluster<\/a> \(16 duplicate notifications with the nodes not clustered\)/);
    expect(answerOf(control)).not.toContain('while healthy');
    expect(control).toContain('<span class="k">under</span> no fault; nodes not clustered (--no-cluster)');
  });

  it('orders the matrix failures first and marks expected failures with their reason', async () => {
    const h = await html(runs['merged']!);
    const rows = [...h.matchAll(/<tr class="row-(\w+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(['fail', 'unknown', 'expected', 'pass', 'pass']);
    expect(h).toMatch(/class="badge b-expected" title="receiver failing longer than peer_timeout: the nflog is written only after a successful send/);
  });

  it('escapes user data: label values and log lines with markup never become markup or script', async () => {
    const h = await html(runs['markup']!);
    expect(h).not.toContain('<script>alert(');
    expect(h).not.toContain('<img src=x');
    expect(h).not.toContain('<b>bold</b>');
    expect(h).toContain('alertname=&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
    // Alertmanager logs the label raw (alert=<script>…); in the excerpt it is text.
    expect(h).toMatch(/<pre class="log-lines">[^]*?alert=&lt;script&gt;alert\(1\)&lt;\/script&gt;\[4bb14d7\]\[active\]/);
    // Control characters in a label value reach the page only as escapes.
    expect(h).toContain('note=&quot;nul\\u0000 bell\\u0007 vt\\u000b ]]&gt; end&quot;');
    // eslint-disable-next-line no-control-regex
    expect(h).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    // Exactly three script elements: the data block, uPlot and the client.
    expect(h.match(/<script/g)).toHaveLength(3);
    const data = /id="amchaos-data">([\s\S]*?)<\/script>/.exec(h)?.[1] ?? '';
    expect(data).not.toMatch(/[<>]/);
    expect(JSON.stringify(JSON.parse(data))).toContain('alertname=\\"<script>alert(1)</script>\\"');
  });

  it('is self-contained: no external resources, and the CSP lists exactly the inline scripts', async () => {
    const h = await html(runs['partition']!);
    expect(h).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)=/i);
    expect(h).not.toMatch(/url\(\s*['"]?https?:/i);
    const csp = (/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(h)?.[1] ?? '').replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    const scripts = [...h.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(2);
    for (const s of scripts) expect(csp).toContain(`'sha256-${createHash('sha256').update(s).digest('base64')}'`);
  });

  it('puts fault windows, node lanes and peer samples into the timeline data', async () => {
    // split-brain isolated n3 from t=1.611 s to t=15.116 s (history: fault #1 applied / removed).
    const [tl] = dataBlock(await html(runs['partition']!)).timelines;
    expect(tl!.nodes).toEqual(['n1', 'n2', 'n3']);
    expect(tl!.faults).toHaveLength(1);
    expect(tl!.faults[0]).toMatchObject({ kind: 'partition', description: 'partition isolate n3', from: 1.611, to: 15.116, open: false, components: [['n3'], ['n1', 'n2']] });
    // n3 sees only itself during the partition, n1 and n2 each other; everybody sees 3 before and after.
    const at = (t: number): (number | null)[] => tl!.peers.v.map((v) => v[tl!.peers.t.findIndex((x) => x > t)]!);
    expect(at(1)).toEqual([3, 3, 3]);
    expect(at(10)).toEqual([2, 2, 1]);
    expect(at(20)).toEqual([3, 3, 3]);
    // Start-up and teardown are no lifecycle marks.
    expect(tl!.nodeEvents).toEqual([]);
  });

  it('marks node kills, restarts and pauses on the node lanes, inside their fault windows', async () => {
    const [tl] = dataBlock(await html(runs['restart']!)).timelines;
    expect(tl!.faults.map((f) => [f.kind, f.description])).toEqual([
      ['restart', 'restart n1 (SIGKILL)'],
      ['restart', 'restart n1 (SIGKILL, storage wiped)'],
      ['pause', 'pause n1'],
    ]);
    expect(tl!.nodeEvents.map((e) => [tl!.nodes[e.node], e.state])).toEqual([
      ['n1', 'exited'],
      ['n1', 'killed'],
      ['n1', 'starting'],
      ['n1', 'exited'],
      ['n1', 'killed'],
      ['n1', 'starting'],
      ['n1', 'paused'],
      ['n1', 'resumed'],
    ]);
    const [kill1, kill2, pause] = tl!.faults;
    for (const [e, f] of [
      [tl!.nodeEvents[1]!, kill1!],
      [tl!.nodeEvents[4]!, kill2!],
    ] as const) {
      expect(e.t).toBeGreaterThanOrEqual(f.from - 0.01);
      expect(e.t).toBeLessThanOrEqual(f.to);
    }
    expect(tl!.nodeEvents[6]!.t).toBe(pause!.from);
    expect(tl!.nodeEvents[7]!.t).toBe(pause!.to);
  });

  it('marks notifications the receiver refused: their answer (503) and the undelivered flag, inside the receiver fault', async () => {
    const [tl] = dataBlock(await html(runs['expected']!)).timelines;
    expect(tl!.faults.map((f) => [f.kind, f.description, f.from, f.to])).toEqual([
      ['receiver', 'receiver answers 503', 6.737, 11.782],
      ['receiver', 'receiver down', 11.783, 14.284],
    ]);
    // summary.json: notificationsUndelivered 38 (each retry of each position while the receiver answered 503).
    const undelivered = Object.keys(tl!.n.a).map(Number);
    expect(undelivered).toHaveLength(38);
    for (const i of undelivered) {
      expect(tl!.n.a[i]).toBe(503);
      expect(tl!.n.f[i]! & 4).toBe(4);
      expect(tl!.n.t[i]).toBeGreaterThanOrEqual(6.737);
      expect(tl!.n.t[i]).toBeLessThanOrEqual(11.782);
    }
    expect(tl!.n.f.filter((f) => (f & 4) === 4)).toHaveLength(38);
    expect(tl!.n.r).toBeUndefined();
  });

  it('flags the duplicates named by a failing exactly-once check, and only those', async () => {
    // The control: every copy of its 8 transitions is evidence (24 notifications, 16 of them duplicates).
    const control = (await buildModel(await loadRun(runs['no-cluster']!))).scenarios[0]!;
    const eo = control.summary.checks.find((c) => c.name === 'exactly-once')!;
    const want = new Set(eo.evidence.flatMap((e) => e.events));
    const flagged = new Set(control.timeline!.n.seq.filter((_, i) => (control.timeline!.n.f[i]! & 1) === 1));
    expect(flagged).toEqual(want);
    expect(flagged.size).toBe(24);
    // A passing exactly-once lists the partition's copies as evidence, but they are no duplicates.
    const part = (await buildModel(await loadRun(runs['partition']!))).scenarios[0]!;
    expect(part.summary.checks.find((c) => c.name === 'exactly-once')!.evidence.length).toBe(4);
    expect(part.timeline!.n.f.every((f) => (f & 1) === 0)).toBe(true);
    // A pass beside a fail: only the failing scenario's lane marks duplicates.
    const mixed = (await buildModel(await loadRun(runs['mixed']!))).scenarios;
    const lane = (id: string): number[] => mixed.find((s) => s.summary.id === id)!.timeline!.n.f;
    expect(lane('exactly-once/0.33.1x3').every((f) => (f & 1) === 0)).toBe(true);
    expect(lane('exactly-once/tsam:no-dedupx3').filter((f) => (f & 1) === 1)).toHaveLength(36);
  });

  it('flags only the evidence notifications of a run at scale, where most notifications are fine', async () => {
    const dir = await writeJudgedRun(join(root, 'judged'), 'large', { runId: 'flags', notifications: 3000 });
    const sc = (await buildModel(await loadRun(dir))).scenarios[0]!;
    const eo = sc.summary.checks.find((c) => c.name === 'exactly-once')!;
    expect(eo.verdict).toBe('fail');
    const want = new Set(eo.evidence.flatMap((e) => e.events));
    const tl = sc.timeline!;
    const flagged = new Set(tl.n.seq.filter((_, i) => (tl.n.f[i]! & 1) === 1));
    expect(flagged).toEqual(want);
    expect(flagged.size).toBeGreaterThan(0);
    expect(flagged.size).toBeLessThan(tl.total / 4);
  });

  it('marks every evidence notification, also beyond the evidence items listed on the page', async () => {
    // Every group copied by n4 while healthy: 600 duplicated transitions, all kept as evidence by a
    // suite that raises its checkers' evidence cap; the page lists 200.
    const dir = await writeJudgedRun(join(root, 'judged'), 'large', { runId: 'many-evidence', notifications: 1200, duplicateEvery: 1, partition: false, maxEvidence: 1000 });
    const m = await buildModel(await loadRun(dir));
    const sc = m.scenarios[0]!;
    const eo = sc.checks.find((c) => c.check.name === 'exactly-once')!;
    expect(eo.check.evidence).toHaveLength(600);
    const want = new Set(eo.check.evidence.flatMap((e) => e.events));
    expect(want.size).toBe(1200);
    const tl = sc.timeline!;
    expect(new Set(tl.n.seq.filter((_, i) => (tl.n.f[i]! & 1) === 1))).toEqual(want);
    expect(eo.evidenceNotShown).toBe(400);
    expect(await html(dir)).toContain('400 more evidence items are in summary.json and not listed here.');
  });

  it('embeds node log excerpts around the evidence, in both Alertmanager log formats', async () => {
    const h = await html(runs['markup']!);
    // 0.25.0 (go-kit logfmt) and 0.33.1 (slog) nodes both logged their sends at debug level.
    expect(h).toMatch(/<pre class="log-lines">[^]*?ts=2026-12-04T23:23:3\d\.\d+Z caller=notify\.go:\d+ level=debug component=dispatcher receiver=capture integration=webhook\[0\] msg=&quot;Notify success&quot;/);
    expect(h).toMatch(/<pre class="log-lines">[^]*?time=2026-12-04T23:23:5\d\.\d+Z level=DEBUG source=retry_stage\.go:\d+ msg=&quot;Notify success&quot;/);
  });

  it('renders headline figures with their units, and numeric series as distributions and sweeps', async () => {
    const h = await html(runs['no-cluster']!);
    expect(h).toContain('<div class="fig bad" data-key="duplicates"');
    expect(h).toMatch(/data-key="duplicates"[^>]*><span class="v">16 notifications<\/span><span class="n">Duplicates while healthy<\/span>/);
    // No checker of today writes a numeric series into its figures (older runs did): the split is
    // checked on the function, and the page's rendering of it on a real run's model.
    const split = splitFigures({ propagationDelaysMs: [12, 180, 560], sweepLatenciesMs: [0, 100, 400, 800], latencyThresholdMs: 400, duplicates: 2 });
    expect(split.distributions.map((d) => [d.key, d.n])).toEqual([['propagationDelaysMs', 3]]);
    expect(split.sweep).toMatchObject({ key: 'sweepLatenciesMs', threshold: 400, thresholdKey: 'latencyThresholdMs' });
    expect(split.headline.map((f) => f.key)).toEqual(expect.arrayContaining(['duplicates', 'latencyThresholdMs']));
    const m = await buildModel(await loadRun(runs['pass']!));
    Object.assign(m.scenarios[0]!.checks[0]!, { distributions: split.distributions, sweep: split.sweep });
    const page = renderRunHtml(m);
    expect(page).toMatch(/<strong>propagationDelaysMs<\/strong> <span class="dim">n=3/);
    expect(page).toContain('sweepLatenciesMs (threshold latencyThresholdMs = 400)');
    expect(page).toMatch(/<span class="chip"[^>]*>100<\/span><span class="chip over"[^>]*>400<\/span><span class="chip over"[^>]*>800</);
  });

  it('charts a latency sweep recorded as scenario figures: the answer, the chart data, every probe', async () => {
    // latency-sweep on 0.25.0: probes 2000, 1000, 1500, 1750, 1875, 1938 ms; duplicates at 2000 and 1938 (summary.json).
    const h = await html(runs['latency-sweep']!);
    expect(h).toContain('Duplicates start at <strong>1938 ms</strong> of added one-way latency on every gossip link: <strong>0.97 ×</strong> the peer timeout of 2 s. Every probe below it (4) was notified exactly once.');
    const sweeps = (dataBlock(h) as unknown as { sweeps: LatencySweepModel[] }).sweeps;
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toMatchObject({ thresholdMs: 1938, peerTimeoutMs: 2000, nodes: 3 });
    expect(sweeps[0]!.probes.map((p) => [p.latencyMs, p.duplicates])).toEqual([
      [2000, 4],
      [1000, 0],
      [1500, 0],
      [1750, 0],
      [1875, 0],
      [1938, 4],
    ]);
    expect(h).toContain(`id="${sweeps[0]!.id}"`);
    expect(h.match(/<table class="probes">[^]*?<\/table>/)![0].match(/<tr class="bad">/g)).toHaveLength(2);
    // At 2000 ms (= the peer timeout) a node was declared dead (fewest peers 2 of 3).
    expect(h).toContain('(peers declared dead)');
    // A run without a sweep has no sweep block and no chart data.
    const pass = await html(runs['pass']!);
    expect(pass).not.toContain('class="sweep-block"');
    expect((dataBlock(pass) as unknown as { sweeps: unknown[] }).sweeps).toEqual([]);
  });

  it('reads a sweep only from figures of the recorded shape, and says when no latency made duplicates', () => {
    const base = { id: 's', nodes: [{ id: 'n1' }, { id: 'n2' }], timers: { peerTimeoutMs: 1000 } } as unknown as ScenarioSummary;
    expect(latencySweepOf('a', { ...base, figures: {} })).toBeUndefined();
    expect(latencySweepOf('a', { ...base, figures: { latencySweep: [1, 2, 3] } })).toBeUndefined();
    expect(latencySweepOf('a', { ...base, figures: { latencySweep: [{ latencyMs: 'x', duplicates: 0 }] } })).toBeUndefined();
    const none = latencySweepOf('a', { ...base, figures: { latencyThresholdMs: null, latencySweep: [{ latencyMs: 1000, duplicates: 0 }, { latencyMs: 2000, duplicates: 0 }] } })!;
    expect(none).toMatchObject({ id: 'a-sweep', thresholdMs: null, peerTimeoutMs: 1000, nodes: 2 });
    expect(none.probes[0]).toEqual({ latencyMs: 1000, duplicates: 0, transitions: undefined, minPeers: undefined });
  });

  it('says so when probes below the threshold had duplicates too, instead of claiming a sharp boundary', async () => {
    // A bisection that met noise cannot be provoked in a recording: the wording is checked on the
    // real sweep's model with one probe below the threshold given duplicates.
    const m = await buildModel(await loadRun(runs['latency-sweep']!));
    const sw = m.scenarios[0]!.latencySweep!;
    expect(sw.probes[2]).toMatchObject({ latencyMs: 1500, duplicates: 0 });
    sw.probes[2] = { ...sw.probes[2]!, duplicates: 1 };
    const page = renderRunHtml(m);
    expect(page).toContain('But 1 of the 4 probes below it also had duplicates (at 1500 ms): the boundary is not sharp.');
    expect(page).not.toContain('was notified exactly once');
  });

  it('samples marks beyond the cap, keeps every evidence mark and says so on the page', async () => {
    const dir = await writeJudgedRun(join(root, 'judged'), 'large', { runId: 'capped', notifications: 3000 });
    await renderRunReport(dir, { maxMarks: 1000 });
    const h = await html(dir);
    const tl = dataBlock(h).timelines[0]!;
    expect(tl.total).toBeGreaterThanOrEqual(3000);
    expect(tl.shown).toBeLessThanOrEqual(1000);
    expect(h).toMatch(new RegExp(`Showing ${tl.shown} of ${tl.total} notifications`));
    const m = await buildModel(await loadRun(dir));
    const evidence = m.scenarios[0]!.checks.flatMap((c) => (c.status === 'pass' ? [] : c.check.evidence.flatMap((e) => e.events)));
    expect(evidence.length).toBeGreaterThan(0);
    const shownSeqs = new Set(tl.n.seq);
    for (const q of evidence) expect(shownSeqs.has(q)).toBe(true);
  });
});

describe('reading run directories', () => {
  it('refuses a directory without summary.json with a typed error that says what to pass', async () => {
    const err = await renderRunReport(join(root, 'nope')).catch((e: unknown) => e);
    expect(isAmchaosError(err, 'AMCHAOS_INVALID_RUN_DIR')).toBe(true);
    expect((err as { hint: string }).hint).toMatch(/reports\/<run-id>/);
  });

  it('refuses a summary.json of another schema', async () => {
    const dir = join(root, 'bad-schema');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'summary.json'), JSON.stringify({ schema: 3, runId: 'x', verdict: 'maybe', scenarios: {} }));
    const err = await renderRunReport(dir).catch((e: unknown) => e);
    expect(isAmchaosError(err, 'AMCHAOS_INVALID_RUN_DIR')).toBe(true);
    expect((err as Error).message).toMatch(/schema is 3.*verdict "maybe".*scenarios is not an array/);
  });

  it('renders a crashed run: truncated history line and missing log become warnings, not failures', async () => {
    const dir = await unpackRecordedRun('pass', join(root, 'crashed'));
    const hist = join(dir, 'history.jsonl');
    await writeFile(hist, (await readFile(hist, 'utf8')) + '{"seq": 99999, "t": 1, "ty');
    const summary = await summaryOf(dir);
    summary.scenarios[0]!.logs['n1'] = '../../../../etc/passwd';
    summary.scenarios[0]!.logs['n2'] = 'logs/missing.log';
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    const run = await loadRun(dir);
    expect(run.warnings.join('\n')).toMatch(/line 995 is not a JSON event/);
    await renderRunReport(dir);
    const h = await html(dir);
    expect(h).toContain('Problems reading this run');
    expect(h).not.toContain('root:x:0:0');
  });

  it('renders with the history missing (verdicts from summary.json, timeline absent)', async () => {
    const dir = await unpackRecordedRun('pass', join(root, 'no-history'));
    await rm(join(dir, 'history.jsonl'));
    await renderRunReport(dir);
    const h = await html(dir);
    expect(h).toContain('history not readable');
    expect(h).toContain('id="verdict">PASS<');
    expect(dataBlock(h).timelines).toHaveLength(0);
  });

  it('an expected failure beside an unknown check is UNKNOWN in the page, the runs index, JUnit and the exit code — whatever summary.json claims', async () => {
    // receiver-outage's history as a run that died at t=25 s leaves it: judged by the real checkers,
    // validity fails as expected (the stale firing states lie in the receiver faults) while no-loss
    // cannot decide (resolved notifications still due).
    const dir = await unpackRecordedRun('expected', join(root, 'masked-unknown'));
    const hist = join(dir, 'history.jsonl');
    const kept = parseHistory(await readFile(hist, 'utf8')).events.filter((e) => e.t <= 25_000);
    await writeFile(hist, kept.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const s0 = await summaryOf(dir);
    s0.scenarios[0]!.historyRange = [0, kept.length - 1];
    await writeFile(join(dir, 'summary.json'), JSON.stringify(s0));
    const judged = await checkCommand(dir, SUITES);
    expect(judged.outcome).toBe('unknown');
    const noLoss = judged.summary.scenarios[0]!.checks.find((c) => c.name === 'no-loss')!;
    expect(noLoss.verdict).toBe('unknown');
    expect(judged.summary.scenarios[0]!.checks.find((c) => c.name === 'validity')).toMatchObject({ verdict: 'fail', expectedFailure: expect.stringContaining('receiver failing longer than peer_timeout') });
    // Then rewritten as older amchaos wrote it (schema 1): the scenario "fail" with expectedFailure
    // and the run "pass". Every consumer must recompute from the checks: unknown.
    const summary = judged.summary as RunSummary & { schema: number };
    const reason = summary.scenarios[0]!.checks.find((c) => c.expectedFailure)!.expectedFailure!;
    const { outcome: _o, ...legacyScenario } = summary.scenarios[0]!;
    summary.scenarios = [{ ...legacyScenario, verdict: 'fail', expectedFailure: reason } as ScenarioSummary];
    Object.assign(summary, { schema: 1, verdict: 'pass' });
    delete (summary as Partial<RunSummary>).outcome;
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    const r = await reportCommand(dir);
    expect(r.outcome).toBe('unknown');
    const h = await html(dir);
    expect(h).toContain('id="verdict">UNKNOWN<');
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain(`<error message="${noLoss.summary.replace(/"/g, '&quot;')}" type="amchaos.unknown"`);
    expect(junit).toContain('<skipped message="expected failure: receiver failing longer than peer_timeout');
    await renderRunIndex(join(root, 'masked-unknown'));
    const index = await readFile(join(root, 'masked-unknown', 'index.html'), 'utf8');
    expect(index).toContain('<tr class="row-unknown">');
    expect(index).not.toMatch(/<tr class="row-(pass|expected)">/);
  });

  it('never prints 0 duplicates for a run whose copies all came during injected faults: it counts them and says within at most k', async () => {
    // split-brain: 0 duplicates while healthy, 4 during the partition, at-most-k passed (summary.json).
    const h = await html(runs['partition']!);
    expect(h).toContain('during injected faults 4 (0 while healthy, 4 during injected faults, within at most k)');
    expect(h).toMatch(/<td class="num" title="4 \(0 while healthy[^"]*">4 \(4 in faults\)<\/td>/);
    // Without an at-most-k check (receiver-outage) the copies are counted, but not called "within at most k".
    const e = await html(runs['expected']!);
    expect(e).toContain('during injected faults 5 (0 while healthy, 5 during injected faults)');
    expect(e).not.toContain('within at most k');
  });

  it('splits a history whose seqs restart per scenario by its scenario.start events', () => {
    const ev = (seq: number, type: string, extra: object = {}): string => JSON.stringify({ seq, t: seq, wall: '2026-01-01T00:00:00.000Z', type, ...extra });
    const text = [ev(0, 'scenario.start', { scenario: 'a/x' }), ev(1, 'phase'), ev(0, 'scenario.start', { scenario: 'b/y' }), ev(1, 'phase'), ev(2, 'phase')].join('\n');
    const { events } = parseHistory(text);
    const sc = (id: string, range: [number, number]): RunSummary['scenarios'][number] => ({ id, historyRange: range }) as RunSummary['scenarios'][number];
    const warnings: string[] = [];
    const out = splitScenarios(events, [sc('a/x', [0, 1]), sc('b/y', [0, 2])], warnings);
    expect(out.map((s) => s.events.length)).toEqual([2, 3]);
    expect(out[1]!.start?.scenario).toBe('b/y');
    expect(warnings).toEqual([]);
  });
});

describe('log timestamps and excerpts', () => {
  it('reads logfmt ts= (≤0.27), slog time= (≥0.28) and JSON time fields', () => {
    expect(lineTime('ts=2026-11-22T04:22:02.991Z caller=main.go:241 level=info msg="Starting Alertmanager"')).toBe(Date.parse('2026-11-22T04:22:02.991Z'));
    expect(lineTime('time=2026-11-22T04:22:03.075Z level=INFO source=main.go:191 msg="Starting Alertmanager"')).toBe(Date.parse('2026-11-22T04:22:03.075Z'));
    expect(lineTime('time="2026-11-22T05:22:03.075+01:00" level=INFO')).toBe(Date.parse('2026-11-22T04:22:03.075Z'));
    expect(lineTime('{"time":"2026-11-22T04:22:03.1Z","level":"INFO"}')).toBe(Date.parse('2026-11-22T04:22:03.1Z'));
    expect(lineTime('goroutine 1 [running]:')).toBeNaN();
    expect(lineTime('msg="runtime=2026-11-22T04:22:03Z"')).toBeNaN();
  });

  it('keeps untimed continuation lines with their entry and centres long windows on the focus', () => {
    const lines = parseLog(
      ['panic before any timestamp', ...Array.from({ length: 100 }, (_, i) => `ts=2026-01-01T00:00:${String(Math.floor(i / 2)).padStart(2, '0')}.${i % 2 ? '5' : '0'}00Z level=info msg=${i}`), '  stack line'].join('\n'),
    );
    expect(lines[0]!.ms).toBeNaN();
    expect(lines[101]!.ms).toBe(lines[100]!.ms);
    const base = Date.parse('2026-01-01T00:00:00Z');
    const ex = excerpt(lines, base + 10_000, base + 30_000, base + 20_000, 10);
    expect(ex.lines).toHaveLength(10);
    expect(ex.omitted).toBe(31);
    expect(ex.lines.some((l) => l.text.endsWith('msg=40'))).toBe(true);
    expect(excerpt(lines, base + 90_000, base + 99_000, base + 95_000, 10).lines).toEqual([]);
  });
});

describe('helpers', () => {
  it('escapes HTML and script-embedded JSON', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(jsonScript({ s: '</script><!--\u2028' })).toBe('{"s":"\\u003c/script\\u003e\\u003c!--\\u2028"}');
  });

  it('quotes the replay command for a POSIX shell', () => {
    expect(shellQuote(['amchaos', 'run', '--nodes', '0.25.0,tsam', '--label', "it's a {x}"])).toBe(`amchaos run --nodes 0.25.0,tsam --label 'it'\\''s a {x}'`);
  });

  it('computes distributions with quantiles and equal-width bins', () => {
    const d = distribution('x', [5, 1, 2, 3, 4, 100]);
    expect(d).toMatchObject({ n: 6, min: 1, p50: 3, p95: 100, max: 100 });
    expect(d.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(d.counts[d.counts.length - 1]).toBe(1);
  });
});

describe('run index and `amchaos report DIR`', () => {
  it('lists every run newest first with its verdict, and trends per scenario', async () => {
    await renderRunIndex(reports);
    const h = await readFile(join(reports, 'index.html'), 'utf8');
    const newestFirst = [...INDEXED].reverse().map(([name]) => h.indexOf(`href="${name}/index.html"`));
    expect(newestFirst.every((i) => i > 0)).toBe(true);
    expect([...newestFirst].sort((a, b) => a - b)).toEqual(newestFirst);
    // interrupted: unknown; expected: an expected failure; mixed and the control: fail; pass: pass.
    expect([...h.matchAll(/<tr class="row-(\w+)"><td><span class="badge b-\1"/g)].map((m) => m[1])).toEqual(['unknown', 'expected', 'fail', 'fail', 'pass']);
    expect(h).toContain('<table class="trend">');
    expect(h).toContain('href="no-cluster/index.html#sc1"');
    const data = JSON.parse(/id="amchaos-data">([\s\S]*?)<\/script>/.exec(h)?.[1] ?? '{}') as { trend: { x: number[]; series: { label: string; values: (number | null)[] }[] } };
    expect(data.trend.x).toHaveLength(5);
    // Oldest → newest: pass, no-cluster, mixed, expected, interrupted (duplicates while healthy + during faults).
    const series = Object.fromEntries(data.trend.series.map((s) => [s.label, s.values]));
    expect(series).toEqual({
      'exactly-once/0.25.0x3': [0, null, null, null, null],
      'exactly-once/0.33.1x3': [0, null, 0, null, 0],
      'exactly-once/0.33.1x3/no-cluster': [null, 16, null, null, null],
      'exactly-once/tsam:no-dedupx3': [null, null, 28, null, null],
      'receiver-outage/0.33.1x3': [null, null, null, 5, null],
    });
  });

  it('re-renders a single run and its reports folder index', async () => {
    await rm(join(runs['pass']!, 'index.html'));
    await rm(join(reports, 'index.html'), { force: true });
    const r = await reportCommand(runs['pass']!);
    expect(r).toMatchObject({ rendered: [runs['pass']], outcome: 'pass', index: join(reports, 'index.html') });
    await expect(readFile(join(runs['pass']!, 'index.html'), 'utf8')).resolves.toContain('id="verdict">PASS<');
    await expect(readFile(join(reports, 'index.html'), 'utf8')).resolves.toContain('amchaos runs in');
  });

  it("never overwrites an index.html that is not ours in a run's parent, and creates one where there is none", async () => {
    const site = join(root, 'site');
    const run = await unpackRecordedRun('pass', site);
    await writeFile(join(site, 'index.html'), '<h1>my site</h1>');
    expect((await reportCommand(run)).index).toBeUndefined();
    expect(await readFile(join(site, 'index.html'), 'utf8')).toBe('<h1>my site</h1>');
    expect(await renderParentIndex(run)).toBeUndefined();

    const fresh = join(root, 'fresh');
    const run2 = await unpackRecordedRun('pass', fresh);
    expect(await renderParentIndex(run2)).toBe(join(fresh, 'index.html'));
    // Once the index is ours, it is kept current.
    expect((await reportCommand(run2)).index).toBe(join(fresh, 'index.html'));
    await expect(readFile(join(fresh, 'index.html'), 'utf8')).resolves.toContain('amchaos runs in');
  });

  it('re-renders every run of a reports folder and reports the unreadable ones', async () => {
    const folder = join(root, 'folder');
    await unpackRecordedRun('pass', folder);
    await mkdir(join(folder, 'broken'), { recursive: true });
    await writeFile(join(folder, 'broken', 'summary.json'), '{"schema":1,');
    const r = await reportCommand(folder);
    expect(r.rendered).toHaveLength(1);
    expect(r.failed).toEqual([{ dir: join(folder, 'broken'), error: expect.stringMatching(/not JSON/) }]);
    const h = await readFile(join(folder, 'index.html'), 'utf8');
    expect(h).toContain('broken');
    expect(h).toContain('not JSON');
  });

  it('refuses a folder that holds no runs', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    await expect(reportCommand(empty)).rejects.toMatchObject({ code: 'AMCHAOS_INVALID_RUN_DIR' });
    await expect(reportCommand(join(root, 'does-not-exist'))).rejects.toMatchObject({ code: 'AMCHAOS_INVALID_RUN_DIR' });
  });
});
