/**
 * Inhibition as Alertmanager's inhibit.Inhibitor: each rule caches the alerts matching its source side;
 * a label set is muted when a rule's target side matches it and some unresolved cached source alert
 * has the same values for every `equal` label. An alert matching both sides cannot be inhibited by a
 * source that also matches both sides (excludeTwoSidedMatch).
 */
import type { InhibitRuleConfig } from '../config/config.js';
import { resolvedAt, type Alert } from '../alerts/alerts.js';
import type { LabelSet } from '../labels/labelset.js';
import { matchesAll, type Matcher } from '../labels/matcher.js';

interface Rule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
  scache: Map<string, Alert>;
}

export class Inhibitor {
  private readonly rules: Rule[];

  constructor(rules: readonly InhibitRuleConfig[]) {
    this.rules = rules.map((r) => ({ source: r.sourceMatchers, target: r.targetMatchers, equal: r.equal, scache: new Map() }));
  }

  /** Feed every alert put into the store (Go subscribes the inhibitor to the provider). */
  observe(a: Alert): void {
    for (const r of this.rules) if (matchesAll(r.source, a.labels)) r.scache.set(a.fingerprint, a);
  }

  /** Fingerprints of the alerts that inhibit this label set (empty = not inhibited). */
  mutedBy(ls: LabelSet, now = Date.now()): string[] {
    for (const r of this.rules) {
      if (!matchesAll(r.target, ls)) continue;
      const excludeTwoSided = matchesAll(r.source, ls);
      outer: for (const a of r.scache.values()) {
        if (resolvedAt(a, now)) continue;
        for (const n of r.equal) if ((a.labels[n] ?? '') !== (ls[n] ?? '')) continue outer;
        if (excludeTwoSided && matchesAll(r.target, a.labels)) continue;
        return [a.fingerprint];
      }
    }
    return [];
  }

  /** Drops resolved source alerts from the caches. */
  gc(now = Date.now()): void {
    for (const r of this.rules) for (const [fp, a] of r.scache) if (resolvedAt(a, now)) r.scache.delete(fp);
  }
}
