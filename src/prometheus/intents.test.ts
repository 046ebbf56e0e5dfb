import { describe, expect, it } from 'vitest';
import { IntentTracker, type PostedAlert } from './intents.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const A = { alertname: 'A', group: 'g' };

/** What a replica posts at second `now`: firing since `since` (endsAt = now + 8 s), or resolved at `resolvedAt`. */
function post(o: { since: number; now: number; resolvedAt?: number; labels?: Record<string, string> }): PostedAlert[] {
  return [{ labels: o.labels ?? A, startsAt: iso(o.since), endsAt: iso(o.resolvedAt ?? o.now + 8) }];
}

describe('IntentTracker: when an alert really fired and resolved in Prometheus, from the replicas\' POSTs', () => {
  it('the first firing POST of any replica fires it, at its startsAt; the other replica joins; the first resolved POST resolves it', () => {
    const t = new IntentTracker({ replica: ['p1', 'p2'] });
    // p1's send was held up: it arrives at 15 s for an alert Prometheus fired at 10 s.
    expect(t.observe('p1', post({ since: 10, now: 15 }), T0 + 15_000)).toEqual([{ type: 'alert.fire', alert: '{alertname="A",group="g"}', labels: A, at: T0 + 10_000 }]);
    expect(t.observe('p2', post({ since: 11, now: 16 }), T0 + 16_000)).toEqual([]);
    expect(t.isFiring(A)).toBe(true);
    const r = t.observe('p2', post({ since: 11, now: 31, resolvedAt: 30 }), T0 + 31_000);
    expect(r.map((x) => [x.type, x.at])).toEqual([['alert.resolve', T0 + 30_000]]);
    // p1 still firing its episode (it evaluates later): that is no new episode.
    expect(t.observe('p1', post({ since: 10, now: 32 }), T0 + 32_000)).toEqual([]);
    expect(t.isFiring(A)).toBe(false);
  });

  it('a replica lagging so far that it fires only after the others resolved starts no episode; one that resolved can', () => {
    const t = new IntentTracker({ replica: ['p1', 'p2'] });
    t.observe('p1', post({ since: 10, now: 10 }), T0 + 10_000);
    t.observe('p1', post({ since: 10, now: 20, resolvedAt: 20 }), T0 + 20_000);
    // p2 (a 22 s evaluation offset) fires its first episode at 32 s: an echo of the past, not a new alert.
    expect(t.observe('p2', post({ since: 32, now: 32 }), T0 + 32_000)).toEqual([]);
    // p1 resolved the last episode: when it fires again, that is a new episode.
    expect(t.observe('p1', post({ since: 40, now: 40 }), T0 + 40_000).map((x) => x.type)).toEqual(['alert.fire']);
    // p2's resolution of its echo (not part of the current episode) resolves nothing.
    expect(t.observe('p2', post({ since: 32, now: 42, resolvedAt: 42 }), T0 + 42_000)).toEqual([]);
    expect(t.isFiring(A)).toBe(true);
  });

  it('an alert under each replica\'s label is one identity', () => {
    const t = new IntentTracker({ replica: ['p1', 'p2'] });
    expect(t.observe('p1', post({ since: 10, now: 10, labels: { ...A, replica: 'p1' } }), T0 + 10_000).map((x) => x.labels)).toEqual([A]);
    expect(t.observe('p2', post({ since: 10, now: 10, labels: { ...A, replica: 'p2' } }), T0 + 10_000)).toEqual([]);
    // A label of the same name with another value is part of the identity.
    expect(t.observe('p2', post({ since: 10, now: 10, labels: { ...A, replica: 'db-7' } }), T0 + 10_000).map((x) => x.alert)).toEqual(['{alertname="A",group="g",replica="db-7"}']);
  });

  it("where the harness knows the condition (its own rules), a replica's firing POST while it does not hold is an echo, not an episode", () => {
    let gauge: 0 | 1 = 1;
    const t = new IntentTracker({ replica: ['p1', 'p2'] }, () => gauge);
    t.observe('p2', post({ since: 10, now: 10 }), T0 + 10_000);
    t.observe('p2', post({ since: 10, now: 20, resolvedAt: 20 }), T0 + 20_000);
    gauge = 0;
    // p2 is given a 22 s evaluation offset at 38 s: it evaluates 16 s, when the gauge was still 1, and fires again.
    expect(t.observe('p2', post({ since: 38, now: 38 }), T0 + 38_000)).toEqual([]);
    gauge = 1;
    expect(t.observe('p2', post({ since: 50, now: 50 }), T0 + 50_000).map((x) => x.type)).toEqual(['alert.fire']);
  });
});
