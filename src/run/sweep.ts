import { runtimeSweeps } from './runtime-registry.js';
import { sweepStaleRuns } from './workdir.js';

/**
 * The start-up sweep: removes what killed runs left — node processes and work dirs (found by the
 * run id in their paths), then each runtime's own resources (namespaces, veths, bridges, firewall
 * rules, containers), which all carry the `amc-` run-id prefix.
 */
export async function sweepEverything(): Promise<string[]> {
  const removed = await sweepStaleRuns();
  for (const sweep of runtimeSweeps()) removed.push(...(await sweep()));
  return removed;
}
