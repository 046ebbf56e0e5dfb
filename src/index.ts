/**
 * amchaos — the public API. What a user imports in their own tests (`import { startCluster } from
 * 'amchaos'`) and suite files (`export default defineSuite({...})`, run with
 * `amchaos run --suite ./my-suite.ts`). The vitest fixture and matchers are in 'amchaos/vitest'.
 * Everything exported here is documented and typed; anything else is internal and may change.
 */

// Clusters from your own tests.
export { Cluster, startCluster } from './library/cluster.js';
export type { ClusterFaults, ClusterNode, StartClusterOptions } from './library/cluster.js';

// Suites: the contract the built-in suites are written against, and the steps they use.
export { defineSuite } from './library/define.js';
export type { ScenarioContext, ScenarioNode, SuiteDefinition } from './run/suite.js';
export * from './steps/index.js';

// Verdicts: the checkers, their results and the one rule that combines them.
export { CHECKER_NAMES, checkersByName, runChecks } from './checkers/index.js';
export type { CheckerName, CheckOptions } from './checkers/index.js';
export type { CheckResult, Evidence, Verdict } from './checkers/types.js';
export { checkOutcome, combineOutcomes, exitCodeOf, runOutcome, scenarioOutcome, verdictOf } from './checkers/outcome.js';
export type { Outcome } from './checkers/outcome.js';
export { duringInjectedFault, fromInjectedNode, onSuiteRoute, outOfPhaseAfterRestart } from './checkers/expectations.js';
export type { KnownBehaviour } from './checkers/expectations.js';

// Claims: an upstream failure mode as a predicate on the history, with its control — a finding
// beside the verdicts (SuiteDefinition.claim), what the catalogue's matrix shows.
export * from './claims/index.js';

// Faults, alerts, history and errors.
export type { FaultSpec, LinkSelection, PartitionSpec, ReceiverFaultSpec } from './nemesis/types.js';
export type { ActiveFault } from './nemesis/nemesis.js';
export type { AlertSpec, ScenarioSource } from './workload/types.js';
export type { HistoryEvent, LabelSet, NodeId, NotificationEvent, Timers } from './history/types.js';
export { labelKey } from './history/types.js';
export type { RunSummary, ScenarioSummary } from './summary/summary.js';
export { AmchaosError, isAmchaosError } from './errors/index.js';
export type { ErrorCode } from './errors/index.js';
