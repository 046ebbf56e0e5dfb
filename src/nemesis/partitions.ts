import { AmchaosError } from '../errors/index.js';
import { peerLinkName } from '../fabric/fabric.js';
import type { NodeId } from '../history/types.js';
import type { LinkSelection, PartitionSpec } from './types.js';

/**
 * Partition geometry, pure: shorthands → groups → the directed links to cut, and the components the
 * at-most-k checker needs. Two nodes can talk iff some group holds both.
 */

function bad(message: string, hint: string): AmchaosError {
  return new AmchaosError('AMCHAOS_INVALID_SCENARIO', message, { hint });
}

function checkOrder(order: NodeId[], nodes: readonly NodeId[]): void {
  const known = new Set(nodes);
  const seen = new Set<NodeId>();
  for (const n of order) {
    if (!known.has(n)) throw bad(`partition order names unknown node ${n}`, `nodes are ${nodes.join(', ')}`);
    if (seen.has(n)) throw bad(`partition order names ${n} twice`, 'list every node once');
    seen.add(n);
  }
  if (seen.size !== known.size) throw bad('partition order must list every node exactly once', `nodes are ${nodes.join(', ')}`);
}

/** The groups a partition spec stands for, over `nodes` (the cluster's node ids in order). */
export function partitionGroups(spec: PartitionSpec, nodes: readonly NodeId[]): NodeId[][] {
  const known = new Set(nodes);
  switch (spec.mode) {
    case 'groups': {
      for (const g of spec.groups) {
        for (const n of g) if (!known.has(n)) throw bad(`partition group names unknown node ${n}`, `nodes are ${nodes.join(', ')}`);
      }
      const groups = spec.groups.filter((g) => g.length > 0).map((g) => [...new Set(g)]);
      // Unlisted nodes are alone.
      for (const n of nodes) if (!groups.some((g) => g.includes(n))) groups.push([n]);
      if (cutLinks(groups, nodes).length === 0) {
        throw bad('a partition must split the cluster: some pair of nodes must be unable to talk', 'give at least two groups that do not all overlap');
      }
      return groups;
    }
    case 'isolate':
      if (!known.has(spec.node)) throw bad(`cannot isolate unknown node ${spec.node}`, `nodes are ${nodes.join(', ')}`);
      if (nodes.length < 2) throw bad('isolating a node needs at least 2 nodes', 'add nodes');
      return [[spec.node], nodes.filter((n) => n !== spec.node)];
    case 'bisect': {
      const order = spec.order ?? [...nodes];
      checkOrder(order, nodes);
      if (order.length < 2) throw bad('bisect needs at least 2 nodes', 'add nodes');
      const half = Math.floor(order.length / 2);
      return [order.slice(0, half), order.slice(half)];
    }
    case 'bridge': {
      // Jepsen's bridge: two halves that cannot talk, and one node in the middle that talks to both.
      const order = spec.order ?? [...nodes];
      checkOrder(order, nodes);
      if (order.length < 3) throw bad('bridge needs at least 3 nodes', 'add nodes');
      const mid = Math.floor(order.length / 2);
      return [order.slice(0, mid + 1), order.slice(mid)];
    }
    case 'majorities-ring': {
      // Every node sees a majority (itself and m neighbours on each side of a ring), and no two
      // nodes see the same majority. Windows of m+1 consecutive nodes encode exactly "ring
      // distance ≤ m".
      const order = spec.order ?? [...nodes];
      checkOrder(order, nodes);
      const n = order.length;
      const m = Math.ceil(Math.floor(n / 2) / 2);
      if (2 * m + 1 >= n) throw bad(`majorities-ring needs at least 4 nodes (got ${n}): with fewer, every node sees every other`, 'use bisect or isolate, or add nodes');
      const groups: NodeId[][] = [];
      for (let k = 0; k < n; k++) groups.push(Array.from({ length: m + 1 }, (_, d) => order[(k + d) % n]!));
      return groups;
    }
  }
}

export function canTalk(groups: readonly NodeId[][], a: NodeId, b: NodeId): boolean {
  return groups.some((g) => g.includes(a) && g.includes(b));
}

/** The directed peer links a partition cuts: every i->j where i and j share no group. */
export function cutLinks(groups: readonly NodeId[][], nodes: readonly NodeId[]): string[] {
  const out: string[] = [];
  for (const a of nodes) for (const b of nodes) if (a !== b && !canTalk(groups, a, b)) out.push(peerLinkName(a, b));
  return out;
}

/** The directed peer links a selection names. */
export function selectLinks(sel: LinkSelection, nodes: readonly NodeId[]): string[] {
  const known = new Set(nodes);
  const check = (n: NodeId) => {
    if (!known.has(n)) throw bad(`link selection names unknown node ${n}`, `nodes are ${nodes.join(', ')}`);
  };
  if (sel === 'all') {
    const out: string[] = [];
    for (const a of nodes) for (const b of nodes) if (a !== b) out.push(peerLinkName(a, b));
    return out;
  }
  if ('between' in sel) {
    const [A, B] = sel.between;
    A.forEach(check);
    B.forEach(check);
    const out = new Set<string>();
    for (const a of A) for (const b of B) if (a !== b) out.add(peerLinkName(a, b)).add(peerLinkName(b, a));
    if (out.size === 0) throw bad('link selection is empty', 'between needs two non-empty groups of different nodes');
    return [...out];
  }
  const out: string[] = [];
  for (const l of sel.links) {
    const m = /^(.+)->(.+)$/.exec(l);
    if (!m || m[1] === m[2]) throw bad(`bad link ${JSON.stringify(l)}`, 'name peer links from->to, e.g. n1->n2');
    check(m[1]!);
    check(m[2]!);
    out.push(l);
  }
  if (out.length === 0) throw bad('link selection is empty', 'name at least one link, e.g. n1->n2');
  return [...new Set(out)];
}
