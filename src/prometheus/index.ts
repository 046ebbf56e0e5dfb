/** Real Prometheus as the alert source. Import from here. */
export { PrometheusSource, type PrometheusSourceOptions, type SourceSetup, type UserRules } from './source.js';
export { sourceFaults } from './faults.js';
export {
  ALERT_METRIC,
  DEFAULT_REPLICA_LABEL,
  DEFAULT_SOURCE_TIMERS,
  checkAlertsForPrometheus,
  generateRules,
  rulesForAlertnames,
  parseUserPrometheusConfig,
  replicaConfig,
  type ReplicaSetup,
  type SourceTimers,
  type UserPrometheusConfig,
} from './config.js';
export { IntentTracker } from './intents.js';
export { checkRulesWithPromtool, checkConfigWithPromtool, preparePrometheusSource, type PrometheusPlan } from './prepare.js';
