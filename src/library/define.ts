import type { SuiteDefinition } from '../run/suite.js';

/**
 * Declares a suite (typed, nothing else): `export default defineSuite({ name, summary, checks,
 * drive })` in a file that `amchaos run --suite ./that-file.ts` runs like a built-in suite.
 */
export function defineSuite<F extends object = Record<string, unknown>>(suite: SuiteDefinition<F>): SuiteDefinition<F> {
  return suite;
}
