import { rollToxicity, type Chunk, type ChunkSink, type EndKind, type StageHost, type TcpStage, type Toxic } from './toxic.js';

/**
 * The base every TCP toxic stage extends (the contract is `TcpStage` in toxic.ts): toxicity rolled per
 * link, pass-through while unaffected, and the hooks a type overrides. Also `HeldQueue`, the byte-counted
 * FIFO of the stages that hold data.
 */
export abstract class BaseTcpStage implements TcpStage {
  /** Where this stage's output goes: the next stage or the link output. Re-pointed when the chain changes. */
  next: ChunkSink;
  /** Whether this link drew "affected" on the toxicity dice; an unaffected stage is a pass-through. */
  protected active: boolean;
  protected disposed = false;

  constructor(
    readonly toxic: Toxic,
    protected readonly host: StageHost,
    next: ChunkSink,
  ) {
    this.next = next;
    this.active = rollToxicity(toxic.toxicity);
  }

  /** How many bytes this stage may hold before the link stops reading its source. */
  get bufferLimit(): number {
    return 64 * 1024;
  }

  push(chunk: Chunk): void {
    if (this.disposed) return;
    if (this.active) this.process(chunk);
    else this.next.push(chunk);
  }

  end(kind: EndKind): void {
    if (this.disposed) return;
    if (this.active) this.processEnd(kind);
    else this.next.end(kind);
  }

  protected abstract process(chunk: Chunk): void;

  protected processEnd(kind: EndKind): void {
    this.next.end(kind);
  }

  /**
   * Forward everything held (and a held end) to `next` at once and cancel timers. Used when the toxic
   * is removed or stops applying: Toxiproxy flushes a removed toxic's buffer onward without delay, so no
   * data is lost by removing a toxic.
   */
  flush(): void {}

  /** The toxic's attributes or toxicity changed: re-roll the dice (as Toxiproxy does) and re-plan. */
  reconfigure(): void {
    const was = this.active;
    this.active = rollToxicity(this.toxic.toxicity);
    if (was && !this.active) this.flush();
    else if (this.active) this.attributesChanged();
  }

  /** Re-plan held data with the new attributes. */
  protected attributesChanged(): void {}

  /** The toxic was deleted from the proxy (after flush). Toxiproxy's Cleanup hook. */
  removed(): void {}

  /** The connection is gone: cancel timers; held bytes are lost. */
  dispose(): void {
    this.disposed = true;
  }
}

/**
 * A FIFO of held chunks with byte accounting, shared by the stages that hold data (latency, bandwidth,
 * slicer), so the link's backpressure sees every held byte.
 */
export class HeldQueue {
  private items: Chunk[] = [];
  private headIndex = 0;
  bytes = 0;

  constructor(private readonly host: StageHost) {}

  get length(): number {
    return this.items.length - this.headIndex;
  }

  peek(): Chunk | undefined {
    return this.items[this.headIndex];
  }

  add(c: Chunk): void {
    this.items.push(c);
    this.bytes += c.data.length;
    this.host.addBuffered(c.data.length);
  }

  shift(): Chunk | undefined {
    const c = this.items[this.headIndex];
    if (c === undefined) return undefined;
    this.items[this.headIndex] = undefined as unknown as Chunk; // let the buffer be collected
    this.headIndex++;
    // Compact now and then instead of Array.shift() on every chunk (O(n) each).
    if (this.headIndex > 1024 && this.headIndex * 2 > this.items.length) {
      this.items = this.items.slice(this.headIndex);
      this.headIndex = 0;
    }
    this.bytes -= c.data.length;
    this.host.addBuffered(-c.data.length);
    return c;
  }

  /** Replace the head with its unsent tail (a stage sent part of it). */
  trimHead(sent: number): void {
    const c = this.items[this.headIndex];
    if (c === undefined) return;
    c.data = c.data.subarray(sent);
    this.bytes -= sent;
    this.host.addBuffered(-sent);
  }

  /** Empty the queue without sending; returns the bytes discarded. */
  clear(): number {
    const n = this.bytes;
    this.host.addBuffered(-n);
    this.items = [];
    this.headIndex = 0;
    this.bytes = 0;
    return n;
  }
}
