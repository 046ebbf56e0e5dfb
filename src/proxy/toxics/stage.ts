import type { Toxic } from './toxic.js';

/**
 * The TCP toxic chain. One direction of one connection (a "link") runs its data through a chain of
 * stages, one per toxic, in the order the toxics were added; the last stage feeds the link's output
 * (the destination socket). Unlike Toxiproxy (a goroutine per stage joined by channels) the stages here
 * are synchronous objects driven by socket events and timers: a stage either forwards a chunk at once,
 * or holds it and forwards it later from a timer. That keeps the no-toxic path free of any chain at all
 * and lets a toxic be spliced in or out between two events without interrupting anything.
 */

/** A piece of one direction's byte stream, as one socket read delivered it. */
export interface Chunk {
  data: Buffer;
  /** performance.now() when the proxy read it; latency stages move it forward as they delay it. */
  t: number;
}

/**
 * `eof`: the source half-closed; pass the FIN on once everything before it is delivered.
 * `close`: a toxic ended the link; once everything before it is delivered the whole connection is torn
 * down (Toxiproxy semantics: closing a link closes both sockets).
 */
export type EndKind = 'eof' | 'close';

export interface ChunkSink {
  push(chunk: Chunk): void;
  end(kind: EndKind): void;
}

/** What a stage may ask of the link it runs in. */
export interface StageHost {
  /** Bytes held inside stages changed by `delta`; the link pauses/resumes its source on this. */
  addBuffered(delta: number): void;
  /** A toxic dropped these bytes on purpose. */
  dropped(bytes: number): void;
  /** Tear the whole connection down with TCP RST on both sockets. */
  resetConnection(): void;
  /** Close the whole connection now (FIN on both sockets); held data is dropped. */
  closeConnection(): void;
}

export function rollToxicity(toxicity: number): boolean {
  // Toxiproxy: the toxic applies when rand < toxicity. Math.random() is in [0, 1), so 1 always applies
  // and 0 never does.
  return Math.random() < toxicity;
}

export abstract class TcpStage implements ChunkSink {
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
