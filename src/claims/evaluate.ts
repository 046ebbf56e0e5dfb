import { viewScenario } from '../checkers/scenario.js';
import type { Verdict } from '../checkers/types.js';
import type { HistoryEvent } from '../history/types.js';
import type { Claim, ClaimDecision, ClaimSummary } from './types.js';

/**
 * Evaluates a scenario's claim and combines its two parts into the one result the matrix shows:
 *
 * - the control must decide `not-reproduced`; if it reproduced, or could not decide, the predicate
 *   does not tell the condition apart from its absence here, so the result is `unknown`;
 * - `reproduced` stands on its evidence (found in the fault part);
 * - `not-reproduced` needs the scenario to have run to the end (no error) with every check decided
 *   (none `unknown`): a scenario that stopped early or did not watch long enough has not shown that
 *   the predicate does not hold;
 * - a predicate that crashes is `unknown` with the error.
 *
 * Independent of the checks' verdicts otherwise: a reproduction is a finding, never a failure.
 */
export function evaluateClaim(claim: Claim, events: readonly HistoryEvent[], checks: readonly { name: string; verdict: Verdict }[], error?: { message: string } | undefined): ClaimSummary {
  const base = { mode: claim.mode, statement: claim.statement, controlStatement: claim.control };
  const v = viewScenario(events);
  if (!v.ok) {
    const d = unknownDecision(`the history cannot be read: ${v.reason}`);
    return { ...base, result: 'unknown', summary: d.summary, fault: d, control: d };
  }
  let fault: ClaimDecision;
  let control: ClaimDecision;
  try {
    ({ fault, control } = claim.decide({ view: v.view }));
  } catch (e) {
    const d = unknownDecision(`the predicate crashed: ${(e as Error).message}`);
    return { ...base, result: 'unknown', summary: d.summary, fault: d, control: d };
  }
  if (control.result !== 'not-reproduced') {
    const why = control.result === 'reproduced' ? `the control reproduced too (${control.summary})` : `the control did not decide (${control.summary})`;
    return { ...base, result: 'unknown', summary: `${why}: the predicate does not tell the condition apart here`, fault, control };
  }
  if (fault.result === 'not-reproduced') {
    const undecided = checks.filter((c) => c.verdict === 'unknown').map((c) => c.name);
    if (error) return { ...base, result: 'unknown', summary: `not seen, but the scenario stopped early (${error.message.split('\n')[0]})`, fault, control };
    if (checks.length === 0) return { ...base, result: 'unknown', summary: 'not seen, but no check judged the scenario', fault, control };
    if (undecided.length > 0) return { ...base, result: 'unknown', summary: `not seen, but ${undecided.join(', ')} could not decide`, fault, control };
  }
  return { ...base, result: fault.result, summary: fault.summary, fault, control };
}

export function unknownDecision(summary: string, figures: ClaimDecision['figures'] = {}): ClaimDecision {
  return { result: 'unknown', summary, evidence: [], figures };
}
