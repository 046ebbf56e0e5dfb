import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../summary/summary.js';
import { xmlClean } from './junit.js';
import { renderRunReport } from './render.js';
import { writeFixtureRun } from '../../test/support/report/fixture-run.js';

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
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'amchaos-junit-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('junit.xml', () => {
  it('has one testsuite per scenario and one testcase per check, with matching counts', async () => {
    const dir = await writeFixtureRun(root, 'no-cluster');
    await renderRunReport(dir);
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
    }
    const all = suites.flatMap((s) => s.testcase);
    expect(Number(doc.testsuites['@_tests'])).toBe(all.length);
    expect(Number(doc.testsuites['@_failures'])).toBe(all.filter((c) => c.failure).length);
    expect(Number(doc.testsuites['@_errors'])).toBe(all.filter((c) => c.error).length);
    expect(Number(doc.testsuites['@_skipped'])).toBe(all.filter((c) => c.skipped).length);
  });

  it('a failure carries the evidence: when, from which nodes, under which fault, and the replay command', async () => {
    const dir = join(root, '20260115-100000-no-cluster');
    const { doc } = await junitOf(dir);
    const control = doc.testsuites.testsuite.find((s) => s['@_name'].startsWith('control/'))!;
    const eo = control.testcase.find((c) => c['@_name'].startsWith('exactly-once'))!;
    expect(eo['@_classname']).toBe('amchaos.control');
    expect(eo.failure?.['@_type']).toBe('amchaos.fail');
    expect(eo.failure?.['@_message']).toBe('24 duplicate notifications in 12 of 12 transitions');
    const body = eo.failure?.['#text'] ?? '';
    expect(body).toMatch(/^when: first at t=6\.011 s/m);
    expect(body).toMatch(/^from: n1, n2, n3$/m);
    expect(body).toMatch(/^under: no fault; nodes not clustered/m);
    expect(body).toMatch(/seq \d+: notification #\d+ from n\d → webhook/);
    expect(body).toContain('replay: amchaos run --suite control,exactly-once --seed 42');
    // User data survives the round trip verbatim (escaped in the file, decoded by the parser).
    expect(body).toContain('DiskFull</script><script>alert(\\"pwned\\")</script>');
    expect(control.testcase.find((c) => c['@_name'].startsWith('no-loss'))?.failure).toBeUndefined();
  });

  it('reports an expected failure as skipped with its reason, and a scenario that could not run as an error', async () => {
    const { doc } = await junitOf(join(root, '20260115-100000-no-cluster'));
    const mixed = doc.testsuites.testsuite.find((s) => s['@_name'] === 'exactly-once/0.25.0+0.28.1+0.33.1')!;
    const eo = mixed.testcase.find((c) => c['@_name'].startsWith('exactly-once'))!;
    expect(eo.failure).toBeUndefined();
    expect(eo.skipped?.['@_message']).toMatch(/^expected failure: fixture: stands in for/);
    expect(eo['system-out']).toContain('4 duplicate notifications');
    const tsam = doc.testsuites.testsuite.find((s) => s['@_name'] === 'exactly-once/tsamx3')!;
    expect(tsam.testcase).toHaveLength(1);
    expect(tsam.testcase[0]?.error?.['@_type']).toBe('AMCHAOS_NODE_START_FAILED');
    expect(tsam.testcase[0]?.error?.['#text']).toContain('hint: see logs/n2.log');
  });

  it('stays well-formed when user data holds characters XML 1.0 forbids', async () => {
    const dir = await writeFixtureRun(join(root, 'ctl'), 'pass');
    const file = join(dir, 'summary.json');
    const summary = JSON.parse(await readFile(file, 'utf8')) as RunSummary;
    const check = summary.scenarios[0]!.checks[0]!;
    check.verdict = 'fail';
    check.summary = 'nul\u0000 bell\u0007 lone\uD800 pair\uD83D\uDE00 "quotes" & <tags> \r\n]]>';
    summary.scenarios[0]!.id = 'exactly-once/<&">';
    await writeFile(file, JSON.stringify(summary));
    await renderRunReport(dir);
    const { doc } = await junitOf(dir);
    const c = doc.testsuites.testsuite[0]!.testcase.find((x) => x.failure)!;
    expect(c.failure?.['@_message']).toBe('nul\uFFFD bell\uFFFD lone\uFFFD pair\uD83D\uDE00 "quotes" & <tags> \r\n]]>');
    expect(doc.testsuites.testsuite[0]!['@_name']).toBe('exactly-once/<&">');
  });

  it('xmlClean keeps valid text and surrogate pairs', () => {
    expect(xmlClean('a\tb\nc\u00e9\uD83D\uDE00')).toBe('a\tb\nc\u00e9\uD83D\uDE00');
    expect(xmlClean('\u0001\uFFFE\uDC00x')).toBe('\uFFFD\uFFFD\uFFFDx');
  });
});
