import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { AmchaosError } from '../../errors/index.js';
import { tailFile } from './logs.js';
import { trackPid, untrackPid } from './reaper.js';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/**
 * One node's OS process, whatever runtime wraps it (loopback, network namespace): spawned with an
 * argument array, stdout/stderr appended to the node's log, registered with the reaper, and stopped
 * by signals. The runtimes decide the command line and what "started" means; this class owns the
 * signal and exit bookkeeping so every runtime stops, pauses and reports exits the same way.
 */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private readonly exitListeners = new Set<(e: ExitInfo) => void>();
  private paused = false;

  constructor(
    readonly nodeId: string,
    readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get isPaused(): boolean {
    return this.paused && this.running;
  }

  /** Starts `argv` (never through a shell); resolves once the OS has created the process. */
  async spawn(argv: readonly string[]): Promise<void> {
    const [program, ...args] = argv;
    if (!program) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.nodeId}: empty command line`);
    await appendFile(this.logFile, `# amchaos: starting ${argv.join(' ')}\n`);
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(program, args, { stdio: ['ignore', fd, fd], detached: false });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.paused = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (child.pid) untrackPid(child.pid);
        const e = { code, signal };
        for (const l of this.exitListeners) l(e);
        resolve(e);
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) =>
        reject(
          new AmchaosError('AMCHAOS_NODE_START_FAILED', `node ${this.nodeId}: cannot start ${program}: ${err.message}`, {
            hint: "Check the version's binary path.",
            details: { command: [...argv] },
          }),
        ),
      );
    });
    if (child.pid) trackPid(child.pid);
  }

  /** The exit of the current process (resolves at once with nulls if none was ever started). */
  waitExit(): Promise<ExitInfo> {
    return this.exited ?? Promise.resolve({ code: null, signal: null });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit once the process has exited. */
  async stop(graceMs = 10_000): Promise<ExitInfo | undefined> {
    const child = this.child;
    if (!child || !this.running) return undefined;
    // A stopped process cannot handle SIGTERM: continue it first so it shuts down gracefully.
    if (this.paused) this.signalResume();
    child.kill('SIGTERM');
    const timer = sleep(graceMs).then(() => 'timeout' as const);
    const first = await Promise.race([this.exited!, timer]);
    if (first !== 'timeout') return first;
    child.kill('SIGKILL');
    return this.exited!;
  }

  /** SIGKILL; resolves with the exit once the process has exited. */
  async kill(): Promise<ExitInfo | undefined> {
    const child = this.child;
    if (!child || !this.running) return undefined;
    child.kill('SIGKILL');
    return this.exited!;
  }

  /** SIGSTOP, then waits until the kernel shows the process stopped; returns the state letter seen. */
  async pause(): Promise<string | undefined> {
    if (!this.running) throw new AmchaosError('AMCHAOS_INTERNAL', `node ${this.nodeId} is not running; cannot pause it`);
    this.child!.kill('SIGSTOP');
    this.paused = true;
    return waitProcState(this.pid, isStoppedState);
  }

  /** SIGCONT, then waits until the kernel shows the process no longer stopped. */
  async resume(): Promise<string | undefined> {
    if (!this.running) return undefined;
    this.signalResume();
    return waitProcState(this.pid, (s) => !isStoppedState(s));
  }

  private signalResume(): void {
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  onExit(listener: (exit: ExitInfo) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  logTail(n: number): Promise<string[]> {
    return tailFile(this.logFile, n);
  }
}

/** One GET of `<apiURL>/-/healthy`: the web API answers (cluster readiness is the core's job). */
export async function webHealthy(apiURL: string): Promise<boolean> {
  try {
    const res = await request(`${apiURL}/-/healthy`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** Polls until the web API answers, the process exits, or `timeoutMs` passes. */
export async function waitWebHealthy(apiURL: string, proc: NodeProcess, timeoutMs: number): Promise<'healthy' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) return 'exited';
    if (await webHealthy(apiURL)) return 'healthy';
    await sleep(25);
  }
  return 'timeout';
}

/** T (stopped by a signal) or t (stopped by a tracer). */
export function isStoppedState(state: string | undefined): boolean {
  return state === 'T' || state === 't';
}

/** The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, ...), polled until `want` holds or 2 s pass. */
export async function waitProcState(pid: number | undefined, want: (s: string) => boolean): Promise<string | undefined> {
  if (pid === undefined) return undefined;
  let state: string | undefined;
  for (let i = 0; i < 40; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === undefined || want(state)) return state;
    await sleep(50);
  }
  return state;
}
