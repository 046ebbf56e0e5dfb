import type { StreamDirection, ToxicJson, Transport } from '../types.js';
import type { ToxicDefinition } from './definition.js';

/**
 * One toxic on one proxy. As in Toxiproxy there is a single instance per proxy shared by every link
 * (the per-connection state lives in the TCP stages), so an update is visible to all links at once.
 */
export class Toxic {
  constructor(
    readonly name: string,
    readonly definition: ToxicDefinition,
    readonly direction: StreamDirection,
    /** The stream string as the client spelled it; Toxiproxy echoes it unchanged. */
    readonly streamAsGiven: string,
    public toxicity: number,
    public attributes: Record<string, number>,
    readonly transport: Transport,
  ) {}

  get type(): string {
    return this.definition.type;
  }

  get onTcp(): boolean {
    return this.transport !== 'udp';
  }

  get onUdp(): boolean {
    return this.transport !== 'tcp';
  }

  /** A numeric attribute; validation guarantees every declared attribute is present. */
  attr(name: string): number {
    return this.attributes[name] ?? 0;
  }

  toJSON(): ToxicJson {
    return {
      attributes: { ...this.attributes },
      name: this.name,
      type: this.type,
      stream: this.streamAsGiven,
      toxicity: this.toxicity,
      transport: this.transport,
    };
  }
}
