import { scenarioOutcome, verdictOf } from '../checkers/outcome.js';
import type { CheckResult } from '../checkers/types.js';
import { evaluateClaim } from '../claims/evaluate.js';
import type { ClaimSummary } from '../claims/types.js';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import type { Runtime } from '../runtime/types.js';
import { ScenarioSession, type ScenarioEnv, type ScenarioPlan } from './session.js';
import type { SuiteDefinition } from './suite.js';
import type { CheckSummary, ScenarioSummary } from './summary.js';

/**
 * Runs one scenario: start the cluster, wait until it is ready, let the suite drive it, heal and
 * quiesce until every horizon has passed, tear everything down — always, also after a failure or
 * Ctrl-C — and judge the history with the suite's checkers.
 */
export async function runScenario(plan: ScenarioPlan, env: ScenarioEnv): Promise<ScenarioSummary> {
  const { history, signal } = env;
  const startedAt = new Date();
  const t0 = performance.now();
  const session = new ScenarioSession(plan, env);
  let error: ScenarioSummary['error'];
  try {
    await session.start();
    await plan.suite.drive(session.context);
    history.append({ type: 'phase', phase: 'quiesce' });
    await session.settle();
  } catch (e) {
    error = scenarioError(e, signal);
    if (isAmchaosError(e)) {
      const tail = e.details['logTail'];
      if (Array.isArray(tail)) for (const l of tail) history.append({ type: 'note', level: 'error', message: String(l) });
    }
    history.append({ type: 'note', level: 'error', message: `scenario aborted: ${error.code}: ${error.message}` });
    session.log(`error: ${error.message}`);
  } finally {
    await session.stop();
  }

  history.append({ type: 'phase', phase: 'check' });
  const events = session.events();
  const checks = error ? [] : session.judge();
  const lastSeq = history.all().length - 1;
  const outcome = scenarioOutcome(checks, error);
  const expected = outcome === 'expected-failure' ? [...new Set(checks.filter((c) => c.expectedFailure).map((c) => c.expectedFailure!))] : [];
  session.figures['notifications'] = events.filter((e) => e.type === 'notification').length;
  const claim = plan.suite.claim ? evaluateClaim(plan.suite.claim, events, checks, error) : undefined;
  if (claim) session.log(`claim ${claim.mode.id}: ${claim.result.toUpperCase()} — ${claim.summary}`);
  return {
    id: plan.id,
    suite: plan.suite.name,
    versions: plan.versions.map((v) => v.requested),
    runtime: plan.runtime.name,
    clustered: plan.clustered,
    seed: plan.seed,
    outcome,
    verdict: verdictOf(outcome),
    ...(expected.length > 0 ? { expectedFailure: expected.join('; ') } : {}),
    nodes: session.nodes,
    timers: plan.timers,
    checks: checks.map(summariseCheck),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    historyRange: [session.firstSeq, lastSeq],
    logs: session.logs,
    figures: session.figures,
    ...(error ? { error } : {}),
    ...(claim ? { claim: summariseClaim(claim) } : {}),
  };
}

/** What a scenario that stopped early says about why (a typed error keeps its code and hint). */
export function scenarioError(e: unknown, signal: AbortSignal): NonNullable<ScenarioSummary['error']> {
  if (signal.aborted) return { code: 'AMCHAOS_INTERRUPTED', message: 'interrupted' };
  if (isAmchaosError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'AMCHAOS_INTERNAL', message: (e as Error).stack ?? String(e) };
}

// The report highlights every piece of evidence on the timeline, so summary.json keeps nearly all of it.
const EVIDENCE_IN_SUMMARY = 1_000;

/** A claim as summary.json keeps it: evidence capped like a check's. */
export function summariseClaim(c: ClaimSummary): ClaimSummary {
  const cap = (d: ClaimSummary['fault']) => ({ ...d, evidence: d.evidence.slice(0, 100) });
  return { ...c, fault: cap(c.fault), control: cap(c.control) };
}

export function summariseCheck(c: CheckResult): CheckSummary {
  return { ...c, evidenceCount: c.evidence.length, evidence: c.evidence.slice(0, EVIDENCE_IN_SUMMARY) };
}

export function assertRuntimeFits(suite: SuiteDefinition, runtime: Runtime): void {
  if (suite.needs?.linkFaults && !runtime.capabilities.linkFaults) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `suite ${suite.name} injects link faults, which the ${runtime.name} runtime cannot do`, {
      hint: 'Run it with --runtime netns (needs root).',
    });
  }
}
