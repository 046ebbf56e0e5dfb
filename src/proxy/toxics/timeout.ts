import { BaseTcpStage } from './stage.js';
import { DROP, MAX_TIMER_MS, type Chunk, type ChunkSink, type EndKind, type StageHost, type Toxic, type ToxicDefinition } from './toxic.js';

/**
 * Drops every byte in its direction. With timeout > 0 the connection is closed after that many ms
 * without a chunk (each chunk restarts the timer, as in Toxiproxy); with 0 it never closes. Removing the
 * toxic closes the connection even where toxicity left it unaffected (Toxiproxy's Cleanup), because the
 * stream has lost bytes and must not be handed on as if intact.
 */
export class TimeoutStage extends BaseTcpStage {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(toxic: Toxic, host: StageHost, next: ChunkSink) {
    super(toxic, host, next);
    if (this.active) this.armTimer();
  }

  /** blackhole reuses this stage with no timer. */
  protected timeoutMs(): number {
    return this.toxic.attr('timeout');
  }

  private armTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const ms = this.timeoutMs();
    if (ms <= 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.disposed || !this.active) return;
      this.closed = true;
      this.next.end('close');
    }, ms);
  }

  protected process(chunk: Chunk): void {
    this.host.dropped(chunk.data.length);
    if (!this.closed) this.armTimer();
  }

  protected override processEnd(kind: EndKind): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.closed) {
      this.closed = true;
      this.next.end(kind);
    }
  }

  override flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  protected override attributesChanged(): void {
    this.armTimer();
  }

  override removed(): void {
    this.host.closeConnection();
  }

  override dispose(): void {
    super.dispose();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** For UDP a datagram stream has no connection to close: `timeout` simply drops every datagram. */
export const timeoutToxic: ToxicDefinition = {
  type: 'timeout',
  attributes: [{ name: 'timeout', integer: true, min: 0, max: MAX_TIMER_MS, unit: 'ms' }],
  supports: { tcp: true, udp: true },
  defaultTransport: 'both',
  createTcpStage: (toxic, host, next) => new TimeoutStage(toxic, host, next),
  udpVerdict: () => DROP,
};
