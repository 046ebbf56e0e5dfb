import { alertIdentity, labelKey, type LabelSet } from '../history/types.js';

/**
 * When an alert really began firing, and resolved, in Prometheus — from what the replicas sent.
 * The send taps hand every POST here before forwarding it, so an intent is recorded before any
 * Alertmanager could act on the alert. Per alert identity (labels without the replicas' own
 * external labels):
 *
 * - it **fires** at the first firing POST of a new episode from any replica. A replica's episode
 *   is its `startsAt` (Prometheus's FiredAt); after a resolve, only a replica that itself resolved
 *   the previous episode can start the next one — a replica still sending the old episode, or
 *   lagging so far behind that it fires only after the others resolved (evaluating with an
 *   offset), cannot; nor can any replica while the harness knows the condition does not hold
 *   (`truth`). What such a replica makes Alertmanager say is judged against the intents;
 * - it **resolves** at the first resolved POST (endsAt not after the moment it arrived) of any
 *   replica for an episode that belongs to the current intent; replicas that keep sending the old
 *   episode firing after that are what the checkers catch (stale firing, flapping).
 *
 * Each transition carries when it really happened in Prometheus (the POST's startsAt / endsAt).
 * Pure bookkeeping: `observe` returns the transitions to record.
 */
export interface PostedAlert {
  labels: LabelSet;
  startsAt?: string;
  endsAt?: string;
}

export interface IntentTransition {
  type: 'alert.fire' | 'alert.resolve';
  alert: string;
  labels: LabelSet;
  /**
   * When it really happened in Prometheus (epoch ms): the alert's startsAt (Prometheus's FiredAt)
   * for a fire, its endsAt (ResolvedAt) for a resolve — not later than the POST that carried it.
   * A replica whose sends are held up (its notification round waits for a slow Alertmanager)
   * delivers transitions late; they happened when Prometheus evaluated them.
   */
  at: number;
}

interface IdentityState {
  episodes: number;
  current: { members: Set<string>; resolved: boolean } | undefined;
  /** Episodes (replica + startsAt) of finished intents: a POST of one of these changes nothing. */
  retired: Set<string>;
  /** Replicas that sent a resolved POST for the last finished intent. */
  resolvedBy: Set<string>;
}

export class IntentTracker {
  private readonly byIdentity = new Map<string, IdentityState>();

  /**
   * `truth`, when the harness knows it (its own rules: an alert's identity is its gauge's labels),
   * says whether the alert's condition holds now: a firing POST while it does not is an echo of the
   * past (a replica evaluating with an offset, re-evaluating what it had resolved) and starts no
   * episode.
   */
  constructor(
    private replicaLabels: Record<string, string[]> = {},
    private readonly truth?: (identity: LabelSet) => 0 | 1 | undefined,
  ) {}

  /** The labels that differ per replica (changes with a reconfiguration). */
  setReplicaLabels(labels: Record<string, string[]>): void {
    this.replicaLabels = labels;
  }

  identityOf(labels: LabelSet): LabelSet {
    return alertIdentity(labels, this.replicaLabels);
  }

  /** The transitions one POST of `replica` causes, received at wall time `nowMs`. */
  observe(replica: string, alerts: readonly PostedAlert[], nowMs: number): IntentTransition[] {
    const out: IntentTransition[] = [];
    for (const a of alerts) {
      if (!a?.labels) continue;
      const labels = this.identityOf(a.labels);
      const key = labelKey(labels);
      let s = this.byIdentity.get(key);
      if (!s) this.byIdentity.set(key, (s = { episodes: 0, current: undefined, retired: new Set(), resolvedBy: new Set() }));
      const episode = `${replica}\u0000${a.startsAt ?? ''}`;
      const ends = a.endsAt ? Date.parse(a.endsAt) : NaN;
      const firing = !(ends <= nowMs);
      if (firing) {
        if (s.retired.has(episode)) continue;
        if (s.current && !s.current.resolved) {
          s.current.members.add(episode);
          continue;
        }
        if ((s.episodes === 0 || s.resolvedBy.has(replica)) && this.truth?.(labels) !== 0) {
          s.current = { members: new Set([episode]), resolved: false };
          s.episodes++;
          s.resolvedBy = new Set();
          out.push({ type: 'alert.fire', alert: key, labels, at: realTime(a.startsAt, nowMs) });
        }
        continue;
      }
      // resolved
      if (s.current && !s.current.resolved && s.current.members.has(episode)) {
        s.current.resolved = true;
        for (const m of s.current.members) s.retired.add(m);
        s.resolvedBy = new Set([replica]);
        out.push({ type: 'alert.resolve', alert: key, labels, at: realTime(a.endsAt, nowMs) });
      } else if (s.retired.has(episode) && (!s.current || s.current.resolved)) {
        s.resolvedBy.add(replica);
      }
    }
    return out;
  }

  /** Identities currently firing (per the intents). */
  firing(): string[] {
    return [...this.byIdentity].filter(([, s]) => s.current && !s.current.resolved).map(([k]) => k);
  }

  /** Whether the alert with these labels (an identity) has a firing intent. */
  isFiring(labels: LabelSet): boolean {
    const s = this.byIdentity.get(labelKey(this.identityOf(labels)));
    return s?.current !== undefined && !s.current.resolved;
  }

  /** Whether it had an intent and that was resolved. */
  isResolved(labels: LabelSet): boolean {
    const s = this.byIdentity.get(labelKey(this.identityOf(labels)));
    return s?.current !== undefined && s.current.resolved;
  }
}


function realTime(stamp: string | undefined, nowMs: number): number {
  const t = stamp ? Date.parse(stamp) : NaN;
  return Number.isFinite(t) ? Math.min(t, nowMs) : nowMs;
}
