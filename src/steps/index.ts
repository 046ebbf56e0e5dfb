export { holdFiringSince, keysOf, newAlertSource, phaseAlerts } from './alerts.js';
export { awaitDeliveries, countDuplicates, deliveredKeys, windows, type DuplicateCount } from './deliveries.js';
export { deathDetectionBoundMs, gossipMarginMs, MEMBERLIST, settleMarginMs, suspicionTimeoutMs } from './memberlist.js';
export { firePhase, mark, type Phase } from './phase.js';
export { phaseMatcher, phaseRoutesConfig, type PhaseRoute } from './config.js';
export { ClusterWatch, summariseStatus } from './watch.js';
