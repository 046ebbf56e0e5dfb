/**
 * FAULT clock-skew: the whole process's wall clock runs `offsetMs` ahead (negative: behind), the
 * way a machine with a wrong clock looks to Alertmanager. A real binary's clock cannot be shifted
 * per process on one host (CLOCK_REALTIME is not namespaced, Go bypasses libc), so tsam carries
 * the switch: everything that reads the wall clock — Date.now(), new Date() — sees the offset
 * (nflog and silence timestamps, their expiry, silence activity, alert validity, log times), while
 * timers and monotonic clocks (setTimeout, performance.now, hrtime) run as they do on a skewed host.
 *
 * It replaces the global Date, so it must be installed before the rest of tsam is loaded (main.ts
 * does it first; statepb fixes its clock base at load).
 */

let installedMs: number | undefined;

export function installClockSkew(offsetMs: number): void {
  if (offsetMs === 0) return;
  if (installedMs !== undefined) {
    if (installedMs === offsetMs) return;
    throw new Error(`clock skew already installed (${installedMs} ms)`);
  }
  const RealDate = globalThis.Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + offsetMs);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return realNow() + offsetMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
  installedMs = offsetMs;
}

/** The clock-skew switch among raw command-line arguments (before the flags are parsed), or 0. */
export function clockSkewFromArgv(argv: readonly string[], parse: (text: string) => number): number {
  let skew = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = a.startsWith('--tsam.fault=') ? a.slice('--tsam.fault='.length) : a === '--tsam.fault' ? (argv[i + 1] ?? '') : undefined;
    if (value === undefined) continue;
    for (const part of value.split(',')) {
      const p = part.trim();
      if (p.startsWith('clock-skew=')) skew = parse(p.slice('clock-skew='.length));
    }
  }
  return skew;
}
