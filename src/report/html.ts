import type { HistoryEvent } from '../history/types.js';
import type { CheckModel, EvidenceModel, FaultWindow, FigureModel, Finding, LatencySweepModel, RoutesModel, RunModel, ScenarioModel, Status } from './model.js';
import { describeDuplicates, duplicateCounts, MAX_MARKS, outsideFaults } from './model.js';
import { claimBlockHtml } from './catalogue-page.js';
import { esc, jsonScript, page, shellQuote } from './page.js';

/**
 * HTML rendering of a run. Everything that is user data (labels, descriptions, log lines, ids)
 * goes through `esc` or `jsonScript` (page.ts), whose page allows no network and no unlisted script.
 */

/** Okabe–Ito based palette (colour-blind safe), one colour per node in start order. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#8C564B', '#7F7F00', '#9467BD', '#17BECF', '#595959'];
export const UNKNOWN_SENDER = '#B0B0B0';

/** Evidence items listed open; the rest sit in a collapsed list (still in the page, for find-in-page). */
const OPEN_EVIDENCE = 5;

const STATUS_TEXT: Record<Status, string> = { fail: 'fail', unknown: 'unknown', expected: 'expected fail', pass: 'pass' };

export function badge(status: Status, title?: string): string {
  return `<span class="badge b-${status}"${title ? ` title="${esc(title)}"` : ''}>${STATUS_TEXT[status]}</span>`;
}


// ---------------------------------------------------------------------------------------------
// Run report

export function renderRunHtml(m: RunModel): string {
  const status: Status = m.status;
  const body = [
    header(m, status),
    m.warnings.length ? `<section class="warnings"><h2>Problems reading this run</h2><ul>${m.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : '',
    matrix(m),
    ...m.scenarios.map((s) => scenario(s)),
    environment(m),
    `<footer>amchaos report · run ${esc(m.runId)} · rendered from summary.json and history.jsonl · <a href="../index.html">all runs</a></footer>`,
  ].join('\n');
  const data = {
    page: 'run',
    palette: PALETTE,
    unknownSender: UNKNOWN_SENDER,
    maxMarks: MAX_MARKS,
    timelines: m.scenarios.flatMap((s) => (s.timeline ? [s.timeline] : [])),
    distributions: m.scenarios.flatMap((s) => s.checks.flatMap((c) => c.distributions.map((d, i) => ({ id: `${c.anchor}-d${i}`, d })))),
    sweeps: m.scenarios.flatMap((s) => (s.latencySweep ? [s.latencySweep] : [])),
  };
  return page({ title: `${STATUS_TEXT[m.status].toUpperCase()} · amchaos ${m.runId}`, body, data });
}

function header(m: RunModel, status: Status): string {
  const c = m.counts;
  const parts = [
    c.fail ? `${c.fail} failed` : '',
    c.unknown ? `${c.unknown} unknown` : '',
    c.expected ? `${c.expected} failed as expected` : '',
    `${c.pass} passed`,
  ].filter(Boolean);
  const total = m.scenarios.length;
  return `<header class="top s-${status}">
<div class="verdict-line"><span class="verdict v-${status}" id="verdict">${esc(STATUS_TEXT[status].toUpperCase())}</span>
<div><h1>amchaos run <span class="mono">${esc(m.runId)}</span></h1>
<p class="counts">${total} scenario${total === 1 ? '' : 's'}: ${esc(parts.join(' · '))} · started ${esc(fmtWall(m.startedAt))} · took ${esc(fmtDuration(m.durationMs))}</p></div></div>
<p class="answer" id="answer">${answer(m)}</p>
${m.findings.length ? `<ol class="findings">${m.findings.map(finding).join('')}</ol>` : ''}
<div class="replay"><span class="k">Replay</span><code class="cmd" id="replay" title="the exact command that replays this run (seed pinned); select to copy">${esc(shellQuote(m.command))}</code><span class="k">seed</span><code>${esc(m.seed)}</code></div>
${m.catalogue ? `<p class="answer"><a href="catalogue.html">The failure-mode catalogue</a>: which upstream failure modes reproduced on which version.</p>` : ''}
</header>`;
}

interface CheckRun {
  s: ScenarioModel;
  c: CheckModel;
}

/**
 * The answer first: the checks that failed, then the undecided ones (and scenarios that could not
 * run), then the expected failures, then what held — each naming its scenarios. Statuses come from
 * the model (src/checkers/outcome.ts decides them); nothing is re-derived here.
 */
function answer(m: RunModel): string {
  const byCheck = new Map<string, Record<Status, CheckRun[]>>();
  for (const name of m.checkNames) byCheck.set(name, { fail: [], unknown: [], expected: [], pass: [] });
  for (const s of m.scenarios) for (const c of s.checks) byCheck.get(c.check.name)?.[c.status].push({ s, c });
  const where = (runs: CheckRun[], note?: (r: CheckRun) => string): string =>
    runs.map((r) => `<a href="#${r.c.anchor}">${esc(r.s.summary.id)}</a>${note ? esc(note(r)) : ''}`).join(', ');
  const listOf = (status: Status, note?: (r: CheckRun) => string): string[] =>
    [...byCheck].filter(([, v]) => v[status].length > 0).map(([name, v]) => `<span class="check-name">${esc(name)}</span> in ${where(v[status], note)}`);
  const sentences: string[] = [];
  const failed = listOf('fail', (r) => (r.c.check.name === 'exactly-once' ? ` (${duplicatePhrase(r.s)})` : ''));
  if (failed.length) sentences.push(`<strong class="t-fail">Failed:</strong> ${failed.join('; ')}.`);
  const unknown = listOf('unknown');
  const notRun = m.scenarios.filter((s) => s.summary.error);
  if (unknown.length) sentences.push(`<strong class="t-unknown">Undecided:</strong> ${unknown.join('; ')} (the check lacked data; see why below).`);
  if (notRun.length)
    sentences.push(`<strong class="t-unknown">Could not run:</strong> ${notRun.map((s) => `<a href="#${s.anchor}">${esc(s.summary.id)}</a> (${esc(s.summary.error!.code)})`).join(', ')}.`);
  const expected = listOf('expected');
  if (expected.length) sentences.push(`<strong class="t-expected">Failed as expected:</strong> ${expected.join('; ')} (behaviour the suite expects under the faults it injected; the reason is below).`);
  const held = [...byCheck]
    .filter(([, v]) => v.pass.length > 0)
    .map(([name, v]) => {
      const total = v.fail.length + v.unknown.length + v.expected.length + v.pass.length;
      const scope = total === v.pass.length ? (total === 1 ? '' : ` in all ${total} scenarios`) : ` in ${v.pass.length} of ${total} scenarios`;
      return `<span class="check-name">${esc(name)}</span>${scope}${name === 'exactly-once' ? exactlyOnceHeld(v.pass) : ''}`;
    });
  if (held.length) sentences.push(`<strong class="t-pass">Held:</strong> ${held.join('; ')}.`);
  if (sentences.length === 0) return 'No check ran in this run.';
  return sentences.join(' ');
}

/** "24 duplicates while healthy (and 4 during injected faults)", or "with the nodes not clustered". */
function duplicatePhrase(s: ScenarioModel): string {
  const d = duplicateCounts(s.summary);
  if (!d) return 'duplicates';
  return `${d.healthy} duplicate notification${d.healthy === 1 ? '' : 's'} ${outsideFaults(d.clustered)}${d.duringFaults ? `, and ${d.duringFaults} during injected faults` : ''}`;
}

/** The question people ask first: how many group transitions were notified exactly once, and the copies during faults. */
function exactlyOnceHeld(passed: CheckRun[]): string {
  const healthy = passed.reduce((n, x) => n + (typeof x.c.check.figures?.['healthyTransitions'] === 'number' ? (x.c.check.figures['healthyTransitions'] as number) : 0), 0);
  const faulted = passed.map((x) => ({ x, d: duplicateCounts(x.s.summary)! })).filter(({ d }) => d && d.duringFaults > 0);
  const copies = faulted.length ? `; during injected faults ${faulted.map(({ x, d }) => `${esc(describeDuplicates(d))} in <a href="#${x.c.anchor}">${esc(x.s.summary.id)}</a>`).join(', ')}` : '';
  return ` (${healthy > 0 ? `each of ${healthy} group transitions` : 'every group transition'} while the cluster was healthy notified exactly once${copies})`;
}

function finding(f: Finding): string {
  const where: string[] = [];
  if (f.at !== undefined) where.push(`<span class="k">when</span> ${esc(fmtSeconds(f.at))}${f.wall ? ` <span class="dim">(${esc(fmtWall(f.wall))})</span>` : ''}`);
  if (f.senders.length) where.push(`<span class="k">from</span> ${esc(f.senders.join(', '))}`);
  if (f.contexts.length) {
    const total = f.contexts.reduce((n, c) => n + c.count, 0);
    where.push(
      `<span class="k">under</span> ${f.contexts
        .map((c) => `${faultContext(c.faults, f.clustered)}${f.contexts.length > 1 ? ` <span class="dim">(${c.count} of ${total})</span>` : ''}`)
        .join('; ')}`,
    );
  }
  return `<li>${badge(f.status, f.expectedReason)} <a href="#${f.checkAnchor}"><span class="mono">${esc(f.scenario)}</span> › ${esc(f.check)}</a>: ${esc(f.summary)}${
    f.expectedReason ? ` <span class="expected-reason">expected: ${esc(f.expectedReason)}</span>` : ''
  }${where.length ? `<div class="where">${where.join(' · ')}</div>` : ''}</li>`;
}

/** "Under which fault": the faults active at an evidence time, or what the cluster was like. */
export function faultContextText(faults: FaultWindow[], clustered: boolean): string {
  if (faults.length === 0) return clustered ? 'no fault active (healthy cluster)' : 'no fault; nodes not clustered (--no-cluster)';
  return faults.map((w) => `${w.description} (fault #${w.fault}, ${fmtSeconds(w.from)}–${w.open ? 'never removed' : fmtSeconds(w.to)})`).join('; ');
}

function faultContext(faults: FaultWindow[], clustered: boolean): string {
  if (faults.length === 0) return esc(faultContextText(faults, clustered));
  return faults.map((w) => `${esc(w.description)} <span class="dim">(fault #${esc(w.fault)}, ${esc(fmtSeconds(w.from))}–${w.open ? 'never removed' : esc(fmtSeconds(w.to))})</span>`).join('; ');
}

function matrix(m: RunModel): string {
  const head = `<tr><th>Scenario</th><th>Cluster (versions)</th><th>Runtime</th><th>Verdict</th>${m.checkNames.map((n) => `<th>${esc(n)}</th>`).join('')}<th class="num">Notifications</th><th class="num">Duplicates</th></tr>`;
  const rows = m.scenarios.map((s) => {
    const cells = m.checkNames.map((n) => {
      const c = s.checks.find((x) => x.check.name === n);
      if (!c) return '<td class="na">—</td>';
      return `<td class="cell-${c.status}"><a href="#${c.anchor}" title="${esc(c.check.summary)}">${badge(c.status, c.check.expectedFailure)}</a>${
        c.check.expectedFailure ? `<div class="cell-note">${esc(truncate(c.check.expectedFailure, 80))}</div>` : ''
      }</td>`;
    });
    const dups = duplicateCounts(s.summary);
    return `<tr class="row-${s.status}"><td><a href="#${s.anchor}" class="mono">${esc(s.summary.id)}</a>${
      s.summary.error ? `<div class="cell-note">could not run: ${esc(s.summary.error.code)}</div>` : ''
    }</td><td>${esc(s.clusterLabel)}</td><td>${esc(s.summary.runtime)}</td><td>${badge(s.status, s.summary.expectedFailure)}</td>${cells.join('')}<td class="num">${esc(
      s.notificationCount,
    )}</td><td class="num${dups && dups.healthy > 0 ? ' bad' : ''}"${dups && dups.total > 0 ? ` title="${esc(describeDuplicates(dups))}"` : ''}>${esc(
      dups === undefined ? '—' : dups.duringFaults > 0 ? `${dups.total} (${dups.duringFaults} in faults)` : dups.total,
    )}</td></tr>`;
  });
  return `<section id="matrix"><h2>Scenarios × checks</h2><p class="dim">Failures first. A cell links to the check's evidence; “expected fail” means the suite declared this failure known upstream behaviour (hover for the reason).</p>
<div class="scroll"><table class="matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

function scenario(s: ScenarioModel): string {
  const sum = s.summary;
  const tl = s.timeline;
  const parts: string[] = [];
  parts.push(`<section class="scenario" id="${s.anchor}">
<h2>${badge(s.status, sum.expectedFailure)} <span class="mono">${esc(sum.id)}</span></h2>
<p class="meta">${esc(s.clusterLabel)} · runtime ${esc(sum.runtime)} · ${sum.clustered ? 'clustered' : '<strong>not clustered (--no-cluster)</strong>'} · seed ${esc(sum.seed)} · ${esc(
    fmtDuration(sum.durationMs),
  )} · started ${esc(fmtWall(sum.startedAt))}${sum.expectedFailure ? ` · <span class="expected-reason">expected failure: ${esc(sum.expectedFailure)}</span>` : ''}</p>`);
  // The suite's upstream claim (src/claims), beside the checks: a finding, never a verdict.
  parts.push(claimBlockHtml(s.anchor, sum.claim));
  if (sum.error)
    parts.push(
      `<div class="error-box"><strong>Could not run: ${esc(sum.error.code)}</strong><p>${esc(sum.error.message)}</p>${sum.error.hint ? `<p class="hint">What to do: ${esc(sum.error.hint)}</p>` : ''}</div>`,
    );
  if (tl) {
    const legend = tl.nodes
      .map((n, i) => `<span class="sw" style="background:${PALETTE[i % PALETTE.length]}"></span>${esc(n)}`)
      .concat(tl.n.s.some((x) => x < 0) ? [`<span class="sw" style="background:${UNKNOWN_SENDER}"></span>unknown sender`] : [])
      .concat([
        '<span class="sw ring dup"></span>duplicate (exactly-once / at-most-k evidence)',
        '<span class="sw ring evid"></span>other evidence',
        '<span class="sw ring und"></span>not delivered (receiver did not answer 200)',
        '<span class="sw fault f-net"></span><span class="sw fault f-proc"></span><span class="sw fault f-other"></span>fault window, applied → removed (partition · process · link/receiver)',
      ]);
    parts.push(`<div class="timeline" data-timeline="${s.anchor}">
<div class="tl-bar"><strong>Timeline</strong> <span class="dim">${esc(tl.total)} notification${tl.total === 1 ? '' : 's'} · top lane: the receiver (every notification, coloured by sender) · below: one lane per node (what it sent) · drag to zoom, double-click to zoom out</span> <button type="button" class="reset" data-reset="${s.anchor}">reset zoom</button></div>
${tl.shown < tl.total ? `<p class="cap" id="${s.anchor}-cap">Showing ${esc(tl.shown)} of ${esc(tl.total)} notifications: every evidence notification plus an even sample of the rest (the chart stays usable up to about ${esc(MAX_MARKS)} marks). Checks and counts use all of them.</p>` : ''}
<div class="legend">${legend.map((l) => `<span class="li">${l}</span>`).join('')}</div>
<div class="tl-chart" id="${s.anchor}-tl" role="img" aria-label="${esc(`Notification timeline of ${sum.id}: ${tl.total} notifications, ${tl.nodes.length} nodes`)}"></div>
<div class="tl-peers" id="${s.anchor}-peers" role="img" aria-label="Cluster peers seen by each node over time"></div>
<div class="tl-detail" id="${s.anchor}-detail">Hover a mark for details; click it to keep them here.</div>
</div>`);
    if (s.faults.length) parts.push(faultTable(s));
    if (s.routes && s.routes.rows.length > 0) parts.push(routesTable(s, s.routes));
  } else if (!sum.error) {
    parts.push('<p class="dim">No history events for this scenario: the timeline cannot be drawn.</p>');
  }
  if (s.latencySweep) parts.push(latencySweepBlock(s.latencySweep));
  parts.push(nodesTable(s));
  for (const c of s.checks) parts.push(check(s, c));
  parts.push('</section>');
  return parts.join('\n');
}

function faultTable(s: ScenarioModel): string {
  const rows = s.faults.map(
    (f) =>
      `<tr><td>#${esc(f.fault)}</td><td>${esc(f.kind)}</td><td>${esc(f.description)}${f.failed ? ' <span class="bad">(failed to apply)</span>' : ''}</td><td>${esc(faultScope(f))}</td><td class="num">${esc(
        fmtSeconds(f.from),
      )}</td><td class="num">${f.open ? '<span class="bad">never removed</span>' : esc(fmtSeconds(f.to))}</td><td><button type="button" data-zoom="${s.anchor}" data-from="${esc(f.from)}" data-to="${esc(f.to)}">show</button></td></tr>`,
  );
  return `<details class="faults" open><summary>Faults (${s.faults.length})</summary><table><thead><tr><th>#</th><th>kind</th><th>description</th><th>scope</th><th class="num">applied</th><th class="num">removed</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

/**
 * Notifications per receiver and route: what the config routes to each route (alerts the workload
 * fired) beside what arrived there, so `continue: true` routing can be checked at a glance.
 */
function routesTable(s: ScenarioModel, r: RoutesModel): string {
  const rows = r.rows.map((row) => {
    const missing = row.alertsRouted !== undefined && row.alertsNotified < row.alertsRouted;
    const routeCell = row.route === undefined ? '—' : `<span class="mono" style="padding-left:${row.depth * 14}px">${esc(row.route)}</span>`;
    const matchers = row.route === undefined ? '—' : row.matchers.length ? `<span class="mono">${esc(row.matchers.join(', '))}</span>` : '<span class="dim">(every alert)</span>';
    return `<tr${missing ? ' class="warn"' : ''}><td>${routeCell}</td><td class="mono">${esc(row.receiver)}</td><td>${matchers}</td><td>${row.route === undefined ? '—' : row.continue ? '<strong>continue</strong>' : 'stop'}</td><td class="num">${
      row.alertsRouted === undefined ? '—' : esc(row.alertsRouted)
    }</td><td class="num">${esc(row.alertsNotified)}</td><td class="num">${esc(row.notifications)}</td><td class="num">${esc(row.firing)}</td><td class="num">${esc(row.resolved)}</td><td class="num">${esc(row.groups)}</td><td class="num${row.undelivered ? ' bad' : ''}">${esc(row.undelivered)}</td></tr>`;
  });
  const note = r.recorded
    ? 'Routes as the cluster ran them (scenario.start.routes), children indented under their parent. An alert goes to the first matching child route, and on to the next ones only while the matched route says <strong>continue</strong>; a route with no matching child takes the alert itself. “Alerts routed here” comes from what the workload fired; “alerts notified here” from what arrived — a row with fewer notified than routed is marked (silenced, inhibited or short-lived alerts are not owed a notification: no-loss judges).'
    : 'This history did not record its routes: one row per receiver.';
  return `<details class="routes" open id="${s.anchor}-routes"><summary>Notifications per receiver and route</summary><p class="dim">${note}</p><table class="routes-table"><thead><tr><th>route</th><th>receiver</th><th>matchers</th><th>on match</th><th class="num" title="distinct alerts the workload fired that this route takes">alerts routed here</th><th class="num" title="distinct alerts in delivered notifications of this route">alerts notified here</th><th class="num" title="delivered notifications (2xx)">notifications</th><th class="num">firing</th><th class="num">resolved</th><th class="num" title="distinct group keys">groups</th><th class="num" title="attempts the receiver did not answer 2xx">not delivered</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

export function faultScope(f: FaultWindow): string {
  if (f.components?.length) return f.components.map((c) => c.join(' ')).join(' | ');
  return f.nodes?.join(', ') ?? 'all';
}

function nodesTable(s: ScenarioModel): string {
  const nodes = s.summary.nodes ?? [];
  const rows = nodes.map(
    (n, i) =>
      `<tr><td><span class="sw" style="background:${PALETTE[i % PALETTE.length]}"></span>${esc(n.id)}</td><td>${esc(n.version)}</td><td>${esc(n.reportedVersion ?? '—')}</td><td>${esc(n.impl)}</td><td class="mono">${esc(
        n.externalURL,
      )}</td><td class="mono">${esc(n.peerName ?? '—')}</td><td class="mono">${esc(n.source ?? '—')}</td><td>${logLink(s, n.id)}</td></tr>`,
  );
  const timers = s.timers.map(figureRow).join('');
  const figures = s.figures.map(figureRow).join('');
  return `<details class="env"><summary>Nodes, timers and figures</summary><div class="env-grid">
<table><thead><tr><th>node</th><th>asked</th><th>reports</th><th>impl</th><th>external URL</th><th>peer name</th><th>source</th><th>log</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<table class="figures"><thead><tr><th>timer</th><th class="num">value</th><th>key</th></tr></thead><tbody>${timers}</tbody></table>
${figures ? `<table class="figures"><thead><tr><th>scenario figure</th><th class="num">value</th><th>key in summary.json</th></tr></thead><tbody>${figures}</tbody></table>` : ''}
</div></details>`;
}

function logLink(s: ScenarioModel, node: string): string {
  const rel = s.summary.logs?.[node];
  if (typeof rel !== 'string' || rel.startsWith('/') || rel.split(/[\\/]/).includes('..')) return '—';
  return `<a href="${esc(encodeURI(rel))}">${esc(rel)}</a>`;
}

function check(s: ScenarioModel, c: CheckModel): string {
  const k = c.check;
  const out: string[] = [];
  out.push(`<div class="check c-${c.status}" id="${c.anchor}">
<h3>${badge(c.status, k.expectedFailure)} ${esc(k.name)} <span class="dim">· ${esc(s.summary.id)}</span></h3>
<p class="summary">${esc(k.summary)}</p>${k.expectedFailure ? `<p class="expected-reason">Expected failure: ${esc(k.expectedFailure)}</p>` : ''}`);
  if (c.headline.length || c.sweep)
    out.push(
      `<div class="headline">${c.headline
        .map((f) => `<div class="fig${f.bad ? ' bad' : ''}" data-key="${esc(f.key)}"${f.help ? ` title="${esc(f.help)}"` : ''}><span class="v">${esc(f.value)}</span><span class="n">${esc(f.label)}</span></div>`)
        .join('')}${c.sweep ? sweep(c.sweep) : ''}</div>`,
    );
  if (c.figures.length)
    out.push(
      `<details class="figures-box"${c.headline.length === 0 ? ' open' : ''}><summary>All figures of this check (${c.figures.length + c.headline.length}) <span class="dim">· hover a name for what it means</span></summary><table class="figures"><thead><tr><th>figure</th><th class="num">value</th><th>key in summary.json</th></tr></thead><tbody>${[...c.headline, ...c.figures]
        .map(figureRow)
        .join('')}</tbody></table></details>`,
    );
  c.distributions.forEach((d, i) =>
    out.push(
      `<div class="dist"><div class="dist-head"><strong${d.help ? ` title="${esc(d.help)}"` : ''}>${esc(d.label)}</strong>${d.unit ? ` <span class="dim">(${esc(d.unit)})</span>` : ''} <span class="dim">n=${esc(d.n)} · min ${esc(round(d.min))} · median ${esc(round(d.p50))} · p95 ${esc(round(d.p95))} · max ${esc(
        round(d.max),
      )}</span></div><div class="dist-chart" id="${c.anchor}-d${i}" role="img" aria-label="${esc(`Distribution of ${d.label}`)}"></div></div>`,
    ),
  );
  const total = k.evidenceCount ?? k.evidence?.length ?? 0;
  if (total > 0) {
    out.push(`<h4>Evidence (${esc(total)})</h4><ol class="evidence">`);
    c.evidence.slice(0, OPEN_EVIDENCE).forEach((e) => out.push(evidenceItem(s, e)));
    out.push('</ol>');
    if (c.evidence.length > OPEN_EVIDENCE) {
      out.push(`<details class="more-evidence"><summary>${esc(c.evidence.length - OPEN_EVIDENCE)} more evidence items</summary><ol class="evidence" start="${OPEN_EVIDENCE + 1}">`);
      c.evidence.slice(OPEN_EVIDENCE).forEach((e) => out.push(evidenceItem(s, e)));
      out.push('</ol></details>');
    }
    if (c.evidenceNotShown > 0) out.push(`<p class="dim">${esc(c.evidenceNotShown)} more evidence items are in summary.json and not listed here.</p>`);
    if (c.evidenceNotInSummary > 0)
      out.push(`<p class="dim">${esc(c.evidenceNotInSummary)} more evidence items were found by the checker but not kept in summary.json; re-run the checker on history.jsonl to list them.</p>`);
  }
  out.push('</div>');
  return out.join('\n');
}

/** A figure as a table row: the label (its description on hover), the value with its unit, the raw key. */
function figureRow(f: FigureModel): string {
  return `<tr data-key="${esc(f.key)}"${f.bad ? ' class="bad"' : ''}><td${f.help ? ` class="described" title="${esc(f.help)}"` : ''}>${esc(f.label)}</td><td class="num">${esc(f.value)}</td><td class="mono key">${esc(f.key)}</td></tr>`;
}

function sweep(sw: NonNullable<CheckModel['sweep']>): string {
  return `<div class="fig sweep"><span class="n">${esc(sw.label)} (threshold ${esc(sw.thresholdLabel)} = ${esc(sw.threshold)})</span><span class="chips">${sw.values
    .map((v) => `<span class="chip${v >= sw.threshold ? ' over' : ''}" title="${v >= sw.threshold ? 'at or above the threshold' : 'below the threshold'}">${esc(v)}</span>`)
    .join('')}</span></div>`;
}

/**
 * What the probes below the threshold showed, from the probes themselves: a bisection that met noise
 * can have duplicates below the latency it settled on, and the page must not claim otherwise.
 */
function belowThreshold(sw: LatencySweepModel, threshold: number): string {
  const below = sw.probes.filter((p) => p.latencyMs < threshold);
  if (below.length === 0) return 'No probe ran below it.';
  const noisy = below.filter((p) => p.duplicates > 0);
  if (noisy.length === 0) return `Every probe below it (${below.length}) was notified exactly once.`;
  return `But ${noisy.length} of the ${below.length} probes below it also had duplicates (at ${esc(noisy.map((p) => fmtMs(p.latencyMs)).join(', '))}): the boundary is not sharp.`;
}

/** The answer of a latency sweep in one sentence, its chart, and every probe in the order it ran. */
function latencySweepBlock(sw: LatencySweepModel): string {
  const pt = sw.peerTimeoutMs;
  const largest = Math.max(...sw.probes.map((p) => p.latencyMs));
  const answer =
    sw.thresholdMs === null
      ? `No duplicates at any probed latency, up to ${fmtMs(largest)} of added one-way latency on every gossip link${pt ? ` (${round2(largest / pt)} × the peer timeout of ${fmtMs(pt)})` : ''}.`
      : `Duplicates start at <strong>${esc(fmtMs(sw.thresholdMs))}</strong> of added one-way latency on every gossip link${
          pt ? `: <strong>${esc(round2(sw.thresholdMs / pt))} ×</strong> the peer timeout of ${esc(fmtMs(pt))}` : ''
        }. ${belowThreshold(sw, sw.thresholdMs)}`;
  const rows = sw.probes
    .map(
      (p, i) =>
        `<tr${p.duplicates > 0 ? ' class="bad"' : ''}><td class="num">${i + 1}</td><td class="num">${esc(fmtMs(p.latencyMs))}</td><td class="num">${esc(p.duplicates)}</td><td class="num">${esc(p.transitions ?? '—')}</td><td class="num">${esc(
          p.minPeers ?? '—',
        )}${p.minPeers !== undefined && sw.nodes > 0 && p.minPeers < sw.nodes ? ' <span class="dim">(peers declared dead)</span>' : ''}</td></tr>`,
    )
    .join('');
  return `<div class="sweep-block"><h3>Latency sweep</h3><p class="answer">${sw.thresholdMs === null ? esc(answer) : answer}</p>
<div class="sweep-chart" id="${esc(sw.id)}" role="img" aria-label="${esc(`Duplicates by injected gossip latency; threshold ${sw.thresholdMs === null ? 'not reached' : fmtMs(sw.thresholdMs)}`)}"></div>
<details><summary>The ${sw.probes.length} probes, in the order they ran (bisection)</summary><table class="probes"><thead><tr><th class="num">#</th><th class="num">latency</th><th class="num">duplicates</th><th class="num">transitions</th><th class="num">fewest peers</th></tr></thead><tbody>${rows}</tbody></table></details></div>`;
}

function round2(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function evidenceItem(s: ScenarioModel, e: EvidenceModel): string {
  const ev = e.evidence;
  const where: string[] = [];
  if (e.at !== undefined) where.push(`at ${esc(fmtSeconds(e.at))}${e.until !== undefined && e.until !== e.at ? `–${esc(fmtSeconds(e.until))}` : ''}`);
  if (e.senders.length) where.push(`from ${esc(e.senders.join(', '))}`);
  if (e.at !== undefined) where.push(e.faults.length ? `during ${e.faults.map((f) => `fault #${esc(f.fault)} “${esc(f.description)}”`).join(', ')}` : esc(faultContextText([], s.summary.clustered)));
  const zoom =
    e.at !== undefined
      ? ` <button type="button" data-zoom="${s.anchor}" data-from="${esc(Math.max(0, e.at - 5))}" data-to="${esc((e.until ?? e.at) + 5)}" data-seqs="${esc(e.events.map((x) => x.seq).join(' '))}">show on timeline</button>`
      : '';
  if (!e.full) return `<li class="ev-short"><span class="kind">${esc(ev.kind)}</span> ${esc(ev.message)} <span class="dim">${where.join(' · ')}</span>${zoom}</li>`;
  const parts = [`<li class="ev" data-seqs="${esc(e.events.map((x) => x.seq).join(' '))}"><div><span class="kind">${esc(ev.kind)}</span> ${esc(ev.message)}</div><div class="where">${where.join(' · ')}${zoom}</div>`];
  if (e.events.length) {
    parts.push(
      `<table class="events"><thead><tr><th class="num">seq</th><th class="num">t</th><th>wall clock</th><th>event</th><th></th></tr></thead><tbody>${e.events
        .map(
          (x) =>
            `<tr id="${s.anchor}-seq${esc(x.seq)}"><td class="num">${esc(x.seq)}</td><td class="num">${esc(fmtSeconds(round3((x.t - s.t0) / 1000)))}</td><td class="mono">${esc(
              x.wall,
            )}</td><td>${esc(describeEvent(x))}</td><td><details><summary>JSON</summary><pre class="json">${esc(JSON.stringify(x, null, 2))}</pre></details></td></tr>`,
        )
        .join('')}</tbody></table>`,
    );
  }
  if (e.missing.length) parts.push(`<p class="dim">Events ${esc(e.missing.join(', '))} are not in history.jsonl.</p>`);
  if (ev.data && Object.keys(ev.data).length) parts.push(`<details><summary>evidence data</summary><pre class="json">${esc(JSON.stringify(ev.data, null, 2))}</pre></details>`);
  if (e.logs.length) {
    const needles = logNeedles(e.events);
    parts.push(`<details class="logs"><summary>Node logs around ${e.at !== undefined ? esc(fmtSeconds(e.at)) : 'this evidence'} (${esc(e.logs.map((l) => l.node).join(', '))})</summary>`);
    for (const l of e.logs) {
      const safe = !l.file.startsWith('/') && !l.file.split(/[\\/]/).includes('..');
      parts.push(
        `<div class="log"><div class="log-head">${esc(l.node)} · ${safe ? `<a href="${esc(encodeURI(l.file))}">${esc(l.file)}</a>` : esc(l.file)}${
          l.error ? ` · <span class="bad">${esc(l.error)}</span>` : ` · ${esc(l.lines.length)} line${l.lines.length === 1 ? '' : 's'} of ${esc(l.total)}${l.omitted ? `, ${esc(l.omitted)} more in this window omitted` : ''}`
        }</div>${l.lines.length ? `<pre class="log-lines">${l.lines.map((x) => `<span class="ln">${esc(x.no)}</span>${logLine(x.text, needles)}`).join('\n')}</pre>` : l.error ? '' : '<p class="dim">no lines in this window</p>'}</div>`,
      );
    }
    parts.push('</details>');
  }
  parts.push('</li>');
  return parts.join('');
}

/**
 * Words that tie a log line to the evidence: the group label values of its notifications (e.g. the
 * alertname). Log lines quote group keys with escaped quotes, so whole keys would not match.
 */
function logNeedles(events: HistoryEvent[]): string[] {
  const out = new Set<string>();
  for (const e of events) if (e.type === 'notification') for (const v of Object.values(e.groupLabels ?? {})) if (typeof v === 'string' && v.length >= 3) out.add(v);
  return [...out];
}

/** Log line with its level and evidence mentions highlighted (escaped first; only our own spans are added). */
function logLine(text: string, needles: string[]): string {
  const t = esc(text).replace(/\blevel=(error|ERROR|warn|WARN)\b/, (m) => `<span class="lvl-bad">${m}</span>`);
  const hit = needles.some((n) => text.includes(n));
  return hit ? `<span class="hit">${t}</span>` : t;
}

export function describeEvent(e: HistoryEvent): string {
  switch (e.type) {
    case 'notification':
      return `notification #${e.id} from ${e.sender ?? `unknown sender (${e.externalURL})`} → ${e.receiver}: ${e.groupKey} ${e.status}, ${e.alerts?.length ?? 0} alert${e.alerts?.length === 1 ? '' : 's'}, answered ${e.answered}${e.delivered === false ? ' (not delivered)' : ''}`;
    case 'fault':
      return `fault #${e.fault} ${e.state}: ${e.description}`;
    case 'node':
      return `${e.node} ${e.state}${e.exit ? ` (${e.exit.signal ?? `exit ${e.exit.code}`})` : ''}${e.message ? `: ${e.message}` : ''}`;
    case 'op.invoke':
      return `${e.kind} on ${e.node} invoked (op ${e.op})`;
    case 'op.complete':
      return `${e.kind} on ${e.node} ${e.ok === true ? 'ok' : e.ok === false ? 'failed' : 'indeterminate'} (op ${e.op})${e.error ? `: ${e.error}` : ''}`;
    case 'alert.fire':
    case 'alert.resolve':
      return `${e.type} ${e.alert} → ${e.targets.join(', ')}`;
    case 'status.sample':
      return `${e.node} status ${e.clusterStatus}, ${e.peers?.length ?? 0} peers`;
    case 'silences.sample':
      return `${e.node} lists ${e.active?.length ?? '?'} active silences`;
    case 'note':
      return `${e.level}${e.node ? ` ${e.node}` : ''}: ${e.message}`;
    case 'phase':
      return `phase ${e.phase}`;
    case 'scenario.start':
      return `scenario ${e.scenario} started (seed ${e.seed})`;
    default:
      return (e as { type: string }).type;
  }
}

function environment(m: RunModel): string {
  const mach = Object.entries(m.machine)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(k === 'memoryBytes' && typeof v === 'number' ? `${(v / 1024 ** 3).toFixed(1)} GiB` : v)}</td></tr>`)
    .join('');
  const versions = [...new Set(m.scenarios.flatMap((s) => (s.summary.nodes ?? []).map((n) => `${n.version}${n.reportedVersion ? ` (reports ${n.reportedVersion})` : ''}${n.source ? ` from ${n.source}` : ''}`)))];
  const runtimes = [...new Set(m.scenarios.map((s) => s.summary.runtime))];
  const nodeCounts = [...new Set(m.scenarios.map((s) => s.summary.versions?.length ?? 0))];
  return `<section id="environment"><h2>Environment</h2><div class="env-grid">
<table><tbody>
<tr><td>run id</td><td class="mono">${esc(m.runId)}</td></tr>
<tr><td>started</td><td>${esc(m.startedAt)}</td></tr><tr><td>finished</td><td>${esc(m.finishedAt)}</td></tr><tr><td>duration</td><td>${esc(fmtDuration(m.durationMs))}</td></tr>
<tr><td>seed</td><td>${esc(m.seed)}</td></tr>
<tr><td>command</td><td class="mono">${esc(shellQuote(m.command))}</td></tr>
<tr><td>runtimes</td><td>${esc(runtimes.join(', '))}</td></tr>
<tr><td>nodes per scenario</td><td>${esc(nodeCounts.join(', '))}</td></tr>
<tr><td>versions</td><td>${versions.map(esc).join('<br>')}</td></tr>
</tbody></table>
<table><thead><tr><th colspan="2">machine</th></tr></thead><tbody>${mach}</tbody></table>
</div><p class="dim">Per-scenario nodes, flags (clustered or not), timers and figures are under each scenario's “Nodes, timers and figures”.</p></section>`;
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function fmtWall(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtDuration(ms: number | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtSeconds(s: number): string {
  return `t=${s.toFixed(s >= 100 ? 1 : 3).replace(/\.?0+$/, '')} s`;
}

function fmtMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
