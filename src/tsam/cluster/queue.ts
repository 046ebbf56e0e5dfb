/**
 * memberlist's TransmitLimitedQueue: each queued message is handed out at most
 * retransmitMult × ceil(log10(n + 1)) times; fresher messages (fewer transmits) go first, and
 * within a tier the largest message that still fits. Named messages (memberlist's alive/suspect/
 * dead, named by node) replace an older one with the same name; unnamed ones (Alertmanager's
 * simpleBroadcast) never do.
 */

interface Item {
  msg: Uint8Array;
  name: string | undefined;
  transmits: number;
  id: number;
  finished: (() => void) | undefined;
}

export function retransmitLimit(mult: number, n: number): number {
  const nodeScale = Math.ceil(Math.log10(n + 1));
  return mult * nodeScale;
}

export class TransmitLimitedQueue {
  private items: Item[] = [];
  private byName = new Map<string, Item>();
  private idGen = 0;

  constructor(
    private readonly numNodes: () => number,
    readonly retransmitMult: number,
  ) {}

  /** `finished` runs once the message was sent often enough, was replaced, or was pruned. */
  queue(msg: Uint8Array, name?: string, finished?: () => void): void {
    this.idGen = this.idGen >= Number.MAX_SAFE_INTEGER ? 1 : this.idGen + 1;
    const item: Item = { msg, name, transmits: 0, id: this.idGen, finished };
    if (name !== undefined) {
      const old = this.byName.get(name);
      if (old) {
        this.remove(old);
        old.finished?.();
      }
      this.byName.set(name, item);
    }
    this.items.push(item);
  }

  private remove(item: Item): void {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    if (item.name !== undefined && this.byName.get(item.name) === item) this.byName.delete(item.name);
  }

  get length(): number {
    return this.items.length;
  }

  /** Messages that fit in `limit` bytes when each costs `overhead` more. */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.items.length === 0) return [];
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes());
    let minTr = Infinity;
    let maxTr = -Infinity;
    for (const it of this.items) {
      if (it.transmits < minTr) minTr = it.transmits;
      if (it.transmits > maxTr) maxTr = it.transmits;
    }
    let bytesUsed = 0;
    const out: Uint8Array[] = [];
    const reinsert: Item[] = [];
    for (let tr = minTr; tr <= maxTr; ) {
      const free = limit - bytesUsed - overhead;
      if (free <= 0) break;
      let keep: Item | undefined;
      for (const it of this.items) {
        if (it.transmits !== tr || it.msg.length > free) continue;
        if (!keep || it.msg.length > keep.msg.length || (it.msg.length === keep.msg.length && it.id > keep.id)) keep = it;
      }
      if (!keep) {
        tr++;
        continue;
      }
      bytesUsed += overhead + keep.msg.length;
      out.push(keep.msg);
      this.remove(keep);
      if (keep.transmits + 1 >= transmitLimit) {
        keep.finished?.();
      } else {
        // Re-added after the walk, or this pass would meet it again in the next tier.
        keep.transmits++;
        reinsert.push(keep);
      }
    }
    for (const it of reinsert) {
      this.items.push(it);
      if (it.name !== undefined) this.byName.set(it.name, it);
    }
    return out;
  }

  /** Keeps at most `maxRetain` messages, dropping the most-transmitted (then smallest, oldest). */
  prune(maxRetain: number): number {
    let dropped = 0;
    while (this.items.length > maxRetain) {
      let worst = this.items[0]!;
      for (const it of this.items) {
        if (
          it.transmits > worst.transmits ||
          (it.transmits === worst.transmits && (it.msg.length < worst.msg.length || (it.msg.length === worst.msg.length && it.id < worst.id)))
        ) {
          worst = it;
        }
      }
      this.remove(worst);
      worst.finished?.();
      dropped++;
    }
    return dropped;
  }

  reset(): void {
    const all = this.items;
    this.items = [];
    this.byName.clear();
    for (const it of all) it.finished?.();
  }
}
