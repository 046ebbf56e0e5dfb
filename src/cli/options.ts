import { AmchaosError } from '../errors/index.js';
import type { Timers } from '../history/types.js';
import type { RuntimeName } from '../runtime/types.js';
import { DEFAULT_TIMERS, formatGoDuration, parseDuration, timersFor, validateTimers } from '../topology/timers.js';

/** `--versions 0.25.0,0.33.1,0.25.0+0.28.1+0.33.1`: one cluster per item; `+` mixes nodes. */
export function parseVersionsList(text: string, nodes: number): string[][] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((i) => i === '')) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--versions "${text}" has an empty item`, {
      hint: 'Write a comma-separated list, e.g. --versions 0.25.0,0.33.1 or 0.25.0+0.28.1+0.33.1 for one mixed cluster.',
    });
  }
  return items.map((item) => {
    const parts = item.split('+').map((s) => s.trim());
    if (parts.some((p) => p === '')) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--versions item "${item}" has an empty part`, {
        hint: 'Join the versions of one mixed cluster with +, e.g. 0.25.0+tsam+0.33.1.',
      });
    }
    // An unmixed item is a cluster of --nodes nodes of that version.
    return parts.length === 1 ? Array.from({ length: nodes }, () => parts[0]!) : parts;
  });
}

export function parseNodes(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--nodes must be a whole number from 1 to 32, got "${text}"`, {
      hint: 'For example --nodes 3.',
    });
  }
  return n;
}

export function parseSeed(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--seed must be a whole number from 0 to 4294967295, got "${text}"`, {
      hint: 'Copy the seed from a report or summary.json to replay that run.',
    });
  }
  return n;
}

export const RUNTIMES: readonly RuntimeName[] = ['process', 'netns', 'docker'];

export function parseRuntime(text: string): RuntimeName {
  if (!(RUNTIMES as readonly string[]).includes(text)) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown runtime "${text}"`, {
      hint: `Runtimes: ${RUNTIMES.join(', ')}.`,
    });
  }
  return text as RuntimeName;
}

export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${flag} must be a port number from 1 to 65535, got "${text}"`, {
      hint: `For example ${flag} 9099.`,
    });
  }
  return n;
}

/** The timer flags, as `--flag-name` → Timers key. */
export const TIMER_FLAGS: ReadonlyArray<[flag: string, key: keyof Timers, help: string]> = [
  ['peer-timeout', 'peerTimeoutMs', '--cluster.peer-timeout of every node'],
  ['gossip-interval', 'gossipIntervalMs', '--cluster.gossip-interval'],
  ['pushpull-interval', 'pushPullIntervalMs', '--cluster.pushpull-interval'],
  ['settle-timeout', 'settleTimeoutMs', '--cluster.settle-timeout'],
  ['group-wait', 'groupWaitMs', 'route group_wait (generated config only)'],
  ['group-interval', 'groupIntervalMs', 'route group_interval (generated config only)'],
  ['repeat-interval', 'repeatIntervalMs', 'route repeat_interval (generated config only)'],
  ['resend-interval', 'resendIntervalMs', 'how often the alert source re-sends firing alerts'],
  ['silence-propagation', 'silencePropagationMs', 'how long a silence may take to reach every node'],
];

/**
 * The default of a timer flag, as `--help` prints it. Only group_interval depends on the cluster
 * size N (topology/timers.ts timersFor): N × the peer timeout, so the last position's flush ends
 * before the next tick.
 */
export function timerDefaultText(key: keyof Timers): string {
  if (key === 'groupIntervalMs') {
    const ex = [3, 5].map((n) => `${formatGoDuration(timersFor(n).groupIntervalMs)} for ${n} nodes`).join(', ');
    return `N × --peer-timeout, at least ${formatGoDuration(DEFAULT_TIMERS.groupIntervalMs)}: ${ex}`;
  }
  return formatGoDuration(DEFAULT_TIMERS[key]);
}

/** The timers the user set on the command line (the rest follow from the defaults and N). */
export function timerOverridesFromFlags(flags: Record<string, unknown>): Partial<Timers> {
  const t: Partial<Timers> = {};
  for (const [flag, key] of TIMER_FLAGS) {
    const camel = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = flags[camel];
    if (typeof v === 'string') t[key] = parseDuration(v, `--${flag}`);
  }
  validateTimers({ ...DEFAULT_TIMERS, ...t });
  return t;
}
