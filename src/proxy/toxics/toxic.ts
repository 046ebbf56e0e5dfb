import type { StreamDirection, ToxicJson, Transport } from '../types.js';

/**
 * The toxic contract (the one file every toxic type, the TCP link and the UDP relay agree on, as
 * Toxiproxy's toxics/toxic.go): what a toxic type declares (`ToxicDefinition`), one toxic on a proxy
 * (`Toxic`), and the TCP stage model a type plugs into a link (`TcpStage` and what flows through it).
 * Implementations live beside it: the shared stage base in `stage.ts`, one file per type.
 */

/** The largest delay a Node timer honours (about 24.8 days); longer ones would silently fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A UDP toxic's decision for one datagram: a delay in ms (0 = pass now), or DROP. */
export const DROP = -1;

export interface AttributeSpec {
  name: string;
  /** Toxiproxy decodes these into Go int64/int; a fraction there is a 400, and so it is here. */
  integer: boolean;
  min: number;
  max: number;
  /** For error messages and docs. */
  unit: string;
}

/** What one toxic type is: its attributes, where it acts, and how it acts there. */
export interface ToxicDefinition {
  type: string;
  attributes: readonly AttributeSpec[];
  /** A rule across attributes; returns what is wrong, or undefined. */
  check?(attributes: Record<string, number>): string | undefined;
  /** The transports this toxic means something on. */
  supports: { tcp: boolean; udp: boolean };
  /** What a toxic created without `transport` acts on (standard Toxiproxy clients never send it). */
  defaultTransport: Transport;
  /** Present when supports.tcp: builds the per-link stage. */
  createTcpStage?(toxic: Toxic, host: StageHost, next: ChunkSink): TcpStage;
  /** Present when supports.udp: decides for one datagram (toxicity has already been rolled). */
  udpVerdict?(toxic: Toxic): number;
}

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

// ---------------------------------------------------------------------------------------------------
// The TCP stage model. One direction of one connection (a "link") runs its data through a chain of
// stages, one per toxic, in the order the toxics were added; the last stage feeds the link's output
// (the destination socket). Unlike Toxiproxy (a goroutine per stage joined by channels) the stages are
// synchronous objects driven by socket events and timers: a stage either forwards a chunk at once, or
// holds it and forwards it later from a timer. That keeps the no-toxic path free of any chain at all and
// lets a toxic be spliced in or out between two events without interrupting anything.

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

/** What a link needs from one stage of its chain (`stage.ts` has the base every type extends). */
export interface TcpStage extends ChunkSink {
  readonly toxic: Toxic;
  /** Where this stage's output goes: the next stage or the link output. Re-pointed when the chain changes. */
  next: ChunkSink;
  /** How many bytes this stage may hold before the link stops reading its source. */
  readonly bufferLimit: number;
  /** Forward everything held (and a held end) to `next` at once and cancel timers (toxic removed). */
  flush(): void;
  /** The toxic's attributes or toxicity changed. */
  reconfigure(): void;
  /** The toxic was deleted from the proxy (after flush). Toxiproxy's Cleanup hook. */
  removed(): void;
  /** The connection is gone: cancel timers; held bytes are lost. */
  dispose(): void;
}

export function rollToxicity(toxicity: number): boolean {
  // Toxiproxy: the toxic applies when rand < toxicity. Math.random() is in [0, 1), so 1 always applies
  // and 0 never does.
  return Math.random() < toxicity;
}

/** `latency ± jitter` drawn like Toxiproxy (uniform in [-jitter, +jitter)), never below 0. */
export function drawDelay(latency: number, jitter: number): number {
  const j = jitter > 0 ? Math.floor(Math.random() * 2 * jitter) - jitter : 0;
  return Math.max(0, latency + j);
}
