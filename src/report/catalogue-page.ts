import type { ClaimResult, ClaimSummary } from '../claims/types.js';
import type { CatalogueCell, RunSummary } from '../summary/summary.js';
import { esc, page } from './page.js';

/**
 * The catalogue's matrix page (`catalogue.html` beside index.html): one row per failure mode (its
 * trigger and upstream issues, and one sentence of what was seen), one column per version, each
 * cell reproduced / not reproduced / unknown, linking the scenario's claim and evidence in
 * index.html. Rendered from summary.json's `catalogue` (amchaos catalogue, amchaos report merge).
 */

const RESULT_TEXT: Record<ClaimResult, string> = { reproduced: 'reproduced', 'not-reproduced': 'not reproduced', unknown: 'unknown' };
const RESULT_CLASS: Record<ClaimResult, string> = { reproduced: 'fail', 'not-reproduced': 'pass', unknown: 'unknown' };

function issueLink(ref: string): string {
  const m = /^([\w.-]+\/[\w.-]+)#(\d+)(.*)$/.exec(ref);
  if (!m) return esc(ref);
  // Text only: the report must not make requests (CSP); a reader copies the reference.
  return `<span class="mono">${esc(`${m[1]}#${m[2]}`)}</span>${esc(m[3] ?? '')}`;
}

/** The anchor of a scenario's claim in index.html (scenarios are sc1, sc2, ... in summary order). */
export function claimAnchor(summary: RunSummary, scenarioId: string | undefined): string | undefined {
  if (scenarioId === undefined) return undefined;
  const i = summary.scenarios.findIndex((s) => s.id === scenarioId);
  return i < 0 ? undefined : `sc${i + 1}-claim`;
}

function cellHtml(summary: RunSummary, c: CatalogueCell | undefined): string {
  if (!c) return '<td class="cell-none dim">—</td>';
  const anchor = claimAnchor(summary, c.scenario);
  const label = `<span class="badge b-${RESULT_CLASS[c.result]}">${esc(RESULT_TEXT[c.result])}</span>`;
  const body = anchor ? `<a href="index.html#${anchor}" title="${esc(c.summary)}">${label}</a>` : `<span title="${esc(c.summary)}">${label}</span>`;
  return `<td class="cell-${RESULT_CLASS[c.result]}">${body}<div class="dim small mono">${esc(c.cluster)}</div><div class="small">${esc(c.summary)}</div></td>`;
}

/** One sentence per row: the reproduced cells' first summary, else the first decided one. */
function rowSentence(cells: CatalogueCell[]): string {
  const rep = cells.find((c) => c.result === 'reproduced');
  const dec = cells.find((c) => c.result === 'not-reproduced');
  const where = (r: ClaimResult) => cells.filter((c) => c.result === r).map((c) => c.version);
  const parts: string[] = [];
  if (where('reproduced').length) parts.push(`reproduced on ${where('reproduced').join(', ')}`);
  if (where('not-reproduced').length) parts.push(`not on ${where('not-reproduced').join(', ')}`);
  if (where('unknown').length) parts.push(`unknown on ${where('unknown').join(', ')}`);
  const seen = rep ?? dec;
  return `${parts.join('; ')}${seen ? `. ${seen.version}: ${seen.summary}` : ''}`;
}

export function renderCatalogueHtml(summary: RunSummary): string {
  const cat = summary.catalogue;
  if (!cat) return page({ title: 'amchaos catalogue', body: '<p>This run has no catalogue.</p>', data: { page: 'catalogue' } });
  const claims = new Map<string, ClaimSummary>();
  for (const s of summary.scenarios) if (s.claim) claims.set(s.id, s.claim);
  const counts = { reproduced: 0, 'not-reproduced': 0, unknown: 0 } as Record<ClaimResult, number>;
  for (const c of cat.cells) counts[c.result]++;
  const rows = cat.modes.map((m) => {
    const cells = cat.versions.map((v) => cat.cells.find((c) => c.mode === m.id && c.version === v));
    const statement = cells.map((c) => (c?.scenario ? claims.get(c.scenario)?.statement : undefined)).find((x) => x !== undefined);
    return `<tr id="mode-${esc(m.id)}"><th scope="row"><strong>${esc(m.title)}</strong> <span class="dim">(§3 row ${esc(m.rows.join(', '))})</span>
<div class="small">${esc(m.trigger)}</div>
<div class="small">${m.upstream.map(issueLink).join(' · ')}</div>
${statement ? `<div class="small"><em>Claim:</em> ${esc(statement)}</div>` : ''}
<div class="small"><em>Seen:</em> ${esc(rowSentence(cells.filter((c): c is CatalogueCell => c !== undefined)))}</div></th>
${cells.map((c) => cellHtml(summary, c)).join('')}</tr>`;
  });
  const body = `<header class="top"><h1>Failure-mode catalogue <span class="mono">${esc(summary.runId)}</span></h1>
<p class="counts">${cat.modes.length} failure modes × ${cat.versions.length} versions: ${counts.reproduced} reproduced · ${counts['not-reproduced']} not reproduced · ${counts.unknown} unknown${cat.shard ? ` · shard ${esc(cat.shard)}` : ''} · started ${esc(summary.startedAt)} · took ${esc(Math.round(summary.durationMs / 1000))} s</p>
<p>A cell is a finding, not a verdict: <strong>reproduced</strong> — the upstream claim held, with evidence; <strong>not reproduced</strong> — the scenario ran to the end, every check decided, the claim did not hold (and its control did not either); <strong>unknown</strong> — it could not tell (never counted as either). The checks' verdicts, and the exit code, are in <a href="index.html">the report</a>.</p>
<div class="replay"><span class="k">Command</span><code class="cmd">${esc(summary.command.join(' '))}</code></div></header>
<section id="catalogue"><h2>Failure mode × version</h2>
<table class="matrix catalogue"><thead><tr><th>failure mode</th>${cat.versions.map((v) => `<th class="mono">${esc(v)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>
<footer>amchaos catalogue · rendered from summary.json · <a href="index.html">the run report</a></footer>`;
  return page({ title: `amchaos catalogue ${summary.runId}`, body, data: { page: 'catalogue' } });
}

/** A scenario's claim as a block of its section in index.html (id sc<i>-claim). */
export function claimBlockHtml(anchor: string, claim: ClaimSummary | undefined): string {
  if (!claim) return '';
  const ev = [...claim.fault.evidence].slice(0, 10);
  return `<div class="claim c-${RESULT_CLASS[claim.result]}" id="${anchor}-claim"><h3>Upstream claim: <span class="badge b-${RESULT_CLASS[claim.result]}">${esc(RESULT_TEXT[claim.result])}</span> ${esc(claim.mode.title)}</h3>
<p class="small">${esc(claim.statement)} <span class="dim">(${claim.mode.upstream.map(issueLink).join(' · ')})</span></p>
<p>${esc(claim.summary)}</p>
<p class="small dim">Control: ${esc(claim.controlStatement)} — ${esc(RESULT_TEXT[claim.control.result])}: ${esc(claim.control.summary)}</p>
<p class="small dim">A finding beside the checks, never a verdict: it does not change the outcome or the exit code.</p>
${ev.length ? `<ul class="small">${ev.map((e) => `<li>${esc(e.message)} <span class="dim mono">seq ${esc(e.events.join(', '))}</span></li>`).join('')}</ul>` : ''}</div>`;
}
