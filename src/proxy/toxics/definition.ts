import type { Transport } from '../types.js';
import type { ChunkSink, StageHost, TcpStage } from './stage.js';
import type { Toxic } from './toxic.js';

/** The largest delay a Node timer honours (about 24.8 days); longer ones would silently fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export interface AttributeSpec {
  name: string;
  /** Toxiproxy decodes these into Go int64/int; a fraction there is a 400, and so it is here. */
  integer: boolean;
  min: number;
  max: number;
  /** For error messages and docs. */
  unit: string;
}

/** A UDP toxic's decision for one datagram: a delay in ms (0 = pass now), or DROP. */
export const DROP = -1;

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

/** `latency ± jitter` drawn like Toxiproxy (uniform in [-jitter, +jitter)), never below 0. */
export function drawDelay(latency: number, jitter: number): number {
  const j = jitter > 0 ? Math.floor(Math.random() * 2 * jitter) - jitter : 0;
  return Math.max(0, latency + j);
}
