import { performance } from 'node:perf_hooks';
import { BaseTcpStage, HeldQueue } from './stage.js';
import type { Chunk, EndKind } from './toxic.js';

/**
 * A stage that holds chunks and releases them on a schedule (bandwidth, slicer). The queue, the
 * timer, a stream end held back until the queue drains, and what flushing, an attribute change and
 * disposal do are the same for every paced toxic; a subclass says only how chunks are queued
 * (`process`) and when the next piece is due (`pump`).
 */
export abstract class PacedStage extends BaseTcpStage {
  protected readonly queue = new HeldQueue(this.host);
  protected timer: NodeJS.Timeout | null = null;
  /** When the schedule allows the next piece. */
  protected nextAt = 0;
  private pendingEnd: EndKind | null = null;

  /** Releases every piece that is due, and arms `timer` (via `wakeAt`) for the next one. */
  protected abstract pump(): void;

  /** Call after queueing into an empty queue: the schedule starts now, not in the past. */
  protected started(): void {
    this.nextAt = Math.max(this.nextAt, performance.now());
    this.pump();
  }

  protected wakeAt(at: number, now: number): void {
    this.timer = setTimeout(this.onTimer, at - now);
  }

  /** The queue is empty: pass on an end that was waiting for it. */
  protected drained(): void {
    const end = this.pendingEnd;
    this.pendingEnd = null;
    if (end !== null) this.next.end(end);
  }

  protected override processEnd(kind: EndKind): void {
    if (this.queue.length === 0) this.next.end(kind);
    else this.pendingEnd = kind;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.pump();
  };

  override flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (!this.disposed && this.queue.length > 0) this.next.push(this.queue.shift() as Chunk);
    const end = this.pendingEnd;
    this.pendingEnd = null;
    if (end !== null && !this.disposed) this.next.end(end);
  }

  protected override attributesChanged(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.nextAt = Math.min(this.nextAt, performance.now());
    this.pump();
  }

  override dispose(): void {
    super.dispose();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.host.dropped(this.queue.clear());
  }
}
