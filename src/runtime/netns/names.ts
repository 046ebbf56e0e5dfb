import { randomBytes } from 'node:crypto';
import { AmchaosError } from '../../errors/index.js';

/**
 * Names of everything the netns runtime creates on the host. Linux interface names are limited to
 * 15 characters, so a run id (`amc-20261122-042512-ab12`) does not fit; each cluster gets a 6-hex
 * `tag` instead, and every name starts with `amc` + tag. The tag is tied to the run id in two
 * places the sweep reads: the cluster's state file (state.ts) and the comment of every iptables
 * rule (`amchaos run=<runId> scenario=<scenarioId> tag=<tag>`).
 *
 *   bridge        amc<tag>br          (host)
 *   host veth     amc<tag>h<k>        (host side of node k's veth, k = index + 1)
 *   namespace     amc-<tag>-<nodeId>  (`ip netns list`)
 *   node veth     eth0                (inside the namespace; dies with it)
 */
export const TAG_PATTERN = '[0-9a-f]{6}';

export function newClusterTag(): string {
  return randomBytes(3).toString('hex');
}

export interface ClusterNames {
  tag: string;
  bridge: string;
  /** Comment put on every iptables rule of this cluster (host and namespaces). */
  comment: string;
  netns(nodeId: string): string;
  hostVeth(index: number): string;
  nodeVeth: string;
}

const NODE_ID = /^[A-Za-z0-9_-]{1,40}$/;
const COMMENT_SAFE = /^[A-Za-z0-9_.:@-]{1,100}$/;

export function clusterNames(tag: string, runId: string, scenarioId: string): ClusterNames {
  if (!new RegExp(`^${TAG_PATTERN}$`).test(tag)) throw new AmchaosError('AMCHAOS_INTERNAL', `bad cluster tag ${tag}`);
  for (const [what, v] of [
    ['runId', runId],
    ['scenarioId', scenarioId],
  ] as const) {
    if (!COMMENT_SAFE.test(v)) {
      throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `netns runtime: ${what} ${JSON.stringify(v)} cannot be used in resource names`, {
        hint: `Use letters, digits and . _ : @ - only (at most 100 characters) in the ${what}.`,
      });
    }
  }
  return {
    tag,
    bridge: `amc${tag}br`,
    comment: `amchaos run=${runId} scenario=${scenarioId} tag=${tag}`,
    netns: (nodeId) => {
      if (!NODE_ID.test(nodeId)) {
        throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `netns runtime: node id ${JSON.stringify(nodeId)} cannot name a network namespace`, {
          hint: 'Node ids must be 1-40 letters, digits, _ or - (e.g. n1).',
        });
      }
      return `amc-${tag}-${nodeId}`;
    },
    hostVeth: (index) => `amc${tag}h${index + 1}`,
    nodeVeth: 'eth0',
  };
}

/** The tag of a namespace, link or rule comment of ours, or undefined if the name is not ours. */
export function tagOfNetns(name: string): string | undefined {
  return new RegExp(`^amc-(${TAG_PATTERN})-[A-Za-z0-9_-]+$`).exec(name)?.[1];
}

export function tagOfLink(name: string): string | undefined {
  return new RegExp(`^amc(${TAG_PATTERN})(?:br|h\\d+)$`).exec(name)?.[1];
}

export function tagOfComment(text: string): string | undefined {
  return new RegExp(`amchaos run=\\S+ scenario=\\S+ tag=(${TAG_PATTERN})`).exec(text)?.[1];
}
