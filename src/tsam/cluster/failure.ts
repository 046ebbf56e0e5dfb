/** memberlist's failure-detector helpers: suspicion timers and the local health score. */

/** memberlist suspicionTimeout: mult × max(1, log10(max(1, n))) × probe interval. */
export function suspicionTimeout(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  // Go multiplies by 1000 and truncates to keep precision in integer durations.
  return (suspicionMult * Math.trunc(nodeScale * 1000) * probeIntervalMs) / 1000;
}

/** memberlist remainingSuspicionTime: shrinks from max towards min as confirmations arrive. */
export function remainingSuspicionTime(n: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = maxMs / 1000 - frac * (maxMs / 1000 - minMs / 1000);
  let timeout = Math.floor(1000 * raw);
  if (timeout < minMs) timeout = minMs;
  return timeout - elapsedMs;
}

/**
 * One node's suspicion: fires `onTimeout` after `max` (or `min` if no confirmations are
 * expected), sooner as independent peers confirm it.
 */
export class Suspicion {
  private n = 0;
  private readonly confirmations = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly start = Date.now();
  private fired = false;

  constructor(
    from: string,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.confirmations.add(from);
    this.arm(k < 1 ? minMs : maxMs);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, ms));
    this.timer.unref();
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.onTimeout(this.n);
  }

  /** Returns true when `from` is a new confirmation (then the suspect message is re-gossiped). */
  confirm(from: string): boolean {
    if (this.n >= this.k) return false;
    if (this.confirmations.has(from)) return false;
    this.confirmations.add(from);
    this.n++;
    const remaining = remainingSuspicionTime(this.n, this.k, Date.now() - this.start, this.minMs, this.maxMs);
    if (this.fired) return true;
    clearTimeout(this.timer);
    if (remaining > 0) this.arm(remaining);
    else queueMicrotask(() => this.fire());
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.fired = true;
  }
}

/** memberlist's awareness: a health score that stretches probe timeouts when we look unhealthy. */
export class Awareness {
  private score = 0;
  constructor(private readonly max: number) {}

  applyDelta(delta: number): void {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  getHealthScore(): number {
    return this.score;
  }

  scaleTimeout(ms: number): number {
    return ms * (this.score + 1);
  }
}
