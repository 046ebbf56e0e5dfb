import type { Verdict } from './types.js';

/**
 * What a check, a scenario or a run concluded — decided here and nowhere else. The CLI's exit
 * code, summary.json, the HTML report, the runs index, JUnit and the vitest reporter all call these
 * functions, so no consumer can count a scenario as passed that another calls unknown.
 *
 * - `pass`: every check passed.
 * - `expected-failure`: some check failed, and every failing piece of its evidence is explained by
 *   a fault the suite itself injected (src/checkers/expectations.ts); nothing is unknown. Exit 0.
 * - `fail`: some check failed with evidence nothing explains. Exit 1 — whatever else happened.
 * - `unknown`: no unexpected failure, but some check could not decide (or the scenario did not
 *   run to the end, or there were no checks). Exit 2. An `unknown` is never hidden behind an
 *   expected failure: "exactly-once failed as expected, no-loss unknown" is `unknown`.
 */
export type Outcome = 'pass' | 'expected-failure' | 'fail' | 'unknown';

/** The part of a check result the outcome depends on (CheckResult and CheckSummary both fit). */
export interface CheckVerdict {
  verdict: Verdict;
  /** Set only when every failing piece of evidence is explained by an injected fault. */
  expectedFailure?: string | undefined;
}

export function checkOutcome(c: CheckVerdict): Outcome {
  if (c.verdict === 'fail') return c.expectedFailure ? 'expected-failure' : 'fail';
  return c.verdict;
}

/**
 * Combines outcomes: any `fail` → fail; else any `unknown` → unknown; else any expected failure →
 * expected-failure; else pass. Nothing to combine → unknown (no evidence is not a pass).
 */
export function combineOutcomes(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.length === 0) return 'unknown';
  if (outcomes.includes('fail')) return 'fail';
  if (outcomes.includes('unknown')) return 'unknown';
  if (outcomes.includes('expected-failure')) return 'expected-failure';
  return 'pass';
}

/**
 * A scenario's outcome from its checks. A scenario that stopped with an error did not observe what
 * it meant to, so it is `unknown` — unless a check it did run failed unexpectedly, which stays a
 * `fail` (a harness error cannot excuse evidence of a real failure).
 */
export function scenarioOutcome(checks: readonly CheckVerdict[], error?: unknown): Outcome {
  const combined = combineOutcomes(checks.map(checkOutcome));
  if (error !== undefined && error !== null && combined !== 'fail') return 'unknown';
  return combined;
}

/** The scenario-shaped input of runOutcome (ScenarioSummary fits). */
export interface ScenarioVerdicts {
  checks?: readonly CheckVerdict[] | undefined;
  error?: unknown;
}

/** A run's outcome: its scenarios' outcomes combined; an interrupted run never passes. */
export function runOutcome(scenarios: readonly ScenarioVerdicts[], opts: { interrupted?: boolean } = {}): Outcome {
  const combined = combineOutcomes(scenarios.map((s) => scenarioOutcome(s.checks ?? [], s.error)));
  if (opts.interrupted && combined !== 'fail') return 'unknown';
  return combined;
}

/** The three-valued verdict of an outcome, which exit codes follow: an expected failure passes. */
export function verdictOf(outcome: Outcome): Verdict {
  return outcome === 'expected-failure' ? 'pass' : outcome;
}

/** Exit codes of `amchaos run` / `amchaos check` / `amchaos report DIR`. */
export const EXIT = { pass: 0, fail: 1, unknown: 2, badArguments: 254, interrupted: 130 } as const;

export function exitCodeOf(outcome: Outcome): number {
  const v = verdictOf(outcome);
  return v === 'pass' ? EXIT.pass : v === 'fail' ? EXIT.fail : EXIT.unknown;
}
