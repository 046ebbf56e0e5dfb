import { docker, isNotFound, LABEL, ownerAlive } from './engine.js';

/**
 * Removes what killed docker runs left in the engine: containers (holders, sidecars, nodes), the
 * clusters' networks, and dangling images of half-finished builds — everything amchaos creates
 * carries its run and owner labels. A resource is left alone while its owner (this host's harness
 * process, by pid and the pid's start time) lives, and always when another host owns it. Tagged
 * images stay: they are the build cache, reused while their content hash holds. Without an engine
 * there is nothing to sweep. Returns one line per removed thing.
 */
export async function sweepDocker(): Promise<string[]> {
  const d = docker();
  try {
    await d.ping();
  } catch {
    return [];
  }
  const removed: string[] = [];
  const dead = (labels: Record<string, string> | undefined) => ownerAlive(labels?.[LABEL.owner]) === false;
  const gone = (e: unknown) => isNotFound(e) || /already in progress|No such/.test(String(e));
  for (const c of await d.listContainers({ all: true, filters: { label: [LABEL.run] } })) {
    if (!dead(c.Labels)) continue;
    try {
      await d.getContainer(c.Id).remove({ force: true, v: true });
      removed.push(`container ${c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12)} (run ${c.Labels[LABEL.run]})`);
    } catch (e) {
      if (!gone(e)) throw e;
    }
  }
  for (const n of await d.listNetworks({ filters: { label: [LABEL.run] } })) {
    if (!dead(n.Labels)) continue;
    try {
      await d.getNetwork(n.Id).remove();
      removed.push(`network ${n.Name} (run ${n.Labels?.[LABEL.run]})`);
    } catch (e) {
      if (!gone(e)) throw e;
    }
  }
  for (const i of await d.listImages({ filters: { dangling: ['true'], label: [LABEL.run] } })) {
    if (!dead(i.Labels)) continue;
    try {
      await d.getImage(i.Id).remove({ force: true });
      removed.push(`dangling image ${i.Id.slice(7, 19)} (run ${i.Labels?.[LABEL.run]})`);
    } catch (e) {
      if (!gone(e) && !/conflict|being used/i.test(String(e))) throw e;
    }
  }
  return removed;
}
