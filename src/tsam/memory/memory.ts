/**
 * The memory budget of a tsam node (< 80 MB resident, of which Node itself takes about 40 MB).
 * V8 lets old-space garbage pile up to several times the live heap before a full collection, which is
 * what pushes a node past the budget after bursts of alert posts (replaced alerts die old): with 5000
 * alerts live (about 9 MB of heap), ten resends of them took a node to 114 MB. So:
 *  - a small, non-growing young generation (set before anything else is loaded, see main.ts);
 *  - old space grows by 20 % per collection instead of V8's default factor (up to 4×), so a burst
 *    reserves less heap that the process then keeps;
 *  - a watchdog that runs a full collection when the heap grew 8 MB past what was live after the last
 *    one, checked every 500 ms: a collection of this heap takes a few milliseconds.
 * Measured (10 resends of 5000 alerts, `npm run bench -- tsam` for the usual load): peak 114 → 82 MB
 * in one 5000-alert request each, 94 → 73 MB in batches of 256 as Prometheus sends them.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** V8 flags for a small young generation; must run before the rest of tsam is imported. */
export function configureV8(): void {
  v8.setFlagsFromString('--max-semi-space-size=1');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=20');
  v8.setFlagsFromString('--expose-gc');
}

export interface MemoryWatchdog {
  stop(): void;
}

/** Starts the watchdog; a no-op when gc cannot be exposed. */
export function startMemoryWatchdog(intervalMs = 500, slackBytes = 8 * 1024 * 1024): MemoryWatchdog {
  let gc: ((opts?: unknown) => void) | undefined;
  try {
    gc = vm.runInNewContext('gc') as (opts?: unknown) => void;
  } catch {
    gc = undefined;
  }
  if (typeof gc !== 'function') return { stop: () => undefined };
  let liveAfterLast = process.memoryUsage().heapUsed;
  const t = setInterval(() => {
    if (process.memoryUsage().heapUsed > liveAfterLast + slackBytes) {
      gc!();
      liveAfterLast = process.memoryUsage().heapUsed;
    }
  }, intervalMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}
