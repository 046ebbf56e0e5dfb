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
   * Set when this failure is known upstream behaviour the suite expects (e.g. a mixed cluster
   * that really sends duplicates): the verdict stays `fail`, the scenario reports it as expected.
   */
  expectedFailure?: string;
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
