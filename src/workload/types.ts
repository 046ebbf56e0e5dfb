import type { LabelSet, NodeId } from '../history/types.js';

/** One alert the workload can fire: its identity is its label set (see history's labelKey). */
export interface AlertSpec {
  labels: LabelSet;
  annotations?: LabelSet;
  /** Nodes this alert is sent to; absent = every node of the alert source. */
  targets?: NodeId[];
}

/**
 * What a suite drives alerts with, whatever the run's source: the built-in workload (AlertSource,
 * a Prometheus imitation) or real Prometheus replicas (src/prometheus). `fire` resolves once the
 * source has really started sending the alerts (so a suite's hold times count from then), `resolve`
 * once it has sent their resolution; `stop` ends the suite's use of it.
 */
export interface ScenarioSource {
  readonly kind: 'workload' | 'prometheus';
  fire(specs: AlertSpec | readonly AlertSpec[], opts?: { targets?: NodeId[] }): Promise<void>;
  /** Resolves firing alerts (all when omitted; by spec or by labelKey otherwise). */
  resolve(which?: readonly (AlertSpec | string)[]): Promise<void>;
  /** labelKeys of the alerts currently firing. */
  firing(): string[];
  stop(opts?: { abort?: boolean }): Promise<void>;
}
