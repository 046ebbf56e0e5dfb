import type { NodeId } from '../history/types.js';
import type { ProxyStats } from '../proxy/index.js';

/**
 * The fabric is the network between the harness, the nodes and the capture: one proxy per directed
 * link. Three kinds of link:
 *
 *   peer      `n1->n2`        n1's cluster traffic to n2 (TCP and UDP on n2's cluster port). TCP
 *                             connections n1 opens carry both directions; UDP from n2 to n1 travels
 *                             on `n2->n1` (memberlist answers to the advertised address, not to the
 *                             datagram's source).
 *   client    `client->n1`    the harness's HTTP requests to n1's API (alerts, silences, status).
 *   receiver  `n1->receiver`  n1's webhook deliveries to the capture.
 *   sender    `p1->n1`        what an alert sender on the harness's host (a Prometheus replica's
 *                             send tap) posts to n1's API; added after the cluster exists.
 */
export type LinkKind = 'peer' | 'client' | 'receiver' | 'sender';

export const CLIENT = 'client';
export const RECEIVER = 'receiver';

export interface LinkInfo {
  /** The proxy's name in the Toxiproxy API: `n1->n2`, `client->n1`, `n1->receiver`. */
  name: string;
  kind: LinkKind;
  from: NodeId | typeof CLIENT | string;
  to: NodeId | typeof RECEIVER;
  /** Where the proxy listens (host:port). */
  listen: string;
  /** What it dials. */
  upstream: string;
  udp: boolean;
}

/** One node as the fabric sees it. */
export interface FabricEndpoint {
  id: NodeId;
  /** The node's own address (its namespace's IP); peers and the harness dial it. */
  ip: string;
  clusterPort: number;
  webPort: number;
}

/** DNAT inside one node's network: what the node sends to `dest` goes to `to` instead. */
export interface Redirect {
  proto: 'tcp' | 'udp';
  dest: { ip: string; port: number };
  to: { ip: string; port: number };
}

/** What a runtime provides so the fabric can put proxies between its nodes. */
export interface FabricHost {
  /** Address (on the host) that every node can reach: node-originated proxies listen here. */
  listenIP: string;
  /** Installs redirects in a node's network (netns: iptables nat OUTPUT in its namespace). */
  redirect(node: NodeId, redirects: Redirect[]): Promise<void>;
}

export interface FabricPlan {
  nodes: FabricEndpoint[];
  /** The capture receiver as the harness listens on it (loopback). */
  capture: { host: string; port: number };
  /** The fixed address nodes send webhooks to (redirected per node to its receiver link). */
  receiverIP: string;
  host: FabricHost;
  /** Where the Toxiproxy-compatible HTTP API listens; default 127.0.0.1, any free port. */
  api?: { host?: string; port?: number };
  /** UDP sessions idle this long lose their upstream socket (proxy default 60 s). */
  udpIdleTimeoutMs?: number;
}

/** Traffic that crossed one link (sent = delivered to the far side), for run summaries. */
export interface LinkTraffic {
  tcpBytes: number;
  udpBytes: number;
  udpPackets: number;
  /** Bytes a toxic dropped on purpose (cuts, loss), both transports. */
  droppedBytes: number;
  droppedPackets: number;
  tcpConnections: number;
}

export type Transport = 'tcp' | 'udp' | 'both';

export type StatsSnapshot = Record<string, ProxyStats>;
