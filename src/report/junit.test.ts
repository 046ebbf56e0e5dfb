import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../summary/summary.js';
import { xmlClean } from './junit.js';
import { renderRunReport } from './render.js';
import { unpackRecordedRun, type RecordedRun } from '../../test/support/report/recorded.js';

/** junit.xml read back with a real XML parser, the way CI systems read it. */

interface Case {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  error?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
  'system-out'?: string;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  properties: { property: { '@_name': string; '@_value': string }[] };
  testcase: Case[];
}
interface Doc {
  testsuites: { '@_tests': string; '@_failures': string; '@_errors': string; '@_skipped': string; testsuite: Suite[] };
}

const parser = new XMLParser({ ignoreAttributes: false, htmlEntities: true, isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name), trimValues: false });

async function junitOf(dir: string): Promise<{ xml: string; doc: Doc }> {
  const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`junit.xml is not well-formed: ${JSON.stringify(valid.err)}`);
  return { xml, doc: parser.parse(xml) as Doc };
}

let root: string;
const runs: Record<string, string> = {};
const ALL: RecordedRun[] = ['pass', 'no-cluster', 'mixed', 'partition', 'latency-sweep', 'expected', 'markup', 'interrupted', 'restart'];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-junit-'));
  for (const name of ALL) {
    runs[name] = await unpackRecordedRun(name, root);
    await renderRunReport(runs[name]);
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** junit.xml of the recorded runs (fixtures/histories/): real clusters, judged by the real checkers. */
describe('junit.xml', () => {
  it.each(ALL)('%s: one testsuite per scenario and one testcase per check, with matching counts', async (name) => {
    const dir = runs[name]!;
    const { doc } = await junitOf(dir);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@_name']).sort()).toEqual(summary.scenarios.map((s) => s.id).sort());
    for (const sc of summary.scenarios) {
      const suite = suites.find((s) => s['@_name'] === sc.id)!;
      const expected = sc.checks.length + (sc.error ? 1 : 0);
      expect(suite.testcase).toHaveLength(expected);
      expect(Number(suite['@_tests'])).toBe(expected);
      expect(suite.properties.property.find((p) => p['@_name'] === 'amchaos.seed')?.['@_value']).toBe(String(sc.seed));
      // failures, errors and skips follow the recorded verdicts: fail, unknown, expected failure.
      const byName = (check: string) => suite.testcase.find((c) => c['@_name'].startsWith(`${check} [`))!;
      for (const c of sc.checks) {
        const tc = byName(c.name);
        const kind = c.verdict === 'fail' ? (c.expectedFailure ? 'skipped' : 'failure') : c.verdict === 'unknown' ? 'error' : 'pass';
        expect(tc.failure !== undefined, `${sc.id} ${c.name}`).toBe(kind === 'failure');
        expect(tc.error !== undefined, `${sc.id} ${c.name}`).toBe(kind === 'error');
        expect(tc.skipped !== undefined, `${sc.id} ${c.name}`).toBe(kind === 'skipped');
      }
    }
    const all = suites.flatMap((s) => s.testcase);
    expect(Number(doc.testsuites['@_tests'])).toBe(all.length);
    expect(Number(doc.testsuites['@_failures'])).toBe(all.filter((c) => c.failure).length);
    expect(Number(doc.testsuites['@_errors'])).toBe(all.filter((c) => c.error).length);
    expect(Number(doc.testsuites['@_skipped'])).toBe(all.filter((c) => c.skipped).length);
  });

  it('a failure carries the evidence: when, from which nodes, under which fault, and the replay command', async () => {
    const { doc } = await junitOf(runs['no-cluster']!);
    const control = doc.testsuites.testsuite.find((s) => s['@_name'] === 'exactly-once/0.33.1x3/no-cluster')!;
    const eo = control.testcase.find((c) => c['@_name'].startsWith('exactly-once'))!;
    expect(eo['@_classname']).toBe('amchaos.exactly-once');
    expect(eo.failure?.['@_type']).toBe('amchaos.fail');
    expect(eo.failure?.['@_message']).toBe('16 duplicate notification(s) in 8 of 8 group transition(s) with the nodes not clustered (cluster status "disabled") (up to 3 notifications of one transition)');
    const body = eo.failure?.['#text'] ?? '';
    // The first copy: seq 63, n1 at 23:12:21.499Z (history.jsonl).
    expect(body).toMatch(/^when: first at t=1\.131 s \(2026-12-04T23:12:21\.499Z\)$/m);
    expect(body).toMatch(/^from: n1, n2, n3$/m);
    expect(body).toMatch(/^under: no fault; nodes not clustered \(--no-cluster\)$/m);
    expect(body).toContain('evidence (8 of 8):');
    expect(body).toContain('seq 63: notification #1 from n1 → capture: {}:{alertname="SLOBurnRate", group="g2"} firing, 1 alert, answered 200');
    expect(body).toContain('replay: npx amchaos run --suite exactly-once --versions 0.33.1 --no-cluster --log-level info --seed 102');
    expect(control.testcase.find((c) => c['@_name'].startsWith('no-loss'))?.failure).toBeUndefined();
  });

  it('user data survives the round trip verbatim: markup in label values, escaped in the file, decoded by the parser', async () => {
    const { xml, doc } = await junitOf(runs['markup']!);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('<img');
    const suite = doc.testsuites.testsuite.find((s) => s['@_name'] === 'exactly-once/0.25.0x3/no-cluster')!;
    const body = suite.testcase.find((c) => c.failure)!.failure!['#text'];
    expect(body).toContain('{}:{alertname="<img src=x onerror=alert(2)>", group="</td><b>bold</b>"}');
    expect(body).toContain('alertname="<script>alert(1)</script>"');
    expect(body).toContain('instance="a\\"b\'c&d"');
    expect(body).toContain('team="ünïcødé 雪"');
    // The label's control characters arrive as escapes, and "]]>" as text.
    expect(body).toContain('note="nul\\u0000 bell\\u0007 vt\\u000b ]]> end"');
  });

  it('reports an expected failure as skipped with its reason, and a scenario that could not run as an error', async () => {
    const { doc } = await junitOf(runs['expected']!);
    const outage = doc.testsuites.testsuite.find((s) => s['@_name'] === 'receiver-outage/0.33.1x3')!;
    const validity = outage.testcase.find((c) => c['@_name'].startsWith('validity'))!;
    expect(validity.failure).toBeUndefined();
    expect(validity.skipped?.['@_message']).toMatch(/^expected failure: receiver failing longer than peer_timeout: the nflog is written only after a successful send/);
    expect(validity['system-out']).toContain('3 notified alert state(s) contradict the workload: 3 stale firing');
    expect(validity['system-out']).toMatch(/^under: receiver answers 503 \(fault #1, t=6\.737 s–t=11\.782 s\); receiver down \(fault #2, t=11\.783 s–t=14\.284 s\)$/m);
    expect(Number(doc.testsuites['@_skipped'])).toBe(1);
    expect(Number(doc.testsuites['@_failures'])).toBe(0);
    const { doc: stopped } = await junitOf(runs['interrupted']!);
    const tsam = stopped.testsuites.testsuite.find((s) => s['@_name'] === 'exactly-once/tsamx3')!;
    expect(tsam.testcase).toHaveLength(1);
    expect(tsam.testcase[0]?.['@_name']).toBe('scenario [tsam ×3]');
    expect(tsam.testcase[0]?.error?.['@_type']).toBe('AMCHAOS_INTERRUPTED');
    expect(tsam.testcase[0]?.error?.['#text']).toContain('replay: npx amchaos run --suite exactly-once --versions 0.33.1,tsam --log-level info --seed 107');
  });

  it('stays well-formed when text holds characters XML 1.0 forbids', async () => {
    // Label values reach junit.xml escaped (above); a scenario id (a vitest test name, for the
    // reporter) and a harness error message (a node's own words) are taken as they are. The
    // interrupted run's unknown scenario carries them here.
    const dir = await unpackRecordedRun('interrupted', join(root, 'ctl'));
    const file = join(dir, 'summary.json');
    const summary = JSON.parse(await readFile(file, 'utf8')) as RunSummary;
    const sc = summary.scenarios.find((s) => s.error)!;
    sc.id = 'exactly-once/<&">';
    sc.error = { ...sc.error!, message: 'nul\u0000 bell\u0007 lone\uD800 pair\uD83D\uDE00 "quotes" & <tags> \r\n]]>' };
    await writeFile(file, JSON.stringify(summary));
    await renderRunReport(dir);
    const { doc } = await junitOf(dir);
    const suite = doc.testsuites.testsuite.find((s) => s['@_name'] === 'exactly-once/<&">')!;
    expect(suite.testcase[0]?.error?.['@_message']).toBe('AMCHAOS_INTERRUPTED: nul\uFFFD bell\uFFFD lone\uFFFD pair\uD83D\uDE00 "quotes" & <tags> \r\n]]>');
  });

  it('xmlClean keeps valid text and surrogate pairs', () => {
    expect(xmlClean('a\tb\nc\u00e9\uD83D\uDE00')).toBe('a\tb\nc\u00e9\uD83D\uDE00');
    expect(xmlClean('\u0001\uFFFE\uDC00x')).toBe('\uFFFD\uFFFD\uFFFDx');
  });
});
