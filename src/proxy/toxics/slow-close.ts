import { BaseTcpStage } from './stage.js';
import { MAX_TIMER_MS, type Chunk, type EndKind, type ToxicDefinition } from './toxic.js';

/** Data passes unchanged; the end of the stream (FIN) is held back for `delay` ms. */
class SlowCloseStage extends BaseTcpStage {
  private timer: NodeJS.Timeout | null = null;
  private pendingEnd: EndKind | null = null;

  protected process(chunk: Chunk): void {
    this.next.push(chunk);
  }

  protected override processEnd(kind: EndKind): void {
    const delay = this.toxic.attr('delay');
    if (delay <= 0) {
      this.next.end(kind);
      return;
    }
    this.pendingEnd = kind;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pendingEnd = null;
      if (!this.disposed) this.next.end(kind);
    }, delay);
  }

  override flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const end = this.pendingEnd;
    this.pendingEnd = null;
    if (end !== null && !this.disposed) this.next.end(end);
  }

  override dispose(): void {
    super.dispose();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

export const slowCloseToxic: ToxicDefinition = {
  type: 'slow_close',
  attributes: [{ name: 'delay', integer: true, min: 0, max: MAX_TIMER_MS, unit: 'ms' }],
  supports: { tcp: true, udp: false },
  defaultTransport: 'tcp',
  createTcpStage: (toxic, host, next) => new SlowCloseStage(toxic, host, next),
};
