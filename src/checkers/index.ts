import { AmchaosError } from '../errors/index.js';
import type { HistoryEvent } from '../history/types.js';
import { AT_MOST_K, checkAtMostK, type AtMostKOptions } from './at-most-k.js';
import { CONVERGENCE, checkConvergence, type ConvergenceOptions } from './convergence.js';
import { EXACTLY_ONCE, checkExactlyOnce, type ExactlyOnceOptions } from './exactly-once.js';
import { NO_LOSS, checkNoLoss, type NoLossOptions } from './no-loss.js';
import { SILENCE_PROPAGATION, checkSilencePropagation, type SilencePropagationOptions } from './silence-propagation.js';
import { safeCheck, type CheckResult } from './types.js';
import { VALIDITY, checkValidity, type ValidityOptions } from './validity.js';

/**
 * The checkers of amchaos: pure functions from ONE scenario's history to a verdict with evidence.
 * Suites name them (src/run/suite.ts `checks`); the run calls runChecks after the scenario.
 */

export interface CheckOptions {
  [NO_LOSS]?: NoLossOptions;
  [EXACTLY_ONCE]?: ExactlyOnceOptions;
  [SILENCE_PROPAGATION]?: SilencePropagationOptions;
  [AT_MOST_K]?: AtMostKOptions;
  [CONVERGENCE]?: ConvergenceOptions;
  [VALIDITY]?: ValidityOptions;
}

export type CheckerName = keyof CheckOptions;

type AnyChecker = (history: readonly HistoryEvent[], options?: never) => CheckResult;

export const checkersByName: { readonly [K in CheckerName]: (history: readonly HistoryEvent[], options?: CheckOptions[K]) => CheckResult } = {
  [NO_LOSS]: checkNoLoss,
  [EXACTLY_ONCE]: checkExactlyOnce,
  [SILENCE_PROPAGATION]: checkSilencePropagation,
  [AT_MOST_K]: checkAtMostK,
  [CONVERGENCE]: checkConvergence,
  [VALIDITY]: checkValidity,
};

export const CHECKER_NAMES = Object.keys(checkersByName) as CheckerName[];

export function isCheckerName(name: string): name is CheckerName {
  return Object.hasOwn(checkersByName, name);
}

/** Throws a bad-argument error naming the valid checkers when a name is unknown (call before a run starts). */
export function assertCheckerNames(names: readonly string[]): asserts names is CheckerName[] {
  const bad = names.filter((n) => !isCheckerName(n));
  if (bad.length > 0) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown checker(s): ${bad.join(', ')}`, {
      hint: `Valid checkers: ${CHECKER_NAMES.join(', ')}.`,
      details: { unknown: bad },
    });
  }
}

/**
 * Runs the named checkers (default: all) over one scenario's history. Each runs inside safeCheck,
 * so a crash becomes an `unknown` result with the stack as evidence, never a pass.
 */
export function runChecks(
  history: readonly HistoryEvent[],
  names: readonly string[] = CHECKER_NAMES,
  options: CheckOptions = {},
): CheckResult[] {
  assertCheckerNames(names);
  return names.map((name) => {
    const checker = checkersByName[name] as AnyChecker;
    const opts = options[name] as never;
    return safeCheck(name, (h) => checker(h, opts), history);
  });
}

/** Splits a history.jsonl that holds several scenarios into one history per scenario.start. */
export function splitScenarios(history: readonly HistoryEvent[]): HistoryEvent[][] {
  const out: HistoryEvent[][] = [];
  for (const e of history) {
    if (e.type === 'scenario.start') out.push([]);
    out[out.length - 1]?.push(e);
  }
  return out;
}

export { AT_MOST_K, CONVERGENCE, EXACTLY_ONCE, NO_LOSS, SILENCE_PROPAGATION, VALIDITY };
export { checkAtMostK, checkConvergence, checkExactlyOnce, checkNoLoss, checkSilencePropagation, checkValidity };
export type { AtMostKOptions, ConvergenceOptions, ExactlyOnceOptions, NoLossOptions, SilencePropagationOptions, ValidityOptions };
