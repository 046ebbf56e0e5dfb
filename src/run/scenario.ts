import { AmchaosError, isAmchaosError } from '../errors/index.js';
import type { Runtime } from '../runtime/types.js';
import { ScenarioSession, type ScenarioEnv, type ScenarioPlan } from './session.js';
import type { SuiteDefinition } from './suite.js';
import type { ScenarioSummary } from '../summary/summary.js';

/**
 * Runs one scenario: start the cluster, wait until it is ready, let the suite drive it, heal and
 * quiesce until every horizon has passed, tear everything down — always, also after a failure or
 * Ctrl-C — and judge the history with the suite's checkers.
 */
export async function runScenario(plan: ScenarioPlan, env: ScenarioEnv): Promise<ScenarioSummary> {
  const { history, signal } = env;
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
  return session.summary(error ? [] : session.judge(), error);
}

/** What a scenario that stopped early says about why (a typed error keeps its code and hint). */
export function scenarioError(e: unknown, signal: AbortSignal): NonNullable<ScenarioSummary['error']> {
  if (signal.aborted) return { code: 'AMCHAOS_INTERRUPTED', message: 'interrupted' };
  if (isAmchaosError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'AMCHAOS_INTERNAL', message: (e as Error).stack ?? String(e) };
}

export function assertRuntimeFits(suite: SuiteDefinition, runtime: Runtime): void {
  if (suite.needs?.linkFaults && !runtime.capabilities.linkFaults) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `suite ${suite.name} injects link faults, which the ${runtime.name} runtime cannot do`, {
      hint: 'Run it with --runtime netns (needs root) or --runtime docker (needs a Docker engine, no root).',
    });
  }
}
