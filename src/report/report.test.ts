import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';
import { esc, jsonScript, shellQuote } from './html.js';
import { loadRun, parseHistory, splitScenarios } from './load.js';
import { excerpt, lineTime, parseLog } from './logs.js';
import { buildModel, distribution, latencySweepOf, type LatencySweepModel, type TimelineData } from './model.js';
import { renderParentIndex, renderRunIndex, renderRunReport, reportCommand } from './render.js';
import { writeFixtureRun } from '../../test/support/report/fixture-run.js';

let root: string;
let reports: string;
const runs: Record<string, string> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-report-'));
  reports = join(root, 'reports');
  runs['pass'] = await writeFixtureRun(reports, 'pass', { startedAt: '2026-01-15T10:00:00.000Z' });
  runs['no-cluster'] = await writeFixtureRun(reports, 'no-cluster', { startedAt: '2026-01-15T11:00:00.000Z' });
  runs['partition'] = await writeFixtureRun(reports, 'partition', { startedAt: '2026-01-15T12:00:00.000Z' });
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

describe('run report (index.html)', () => {
  it('a passing run says PASS and that every check held, with the exactly-once answer', async () => {
    const h = await html(runs['pass']!);
    expect(h).toContain('id="verdict">PASS<');
    const answer = /<p class="answer" id="answer">([\s\S]*?)<\/p>/.exec(h)?.[1] ?? '';
    expect(answer).toMatch(/^<strong class="t-pass">Held:<\/strong>/);
    expect(answer).toMatch(/exactly-once<\/span> \((each of \d+|every) group transition/);
    expect(answer).toContain('while the cluster was healthy notified exactly once');
    expect(answer).not.toContain('Failed');
    expect(h).toContain('amchaos run --suite exactly-once --seed 42');
    expect(h).not.toContain('class="findings"');
  });

  it('a failing run says FAIL, lists findings with when, from which node and under which fault', async () => {
    const h = await html(runs['no-cluster']!);
    expect(h).toContain('id="verdict">FAIL<');
    // The headline names the failed check first (and for the control: not clustered, not "healthy").
    const answer = /<p class="answer" id="answer">([\s\S]*?)<\/p>/.exec(h)?.[1] ?? '';
    expect(answer).toMatch(/^<strong class="t-fail">Failed:<\/strong> <span class="check-name">exactly-once<\/span> in <a[^>]*>control\/0\.28\.1x3-no-cluster<\/a> \(24 duplicate notifications with the nodes not clustered\)/);
    expect(answer.indexOf('Failed:')).toBeLessThan(answer.indexOf('Could not run:'));
    expect(answer.indexOf('Could not run:')).toBeLessThan(answer.indexOf('Failed as expected:'));
    expect(answer.indexOf('Failed as expected:')).toBeLessThan(answer.indexOf('Held:'));
    expect(answer).not.toContain('while healthy in');
    const findings = /<ol class="findings">([\s\S]*?)<\/ol>/.exec(h)?.[1] ?? '';
    // Unexpected failure first, then unknown, then the expected one.
    const order = ['control/0.28.1x3-no-cluster', 'exactly-once/tsamx3', 'exactly-once/0.25.0+0.28.1+0.33.1'].map((id) => findings.indexOf(id));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(findings).toContain('n1, n2, n3');
    expect(findings).toContain('nodes not clustered (--no-cluster)');
    expect(findings).toContain('expected: fixture: stands in for');
  });

  it('orders the matrix failures first and marks expected failures with their reason', async () => {
    const h = await html(runs['no-cluster']!);
    const rows = [...h.matchAll(/<tr class="row-(\w+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(['fail', 'unknown', 'expected']);
    expect(h).toMatch(/class="badge b-expected" title="fixture: stands in for/);
  });

  it('escapes user data: label values with markup never become markup or script', async () => {
    const h = await html(runs['no-cluster']!);
    expect(h).not.toContain('<script>alert(');
    expect(h).not.toContain('<b>sre</b>');
    expect(h).toContain('&lt;/script&gt;&lt;script&gt;alert(');
    // Exactly three script elements: the data block, uPlot and the client.
    expect(h.match(/<script/g)).toHaveLength(3);
    const data = /id="amchaos-data">([\s\S]*?)<\/script>/.exec(h)?.[1] ?? '';
    expect(data).not.toMatch(/[<>]/);
    expect(JSON.stringify(JSON.parse(data))).toContain('</script><script>alert(');
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
    const d = dataBlock(await html(runs['partition']!));
    const tl = d.timelines.find((t) => t.nodes.length === 3 && t.faults.length === 3);
    expect(tl).toBeDefined();
    const [isolate, kill] = tl!.faults;
    expect(tl!.faults.map((f) => f.kind)).toEqual(['partition', 'kill', 'receiver']);
    expect(isolate).toMatchObject({ kind: 'partition', description: 'isolate n1', from: 20, to: 40, open: false, components: [['n1'], ['n2', 'n3']] });
    expect(kill).toMatchObject({ kind: 'kill', from: 52, to: 62, nodes: ['n3'] });
    // n1 sees only itself during the partition, everybody sees 3 before it.
    const idx = tl!.peers.t.findIndex((t) => t > 30);
    expect(tl!.peers.v[0]![idx]).toBe(1);
    expect(tl!.peers.v[1]![idx]).toBe(2);
    expect(tl!.peers.v[0]![tl!.peers.t.findIndex((t) => t > 10)]).toBe(3);
    expect(tl!.nodeEvents.map((e) => e.state)).toEqual(expect.arrayContaining(['killed', 'ready']));
    // The receiver fault: undelivered notifications carry their answer and the undelivered flag.
    const undelivered = Object.keys(tl!.n.a).map(Number);
    expect(undelivered.length).toBeGreaterThan(0);
    for (const i of undelivered) {
      expect(tl!.n.a[i]).toBe(503);
      expect(tl!.n.f[i]! & 4).toBe(4);
    }
    expect(tl!.n.r).toBeUndefined();
  });

  it('flags the duplicates named by the exactly-once evidence, and only those', async () => {
    const run = await loadRun(runs['no-cluster']!);
    const m = await buildModel(run);
    const control = m.scenarios.find((s) => s.summary.id.startsWith('control/'))!;
    const eo = control.summary.checks.find((c) => c.name === 'exactly-once')!;
    const want = new Set(eo.evidence.flatMap((e) => e.events));
    const tl = control.timeline!;
    const flagged = new Set(tl.n.seq.filter((_, i) => (tl.n.f[i]! & 1) === 1));
    expect(flagged).toEqual(want);
    expect(flagged.size).toBe(36);
    const healthy = (await buildModel(await loadRun(runs['pass']!))).scenarios[0]!.timeline!;
    expect(healthy.n.f.every((f) => (f & 1) === 0)).toBe(true);
  });

  it('marks every evidence notification, also beyond the evidence items listed on the page', async () => {
    const dir = await writeFixtureRun(join(root, 'many-evidence'), 'large', { notifications: 600 });
    const file = join(dir, 'summary.json');
    const summary = JSON.parse(await readFile(file, 'utf8')) as RunSummary;
    const events = parseHistory(await readFile(join(dir, 'history.jsonl'), 'utf8')).events;
    const notifications = events.filter((e) => e.type === 'notification').map((e) => e.seq);
    const eo = summary.scenarios[0]!.checks.find((c) => c.name === 'exactly-once')!;
    eo.evidence = notifications.map((q) => ({ kind: 'duplicate', message: `seq ${q}`, events: [q] }));
    eo.evidenceCount = eo.evidence.length;
    await writeFile(file, JSON.stringify(summary));
    const m = await buildModel(await loadRun(dir));
    const tl = m.scenarios[0]!.timeline!;
    expect(notifications.length).toBeGreaterThan(500);
    expect(tl.n.f.filter((f) => (f & 1) === 1)).toHaveLength(notifications.length);
    expect(m.scenarios[0]!.checks.find((c) => c.check.name === 'exactly-once')!.evidenceNotShown).toBe(notifications.length - 200);
  });

  it('embeds node log excerpts around the evidence, in both Alertmanager log formats', async () => {
    const h = await html(runs['no-cluster']!);
    // 0.28.1 (slog) and 0.25.0 (logfmt) nodes both contribute lines near their duplicates.
    expect(h).toMatch(/<pre class="log-lines">[^]*?time=2026-01-15T11:00:06\.\d+Z level=DEBUG source=dispatcher\.go:\d+ msg=&quot;Notify success&quot;/);
    expect(h).toMatch(/<pre class="log-lines">[^]*?ts=2026-01-15T11:00:3\d\.\d+Z caller=dispatcher\.go:\d+ level=debug component=dispatcher msg=&quot;Notify success&quot;/);
  });

  it('renders figures: headline duplicates, distributions and a latency sweep threshold', async () => {
    const p = await html(runs['pass']!);
    expect(p).toMatch(/<strong>propagationDelaysMs<\/strong> <span class="dim">n=3/);
    const part = await html(runs['partition']!);
    expect(part).toContain('sweepLatenciesMs (threshold latencyThresholdMs = 400)');
    expect(part).toMatch(/<span class="chip over"[^>]*>400<\/span><span class="chip over"[^>]*>800</);
  });

  it('charts a latency sweep recorded as scenario figures: the answer, the chart data, every probe', async () => {
    const part = await html(runs['partition']!);
    expect(part).toContain('Duplicates start at <strong>400 ms</strong> of added one-way latency on every gossip link: <strong>0.4 ×</strong> the peer timeout of 1 s. Every probe below it (2) was notified exactly once.');
    const sweeps = (dataBlock(part) as unknown as { sweeps: LatencySweepModel[] }).sweeps;
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toMatchObject({ thresholdMs: 400, peerTimeoutMs: 1000, nodes: 3 });
    expect(sweeps[0]!.probes.map((p) => p.latencyMs)).toEqual([1000, 500, 250, 375, 400]);
    expect(part).toContain(`id="${sweeps[0]!.id}"`);
    expect(part.match(/<table class="probes">[^]*?<\/table>/)![0].match(/<tr class="bad">/g)).toHaveLength(3);
    expect(part).toContain('(peers declared dead)');
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
    const dir = await writeFixtureRun(join(root, 'noisy-sweep'), 'partition');
    const summaryFile = join(dir, 'summary.json');
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as RunSummary;
    const sc = summary.scenarios.find((s) => s.figures['latencySweep'])!;
    sc.figures['latencySweep'] = [
      { latencyMs: 1000, duplicates: 3 },
      { latencyMs: 500, duplicates: 0 },
      { latencyMs: 250, duplicates: 1 },
      { latencyMs: 750, duplicates: 2 },
    ];
    sc.figures['latencyThresholdMs'] = 750;
    await writeFile(summaryFile, JSON.stringify(summary));
    await renderRunReport(dir);
    const h = await html(dir);
    expect(h).toContain('But 1 of the 2 probes below it also had duplicates (at 250 ms): the boundary is not sharp.');
    expect(h).not.toContain('was notified exactly once');
  });

  it('samples marks beyond the cap, keeps every evidence mark and says so on the page', async () => {
    const dir = await writeFixtureRun(join(root, 'capped'), 'large', { notifications: 3000 });
    await renderRunReport(dir, { maxMarks: 1000 });
    const h = await html(dir);
    const tl = dataBlock(h).timelines[0]!;
    expect(tl.total).toBeGreaterThanOrEqual(3000);
    expect(tl.shown).toBeLessThanOrEqual(1000);
    expect(h).toMatch(new RegExp(`Showing ${tl.shown} of ${tl.total} notifications`));
    const m = await buildModel(await loadRun(dir));
    const dupSeqs = new Set(m.scenarios[0]!.checks.find((c) => c.check.name === 'exactly-once')!.check.evidence.flatMap((e) => e.events));
    const shownSeqs = new Set(tl.n.seq);
    for (const q of dupSeqs) expect(shownSeqs.has(q)).toBe(true);
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
    const dir = await writeFixtureRun(join(root, 'crashed'), 'pass');
    const hist = join(dir, 'history.jsonl');
    await writeFile(hist, (await readFile(hist, 'utf8')) + '{"seq": 99999, "t": 1, "ty');
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    summary.scenarios[0]!.logs['n1'] = '../../../../etc/passwd';
    summary.scenarios[0]!.logs['n2'] = 'logs/missing.log';
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    const run = await loadRun(dir);
    expect(run.warnings.join('\n')).toMatch(/line \d+ is not a JSON event/);
    await renderRunReport(dir);
    const h = await html(dir);
    expect(h).toContain('Problems reading this run');
    expect(h).not.toContain('root:x:0:0');
  });

  it('renders with the history missing (verdicts from summary.json, timeline absent)', async () => {
    const dir = await writeFixtureRun(join(root, 'no-history'), 'pass');
    await rm(join(dir, 'history.jsonl'));
    await renderRunReport(dir);
    const h = await html(dir);
    expect(h).toContain('history not readable');
    expect(h).toContain('id="verdict">PASS<');
    expect(dataBlock(h).timelines).toHaveLength(0);
  });

  it('an expected failure beside an unknown check is UNKNOWN in the page, the runs index, JUnit and the exit code — whatever summary.json claims', async () => {
    // A schema-1 summary as older amchaos wrote it: the scenario "fail" with expectedFailure set and
    // the run "pass", although no-loss could not decide. Every consumer must recompute: unknown.
    const dir = await writeFixtureRun(join(root, 'masked-unknown'), 'pass');
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary & { schema: number };
    const sc = summary.scenarios[0]!;
    sc.checks = [
      { ...sc.checks[0]!, name: 'exactly-once', verdict: 'fail', expectedFailure: 'the UDP cut the suite injected' },
      { ...sc.checks[0]!, name: 'no-loss', verdict: 'unknown', summary: 'a delivery was still due when the history ended' },
    ];
    summary.scenarios = [{ ...sc, verdict: 'fail', expectedFailure: 'the UDP cut the suite injected' }];
    Object.assign(summary, { schema: 1, verdict: 'pass' });
    delete (summary as Partial<RunSummary>).outcome;
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    const r = await reportCommand(dir);
    expect(r.outcome).toBe('unknown');
    const h = await html(dir);
    expect(h).toContain('id="verdict">UNKNOWN<');
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<error message="a delivery was still due/);
    expect(junit).toContain('<skipped message="expected failure: the UDP cut the suite injected"');
    await renderRunIndex(join(root, 'masked-unknown'));
    const index = await readFile(join(root, 'masked-unknown', 'index.html'), 'utf8');
    expect(index).toContain('<tr class="row-unknown">');
    expect(index).not.toMatch(/<tr class="row-(pass|expected)">/);
  });

  it('never prints 0 duplicates for a run whose copies all came during injected faults: it counts them and says within at most k', async () => {
    const dir = await writeFixtureRun(join(root, 'fault-copies'), 'pass');
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    const sc = summary.scenarios[0]!;
    const eo = sc.checks.find((c) => c.name === 'exactly-once')!;
    eo.figures = { ...eo.figures, duplicates: 0, duplicatesDuringFaults: 4, healthyTransitions: 16 };
    sc.checks.push({ ...eo, name: 'at-most-k', verdict: 'pass', summary: 'at most one per side', figures: {}, evidence: [], evidenceCount: 0 });
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    await renderRunReport(dir);
    const h = await html(dir);
    expect(h).toContain('during injected faults 4 (0 while healthy, 4 during injected faults, within at most k)');
    expect(h).toMatch(/<td class="num" title="4 \(0 while healthy[^"]*">4 \(4 in faults\)<\/td>/);
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
    const order = ['20260115-120000-partition', '20260115-110000-no-cluster', '20260115-100000-pass'].map((d) => h.indexOf(`${d}/index.html`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(h).toMatch(/<tr class="row-fail"><td><span class="badge b-fail"/);
    expect(h).toContain('<table class="trend">');
    expect(h).toContain('href="20260115-110000-no-cluster/index.html#sc1"');
    const data = JSON.parse(/id="amchaos-data">([\s\S]*?)<\/script>/.exec(h)?.[1] ?? '{}') as { trend: { x: number[]; series: { label: string; values: (number | null)[] }[] } };
    expect(data.trend.x).toHaveLength(3);
    expect(data.trend.series.find((s) => s.label === 'control/0.28.1x3-no-cluster')?.values).toEqual([null, 24, null]);
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
    const run = await writeFixtureRun(site, 'pass');
    await writeFile(join(site, 'index.html'), '<h1>my site</h1>');
    expect((await reportCommand(run)).index).toBeUndefined();
    expect(await readFile(join(site, 'index.html'), 'utf8')).toBe('<h1>my site</h1>');
    expect(await renderParentIndex(run)).toBeUndefined();

    const fresh = join(root, 'fresh');
    const run2 = await writeFixtureRun(fresh, 'pass');
    expect(await renderParentIndex(run2)).toBe(join(fresh, 'index.html'));
    // Once the index is ours, it is kept current.
    expect((await reportCommand(run2)).index).toBe(join(fresh, 'index.html'));
    await expect(readFile(join(fresh, 'index.html'), 'utf8')).resolves.toContain('amchaos runs in');
  });

  it('re-renders every run of a reports folder and reports the unreadable ones', async () => {
    const folder = join(root, 'folder');
    await writeFixtureRun(folder, 'pass');
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
