import type { LabelSet, NodeId } from '../history/types.js';

/** One alert the workload can fire: its identity is its label set (see history's labelKey). */
export interface AlertSpec {
  labels: LabelSet;
  annotations?: LabelSet;
  /** Nodes this alert is sent to; absent = every node of the alert source. */
  targets?: NodeId[];
}
