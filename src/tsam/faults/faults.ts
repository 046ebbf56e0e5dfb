/**
 * Switches that break tsam on purpose (--tsam.fault). Each one must make an amchaos suite fail: that is
 * how the harness proves its checkers can fail. Every use site checks exactly one named switch, so a
 * reviewer can find each deliberate defect with `grep -rn "faults\." src/tsam`.
 */
import { AmchaosError } from '../../errors/index.js';

export const FAULT_NAMES = ['no-dedup', 'no-silence-gossip', 'no-wait', 'no-nflog-gossip'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface Faults {
  /** Skip the dedup stage: every flush notifies, whatever the notification log says. */
  readonly noDedup: boolean;
  /** Neither broadcast nor merge silences (local API still works). */
  readonly noSilenceGossip: boolean;
  /** The cluster wait stage waits 0 instead of position × peer timeout. */
  readonly noWait: boolean;
  /** Neither broadcast nor merge notification-log entries. */
  readonly noNflogGossip: boolean;
}

export const NO_FAULTS: Faults = { noDedup: false, noSilenceGossip: false, noWait: false, noNflogGossip: false };

/** Parses repeated and/or comma-separated --tsam.fault values. */
export function parseFaults(values: readonly string[]): Faults {
  const set = new Set<FaultName>();
  for (const v of values) {
    for (const part of v.split(',')) {
      const name = part.trim();
      if (name === '') continue;
      if (!(FAULT_NAMES as readonly string[]).includes(name)) {
        throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown --tsam.fault "${name}"`, {
          hint: `use one or more of ${FAULT_NAMES.join(', ')} (comma-separated or repeated)`,
        });
      }
      set.add(name as FaultName);
    }
  }
  return {
    noDedup: set.has('no-dedup'),
    noSilenceGossip: set.has('no-silence-gossip'),
    noWait: set.has('no-wait'),
    noNflogGossip: set.has('no-nflog-gossip'),
  };
}

export function faultList(f: Faults): FaultName[] {
  const out: FaultName[] = [];
  if (f.noDedup) out.push('no-dedup');
  if (f.noSilenceGossip) out.push('no-silence-gossip');
  if (f.noWait) out.push('no-wait');
  if (f.noNflogGossip) out.push('no-nflog-gossip');
  return out;
}
