/**
 * The JSON shapes of the Toxiproxy 2.12 API, plus amchaos's extension fields. The same objects are
 * returned by the HTTP API and by the in-process ProxyServer, so the fabric and a Toxiproxy client see
 * identical data. Extension fields are appended after Toxiproxy's own keys; standard clients ignore them.
 */

/** Toxiproxy's stream: `upstream` = client → server, `downstream` = server → client. */
export type StreamDirection = 'upstream' | 'downstream';

/**
 * Extension: which traffic of a proxy a toxic acts on. Toxiproxy has TCP only, so toxics created by a
 * standard client get the type's default (see toxics/registry.ts): `both` for latency, timeout, noop,
 * blackhole; `tcp` for the byte-stream toxics; `udp` for loss.
 */
export type Transport = 'tcp' | 'udp' | 'both';

export interface ToxicJson {
  attributes: Record<string, number>;
  name: string;
  type: string;
  /** Echoed exactly as given (Toxiproxy keeps e.g. "UpStream"). */
  stream: string;
  toxicity: number;
  /** Extension. */
  transport: Transport;
}

/** Counters for one direction of TCP traffic. "sent" = handed to the destination socket. */
export interface TcpDirectionStats {
  bytes_received: number;
  bytes_sent: number;
  /** Dropped on purpose by a toxic (timeout, blackhole, limit_data, reset_peer) or lost when a connection was torn down with data still held by toxics. */
  bytes_dropped: number;
}

export interface UdpDirectionStats {
  packets_received: number;
  packets_sent: number;
  packets_dropped: number;
  bytes_received: number;
  bytes_sent: number;
  bytes_dropped: number;
}

/**
 * Extension: per-proxy counters since the proxy object was created (they survive disable/enable and
 * listen/upstream changes; a replacing /populate starts a new object at zero). Counters are updated as
 * data moves, not when a connection ends (unlike Toxiproxy's /metrics), so a harness can compare two
 * snapshots to prove that no byte crossed a cut link.
 */
export interface ProxyStats {
  tcp: {
    /** Client connections accepted. */
    connections_total: number;
    /** Client connections currently open (including ones still dialling upstream). */
    connections_active: number;
    /** Client connections closed because the upstream could not be dialled. */
    connections_failed: number;
    upstream: TcpDirectionStats;
    downstream: TcpDirectionStats;
  };
  udp: {
    /** Client addresses seen (each gets its own upstream socket). */
    sessions_total: number;
    sessions_active: number;
    upstream: UdpDirectionStats;
    downstream: UdpDirectionStats;
  };
}

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  /** Toxiproxy 2.12 leaks an empty `Logger` object into every proxy; kept for byte-for-byte shape parity. */
  Logger: Record<string, never>;
  toxics: ToxicJson[];
  /** Extension: also relay UDP on the same listen address. */
  udp: boolean;
  /** Extension: counters. */
  stats: ProxyStats;
}

export interface CreateProxyInput {
  name: string;
  /** Default `127.0.0.1:0` (an ephemeral port; the response carries the real one). */
  listen?: string;
  upstream: string;
  /** Default true. */
  enabled?: boolean;
  /** Extension, default false: relay UDP too, on the same host:port as TCP. */
  udp?: boolean;
}

export interface UpdateProxyInput {
  listen?: string;
  upstream?: string;
  enabled?: boolean;
  udp?: boolean;
}

export interface CreateToxicInput {
  type: string;
  name?: string;
  /** upstream | downstream, case-insensitive; default downstream. */
  stream?: string;
  /** 0..1, default 1. */
  toxicity?: number;
  attributes?: Record<string, unknown> | null;
  transport?: Transport;
}

export interface UpdateToxicInput {
  attributes?: Record<string, unknown> | null;
  toxicity?: number;
}

export function emptyStats(): ProxyStats {
  const tcpDir = (): TcpDirectionStats => ({ bytes_received: 0, bytes_sent: 0, bytes_dropped: 0 });
  const udpDir = (): UdpDirectionStats => ({
    packets_received: 0,
    packets_sent: 0,
    packets_dropped: 0,
    bytes_received: 0,
    bytes_sent: 0,
    bytes_dropped: 0,
  });
  return {
    tcp: { connections_total: 0, connections_active: 0, connections_failed: 0, upstream: tcpDir(), downstream: tcpDir() },
    udp: { sessions_total: 0, sessions_active: 0, upstream: udpDir(), downstream: udpDir() },
  };
}

/** A deep copy, so callers can keep a snapshot while counters move on. */
export function copyStats(s: ProxyStats): ProxyStats {
  return structuredClone(s);
}

/**
 * `after - before`, field by field (gauges such as connections_active/sessions_active are taken from
 * `after`). A fault is verified as applied on a link when, over a window with traffic offered, the
 * delta's `bytes_sent`/`packets_sent` are 0 in the cut direction(s) while `*_received` grew.
 */
export function statsDelta(before: ProxyStats, after: ProxyStats): ProxyStats {
  const sub = <T extends object>(a: T, b: T): T => {
    const out = {} as Record<string, unknown>;
    for (const [k, v] of Object.entries(b)) {
      const prev = (a as Record<string, unknown>)[k];
      if (typeof v === 'number') out[k] = k.endsWith('_active') ? v : v - (typeof prev === 'number' ? prev : 0);
      else out[k] = sub((prev ?? {}) as object, v as object);
    }
    return out as T;
  };
  return sub(before, after);
}
