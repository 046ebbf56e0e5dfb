import { readFileSync } from 'node:fs';

/**
 * Who owns a runtime resource: a harness process, named by its pid and the kernel's start time of
 * that pid (field 22 of /proc/<pid>/stat, clock ticks since boot), so that a recycled pid is not
 * mistaken for the owner. The netns state files and the docker labels both record it.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its last ")".
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}
