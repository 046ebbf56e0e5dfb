import { AmchaosError } from '../errors/index.js';
import type { History } from '../history/history.js';
import type { LabelSet, NodeId } from '../history/types.js';
import type { AlertmanagerClient } from '../client/client.js';
import { OpRecorder } from '../client/recording.js';
import type { Matcher, PostableSilence } from '../client/types.js';

/** Equality matchers on every label of one alert: the silence mutes exactly that alert. */
export function matchersForAlert(labels: LabelSet): Matcher[] {
  return equalityMatchers(labels);
}

/**
 * Equality matchers on a group's labels (the route's group_by values, as the webhook's
 * groupLabels carry them): the silence mutes every alert of that group.
 */
export function matchersForGroup(groupLabels: LabelSet): Matcher[] {
  return equalityMatchers(groupLabels);
}

function equalityMatchers(labels: LabelSet): Matcher[] {
  const names = Object.keys(labels).sort();
  if (names.length === 0) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'a silence needs at least one matcher; the label set is empty', {
      hint: 'silence an alert by its labels or a group by its group labels',
    });
  }
  return names.map((name) => ({ name, value: labels[name]!, isRegex: false, isEqual: true }));
}

export interface SilenceOpsOptions {
  history: History;
  clients: readonly AlertmanagerClient[];
  /** Timeout of one silence call. Default 10 000 ms. */
  timeoutMs?: number;
  recorder?: OpRecorder;
}

export interface CreateSilenceOptions {
  matchers: Matcher[];
  /** Default 1 hour from startsAt. */
  durationMs?: number;
  /** Default now (scenario clock's wall time). */
  startsAt?: Date;
  createdBy?: string;
  comment?: string;
}

/**
 * Silence operations of the workload, each on one chosen node and recorded as op.invoke /
 * op.complete (silence.create's complete carries { silenceID }). Failures are recorded and then
 * thrown (AMCHAOS_NODE_API), so a scenario decides whether a failed create matters.
 */
export class SilenceOps {
  private readonly history: History;
  private readonly clients = new Map<NodeId, AlertmanagerClient>();
  private readonly recorder: OpRecorder;
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(opts: SilenceOpsOptions) {
    this.history = opts.history;
    for (const c of opts.clients) this.clients.set(c.node, c);
    this.recorder = opts.recorder ?? new OpRecorder(opts.history);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Creates a silence on `node`; resolves with its id. */
  async create(node: NodeId, opts: CreateSilenceOptions): Promise<string> {
    const client = this.client(node);
    if (opts.matchers.length === 0) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `silence on ${node}: no matchers`, { hint: 'use matchersForAlert() or matchersForGroup()' });
    }
    const start = opts.startsAt ?? this.history.clock.wallAt(this.history.clock.now());
    const silence: PostableSilence = {
      matchers: opts.matchers,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + (opts.durationMs ?? 3_600_000)).toISOString(),
      createdBy: opts.createdBy ?? 'amchaos',
      comment: opts.comment ?? 'amchaos workload silence',
    };
    return await this.track(
      this.recorder.run('silence.create', node, silence, () => client.createSilence(silence, this.requestOpts()), (silenceID) => ({ silenceID })),
    );
  }

  /** Expires (DELETE) silence `id` on `node`. */
  async expire(node: NodeId, id: string): Promise<void> {
    const client = this.client(node);
    await this.track(this.recorder.run('silence.expire', node, { id }, () => client.expireSilence(id, this.requestOpts())));
  }

  /** Waits for calls in flight; with `abort`, aborts them (recorded as indeterminate). */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    if (opts.abort) this.abort.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private requestOpts(): { timeoutMs: number; signal: AbortSignal } {
    return { timeoutMs: this.timeoutMs, signal: this.abort.signal };
  }

  private client(node: NodeId): AlertmanagerClient {
    const c = this.clients.get(node);
    if (!c) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `silence: node ${JSON.stringify(node)} is not one of ${[...this.clients.keys()].join(', ')}`, {
        hint: 'silence operations must name a node of this scenario',
      });
    }
    return c;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = (): void => {
      this.inFlight.delete(p);
    };
    p.then(done, done);
    return p;
  }
}
