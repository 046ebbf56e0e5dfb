import type { ResolvedVersion } from '../../versions/types.js';
import type { History } from '../../history/history.js';
import type { NodeId } from '../../history/types.js';
import type { RuntimeCluster, RuntimeNode } from '../../runtime/types.js';
import type { FaultKind, FaultSpec, ReceiverControl } from '../types.js';

/**
 * A fault package (Jepsen's nemesis/combined.clj): the fault kinds of one family, each spec mapped
 * to what makes it so, what proves it is in place, and what undoes it and proves it gone. The
 * Nemesis composes the packages; it records, schedules and heals, and knows no fault itself.
 */
export interface FaultPackage {
  readonly name: 'link' | 'receiver' | 'process' | 'source';
  readonly kinds: ReadonlySet<FaultKind>;
  /** Spec → planned fault. Throws (RUNTIME_UNSUPPORTED, INVALID_SCENARIO) without changing anything. */
  plan(spec: FaultSpec, id: number): PlannedFault;
  /** After every active fault was removed: undo anything the package may still have left; says what it did. */
  heal?(): Promise<string | undefined>;
}

export interface PlannedFault {
  description: string;
  /** The partition's components (the at-most-k checker reads them). */
  components?: NodeId[][];
  /** The nodes the fault acts on. */
  nodes?: NodeId[];
  /** Makes the fault so. */
  apply(): Promise<void>;
  /** Proves it is in place; returns what the history's `applied` event keeps. Throws FAULT_NOT_VERIFIED. */
  verify(): Promise<Record<string, unknown>>;
  /** Undoes it and proves it gone; returns the `removed` event's detail. Throws FAULT_NOT_VERIFIED. */
  remove(): Promise<Record<string, unknown>>;
  /** Best-effort undo after a failed apply or verify (nothing proven). */
  rollback(): Promise<void>;
}

/** What every package gets from the Nemesis. */
export interface FaultContext {
  cluster: RuntimeCluster;
  history: History;
  receiver: ReceiverControl | undefined;
  applyTimeoutMs: number;
  removeTimeoutMs: number;
  /** Grace for SIGTERM before SIGKILL (terminate/restart). */
  stopGraceMs: number;
  /** Tags what this nemesis adds (toxic names), so two nemeses on one fabric leave each other alone. */
  instance: string;
  nodeIds: NodeId[];
  /** The node, or INVALID_SCENARIO naming the nodes there are. */
  node(id: NodeId): RuntimeNode;
  /** A version resolved before the run (--upgrade-to), by the name an upgrade fault gives. */
  versions(requested: string): ResolvedVersion | undefined;
}
