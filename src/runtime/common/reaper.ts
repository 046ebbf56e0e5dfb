/**
 * Last line of defence against leaked node processes: every pid a runtime starts is registered
 * here and SIGKILLed synchronously when the harness process exits for any reason the event loop
 * still sees (normal exit, uncaught error, signal handlers that call process.exit). Nodes are also
 * started under `setpriv --pdeathsig KILL`, which covers a harness killed with SIGKILL, and the
 * start-up sweep covers whatever is left after that.
 */
const live = new Set<number>();
let installed = false;

export function trackPid(pid: number): void {
  live.add(pid);
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const p of live) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
  }
}

export function untrackPid(pid: number): void {
  live.delete(pid);
}

export function trackedPids(): number[] {
  return [...live];
}
