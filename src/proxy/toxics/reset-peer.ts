import { BaseTcpStage } from './stage.js';
import { MAX_TIMER_MS, type Chunk, type EndKind, type ToxicDefinition } from './toxic.js';

/**
 * When the first chunk (or the end of stream) reaches it, waits `timeout` ms, drops what arrived, and
 * resets the connection (RST on both sockets). Unlike Toxiproxy, which only sends RST on connections
 * accepted while the toxic already existed (and FIN on older ones, and RST on every close when
 * toxicity is 0, issue #603), this always resets, and only when the toxic applies.
 */
class ResetPeerStage extends BaseTcpStage {
  private timer: NodeJS.Timeout | null = null;

  private trigger(): void {
    if (this.timer !== null) return;
    // Never reset synchronously from inside a socket callback: the link is mid-dispatch.
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.disposed) this.host.resetConnection();
    }, this.toxic.attr('timeout'));
  }

  protected process(chunk: Chunk): void {
    this.host.dropped(chunk.data.length);
    this.trigger();
  }

  protected override processEnd(_kind: EndKind): void {
    this.trigger();
  }

  // Once triggered the reset happens even if the toxic is removed meanwhile (Toxiproxy's sleep cannot be
  // interrupted either), so flush() deliberately leaves the timer alone.

  override dispose(): void {
    super.dispose();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

export const resetPeerToxic: ToxicDefinition = {
  type: 'reset_peer',
  attributes: [{ name: 'timeout', integer: true, min: 0, max: MAX_TIMER_MS, unit: 'ms' }],
  supports: { tcp: true, udp: false },
  defaultTransport: 'tcp',
  createTcpStage: (toxic, host, next) => new ResetPeerStage(toxic, host, next),
};
