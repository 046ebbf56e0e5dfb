import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOutcome, scenarioOutcome, verdictOf, type Outcome } from '../checkers/outcome.js';
import { isCheckerName, type CheckerName } from '../checkers/index.js';
import { AmchaosError } from '../errors/index.js';
import { parseHistory, readSummary, splitScenarios } from '../report/load.js';
import { evaluateClaim } from '../claims/evaluate.js';
import { judge, summariseCheck, summariseClaim } from './session.js';
import type { SuiteDefinition } from './suite.js';
import type { RunSummary, ScenarioSummary } from '../summary/summary.js';

export interface CheckCommandResult {
  runDir: string;
  outcome: Outcome;
  summary: RunSummary;
  /** What changed, per scenario: "exactly-once/0.25.0x3: pass → fail". */
  changes: string[];
  notes: string[];
}

/**
 * `amchaos check DIR`: re-judges a stored run with the current checkers (Jepsen's analyze of a
 * stored history). Each scenario's events are taken from history.jsonl, judged by its suite's
 * checks and known behaviours as they are today, and summary.json is written afresh — the one
 * before is kept as summary.previous.json — then the report is re-rendered. Users keep old runs
 * and re-judge them after an upgrade; checker changes can be tried on real histories.
 */
export async function checkCommand(runDir: string, suites: Readonly<Record<string, SuiteDefinition>>): Promise<CheckCommandResult> {
  const before = await readSummary(runDir);
  const historyFile = join(runDir, before.files?.history ?? 'history.jsonl');
  const text = await readFile(historyFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new AmchaosError('AMCHAOS_INVALID_RUN_DIR', `${historyFile} is missing or unreadable (${e.code ?? e.message}): there is nothing to re-judge`, {
      hint: 'amchaos check needs the run directory as `amchaos run` wrote it, history.jsonl included.',
    });
  });
  const notes: string[] = [];
  const parsed = parseHistory(text);
  if (parsed.badLines.length > 0) notes.push(`${parsed.badLines.length} malformed history line(s) skipped (first: line ${parsed.badLines[0]!.line})`);
  const loaded = splitScenarios(parsed.events, before.scenarios, notes);
  const changes: string[] = [];
  const scenarios: ScenarioSummary[] = loaded.map(({ summary: old, events }) => {
    if (events.length === 0) {
      notes.push(`${old.id}: no history events; kept as it was`);
      return old;
    }
    const suite = suites[old.suite] ?? fallbackSuite(old, notes);
    const checks = old.error ? [] : judge(suite, events).map(summariseCheck);
    const outcome = scenarioOutcome(checks, old.error);
    const expected = outcome === 'expected-failure' ? [...new Set(checks.filter((c) => c.expectedFailure).map((c) => c.expectedFailure!))] : [];
    const oldOutcome = scenarioOutcome(old.checks ?? [], old.error);
    if (oldOutcome !== outcome) changes.push(`${old.id}: ${oldOutcome} → ${outcome}`);
    // The claim is re-evaluated too (today's predicate on the stored history); a finding, never the outcome.
    const claimDef = 'claim' in suite ? suite.claim : undefined;
    const claim = claimDef ? summariseClaim(evaluateClaim(claimDef, events, checks, old.error)) : old.claim;
    if (claim && old.claim && claim.result !== old.claim.result) changes.push(`${old.id}: claim ${old.claim.result} → ${claim.result}`);
    const { expectedFailure: _was, claim: _oldClaim, ...rest } = old;
    return { ...rest, outcome, verdict: verdictOf(outcome), checks, ...(expected.length > 0 ? { expectedFailure: expected.join('; ') } : {}), ...(claim ? { claim } : {}) };
  });
  const outcome = runOutcome(scenarios, { interrupted: before.interrupted === true });
  const summary: RunSummary = { ...before, schema: 2, outcome, verdict: verdictOf(outcome), scenarios, rejudgedAt: new Date().toISOString() };
  const file = join(runDir, 'summary.json');
  await copyFile(file, join(runDir, 'summary.previous.json'));
  await writeFile(file, JSON.stringify(summary, null, 2) + '\n');
  const { renderRunReport } = await import('../report/index.js');
  await renderRunReport(runDir);
  return { runDir, outcome, summary, changes, notes };
}

/**
 * A scenario of a suite this amchaos does not know (a user's suite file): judged by the checks the
 * stored summary names, without known behaviours (nothing can be expected without the suite).
 */
function fallbackSuite(old: ScenarioSummary, notes: string[]): Pick<SuiteDefinition, 'checks' | 'claim'> {
  const checks = (old.checks ?? []).map((c) => c.name).filter((n): n is CheckerName => isCheckerName(n));
  notes.push(`${old.id}: suite "${old.suite}" is not built in; judged by the checks it recorded (${checks.join(', ') || 'none'}), with no known behaviours`);
  return { checks };
}

export async function isRunDir(dir: string): Promise<boolean> {
  return stat(join(dir, 'summary.json')).then(
    (s) => s.isFile(),
    () => false,
  );
}
