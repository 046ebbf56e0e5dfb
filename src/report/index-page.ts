import type { RunSummary } from '../summary/summary.js';
import { badge, fmtDuration, fmtWall, PALETTE } from './html.js';
import { esc, page, shellQuote } from './page.js';
import { clusterLabel, duplicateCounts, runOutcomeOf, scenarioStatus, statusOfOutcome, type Status } from './model.js';

/**
 * reports/index.html: every run in the folder, newest first, and how each scenario fared across
 * runs (verdict strip and duplicate counts). Reads only each run's summary.json.
 */

export interface IndexEntry {
  /** Directory name under the reports folder. */
  dir: string;
  summary: RunSummary | undefined;
  /** Why the run could not be read (shown in the list instead of a verdict). */
  error: string | undefined;
  hasHtml: boolean;
  /** For ordering runs without a readable summary. */
  mtimeMs: number;
}

/** Runs drawn in the trend (most recent); the list shows all. */
export const TREND_RUNS = 60;

export function sortEntries(entries: IndexEntry[]): IndexEntry[] {
  const time = (e: IndexEntry): number => {
    const t = Date.parse(e.summary?.startedAt ?? '');
    return Number.isNaN(t) ? e.mtimeMs : t;
  };
  return [...entries].sort((a, b) => time(b) - time(a) || b.dir.localeCompare(a.dir));
}

function runStatus(s: RunSummary): Status {
  const sc = Array.isArray(s.scenarios) ? s.scenarios : [];
  return statusOfOutcome(runOutcomeOf({ scenarios: sc, ...(s.interrupted ? { interrupted: true } : {}) }));
}

/** Every duplicate copy (while healthy and during injected faults), as the run page counts them. */
function duplicatesOf(sc: RunSummary['scenarios'][number]): number | null {
  return duplicateCounts(sc)?.total ?? null;
}

export function renderIndexHtml(reportsDirName: string, unsorted: IndexEntry[]): string {
  const entries = sortEntries(unsorted);
  const rows = entries.map((e) => {
    const link = e.hasHtml ? `<a href="${esc(encodeURI(e.dir))}/index.html" class="mono">${esc(e.dir)}</a>` : `<span class="mono">${esc(e.dir)}</span>`;
    if (!e.summary) return `<tr><td>${badge('unknown')}</td><td>${link}</td><td colspan="6" class="bad">${esc(e.error ?? 'unreadable')}</td></tr>`;
    const s = e.summary;
    const counts: Record<Status, number> = { fail: 0, unknown: 0, expected: 0, pass: 0 };
    let dups = 0;
    let anyDups = false;
    for (const sc of s.scenarios ?? []) {
      counts[scenarioStatus(sc)]++;
      const d = duplicatesOf(sc);
      if (d !== null) {
        anyDups = true;
        dups += d;
      }
    }
    const countText = (['fail', 'unknown', 'expected', 'pass'] as const)
      .filter((k) => counts[k] > 0)
      .map((k) => `${counts[k]} ${k === 'expected' ? 'expected fail' : k}`)
      .join(' · ');
    return `<tr class="row-${runStatus(s)}"><td>${badge(runStatus(s))}</td><td>${link}</td><td>${esc(fmtWall(s.startedAt))}</td><td class="num">${esc(fmtDuration(s.durationMs))}</td><td>${esc(
      countText,
    )}</td><td class="num${dups > 0 ? ' bad' : ''}">${anyDups ? esc(dups) : '—'}</td><td class="num">${esc(s.seed)}</td><td class="mono">${esc(shellQuote(Array.isArray(s.command) ? s.command.map(String) : []))}</td></tr>`;
  });

  // Trend: oldest → newest, left → right, over the most recent readable runs.
  const trendRuns = entries.filter((e) => e.summary).slice(0, TREND_RUNS).reverse();
  const scenarioIds: string[] = [];
  const labels = new Map<string, string>();
  for (const e of trendRuns)
    for (const sc of e.summary?.scenarios ?? []) {
      if (!labels.has(sc.id)) {
        scenarioIds.push(sc.id);
        labels.set(sc.id, clusterLabel(sc));
      }
    }
  scenarioIds.sort();
  const grid = scenarioIds.map((id) => {
    const cells = trendRuns.map((e) => {
      const i = (e.summary?.scenarios ?? []).findIndex((x) => x.id === id);
      const sc = e.summary?.scenarios[i];
      if (!sc) return '<td class="cell none" title="not in this run"></td>';
      const st = scenarioStatus(sc);
      const d = duplicatesOf(sc);
      const title = `${e.dir}: ${st}${d !== null ? `, ${d} duplicates` : ''}`;
      const inner = d !== null && d > 0 ? esc(d > 99 ? '99+' : d) : '';
      return `<td class="cell ${st}" title="${esc(title)}">${e.hasHtml ? `<a href="${esc(encodeURI(e.dir))}/index.html#sc${i + 1}">${inner}</a>` : inner}</td>`;
    });
    return `<tr><td class="mono">${esc(id)}</td>${cells.join('')}</tr>`;
  });
  // Column heads: each run's start time, written vertically to fit the narrow cells.
  const head = `<tr><th></th>${trendRuns.map((e) => `<th class="run-head" title="${esc(e.dir)}"><span>${esc(fmtWall(e.summary?.startedAt).slice(5, 16))}</span></th>`).join('')}</tr>`;
  const t = (e: IndexEntry): number => Math.floor(Date.parse(e.summary?.startedAt ?? '') / 1000);
  const timed = trendRuns.filter((e) => !Number.isNaN(t(e)));
  const x: number[] = [];
  for (const e of timed) x.push(Math.max(t(e), (x[x.length - 1] ?? -Infinity) + 1));
  const series = scenarioIds
    .map((id) => ({ label: id, values: timed.map((e) => duplicatesOf(e.summary?.scenarios.find((s) => s.id === id) ?? ({} as never)) ?? null) }))
    .filter((s) => s.values.some((v) => v !== null));

  const fails = entries.filter((e) => e.summary && runStatus(e.summary) === 'fail').length;
  // The header colour follows the newest run: it is the state people come to check.
  const newest = entries[0]?.summary ? runStatus(entries[0].summary) : 'unknown';
  const body = `<header class="top s-${newest}"><h1>amchaos runs in <span class="mono">${esc(reportsDirName)}</span></h1>
<p class="counts">${entries.length} run${entries.length === 1 ? '' : 's'}, newest first · newest run: ${badge(newest)} · ${fails} of ${entries.length} failed</p></header>
<section><h2>Runs</h2><div class="scroll"><table class="runs"><thead><tr><th>verdict</th><th>run</th><th>started</th><th class="num">duration</th><th>scenarios</th><th class="num">duplicates</th><th class="num">seed</th><th>command</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table></div></section>
<section id="trend"><h2>Trend per scenario</h2>
${
  grid.length
    ? `<p class="dim">Oldest → newest (last ${trendRuns.length} runs). Green pass, red fail, amber unknown, violet expected fail, grey not run; numbers are duplicate notifications. Click a cell to open that scenario.</p>
<div class="scroll"><table class="trend"><thead>${head}</thead><tbody>${grid.join('')}</tbody></table></div>`
    : '<p class="dim">No readable runs yet.</p>'
}
${series.length ? '<h3>Duplicate notifications per run (exactly-once check)</h3><div id="trend-dups" role="img" aria-label="Duplicate notifications per scenario across runs"></div>' : ''}
</section>
<footer>amchaos report · rendered from each run's summary.json</footer>`;
  return page({ title: `amchaos runs (${entries.length})`, body, data: { page: 'index', palette: PALETTE, unknownSender: '#999', trend: { x, series } } });
}
