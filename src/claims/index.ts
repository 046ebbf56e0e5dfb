/** Claims: upstream failure modes as predicates on a scenario's history (see README.md). */
export type { Claim, ClaimDecision, ClaimInput, ClaimResult, ClaimSummary, FailureMode } from './types.js';
export { evaluateClaim, unknownDecision } from './evaluate.js';
export { ALL_FAILURE_MODES, FAILURE_MODES } from './modes.js';
export {
  activeSilencesAt,
  combineDecisions,
  decision,
  duplicates,
  either,
  fewerNotificationsThanRoutes,
  firstFaultAt,
  laterPositionRepeats,
  missingResolved,
  notifiedWhileSilenced,
  PHASE_LABEL,
  phaseClaim,
  phaseKeys,
  phaseNotifications,
  staleFiring,
  transitionsOf,
  type Predicate,
  type Transition,
} from './predicates.js';
