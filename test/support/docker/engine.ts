import { docker, LABEL, requireEngine } from '../../../src/runtime/docker/engine.js';

/**
 * Why docker tests cannot run here (undefined when an engine answers): the skip reason says how to
 * enable them. CI runs .ci/setup, which installs docker.io and starts dockerd, so nothing skips there.
 */
export async function dockerSkipReason(): Promise<string | undefined> {
  try {
    await requireEngine();
    return undefined;
  } catch (e) {
    return `${(e as Error).message.split('\n')[0]}; run bash .ci/setup (installs docker.io and starts dockerd) to enable`;
  }
}

/** Containers and networks in the engine that carry `label=value` (e.g. a cluster tag or run id). */
export async function engineResources(label: string, value: string): Promise<string[]> {
  const d = docker();
  const filters = { label: [`${label}=${value}`] };
  const out: string[] = [];
  for (const c of await d.listContainers({ all: true, filters })) out.push(`container ${c.Names[0]} (${c.State})`);
  for (const n of await d.listNetworks({ filters })) out.push(`network ${n.Name}`);
  return out;
}

export const byCluster = (tag: string) => engineResources(LABEL.cluster, tag);
export const byRun = (runId: string) => engineResources(LABEL.run, runId);
