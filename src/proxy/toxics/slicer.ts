import { performance } from 'node:perf_hooks';
import { PacedStage } from './paced.js';
import type { Chunk, ToxicDefinition } from './toxic.js';

/**
 * Splits a chunk's length into pieces the way Toxiproxy does: cut each span at its midpoint moved by
 * U[-variation, +variation), until a span is within `variation` of `average`. Validation guarantees
 * average >= 1 and 0 <= variation < average, which makes every cut land strictly inside its span, so this
 * terminates and never slices out of range (the two ways Toxiproxy 2.12 crashes, §5.6 of the reference).
 */
export function sliceSizes(length: number, average: number, variation: number): number[] {
  const out: number[] = [];
  const split = (span: number): void => {
    if (span - average <= variation) {
      out.push(span);
      return;
    }
    let mid = Math.floor(span / 2);
    if (variation > 0) mid += Math.floor(Math.random() * 2 * variation) - variation;
    split(mid);
    split(span - mid);
  };
  if (length > 0) split(length);
  return out;
}

/** Sends each chunk as small pieces, `delay` µs apart (the only microsecond attribute in Toxiproxy). */
class SlicerStage extends PacedStage {
  protected process(chunk: Chunk): void {
    const wasEmpty = this.queue.length === 0;
    let offset = 0;
    for (const size of sliceSizes(chunk.data.length, this.toxic.attr('average_size'), this.toxic.attr('size_variation'))) {
      this.queue.add({ data: chunk.data.subarray(offset, offset + size), t: chunk.t });
      offset += size;
    }
    if (wasEmpty) this.started();
  }

  // Timers have ~1 ms resolution while the delay is in µs: pieces are scheduled on an ideal timeline and
  // every piece that is due is sent when the timer fires, so the average spacing stays `delay`.
  protected pump(): void {
    if (this.timer !== null) return;
    const gapMs = this.toxic.attr('delay') / 1000;
    const now = performance.now();
    while (!this.disposed) {
      const piece = this.queue.peek();
      if (piece === undefined) {
        this.drained();
        return;
      }
      if (this.nextAt > now) {
        this.wakeAt(this.nextAt, now);
        return;
      }
      this.queue.shift();
      this.nextAt += gapMs;
      this.next.push(piece);
    }
  }
}

export const slicerToxic: ToxicDefinition = {
  type: 'slicer',
  attributes: [
    { name: 'average_size', integer: true, min: 1, max: 2_147_483_647, unit: 'bytes' },
    { name: 'size_variation', integer: true, min: 0, max: 2_147_483_647, unit: 'bytes' },
    { name: 'delay', integer: true, min: 0, max: 2_147_483_647, unit: 'µs' },
  ],
  check: (a) =>
    (a['size_variation'] ?? 0) >= (a['average_size'] ?? 0)
      ? `size_variation (${a['size_variation']}) must be smaller than average_size (${a['average_size']})`
      : undefined,
  supports: { tcp: true, udp: false },
  defaultTransport: 'tcp',
  createTcpStage: (toxic, host, next) => new SlicerStage(toxic, host, next),
};
