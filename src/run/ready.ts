import { setTimeout as sleep } from 'node:timers/promises';
import { AmchaosError } from '../errors/index.js';
import type { AlertmanagerClient } from '../client/client.js';
import type { RuntimeNode } from '../runtime/types.js';

/**
 * Ready means every node's /api/v2/status says cluster.status "ready" with N peers (/-/ready
 * proves nothing: it answers 200 while gossip is still settling). Unclustered nodes are ready when
 * their status says "disabled".
 */
export async function waitClusterReady(
  nodes: readonly { runtime: RuntimeNode; client: AlertmanagerClient }[],
  opts: { clustered: boolean; timeoutMs: number; signal?: AbortSignal },
): Promise<number> {
  const started = performance.now();
  const deadline = started + opts.timeoutMs;
  const want = opts.clustered ? nodes.length : 0;
  let last: string[] = [];
  while (performance.now() < deadline) {
    opts.signal?.throwIfAborted();
    last = await Promise.all(
      nodes.map(async (n) => {
        try {
          const s = await n.client.status({ timeoutMs: 1_000, ...(opts.signal ? { signal: opts.signal } : {}) });
          const peers = s.cluster.peers?.length ?? 0;
          if (!opts.clustered) return s.cluster.status === 'disabled' ? 'ok' : `status ${s.cluster.status}`;
          return s.cluster.status === 'ready' && peers === want ? 'ok' : `status ${s.cluster.status}, ${peers}/${want} peers`;
        } catch (e) {
          return `unreachable (${(e as Error).message})`;
        }
      }),
    );
    if (last.every((s) => s === 'ok')) return performance.now() - started;
    await sleep(20);
  }
  const detail = nodes.map((n, i) => `${n.runtime.id}: ${last[i] ?? '?'}`).join('; ');
  const logTail = (await Promise.all(nodes.map(async (n) => (await n.runtime.logTail(3)).map((l) => `${n.runtime.id}: ${l}`)))).flat();
  throw new AmchaosError('AMCHAOS_CLUSTER_NOT_READY', `the cluster did not become ready within ${opts.timeoutMs} ms (${detail})`, {
    hint: 'Read the node logs in the run directory; a raised --settle-timeout needs a longer wait, and mixed versions must be able to gossip with each other.',
    details: { logTail },
  });
}
