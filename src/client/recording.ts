import type { History } from '../history/history.js';
import type { NodeId, OpKind } from '../history/types.js';
import { nodeApiErrorDetails, type AlertmanagerClient, type RequestOptions } from './client.js';
import type {
  AlertFilter,
  AlertGroup,
  AlertmanagerStatus,
  GettableAlert,
  GettableSilence,
  PostableAlert,
  PostableSilence,
  Receiver,
  SilenceFilter,
} from './types.js';

// Op ids must be unique within a history even when several recorders (workload, silences, a
// suite's own RecordingClient) append to it, so the counter belongs to the history, not to a recorder.
const nextOpIds = new WeakMap<History, { next: number }>();

export function nextOpId(history: History): number {
  let c = nextOpIds.get(history);
  if (!c) {
    c = { next: 1 };
    nextOpIds.set(history, c);
  }
  return c.next++;
}

const WRITES: ReadonlySet<OpKind> = new Set<OpKind>(['alerts.post', 'silence.create', 'silence.expire']);

/**
 * The `ok` of an op.complete for a failed operation: false when the operation certainly had no
 * effect, null when it may have had one (Jepsen's "info"). Refused or impossible connections are definite. A
 * timeout, an abort or a broken connection are indeterminate. An HTTP error answer is definite,
 * except for writes answered 5xx (the node may have failed half way) and alerts.post answered 4xx
 * (Alertmanager stores the valid alerts of a batch and still answers 400).
 * Reads that failed are false unless they timed out.
 */
export function failedOutcome(kind: OpKind, e: unknown): false | null {
  const d = nodeApiErrorDetails(e);
  if (!d) return null;
  const write = WRITES.has(kind);
  switch (d.failure) {
    case 'refused':
    case 'unreachable':
      return false;
    case 'timeout':
    case 'aborted':
      return null;
    case 'network':
    case 'bad-response':
      return write ? null : false;
    case 'http': {
      const status = d.status ?? 0;
      if (!write) return false;
      if (status >= 500) return null;
      if (kind === 'alerts.post') return null;
      return false;
    }
  }
}

/**
 * Appends Jepsen-style op.invoke / op.complete pairs to a history around an async operation. One
 * recorder per history is enough; several are fine too (ids are per history).
 */
export class OpRecorder {
  constructor(readonly history: History) {}

  /**
   * Records `invoke`, runs `fn`, records `complete` (ok true, or failedOutcome's false/null with the
   * error), and returns or rethrows what `fn` did. `resultValue` turns the result into the
   * complete event's value (default: none).
   */
  async run<T>(
    kind: OpKind,
    node: NodeId,
    value: unknown,
    fn: () => Promise<T>,
    resultValue?: (r: T) => unknown,
  ): Promise<T> {
    const op = nextOpId(this.history);
    this.history.append(value === undefined ? { type: 'op.invoke', op, kind, node } : { type: 'op.invoke', op, kind, node, value });
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      const d = nodeApiErrorDetails(e);
      const failure = d ? { failure: d.failure, status: d.status, body: d.body } : undefined;
      this.history.append({
        type: 'op.complete',
        op,
        kind,
        node,
        ok: failedOutcome(kind, e),
        error: e instanceof Error ? e.message : String(e),
        ...(failure ? { value: failure } : {}),
      });
      throw e;
    }
    const out = resultValue ? resultValue(result) : undefined;
    this.history.append(
      out === undefined ? { type: 'op.complete', op, kind, node, ok: true } : { type: 'op.complete', op, kind, node, ok: true, value: out },
    );
    return result;
  }
}

/**
 * An AlertmanagerClient whose operations that have an OpKind are recorded in a history (see
 * OpRecorder). Operations without an OpKind (groups, receivers, health, reload, getSilence) pass
 * through unrecorded. Errors are rethrown after recording.
 */
export class RecordingClient {
  readonly node: NodeId;

  constructor(
    readonly client: AlertmanagerClient,
    readonly recorder: OpRecorder,
  ) {
    this.node = client.node;
  }

  postAlerts(alerts: PostableAlert[], opts?: RequestOptions): Promise<void> {
    return this.recorder.run('alerts.post', this.node, alerts, () => this.client.postAlerts(alerts, opts));
  }

  getAlerts(filter?: AlertFilter, opts?: RequestOptions): Promise<GettableAlert[]> {
    return this.recorder.run('alerts.list', this.node, filter, () => this.client.getAlerts(filter, opts), (r) => r);
  }

  createSilence(silence: PostableSilence, opts?: RequestOptions): Promise<string> {
    return this.recorder.run(
      'silence.create',
      this.node,
      silence,
      () => this.client.createSilence(silence, opts),
      (silenceID) => ({ silenceID }),
    );
  }

  expireSilence(id: string, opts?: RequestOptions): Promise<void> {
    return this.recorder.run('silence.expire', this.node, { id }, () => this.client.expireSilence(id, opts));
  }

  getSilences(filter?: SilenceFilter, opts?: RequestOptions): Promise<GettableSilence[]> {
    return this.recorder.run('silences.list', this.node, filter, () => this.client.getSilences(filter, opts), (r) => r);
  }

  /** Recorded with the cluster part and the version only (the config text would bloat the history). */
  status(opts?: RequestOptions): Promise<AlertmanagerStatus> {
    return this.recorder.run(
      'status',
      this.node,
      undefined,
      () => this.client.status(opts),
      (s) => ({ cluster: s.cluster, version: s.versionInfo?.version }),
    );
  }

  getAlertGroups(filter?: AlertFilter, opts?: RequestOptions): Promise<AlertGroup[]> {
    return this.client.getAlertGroups(filter, opts);
  }

  getSilence(id: string, opts?: RequestOptions): Promise<GettableSilence> {
    return this.client.getSilence(id, opts);
  }

  receivers(opts?: RequestOptions): Promise<Receiver[]> {
    return this.client.receivers(opts);
  }

  healthy(opts?: RequestOptions): Promise<void> {
    return this.client.healthy(opts);
  }

  ready(opts?: RequestOptions): Promise<void> {
    return this.client.ready(opts);
  }

  reload(opts?: RequestOptions): Promise<void> {
    return this.client.reload(opts);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
