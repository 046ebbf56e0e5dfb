import { performance } from 'node:perf_hooks';
import { PacedStage } from './paced.js';
import type { Chunk, ToxicDefinition } from './toxic.js';

/**
 * Limits one link to `rate` KB/s (1 KB = 1000 bytes, as in Toxiproxy). Each piece is released when the
 * running budget allows it; pieces are at most rate×100 bytes, so a large chunk trickles out every
 * ~100 ms instead of arriving in one burst. Idle time earns no credit.
 */
class BandwidthStage extends PacedStage {
  protected process(chunk: Chunk): void {
    const wasEmpty = this.queue.length === 0;
    this.queue.add(chunk);
    if (wasEmpty) this.started();
  }

  protected pump(): void {
    if (this.timer !== null) return;
    const bytesPerMs = this.toxic.attr('rate'); // KB/s == bytes/ms
    const maxPiece = Math.max(1, bytesPerMs * 100);
    const now = performance.now();
    while (!this.disposed) {
      const head = this.queue.peek();
      if (head === undefined) {
        this.drained();
        return;
      }
      const n = Math.min(head.data.length, maxPiece);
      const due = this.nextAt + n / bytesPerMs;
      if (due > now) {
        this.wakeAt(due, now);
        return;
      }
      this.nextAt = due;
      if (n === head.data.length) {
        this.queue.shift();
        this.next.push(head);
      } else {
        const piece: Chunk = { data: head.data.subarray(0, n), t: head.t };
        this.queue.trimHead(n);
        this.next.push(piece);
      }
    }
  }
}

export const bandwidthToxic: ToxicDefinition = {
  type: 'bandwidth',
  // rate 0 would stall the stream for good (Toxiproxy loops forever on it, issue #210): refused. To stop
  // data, use timeout or blackhole.
  attributes: [{ name: 'rate', integer: true, min: 1, max: 1e12, unit: 'KB/s' }],
  supports: { tcp: true, udp: false },
  defaultTransport: 'tcp',
  createTcpStage: (toxic, host, next) => new BandwidthStage(toxic, host, next),
};
