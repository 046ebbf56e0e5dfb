import type { HistoryEvent } from '../history/types.js';

/** Tri-state: a checker that lacks data or crashes says `unknown`, never `pass`. */
export type Verdict = 'pass' | 'fail' | 'unknown';

/** One piece of evidence: what it shows, and the history events (by seq) that show it. */
export interface Evidence {
  kind: string;
  message: string;
  /** seq numbers of the history events involved (notifications, ops, faults). */
  events: number[];
  /** Structured data for the report (group key, receiver, senders, delays...). */
  data?: Record<string, unknown>;
  /** This item is one of the reasons the check fails (the rest is context: figures, pending, during faults). */
  fails?: boolean;
  /**
   * What explains this failing item, when something does (src/checkers/expectations.ts): a fault
   * the suite injected (`expected`: the failure is expected), or the user's config or version mix
   * (not expected: the check still fails, and the message names the upstream issue and the cause).
   */
  explainedBy?: { behaviour: string; expected: boolean; reason: string };
}

export interface CheckResult {
  /** Stable checker name: "no-loss", "exactly-once", "silence-propagation", "at-most-k", "convergence". */
  name: string;
  verdict: Verdict;
  /** One line a person reads first. */
  summary: string;
  /** Figures for the report and summary.json (counts, delays, thresholds). */
  figures: Record<string, number | string | number[] | null>;
  evidence: Evidence[];
  /**
   * Set only when every failing evidence item is explained by a fault the suite injected
   * (src/checkers/expectations.ts): the verdict stays `fail`, the outcome is `expected-failure`.
   */
  expectedFailure?: string;
  /**
   * Upstream issues that explain (some of) a real failure — the user's timers, a version mix. The
   * check still fails; these say why, and which config line or flag causes it.
   */
  knownIssues?: string[];
}

/** A checker is a pure function of the history of one scenario. */
export type Checker = (history: readonly HistoryEvent[]) => CheckResult;

/** Combines verdicts: any fail → fail; else any unknown → unknown; else pass (and [] → unknown). */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return 'unknown';
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'pass';
}

/** Wraps a checker so that a crash becomes an `unknown` verdict with the error as evidence. */
export function safeCheck(name: string, checker: Checker, history: readonly HistoryEvent[]): CheckResult {
  try {
    return checker(history);
  } catch (e) {
    return {
      name,
      verdict: 'unknown',
      summary: `checker crashed: ${(e as Error).message}`,
      figures: {},
      evidence: [{ kind: 'checker-error', message: String((e as Error).stack ?? e), events: [] }],
    };
  }
}
