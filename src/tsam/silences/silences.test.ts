import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCompat, type Compat } from '../compat/compat.js';
import { NO_FAULTS, parseFaults, type Faults } from '../faults/faults.js';
import { Logger } from '../log/logger.js';
import {
  decodeMeshSilence,
  emptySilence,
  encodeMeshSilence,
  joinDelimited,
  splitDelimited,
  type GoTime,
  type PbMatcher,
  type PbSilence,
} from '../statepb/statepb.js';
import { SilenceNotFoundError, Silences, SilenceValidationError } from './silences.js';

const S = 1_000_000_000n;
const c033 = parseCompat('0.33.1');
const c025 = parseCompat('0.25.0');

function setup(compat: Compat = c033, faults: Faults = NO_FAULTS) {
  let now: GoTime = 1_000_000n * S;
  const sent: Uint8Array[] = [];
  const logger = new Logger({ level: 'error', format: 'logfmt', compat, write: () => undefined });
  const sils = new Silences({ compat, faults, logger, retentionMs: 120 * 3_600_000, now: () => now });
  sils.setBroadcast((b) => sent.push(b));
  return { sils, sent, now: () => now, advance: (s: bigint) => (now += s * S) };
}

function sil(now: GoTime, over: Partial<PbSilence> = {}, matchers: PbMatcher[] = [{ type: 0, name: 'alertname', pattern: 'A' }]): PbSilence {
  return { ...emptySilence(), matchers, startsAt: now, endsAt: now + 3600n * S, createdBy: 'me', comment: 'c', ...over };
}

describe('silences: local changes', () => {
  it('creates an active silence with a fresh UUID, start clamped to now, and broadcasts it', () => {
    const { sils, sent, now } = setup();
    const id = sils.set(sil(now() - 100n * S));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const s = sils.get(id)!;
    expect(s.startsAt).toBe(now());
    expect(s.updatedAt).toBe(now());
    expect(sils.state(s)).toBe('active');
    expect(sent).toHaveLength(1);
    const m = decodeMeshSilence(splitDelimited(sent[0]!)[0]!);
    expect(m.expiresAt).toBe(s.endsAt! + 120n * 3600n * S);
    // 0.33: the legacy field and matcher_sets both carry the matchers
    expect(m.silence.matchers).toEqual(s.matcherSets[0]);
    expect(sils.mutedBy({ alertname: 'A' })).toEqual([id]);
    expect(sils.mutedBy({ alertname: 'B' })).toEqual([]);
  });

  it('moves through pending → active → expired with time', () => {
    const { sils, advance, now } = setup();
    const id = sils.set(sil(now() + 10n * S));
    expect(sils.state(sils.get(id)!)).toBe('pending');
    expect(sils.mutedBy({ alertname: 'A' })).toEqual([]);
    advance(10n);
    expect(sils.state(sils.get(id)!)).toBe('active');
    advance(3601n);
    expect(sils.state(sils.get(id)!)).toBe('expired');
    expect(sils.mutedBy({ alertname: 'A' })).toEqual([]);
  });

  it('updates in place only when allowed (canUpdate), else expires and replaces', () => {
    const { sils, now, advance } = setup();
    const id = sils.set(sil(now()));
    advance(5n);
    // active, same start second, later end: in place
    expect(sils.set({ ...sils.get(id)!, endsAt: now() + 7200n * S, comment: 'longer' })).toBe(id);
    expect(sils.get(id)!.comment).toBe('longer');
    // different matchers: the old one is expired, a new ID made
    const id2 = sils.set({ ...sils.get(id)!, matchers: [{ type: 0, name: 'alertname', pattern: 'B' }], matcherSets: [] });
    expect(id2).not.toBe(id);
    advance(1n);
    expect(sils.state(sils.get(id)!)).toBe('expired');
    // moved start of an active silence: replaced
    const id3 = sils.set({ ...sils.get(id2)!, startsAt: now() + 60n * S });
    expect(id3).not.toBe(id2);
    // pending silence: start may move as long as it is not in the past
    const p = sils.set(sil(now() + 100n * S));
    expect(sils.set({ ...sils.get(p)!, startsAt: now() + 200n * S })).toBe(p);
  });

  it('expires: active ends now, pending starts and ends now, expired stays', () => {
    const { sils, now } = setup();
    const a = sils.set(sil(now()));
    const p = sils.set(sil(now() + 100n * S));
    sils.expire(a);
    sils.expire(p);
    expect(sils.get(a)!.endsAt).toBe(now());
    expect(sils.get(a)!.updatedAt).toBe(now() + 1n); // created and expired in one tick: still ordered
    expect(sils.get(p)!.startsAt).toBe(now());
    expect(sils.get(p)!.endsAt).toBe(now());
    expect(() => sils.expire(a)).not.toThrow();
    expect(() => sils.expire('00000000-0000-0000-0000-000000000000')).toThrow(SilenceNotFoundError);
    expect(() => sils.set(sil(now(), { id: 'nope' }))).toThrow(SilenceNotFoundError);
  });

  it.each([
    [c033, [{ type: 1, name: 'a', pattern: '.*' }], 'invalid silence: matcher set 0: at least one matcher must not match the empty string'],
    [c025, [{ type: 1, name: 'a', pattern: '.*' }], 'silence invalid: at least one matcher must not match the empty string'],
    [c033, [{ type: 1, name: 'a', pattern: '[' }], 'invalid silence: invalid label matcher 0 in set 0: invalid regular expression "[": error parsing regexp: missing closing ]: `[`'],
    [c025, [{ type: 0, name: 'a b', pattern: 'x' }], 'silence invalid: invalid label matcher 0: invalid label name "a b"'],
    [c033, [], 'invalid silence: at least one matcher set required'],
    [c025, [], 'silence invalid: at least one matcher required'],
    // Negative matchers never count as matching the empty string (Go's matchesEmpty): valid alone.
    [c033, [{ type: 2, name: 'env', pattern: '' }], undefined],
    [c025, [{ type: 3, name: 'a', pattern: 'x' }], undefined],
    // The regexp is searched unanchored for "": `a|` finds it, `a` does not.
    [c033, [{ type: 1, name: 'a', pattern: 'a|' }], 'invalid silence: matcher set 0: at least one matcher must not match the empty string'],
    [c033, [{ type: 0, name: 'a', pattern: '' }, { type: 1, name: 'b', pattern: 'x' }], undefined],
  ] as [Compat, PbMatcher[], string | undefined][])('validates (%#)', (compat, matchers, msg) => {
    const { sils, now } = setup(compat);
    if (msg === undefined) {
      expect(() => sils.set(sil(now(), {}, matchers))).not.toThrow();
      return;
    }
    expect(() => sils.set(sil(now(), {}, matchers))).toThrow(SilenceValidationError);
    expect(() => sils.set(sil(now(), {}, matchers))).toThrow(msg);
  });
});

describe('silences: gossip', () => {
  function wire(s: PbSilence, expiresAt: GoTime): Uint8Array {
    return joinDelimited([encodeMeshSilence({ silence: s, expiresAt }, false)]);
  }

  it('merges last-writer-wins by updatedAt and re-gossips changes', () => {
    const { sils, sent, now } = setup();
    const base = sil(now(), { id: 'id-1', updatedAt: now() });
    const newer = wire({ ...base, comment: 'new', updatedAt: now() + S }, now() + 9999n * S);
    const older = wire({ ...base, comment: 'old', updatedAt: now() - S }, now() + 9999n * S);
    sils.merge(newer);
    sils.merge(older);
    sils.merge(newer);
    expect(sils.get('id-1')!.comment).toBe('new');
    expect(sent).toEqual([newer]);
    sils.merge(wire({ ...base, id: 'id-2' }, now() - S)); // expired entry dropped
    expect(sils.get('id-2')).toBeUndefined();
  });

  it('upgrades legacy comments and treats an empty matcher list as matching everything (#5330)', () => {
    const { sils, now } = setup(c025);
    sils.merge(wire(sil(now(), { id: 'legacy', updatedAt: now(), createdBy: '', comment: '', comments: [{ author: 'bob', comment: 'old style', timestamp: now() }] }, []), now() + 9999n * S));
    const s = sils.get('legacy')!;
    expect([s.createdBy, s.comment, s.comments]).toEqual(['bob', 'old style', []]);
    expect(sils.mutedBy({ anything: 'x' })).toEqual(['legacy']);
  });

  it('0.33 reads matcher_sets as OR; 0.25 reads only the legacy field', () => {
    const sets: PbMatcher[][] = [[{ type: 0, name: 'a', pattern: '1' }], [{ type: 0, name: 'b', pattern: '2' }]];
    for (const [compat, muted] of [[c033, ['ms']], [c025, []]] as const) {
      const { sils, now } = setup(compat);
      sils.merge(wire(sil(now(), { id: 'ms', updatedAt: now(), matcherSets: sets }, sets[0]!), now() + 9999n * S));
      expect(sils.mutedBy({ b: '2' })).toEqual(muted);
      expect(sils.mutedBy({ a: '1' })).toEqual(['ms']);
    }
  });

  it('loads a real 0.25 snapshot and matches its NOT_REGEXP matcher', () => {
    const { sils } = setup(c025);
    sils.merge(readFileSync(new URL('../../../test/support/tsam/testdata/statepb/silences-0.25.0', import.meta.url)));
    expect(sils.size()).toBe(1);
    expect(sils.list()[0]!.matchers.map((m) => m.type)).toEqual([0, 3]);
  });

  it('garbage-collects after retention', () => {
    const { sils, now, advance } = setup();
    const id = sils.set(sil(now()));
    sils.expire(id);
    advance(120n * 3600n - 1n);
    expect(sils.gc()).toBe(0);
    advance(1n); // expiresAt = endsAt + retention is no longer after now
    expect(sils.gc()).toBe(1);
  });

  it('fault no-silence-gossip: neither sends nor accepts', () => {
    const { sils, sent, now } = setup(c033, parseFaults(['no-silence-gossip']));
    sils.set(sil(now()));
    expect(sent).toHaveLength(0);
    sils.merge(wire(sil(now(), { id: 'remote', updatedAt: now() }), now() + 9999n * S));
    expect(sils.get('remote')).toBeUndefined();
    expect(sils.marshalBinary()).toHaveLength(0);
  });
});
