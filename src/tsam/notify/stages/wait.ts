/**
 * notify.WaitStage: wait position × peer timeout before going on, which gives the peers at lower
 * positions the chance to notify and gossip their nflog entry first (what dedups an HA cluster).
 */
import type { Stage } from './stage.js';
import { NotifyFailure } from './stage.js';

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function waitStage(position: () => number, peerTimeoutMs: number): Stage {
  return {
    name: 'wait',
    async exec(ctx, alerts) {
      const wait = position() * peerTimeoutMs;
      try {
        if (wait > 0) await sleep(wait, ctx.signal);
      } catch {
        throw new NotifyFailure('canceled while waiting for the peers');
      }
      return alerts;
    },
  };
}
