import { which } from '../../util/fs.js';
import { isGone, run, splitRuleLine } from './commands.js';
import { tagOfComment, tagOfLink, tagOfNetns } from './names.js';
import { ownerAlive, StateDir } from './state.js';

/**
 * Removes what killed netns runs left behind: processes inside our namespaces, the namespaces,
 * veths and bridges, host iptables rules (found by their comment), state files and subnet claims.
 * A cluster is left alone while the harness process that created it is alive (its state file names
 * it); everything of ours without a live owner goes, including resources whose state file is
 * missing. Returns one line per removed thing.
 */
export async function sweepNetns(stateDir = new StateDir()): Promise<string[]> {
  const removed: string[] = [];
  // Without iproute2 nothing of ours can exist; without iptables no rules of ours can.
  if (!(await which('ip'))) return removed;
  const iptables = (await which('iptables-save')) !== undefined && (await which('iptables')) !== undefined;
  const records = await stateDir.records();
  const live = new Set(records.filter(ownerAlive).map((r) => r.tag));
  const stale = (tag: string | undefined): tag is string => tag !== undefined && !live.has(tag);

  const nsList = (await run(['ip', 'netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => stale(tagOfNetns(n)));
  for (const ns of nsList) {
    const pids = (await run(['ip', 'netns', 'pids', ns], { tolerate: isGone })).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
        removed.push(`process ${p} in netns ${ns}`);
      } catch {
        /* gone meanwhile */
      }
    }
  }

  // Host ends of veths first (removes both ends at once), then bridges, then namespaces.
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((n) => stale(tagOfLink(n)))
    .sort((a, b) => Number(a.endsWith('br')) - Number(b.endsWith('br')));
  for (const l of links) {
    await run(['ip', 'link', 'del', l], { tolerate: isGone });
    removed.push(`link ${l}`);
  }
  for (const ns of nsList) {
    await run(['ip', 'netns', 'del', ns], { tolerate: isGone });
    removed.push(`netns ${ns}`);
  }

  for (const table of iptables ? (['filter', 'nat'] as const) : []) {
    const saved = await run(['iptables-save', '-t', table]);
    for (const line of saved.stdout.split('\n')) {
      if (!line.startsWith('-A ')) continue;
      const args = splitRuleLine(line);
      const comment = args[args.indexOf('--comment') + 1] ?? '';
      if (!args.includes('--comment') || !stale(tagOfComment(comment))) continue;
      await run(['iptables', '-w', '-t', table, '-D', ...args.slice(1)], { tolerate: isGone });
      removed.push(`iptables -t ${table} ${line}`);
    }
  }

  for (const r of records) {
    if (live.has(r.tag)) continue;
    await stateDir.remove(r.tag);
    removed.push(`state ${r.tag} (run ${r.runId}, scenario ${r.scenarioId})`);
  }
  for (const [subnet, holder] of await stateDir.claims()) {
    if (live.has(holder)) continue;
    await stateDir.removeClaimFile(subnet);
    removed.push(`subnet claim ${subnet}`);
  }
  return removed;
}
