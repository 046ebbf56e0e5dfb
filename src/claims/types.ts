import type { Evidence } from '../checkers/types.js';
import type { ScenarioView } from '../checkers/scenario.js';

/**
 * A claim is what an upstream issue says Alertmanager does under a condition ("more than one firing
 * notification per transition when the receiver answers slower than the peer timeout"), stated as
 * a predicate on a scenario's history. Reproducing it is a *finding*, not a failing test: claims
 * never change a check's verdict, a scenario's outcome or the exit code (src/checkers/outcome.ts);
 * they are reported beside them, per version, in the catalogue's matrix.
 */

/** reproduced (with evidence) / not reproduced (decided: the predicate did not hold) / unknown (never counted as either). */
export type ClaimResult = 'reproduced' | 'not-reproduced' | 'unknown';

/** One field failure mode of Alertmanager HA (the rows of shared/reference/alertmanager-ha.md §3, and the latency threshold). */
export interface FailureMode {
  /** Stable id, also the catalogue row's anchor: "slow-receiver". */
  id: string;
  /** The reference's row number(s) in §3. */
  rows: number[];
  title: string;
  /** The condition that triggers it, as reported upstream. */
  trigger: string;
  /** Upstream issues and PRs: "prometheus/alertmanager#3999", "grafana/prometheus-alertmanager#164". */
  upstream: string[];
}

/** What a predicate concluded on one part of the history (the fault part, or the control). */
export interface ClaimDecision {
  result: ClaimResult;
  /** One sentence of what was seen. */
  summary: string;
  evidence: Evidence[];
  figures: Record<string, number | string | null>;
}

/** The history as a claim reads it: the checkers' scenario view, and the check verdicts of the scenario. */
export interface ClaimInput {
  view: ScenarioView;
}

export interface Claim {
  mode: FailureMode;
  /** The upstream claim as the predicate tests it, one sentence. */
  statement: string;
  /** What the control does, and that it must not reproduce, one sentence. */
  control: string;
  /**
   * Decides the claim on the part of the scenario that injects the condition (`fault`) and on the
   * control part (`control`). Pure; never touches the network. A part it cannot decide is
   * `unknown` with the reason.
   */
  decide(input: ClaimInput): { fault: ClaimDecision; control: ClaimDecision };
}

/** A claim's result as summary.json keeps it (ScenarioSummary.claim). */
export interface ClaimSummary {
  mode: FailureMode;
  statement: string;
  controlStatement: string;
  /**
   * The scenario's result for the matrix: the fault part's, except that it is `unknown` when the
   * control did not decide `not-reproduced` (the predicate would not tell the condition apart), and
   * that `not-reproduced` needs the scenario to have run to the end with every check decided.
   */
  result: ClaimResult;
  /** Why the result is what it is, one sentence (what was seen, or why it is unknown). */
  summary: string;
  fault: ClaimDecision;
  control: ClaimDecision;
}
