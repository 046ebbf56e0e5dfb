/**
 * Switches that break tsam on purpose (--tsam.fault). Each one must make an amchaos suite fail: that is
 * how the harness proves its checkers can fail. Every use site checks exactly one named switch, so a
 * reviewer can find each deliberate defect with `grep -rn "faults\." src/tsam`.
 */
import { AmchaosError } from '../../errors/index.js';
import { parseGoDuration } from '../duration/duration.js';

export const FAULT_NAMES = ['no-dedup', 'no-silence-gossip', 'no-wait', 'no-nflog-gossip'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** `clock-skew=<Go duration>`: tsam's wall clock runs this far ahead (negative: behind). See clock.ts. */
export const CLOCK_SKEW = 'clock-skew';

export interface Faults {
  /** Skip the dedup stage: every flush notifies, whatever the notification log says. */
  readonly noDedup: boolean;
  /** Neither broadcast nor merge silences (local API still works). */
  readonly noSilenceGossip: boolean;
  /** The cluster wait stage waits 0 instead of position × peer timeout. */
  readonly noWait: boolean;
  /** Neither broadcast nor merge notification-log entries. */
  readonly noNflogGossip: boolean;
  /**
   * The process's wall clock is offset by this much (ms; 0 = none): nflog and silence timestamps,
   * expiry, silence activity and alert validity all read it, as on a machine whose clock is wrong.
   */
  readonly clockSkewMs: number;
}

export const NO_FAULTS: Faults = { noDedup: false, noSilenceGossip: false, noWait: false, noNflogGossip: false, clockSkewMs: 0 };

/** Parses repeated and/or comma-separated --tsam.fault values. */
export function parseFaults(values: readonly string[]): Faults {
  const set = new Set<FaultName>();
  let clockSkewMs = 0;
  for (const v of values) {
    for (const part of v.split(',')) {
      const name = part.trim();
      if (name === '') continue;
      if (name.startsWith(`${CLOCK_SKEW}=`)) {
        clockSkewMs = parseClockSkew(name.slice(CLOCK_SKEW.length + 1));
        continue;
      }
      if (!(FAULT_NAMES as readonly string[]).includes(name)) {
        throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown --tsam.fault "${name}"`, {
          hint: `use one or more of ${FAULT_NAMES.join(', ')}, ${CLOCK_SKEW}=<duration> (comma-separated or repeated)`,
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
    clockSkewMs,
  };
}

/** `30s`, `+30s`, `-1m30s` → ms; a bad value is a flag error naming the switch. */
export function parseClockSkew(text: string): number {
  try {
    return parseGoDuration(text);
  } catch (e) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--tsam.fault ${CLOCK_SKEW}=${text}: ${(e as Error).message}`, {
      hint: `give a Go duration, ahead or behind: ${CLOCK_SKEW}=30s, ${CLOCK_SKEW}=-30s`,
    });
  }
}

export function faultList(f: Faults): string[] {
  const out: string[] = [];
  if (f.noDedup) out.push('no-dedup');
  if (f.noSilenceGossip) out.push('no-silence-gossip');
  if (f.noWait) out.push('no-wait');
  if (f.noNflogGossip) out.push('no-nflog-gossip');
  if (f.clockSkewMs !== 0) out.push(`${CLOCK_SKEW}=${f.clockSkewMs}ms`);
  return out;
}

/** Any switch on? */
export function anyFault(f: Faults): boolean {
  return faultList(f).length > 0;
}
