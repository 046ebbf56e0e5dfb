import { performance } from 'node:perf_hooks';
import { BaseTcpStage, HeldQueue } from './stage.js';
import { MAX_TIMER_MS, drawDelay, type Chunk, type EndKind, type ToxicDefinition } from './toxic.js';

/**
 * Delays every chunk by latency ± jitter, counted from when the proxy read it (so a chunk that waited
 * behind another is not delayed twice). Chunks stay in order, so jitter never reorders bytes. After a
 * chunk is released its timestamp moves to the release time, so two latency toxics add up, as in
 * Toxiproxy.
 */
class LatencyStage extends BaseTcpStage {
  private readonly queue = new HeldQueue(this.host);
  private timer: NodeJS.Timeout | null = null;
  /** Release time of the queue head, drawn once per chunk. */
  private headReleaseAt: number | null = null;
  private pendingEnd: EndKind | null = null;

  // Toxiproxy buffers 1024 chunks (up to ~32 MiB) ahead of a latency toxic so that latency does not
  // throttle throughput; this is the byte equivalent.
  override get bufferLimit(): number {
    return 32 * 1024 * 1024;
  }

  protected process(chunk: Chunk): void {
    this.queue.add(chunk);
    if (this.queue.length === 1 && this.pendingEnd === null) this.releaseDue();
  }

  protected override processEnd(kind: EndKind): void {
    if (this.queue.length === 0) this.next.end(kind);
    else this.pendingEnd = kind;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.releaseDue();
  };

  private releaseDue(): void {
    while (!this.disposed) {
      const head = this.queue.peek();
      if (head === undefined) {
        const end = this.pendingEnd;
        this.pendingEnd = null;
        if (end !== null) this.next.end(end);
        return;
      }
      if (this.headReleaseAt === null) {
        this.headReleaseAt = head.t + drawDelay(this.toxic.attr('latency'), this.toxic.attr('jitter'));
      }
      const wait = this.headReleaseAt - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(this.onTimer, wait);
        return;
      }
      this.queue.shift();
      if (this.headReleaseAt > head.t) head.t = this.headReleaseAt;
      this.headReleaseAt = null;
      this.next.push(head);
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  override flush(): void {
    this.stopTimer();
    this.headReleaseAt = null;
    while (!this.disposed && this.queue.length > 0) this.next.push(this.queue.shift() as Chunk);
    const end = this.pendingEnd;
    this.pendingEnd = null;
    if (end !== null && !this.disposed) this.next.end(end);
  }

  protected override attributesChanged(): void {
    // The held head is re-planned with the new values (Toxiproxy instead forwards it at once).
    this.stopTimer();
    this.headReleaseAt = null;
    this.releaseDue();
  }

  override dispose(): void {
    super.dispose();
    this.stopTimer();
    this.host.dropped(this.queue.clear());
  }
}

export const latencyToxic: ToxicDefinition = {
  type: 'latency',
  attributes: [
    { name: 'latency', integer: true, min: 0, max: MAX_TIMER_MS, unit: 'ms' },
    { name: 'jitter', integer: true, min: 0, max: MAX_TIMER_MS, unit: 'ms' },
  ],
  supports: { tcp: true, udp: true },
  defaultTransport: 'both',
  createTcpStage: (toxic, host, next) => new LatencyStage(toxic, host, next),
  udpVerdict: (toxic) => drawDelay(toxic.attr('latency'), toxic.attr('jitter')),
};

