import { stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHECKER_NAMES, isCheckerName } from '../checkers/index.js';
import { AmchaosError } from '../errors/index.js';
import type { SuiteDefinition } from './suite.js';

/** Suites by name: the built-in ones (suites/index.ts), handed to the CLI by its entry point. */
export type SuiteRegistry = Readonly<Record<string, SuiteDefinition>>;

/**
 * Where `--suite` comes from: a name in the registry, or a file (a path, or anything ending in
 * .ts/.js/.mjs) that default-exports a suite written against the same contract as the built-in
 * ones (src/run/suite.ts; `defineSuite` in the public API). TypeScript files are loaded with jiti,
 * so a user needs no build step.
 */
export async function resolveSuite(nameOrPath: string, registry: SuiteRegistry): Promise<SuiteDefinition> {
  if (!looksLikeFile(nameOrPath)) {
    const suite = registry[nameOrPath];
    if (suite) return suite;
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown suite "${nameOrPath}"`, {
      hint: `Suites: ${Object.keys(registry).join(', ')} (amchaos suites lists them), or the path of your own suite file, e.g. --suite ./my-suite.ts.`,
    });
  }
  return loadSuiteFile(nameOrPath);
}

function looksLikeFile(s: string): boolean {
  return s.includes('/') || s.includes('\\') || ['.ts', '.mts', '.js', '.mjs'].includes(extname(s));
}

/** Loads and validates a suite file; every problem is a bad-argument error that says what to fix. */
export async function loadSuiteFile(file: string): Promise<SuiteDefinition> {
  const path = isAbsolute(file) ? file : resolve(file);
  const isFile = await stat(path).then((s) => s.isFile(), () => false);
  if (!isFile) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `suite file ${file} does not exist`, { hint: 'Give the path of a .ts or .js file that default-exports a suite (defineSuite from "amchaos").' });
  }
  let mod: Record<string, unknown>;
  try {
    if (/\.[cm]?ts$/.test(path)) {
      const { createJiti } = await import('jiti');
      mod = (await createJiti(import.meta.url, { interopDefault: false }).import(path)) as Record<string, unknown>;
    } else {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (e) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `suite file ${file} could not be loaded: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'Fix the file so that it loads (it is a TypeScript or JavaScript module) and default-exports a suite.',
    });
  }
  const suite = (mod['default'] ?? mod['suite']) as Partial<SuiteDefinition> | undefined;
  return validateSuite(suite, file);
}

/** Checks the shape of a suite (a user's file is input like any other: refused before anything starts). */
export function validateSuite(suite: Partial<SuiteDefinition> | undefined, where: string): SuiteDefinition {
  const problems: string[] = [];
  if (typeof suite !== 'object' || suite === null) problems.push('it exports no suite (export default defineSuite({...}))');
  else {
    if (typeof suite.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(suite.name)) problems.push('name must be a word of letters, digits, ".", "_" or "-"');
    if (typeof suite.summary !== 'string') problems.push('summary must be a one-line string');
    if (!Array.isArray(suite.checks) || suite.checks.length === 0) problems.push(`checks must list checkers (${CHECKER_NAMES.join(', ')})`);
    else for (const c of suite.checks) if (!isCheckerName(String(c))) problems.push(`unknown checker "${String(c)}" (checkers: ${CHECKER_NAMES.join(', ')})`);
    if (typeof suite.drive !== 'function') problems.push('drive(ctx) must be a function');
  }
  if (problems.length > 0) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `suite ${where}: ${problems.join('; ')}`, {
      hint: 'A suite is { name, summary, checks, drive(ctx) } — see examples/my-suite.ts and src/run/suite.ts.',
    });
  }
  return suite as SuiteDefinition;
}
