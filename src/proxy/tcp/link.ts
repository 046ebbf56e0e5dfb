import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ChunkSink, EndKind, StageHost, TcpStage, Toxic } from '../toxics/toxic.js';
import type { TcpDirectionStats } from '../types.js';
import type { SocketReader } from './reader.js';

/** What a link needs from the connection that owns it. */
export interface LinkOwner {
  /** Whole-connection teardown with FIN (a toxic closed the link). */
  closeGracefully(): void;
  /** Whole-connection teardown with RST. */
  reset(): void;
}

// Bytes held by a chain without a latency toxic before the source is paused: about one read, like
// Toxiproxy's unbuffered channels. Latency stages raise it (see LatencyStage.bufferLimit).
const MIN_HIGH_WATER = 64 * 1024;

/**
 * One direction of one TCP connection: reads `src` (through its SocketReader), writes `dst`.
 *
 * Fast path: with no TCP toxic in this direction each read is written straight from the read buffer to
 * the destination, and the buffer is read into again once the write has completed, which it almost
 * always has by the time write() returns (the kernel took the bytes). Only a write left pending (the
 * destination's socket buffer is full) keeps the buffer, and then the reader moves to a fresh one. So
 * an idle proxy adds one read, one write and a few counters per chunk: no Buffer, no stream event.
 * With toxics, each read is copied into a chunk (or, when it fills most of the buffer, the buffer is
 * handed over and renewed) and enters the stage chain (toxics/stage.ts), whose last stage writes to the
 * destination. Switching is safe on a live connection: adding a toxic only affects reads that come after
 * it; removing one flushes what it held straight into its successor before it is unlinked, so bytes
 * stay in order and none are lost. The chain is empty again when the last toxic is removed, and
 * everything it held has been written by then, so the fast path resumes behind it.
 *
 * Backpressure: the source is paused when the destination's write buffer is full, or when stages hold
 * more than the chain's buffer limit, and resumed when both have drained.
 */
export class TcpLink implements StageHost {
  private stages: TcpStage[] = [];
  private readonly output: ChunkSink;
  private held = 0;
  private highWater = MIN_HIGH_WATER;
  private pausedByUs = false;
  private outputEnded = false;
  private disposed = false;

  constructor(
    private readonly src: Socket,
    private readonly reader: SocketReader,
    private readonly dst: Socket,
    private readonly counters: TcpDirectionStats,
    private readonly owner: LinkOwner,
    toxics: readonly Toxic[],
  ) {
    this.output = {
      push: (chunk) => this.write(chunk.data),
      end: (kind) => this.endOutput(kind),
    };
    for (const t of toxics) this.addToxic(t);
  }

  start(): void {
    this.reader.attach(this.onRead);
    this.src.on('end', this.onEnd);
    this.dst.on('drain', this.onDrain);
  }

  private readonly onRead = (n: number, buf: Buffer): void => {
    const counters = this.counters;
    counters.bytes_received += n;
    const head = this.stages[0];
    if (head === undefined) {
      const dst = this.dst;
      if (this.outputEnded || dst.destroyed) {
        counters.bytes_dropped += n;
        return;
      }
      counters.bytes_sent += n;
      const whole = dst.write(this.reader.viewOf(buf, n));
      // Not written through yet: the write still points into the read buffer.
      if (dst.writableLength !== 0) this.reader.renew();
      if (!whole) this.pause();
      return;
    }
    head.push({ data: this.takeChunk(n, buf), t: performance.now() });
    if (this.held > this.highWater || this.dst.writableNeedDrain) this.pause();
  };

  /** The read's bytes for a stage to keep: a copy, or for a large read the buffer itself (renewed). */
  private takeChunk(n: number, buf: Buffer): Buffer {
    if (n * 2 >= buf.length) {
      this.reader.renew();
      return buf.subarray(0, n);
    }
    const copy = Buffer.allocUnsafe(n);
    buf.copy(copy, 0, 0, n);
    return copy;
  }

  private readonly onEnd = (): void => {
    const head = this.stages[0];
    if (head === undefined) this.endOutput('eof');
    else head.end('eof');
  };

  private readonly onDrain = (): void => {
    this.maybeResume();
  };

  private write(data: Buffer): void {
    if (this.outputEnded || this.disposed || this.dst.destroyed) {
      this.counters.bytes_dropped += data.length;
      return;
    }
    this.counters.bytes_sent += data.length;
    this.dst.write(data);
  }

  private endOutput(kind: EndKind): void {
    if (this.outputEnded || this.disposed) return;
    if (kind === 'close') {
      this.owner.closeGracefully();
      return;
    }
    this.outputEnded = true;
    // Half-close: FIN to the destination once its buffer is written. Node destroys a socket by itself
    // once both of its halves have ended, which is how a connection ends when both directions did.
    this.dst.end();
  }

  private pause(): void {
    if (this.pausedByUs) return;
    this.pausedByUs = true;
    this.src.pause();
  }

  private maybeResume(): void {
    if (!this.pausedByUs || this.disposed) return;
    if (this.held > this.highWater / 2 || this.dst.writableNeedDrain) return;
    this.pausedByUs = false;
    this.src.resume();
  }

  // StageHost

  addBuffered(delta: number): void {
    this.held += delta;
    if (delta < 0) this.maybeResume();
  }

  dropped(bytes: number): void {
    this.counters.bytes_dropped += bytes;
  }

  resetConnection(): void {
    this.owner.reset();
  }

  closeConnection(): void {
    this.owner.closeGracefully();
  }

  // Toxic changes on a live connection

  addToxic(toxic: Toxic): void {
    if (this.disposed || !toxic.onTcp || toxic.definition.createTcpStage === undefined) return;
    const stage = toxic.definition.createTcpStage(toxic, this, this.output);
    const last = this.stages[this.stages.length - 1];
    if (last !== undefined) last.next = stage;
    this.stages.push(stage);
    this.recomputeHighWater();
  }

  updateToxic(toxic: Toxic): void {
    this.stages.find((s) => s.toxic === toxic)?.reconfigure();
  }

  removeToxic(toxic: Toxic): void {
    const i = this.stages.findIndex((s) => s.toxic === toxic);
    const stage = this.stages[i];
    if (stage === undefined) return;
    // Flush first, while the stage still points at its successor, then unlink it.
    stage.flush();
    const prev = this.stages[i - 1];
    if (prev !== undefined) prev.next = stage.next;
    this.stages.splice(i, 1);
    this.recomputeHighWater();
    stage.removed();
    this.maybeResume();
  }

  private recomputeHighWater(): void {
    this.highWater = this.stages.reduce((m, s) => Math.max(m, s.bufferLimit), MIN_HIGH_WATER);
  }

  /** The connection is going away: stop reading, cancel stage timers; held bytes count as dropped. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.reader.detach();
    this.src.off('end', this.onEnd);
    this.dst.off('drain', this.onDrain);
    for (const s of this.stages) s.dispose();
    this.stages = [];
  }
}
