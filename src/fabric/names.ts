import type { NodeId } from '../history/types.js';
import { CLIENT, RECEIVER } from './types.js';

/** How links are named (the proxies' names in the Toxiproxy API), for everyone who names one. */
export function peerLinkName(from: NodeId, to: NodeId): string {
  return `${from}->${to}`;
}
export function clientLinkName(node: NodeId): string {
  return `${CLIENT}->${node}`;
}
export function receiverLinkName(node: NodeId): string {
  return `${node}->${RECEIVER}`;
}

/**
 * The base URL every node's webhook configs must use to reach the capture through the fabric:
 * `http://<receiverIP>:<capture port>`. It is the same for every node (so every node gets the same
 * config) and known before the cluster exists (so configs can be generated first). Each node's
 * namespace redirects it to that node's own `nX->receiver` proxy.
 */
export function receiverBaseURL(receiverIP: string, capture: { port: number }): string {
  return `http://${receiverIP}:${capture.port}`;
}

