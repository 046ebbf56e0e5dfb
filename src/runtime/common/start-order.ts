import type { NodeSpec } from '../types.js';

/**
 * Starts the nodes of one cluster as fast as their positions allow.
 *
 * A cluster orders its positions by peer name. A node without `--cluster.peer-name` (before 0.30)
 * names itself with a ULID made as it starts, so those start one at a time, in index order, to make
 * start order = position; their ULIDs sort before every explicit name (`n01`…), which start all at
 * once: their position does not depend on when they start. Nodes that do not cluster start at once
 * too. Connectivity does not depend on the order either: every node lists every other as
 * `--cluster.peer`, and the last node to bind its cluster port finds all the others listening.
 *
 * Waits for every start to settle before reporting the first failure, so no start is still running
 * when the caller tears the cluster down.
 */
export async function startInPositionOrder(nodes: readonly { spec: NodeSpec; start(): Promise<void> }[]): Promise<void> {
  const byULID = nodes.filter((n) => n.spec.clustered && !n.spec.version.features.peerName);
  const together = nodes.filter((n) => !byULID.includes(n));
  const results = await Promise.allSettled([
    (async () => {
      for (const n of byULID) await n.start();
    })(),
    ...together.map((n) => n.start()),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
