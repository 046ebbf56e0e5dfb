/**
 * Silences, replicated over the cluster under the key "sil", with Go's rules:
 *  - set(): update in place only when the matchers are identical and the time change is allowed
 *    (canUpdate); otherwise the old silence is expired and a new UUID is created;
 *  - expire(): active → endsAt=now, pending → startsAt=endsAt=now; updatedAt=now;
 *  - merge: drop expired (expiresAt < now), upgrade legacy comments, last writer wins on updatedAt;
 *    re-broadcast the original bytes when state changed and the part is not oversized;
 *  - expiresAt = endsAt + retention; GC drops entries whose expiry is not after now.
 * Compat: 0.32+ nodes keep matcher_sets (OR) and write the first set into the legacy matchers field;
 * older ones only read the legacy field.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterState } from '../cluster/peer-api.js';
import type { Compat } from '../compat/compat.js';
import type { Faults } from '../faults/faults.js';
import type { Logger } from '../log/logger.js';
import { isValidLabelName, type LabelSet } from '../labels/labelset.js';
import { goQuote } from '../labels/gostring.js';
import { compileGoRegexp, Matcher, type MatchType } from '../labels/matcher.js';
import { OVERSIZED_BYTES } from '../nflog/nflog.js';
import {
  decodeMeshSilence,
  encodeMeshSilence,
  GO_ZERO_TIME,
  joinDelimited,
  msToGoTime,
  nowGoTime,
  splitDelimited,
  type GoTime,
  type MeshSilence,
  type PbMatcher,
  type PbSilence,
} from '../statepb/statepb.js';
import { readSnapshot, writeSnapshot } from '../statepb/snapshot.js';

export type SilenceState = 'active' | 'pending' | 'expired';

export class SilenceNotFoundError extends Error {
  constructor() {
    super('silence not found');
  }
}

export class SilenceValidationError extends Error {}

export interface SilencesOptions {
  compat: Compat;
  faults: Faults;
  logger: Logger;
  retentionMs: number;
  now?: () => GoTime;
}

const PB_TYPE_TO_MATCH: Record<number, MatchType> = { 0: '=', 1: '=~', 2: '!=', 3: '!~' };

function compileSets(sets: PbMatcher[][]): Matcher[][] | undefined {
  try {
    return sets.map((set) => set.map((m) => new Matcher(PB_TYPE_TO_MATCH[m.type]!, m.name, m.pattern)));
  } catch {
    return undefined;
  }
}

/**
 * matchesEmpty: only `=""` and a regexp that finds the empty string (unanchored: regexp.MatchString)
 * count; negative matchers never do, so `env!=""` or `alertname!="x"` alone is a valid silence.
 */
function matchesEmpty(m: PbMatcher): boolean {
  if (m.type === 0) return m.pattern === '';
  if (m.type === 1) return compileGoRegexp(m.pattern).matcher('').find();
  return false;
}

function matchersEqual(a: PbMatcher[][], b: PbMatcher[][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) {
      const p = x[j]!;
      const q = y[j]!;
      if (p.type !== q.type || p.name !== q.name || p.pattern !== q.pattern) return false;
    }
  }
  return true;
}

function cloneSilence(s: PbSilence): PbSilence {
  return {
    ...s,
    matchers: s.matchers.map((m) => ({ ...m })),
    comments: s.comments.map((c) => ({ ...c })),
    annotations: new Map(s.annotations),
    matcherSets: s.matcherSets.map((set) => set.map((m) => ({ ...m }))),
    receiverMatcherSets: s.receiverMatcherSets.map((set) => set.map((m) => ({ ...m }))),
  };
}

interface Compiled {
  updatedAt: GoTime | undefined;
  sets: Matcher[][] | undefined;
}

export class Silences implements ClusterState {
  private readonly st = new Map<string, MeshSilence>();
  private readonly compiled = new Map<string, Compiled>();
  private readonly opts: SilencesOptions;
  private readonly now: () => GoTime;
  private broadcast: (b: Uint8Array) => void = () => {};
  /** Bumped on every change, so callers can cache "silenced by" answers. */
  version = 0;
  /** Received gossip messages passed on (alertmanager_silences_gossip_messages_propagated_total). */
  propagated = 0;

  constructor(opts: SilencesOptions) {
    this.opts = opts;
    this.now = opts.now ?? nowGoTime;
  }

  setBroadcast(fn: (b: Uint8Array) => void): void {
    this.broadcast = fn;
  }

  private ts(t: GoTime | undefined): GoTime {
    return t ?? (this.opts.compat.gogoTimestamps ? GO_ZERO_TIME : 0n);
  }

  /** The matcher sets this version acts on (OR across sets). */
  matcherSets(s: PbSilence): PbMatcher[][] {
    if (this.opts.compat.silenceMatcherSets && s.matcherSets.length > 0) return s.matcherSets;
    return [s.matchers];
  }

  state(s: PbSilence, now: GoTime = this.now()): SilenceState {
    if (now < this.ts(s.startsAt)) return 'pending';
    if (now > this.ts(s.endsAt)) return 'expired';
    return 'active';
  }

  get(id: string): PbSilence | undefined {
    return this.st.get(id)?.silence;
  }

  list(): PbSilence[] {
    return [...this.st.values()].map((m) => m.silence);
  }

  /** IDs of the active silences that match the labels (the Silencer's query), sorted. */
  mutedBy(ls: LabelSet): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const { silence } of this.st.values()) {
      if (this.state(silence, now) !== 'active') continue;
      let c = this.compiled.get(silence.id);
      if (!c || c.updatedAt !== silence.updatedAt) {
        c = { updatedAt: silence.updatedAt, sets: compileSets(this.matcherSets(silence)) };
        this.compiled.set(silence.id, c);
      }
      if (!c.sets) continue;
      if (c.sets.some((set) => set.every((m) => m.matchesSet(ls)))) out.push(silence.id);
    }
    return out.sort();
  }

  /** validateSilence, per version (0.33 names the matcher set in its errors and checks each set). */
  private validate(s: PbSilence): void {
    const named = this.opts.compat.silenceErrorsNameSet;
    if (s.id === '') throw new SilenceValidationError('ID missing');
    const sets = named && s.matcherSets.length === 0 && s.matchers.length === 0 ? [] : this.matcherSets(s);
    if (named ? sets.length === 0 : (sets[0] ?? []).length === 0) {
      throw new SilenceValidationError(named ? 'at least one matcher set required' : 'at least one matcher required');
    }
    for (let i = 0; i < sets.length; i++) {
      const set = sets[i]!;
      if (set.length === 0) throw new SilenceValidationError(`matcher set ${i} is empty`);
      let allMatchEmpty = true;
      for (let j = 0; j < set.length; j++) {
        const err = this.validateMatcher(set[j]!);
        if (err) throw new SilenceValidationError(`${named ? `invalid label matcher ${j} in set ${i}` : `invalid label matcher ${j}`}: ${err}`);
        allMatchEmpty &&= matchesEmpty(set[j]!);
      }
      if (allMatchEmpty) {
        throw new SilenceValidationError(
          named ? `matcher set ${i}: at least one matcher must not match the empty string` : 'at least one matcher must not match the empty string',
        );
      }
    }
    if (s.startsAt === undefined) throw new SilenceValidationError('invalid zero start timestamp');
    if (s.endsAt === undefined) throw new SilenceValidationError('invalid zero end timestamp');
    if (s.endsAt < s.startsAt) throw new SilenceValidationError('end time must not be before start time');
  }

  /** validateMatcher: a valid name; a regexp that compiles (unanchored, as Go compiles it here). */
  private validateMatcher(m: PbMatcher): string | undefined {
    if (!isValidLabelName(m.name, this.opts.compat.utf8LabelNames)) return `invalid label name ${goQuote(m.name)}`;
    if (m.type === 1 || m.type === 3) {
      try {
        compileGoRegexp(m.pattern);
      } catch (e) {
        return `invalid regular expression ${goQuote(m.pattern)}: ${(e as Error).message}`;
      }
    } else if (m.type !== 0 && m.type !== 2) {
      return `unknown matcher type ${goQuote(String(m.type))}`;
    }
    return undefined;
  }

  private canUpdate(a: PbSilence, b: PbSilence, now: GoTime): boolean {
    if (!matchersEqual(this.matcherSets(a), this.matcherSets(b))) return false;
    switch (this.state(a, now)) {
      case 'active':
        if (this.ts(b.startsAt) / 1_000_000_000n !== this.ts(a.startsAt) / 1_000_000_000n) return false;
        if (this.ts(b.endsAt) < now) return false;
        return true;
      case 'pending':
        return !(this.ts(b.startsAt) < now);
      case 'expired':
        return false;
    }
  }

  /**
   * Silences.Set (0.33: Upsert): creates or updates; returns the silence ID. Throws
   * SilenceNotFoundError for an unknown ID and SilenceValidationError ("invalid silence: …").
   */
  set(input: PbSilence): string {
    const sil = cloneSilence(input);
    // postprocessUnmarshalledSilence: legacy matchers become the one matcher set (none stay none).
    if (this.opts.compat.silenceMatcherSets && sil.matcherSets.length === 0 && sil.matchers.length > 0) sil.matcherSets = [sil.matchers];
    const now = this.now();
    const prev = sil.id !== '' ? this.st.get(sil.id)?.silence : undefined;
    if (sil.id !== '' && !prev) throw new SilenceNotFoundError();
    if (prev) {
      if (this.canUpdate(prev, sil, now)) {
        this.store(sil, now);
        return sil.id;
      }
      if (this.state(prev, now) !== 'expired') this.expire(prev.id);
    }
    sil.id = randomUUID();
    if (sil.startsAt !== undefined && sil.startsAt < now) sil.startsAt = now;
    this.store(sil, now);
    return sil.id;
  }

  /** Expires a silence (DELETE /api/v2/silence/{id}); an already expired one is left as it is. */
  expire(id: string): void {
    const cur = this.st.get(id)?.silence;
    if (!cur) throw new SilenceNotFoundError();
    const sil = cloneSilence(cur);
    const now = this.now();
    switch (this.state(sil, now)) {
      case 'expired':
        return;
      case 'active':
        sil.endsAt = now;
        break;
      case 'pending':
        sil.startsAt = now;
        sil.endsAt = now;
        break;
    }
    this.store(sil, now);
  }

  private store(sil: PbSilence, now: GoTime): void {
    // Two local changes in the same clock tick must not tie: last writer wins needs a strictly newer time.
    const prev = this.st.get(sil.id)?.silence.updatedAt;
    sil.updatedAt = prev !== undefined && now <= prev ? prev + 1n : now;
    try {
      this.validate(sil);
    } catch (e) {
      throw new SilenceValidationError(`${this.opts.compat.silenceInvalidPrefix}: ${(e as Error).message}`);
    }
    // 0.32+ writes the first matcher set into the legacy field so older peers still understand it.
    if (this.opts.compat.silenceMatcherSets) sil.matchers = sil.matcherSets[0] ?? sil.matchers;
    const msil: MeshSilence = { silence: sil, expiresAt: this.ts(sil.endsAt) + msToGoTime(this.opts.retentionMs) };
    // Go's marshalMeshSilence writes the silence length-delimited, also for a single broadcast.
    const b = joinDelimited([encodeMeshSilence(msil, this.opts.compat.gogoTimestamps)]);
    this.mergeOne(msil, now);
    // FAULT no-silence-gossip: the silence stays on this node.
    if (this.opts.faults.noSilenceGossip) return;
    this.broadcast(b);
  }

  private mergeOne(m: MeshSilence, now: GoTime): boolean {
    if (this.ts(m.expiresAt) < now) return false;
    const s = m.silence;
    // 0.32+ decoding moves a legacy-only silence into matcher_sets (and writes both fields back).
    if (this.opts.compat.silenceMatcherSets && s.matcherSets.length === 0 && s.matchers.length > 0) {
      s.matcherSets = [s.matchers];
    }
    if (s.comments.length > 0) {
      s.comment = s.comments[0]!.comment;
      s.createdBy = s.comments[0]!.author;
      s.comments = [];
    }
    const prev = this.st.get(s.id);
    if (!prev || this.ts(prev.silence.updatedAt) < this.ts(s.updatedAt)) {
      this.st.set(s.id, m);
      this.version++;
      return true;
    }
    return false;
  }

  merge(data: Uint8Array): void {
    // FAULT no-silence-gossip: peers' silences never arrive.
    if (this.opts.faults.noSilenceGossip) return;
    const items = splitDelimited(data).map(decodeMeshSilence);
    const now = this.now();
    for (const m of items) {
      if (this.mergeOne(m, now) && data.length <= OVERSIZED_BYTES) {
        this.propagated++;
        this.broadcast(data);
      }
    }
  }

  marshalBinary(): Uint8Array {
    // FAULT no-silence-gossip: push/pull carries no silences either.
    if (this.opts.faults.noSilenceGossip) return new Uint8Array(0);
    return this.encodeAll();
  }

  private encodeAll(): Uint8Array {
    const gogo = this.opts.compat.gogoTimestamps;
    return joinDelimited([...this.st.values()].map((m) => encodeMeshSilence(m, gogo)));
  }

  gc(): number {
    const now = this.now();
    let n = 0;
    for (const [id, m] of this.st) {
      if (!(this.ts(m.expiresAt) > now)) {
        this.st.delete(id);
        this.compiled.delete(id);
        n++;
      }
    }
    if (n > 0) this.version++;
    return n;
  }

  size(): number {
    return this.st.size;
  }

  async loadSnapshot(path: string): Promise<void> {
    const data = await readSnapshot(path);
    if (data === undefined) {
      this.opts.logger.debug("silences snapshot file doesn't exist", { component: 'silences', file: path });
      return;
    }
    const now = this.now();
    for (const m of splitDelimited(data).map(decodeMeshSilence)) this.mergeOne(m, now);
  }

  async snapshot(path: string): Promise<number> {
    const data = this.encodeAll();
    await writeSnapshot(path, data);
    return data.length;
  }
}
