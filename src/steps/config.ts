import { stringify } from 'yaml';
import type { Timers } from '../history/types.js';
import { DEFAULT_RECEIVER } from '../topology/config.js';
import { formatGoDuration } from '../topology/timers.js';
import { PHASE_LABEL } from '../claims/predicates.js';

/** One child route of a suite's own config: alerts of `phase` (steps/phaseAlerts labels them) with its own timers. */
export interface PhaseRoute {
  /** Routes the alerts of this phase (matcher on the amchaos_phase label). */
  phase: string;
  groupWaitMs?: number;
  groupIntervalMs?: number;
  repeatIntervalMs?: number;
  continue?: boolean;
  /** Extra matchers beside the phase's. */
  matchers?: string[];
  /** Match the phase with `=~` instead of `=` (the same alerts, but a different route key). */
  regex?: boolean;
  groupBy?: string[];
}

/** The matcher a PhaseRoute gets (what onSuiteRoute names). */
export function phaseMatcher(phase: string): string {
  return `${PHASE_LABEL}="${phase}"`;
}

/**
 * A suite's own alertmanager.yml (SuiteDefinition.config): the harness's root route (the capture
 * receiver, grouped by alertname and group, the scenario's timers) with child routes per phase, so
 * one cluster runs the condition and its control side by side. The capture replaces the receiver's
 * integrations, as with --config.
 */
export function phaseRoutesConfig(timers: Timers, routes: readonly PhaseRoute[]): string {
  const ms = (v: number | undefined) => (v === undefined ? undefined : formatGoDuration(v));
  const doc = {
    route: {
      receiver: DEFAULT_RECEIVER,
      group_by: ['alertname', 'group'],
      group_wait: ms(timers.groupWaitMs),
      group_interval: ms(timers.groupIntervalMs),
      repeat_interval: ms(timers.repeatIntervalMs),
      routes: routes.map((r) => ({
        matchers: [r.regex ? `${PHASE_LABEL}=~"${r.phase}"` : phaseMatcher(r.phase), ...(r.matchers ?? [])],
        ...(r.groupBy ? { group_by: [...r.groupBy] } : {}),
        ...(r.groupWaitMs !== undefined ? { group_wait: ms(r.groupWaitMs) } : {}),
        ...(r.groupIntervalMs !== undefined ? { group_interval: ms(r.groupIntervalMs) } : {}),
        ...(r.repeatIntervalMs !== undefined ? { repeat_interval: ms(r.repeatIntervalMs) } : {}),
        ...(r.continue ? { continue: true } : {}),
      })),
    },
    receivers: [{ name: DEFAULT_RECEIVER, webhook_configs: [{ url: 'http://127.0.0.1:9/replaced-by-the-capture', send_resolved: true }] }],
  };
  // No anchors and aliases for repeated lists: plain YAML every implementation reads (tsam's parser
  // refused `group_by: *a1`).
  return stringify(doc, { aliasDuplicateObjects: false });
}
