import { describeEvent, faultContextText, fmtSeconds } from './html.js';
import { shellQuote } from './page.js';
import type { CheckModel, RunModel, ScenarioModel } from './model.js';

/**
 * junit.xml: one <testsuite> per scenario, one <testcase> per check of that scenario.
 *
 *  pass              → a plain testcase
 *  fail              → <failure message="summary" type="amchaos.fail"> with when/from/under-which-fault
 *                       and the evidence, then the replay command
 *  unknown           → <error type="amchaos.unknown"> (the harness could not decide: not a pass)
 *  expected failure  → <skipped message="expected failure: reason"> — CI dashboards show skipped
 *                       tests with their message, the build stays green, and unlike a pass it does
 *                       not claim the property held. The check's summary goes to <system-out>.
 *  scenario error    → one testcase "scenario" with <error type="AMCHAOS_…"> (nothing was checked)
 *
 * classname is `amchaos.<suite>` and the name `<check> [<cluster>]`, because Jenkins-style UIs
 * split classnames at dots and versions (0.25.0) would otherwise become packages.
 */

const MAX_EVIDENCE_IN_XML = 10;

export function renderJunit(m: RunModel, opts: { reportPath?: string } = {}): string {
  const suites = m.scenarios.map((s) => suite(m, s, opts.reportPath ?? 'index.html'));
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const s of m.scenarios) {
    const t = tally(s);
    totals.tests += t.tests;
    totals.failures += t.failures;
    totals.errors += t.errors;
    totals.skipped += t.skipped;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${attr(`amchaos ${m.runId}`)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${secs(m.durationMs)}" timestamp="${attr(
    isoNoMs(m.startedAt),
  )}">
${suites.join('\n')}
</testsuites>
`;
}

function tally(s: ScenarioModel): { tests: number; failures: number; errors: number; skipped: number } {
  const cases = s.checks.length + (s.summary.error || s.checks.length === 0 ? 1 : 0);
  return {
    tests: cases,
    failures: s.checks.filter((c) => c.status === 'fail').length,
    errors: s.checks.filter((c) => c.status === 'unknown').length + (s.summary.error || s.checks.length === 0 ? 1 : 0),
    skipped: s.checks.filter((c) => c.status === 'expected').length,
  };
}

function suite(m: RunModel, s: ScenarioModel, reportPath: string): string {
  const sum = s.summary;
  const t = tally(s);
  const classname = `amchaos.${sum.suite}`;
  const props: [string, string][] = [
    ['amchaos.run', m.runId],
    ['amchaos.seed', String(sum.seed)],
    ['amchaos.versions', (sum.versions ?? []).join(',')],
    ['amchaos.runtime', String(sum.runtime)],
    ['amchaos.clustered', String(sum.clustered)],
    ['amchaos.replay', shellQuote(m.command)],
    ['amchaos.report', `${reportPath}#${s.anchor}`],
  ];
  if (sum.expectedFailure) props.push(['amchaos.expectedFailure', sum.expectedFailure]);
  const cases: string[] = [];
  if (sum.error || s.checks.length === 0) {
    const err = sum.error ?? { code: 'AMCHAOS_NO_CHECKS', message: 'the scenario produced no check results', hint: undefined };
    cases.push(
      `    <testcase classname="${attr(classname)}" name="${attr(`scenario [${s.clusterLabel}]`)}" time="${secs(sum.durationMs)}">
      <error message="${attr(`${err.code}: ${err.message}`)}" type="${attr(err.code)}">${text([`${err.code}: ${err.message}`, err.hint ? `hint: ${err.hint}` : '', `replay: ${shellQuote(m.command)}`].filter(Boolean).join('\n'))}</error>
    </testcase>`,
    );
  }
  for (const c of s.checks) cases.push(testcase(m, s, c, classname, reportPath));
  return `  <testsuite name="${attr(sum.id)}" tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${secs(sum.durationMs)}" timestamp="${attr(
    isoNoMs(sum.startedAt),
  )}" hostname="${attr(String(m.machine['hostname'] ?? 'unknown'))}">
    <properties>
${props.map(([n, v]) => `      <property name="${attr(n)}" value="${attr(v)}"/>`).join('\n')}
    </properties>
${cases.join('\n')}
  </testsuite>`;
}

function testcase(m: RunModel, s: ScenarioModel, c: CheckModel, classname: string, reportPath: string): string {
  const k = c.check;
  // Checks are pure functions of the history: the time is the scenario's, reported on the suite.
  const open = `    <testcase classname="${attr(classname)}" name="${attr(`${k.name} [${s.clusterLabel}]`)}" time="0">`;
  const figures = Object.entries(k.figures ?? {})
    .map(([n, v]) => `${n}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
    .join(' ');
  if (c.status === 'pass') return `${open}\n      <system-out>${text(`${k.summary}\n${figures}`)}</system-out>\n    </testcase>`;
  if (c.status === 'expected')
    return `${open}
      <skipped message="${attr(`expected failure: ${k.expectedFailure ?? ''}`)}"/>
      <system-out>${text(`${k.summary}\n${figures}\n${detail(m, s, c, reportPath)}`)}</system-out>
    </testcase>`;
  const tag = c.status === 'fail' ? 'failure' : 'error';
  return `${open}
      <${tag} message="${attr(k.summary)}" type="amchaos.${c.status}">${text(`${k.summary}\n${figures}\n${detail(m, s, c, reportPath)}`)}</${tag}>
    </testcase>`;
}

/** The answer to "when, from which node, under which fault", then the evidence, for CI logs. */
function detail(m: RunModel, s: ScenarioModel, c: CheckModel, reportPath: string): string {
  const lines: string[] = [];
  const timed = c.evidence.filter((e) => e.at !== undefined);
  if (timed.length) {
    const first = timed.reduce((a, b) => ((b.at ?? 0) < (a.at ?? 0) ? b : a));
    const senders = [...new Set(c.evidence.flatMap((e) => e.senders))].sort();
    const contexts = new Map<string, { text: string; count: number }>();
    for (const e of timed) {
      const key = e.faults.map((f) => f.fault).join(',');
      const ctx = contexts.get(key) ?? { text: faultContextText(e.faults, s.summary.clustered), count: 0 };
      ctx.count++;
      contexts.set(key, ctx);
    }
    lines.push(`when: first at ${fmtSeconds(first.at ?? 0)} (${first.events[0]?.wall ?? '?'})`);
    if (senders.length) lines.push(`from: ${senders.join(', ')}`);
    const list = [...contexts.values()].sort((a, b) => b.count - a.count);
    lines.push(`under: ${list.map((c) => (list.length > 1 ? `${c.text} (${c.count} of ${timed.length})` : c.text)).join('; ')}`);
  }
  const total = c.check.evidenceCount ?? c.check.evidence?.length ?? 0;
  if (total > 0) {
    lines.push(`evidence (${Math.min(total, MAX_EVIDENCE_IN_XML)} of ${total}):`);
    for (const e of c.evidence.slice(0, MAX_EVIDENCE_IN_XML)) {
      lines.push(`  - [${e.evidence.kind}] ${e.evidence.message}${e.at !== undefined ? ` @ ${fmtSeconds(e.at)}` : ''}`);
      for (const ev of e.events.slice(0, 6)) lines.push(`      seq ${ev.seq}: ${describeEvent(ev)}`);
    }
  }
  lines.push(`replay: ${shellQuote(m.command)}`);
  lines.push(`report: ${reportPath}#${c.anchor}`);
  return lines.join('\n');
}

// XML 1.0 allows only #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]:
// log lines and label values may carry anything, so everything else becomes U+FFFD.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlClean(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD');
}

function attr(v: string): string {
  return xmlClean(v).replace(/[&<>"'\n\r\t]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' })[c] ?? c);
}

function text(v: string): string {
  return xmlClean(v).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

function secs(ms: number | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? (ms / 1000).toFixed(3) : '0';
}

function isoNoMs(iso: string | undefined): string {
  const d = new Date(iso ?? '');
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d+Z$/, '');
}
