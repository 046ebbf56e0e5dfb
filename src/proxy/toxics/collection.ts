import { badRequest, proxyError } from '../errors.js';
import type { StreamDirection, ToxicJson } from '../types.js';
import { decodeAttributes, decodeToxicity, decodeTransport, describeValue, toxicDefinition } from './registry.js';
import { Toxic } from './toxic.js';

/** Where a collection reports changes, so live TCP links and the UDP relay follow at once. */
export interface ToxicListener {
  added(toxic: Toxic): void;
  updated(toxic: Toxic): void;
  removed(toxic: Toxic): void;
}

/**
 * The toxics of one proxy: one ordered chain per direction (creation order, as in Toxiproxy), names
 * unique across both directions. Validation order follows Toxiproxy's (stream, default name, type,
 * duplicate name, attributes) so the same bad request gets the same error.
 */
export class ToxicCollection {
  private readonly chains: Record<StreamDirection, Toxic[]> = { upstream: [], downstream: [] };
  // Cached per-transport views, rebuilt on every change; the data path reads them per chunk/datagram.
  private views = emptyViews();

  constructor(private readonly listener: ToxicListener) {}

  /** Upstream toxics first, then downstream, each in chain order (Toxiproxy's listing order). */
  list(): Toxic[] {
    return [...this.chains.upstream, ...this.chains.downstream];
  }

  toJSON(): ToxicJson[] {
    return this.list().map((t) => t.toJSON());
  }

  get(name: string): Toxic {
    const t = this.find(name);
    if (t === undefined) throw proxyError(404, 'toxic not found');
    return t;
  }

  tcp(direction: StreamDirection): readonly Toxic[] {
    return this.views.tcp[direction];
  }

  udp(direction: StreamDirection): readonly Toxic[] {
    return this.views.udp[direction];
  }

  add(body: Record<string, unknown>): Toxic {
    const { direction, given } = parseStream(body['stream']);
    const rawName = body['name'];
    if (rawName !== undefined && rawName !== null && typeof rawName !== 'string') {
      throw badRequest(`bad request body: name must be a string, got ${describeValue(rawName)}`);
    }
    const def = toxicDefinition(body['type']);
    const name = typeof rawName === 'string' && rawName !== '' ? rawName : `${def.type}_${given}`;
    if (this.find(name) !== undefined) throw proxyError(409, 'toxic already exists');
    const attributes = decodeAttributes(def, body['attributes']);
    const toxicity = decodeToxicity(body['toxicity']);
    const transport = decodeTransport(def, body['transport']);
    const toxic = new Toxic(name, def, direction, given, toxicity, attributes, transport);
    this.chains[direction].push(toxic);
    this.rebuildViews();
    this.listener.added(toxic);
    return toxic;
  }

  /** Partial update: attributes merge over the current ones; name/type/stream/transport are ignored. */
  update(name: string, body: Record<string, unknown>): Toxic {
    const toxic = this.get(name);
    // Decode everything before changing anything, so a bad value leaves the toxic as it was.
    const attributes = decodeAttributes(toxic.definition, body['attributes'], toxic.attributes);
    const toxicity = decodeToxicity(body['toxicity'], toxic.toxicity);
    toxic.attributes = attributes;
    toxic.toxicity = toxicity;
    this.rebuildViews();
    this.listener.updated(toxic);
    return toxic;
  }

  remove(name: string): void {
    const toxic = this.get(name);
    const chain = this.chains[toxic.direction];
    chain.splice(chain.indexOf(toxic), 1);
    this.rebuildViews();
    this.listener.removed(toxic);
  }

  private find(name: string): Toxic | undefined {
    return this.chains.upstream.find((t) => t.name === name) ?? this.chains.downstream.find((t) => t.name === name);
  }

  private rebuildViews(): void {
    const v = emptyViews();
    for (const dir of ['upstream', 'downstream'] as const) {
      v.tcp[dir] = this.chains[dir].filter((t) => t.onTcp);
      v.udp[dir] = this.chains[dir].filter((t) => t.onUdp);
    }
    this.views = v;
  }
}

function emptyViews(): Record<'tcp' | 'udp', Record<StreamDirection, Toxic[]>> {
  return { tcp: { upstream: [], downstream: [] }, udp: { upstream: [], downstream: [] } };
}

function parseStream(raw: unknown): { direction: StreamDirection; given: string } {
  if (raw === undefined || raw === null || raw === '') return { direction: 'downstream', given: 'downstream' };
  if (typeof raw !== 'string') throw badRequest(`bad request body: stream must be a string, got ${describeValue(raw)}`);
  const lower = raw.toLowerCase();
  if (lower === 'upstream' || lower === 'downstream') return { direction: lower, given: raw };
  throw badRequest('stream was invalid, can be either upstream or downstream');
}
