import { spawnSync } from 'node:child_process';
import { AmchaosError } from '../../errors/index.js';
import { execFileCollect, tailLines, type ExecResult } from '../../util/exec.js';

/**
 * Runs the host's network tools (ip, iptables) with argument arrays. A failure is an
 * AmchaosError(AMCHAOS_NETWORK_SETUP_FAILED) carrying the command and its stderr, so a report says
 * exactly which step broke. iptables always gets `-w`: other tools (Docker, a parallel run) may hold
 * the xtables lock.
 */
export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** Treat these failures as success (e.g. "already gone" while removing). */
  tolerate?: (r: ExecResult) => boolean;
}

export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  const [program, ...args] = argv;
  let r: ExecResult;
  try {
    const o: { timeoutMs: number; input?: string } = { timeoutMs: opts.timeoutMs ?? 20_000 };
    if (opts.input !== undefined) o.input = opts.input;
    r = await execFileCollect(program!, args, o);
  } catch (e) {
    throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `cannot run ${program}: ${(e as Error).message}`, {
      hint: 'The netns runtime needs iproute2 (ip) and iptables: apt-get install iproute2 iptables',
      details: { command: [...argv] },
      cause: e,
    });
  }
  if (r.code !== 0 && !opts.tolerate?.(r)) {
    throw new AmchaosError('AMCHAOS_NETWORK_SETUP_FAILED', `${argv.join(' ')} failed (exit ${r.code ?? r.signal}): ${tailLines(r.stderr, 3).join(' | ')}`, {
      hint: 'Run `amchaos sweep` to remove what an earlier run left, then try again; the command and its output are in the details.',
      details: { command: [...argv], stderr: r.stderr, stdout: r.stdout, input: opts.input },
    });
  }
  return r;
}

/** Best effort and synchronous, for process-exit hooks where no promise will ever settle. */
export function runSync(argv: readonly string[]): void {
  const [program, ...args] = argv;
  try {
    spawnSync(program!, args, { stdio: 'ignore', timeout: 5_000 });
  } catch {
    /* the exit hook must not throw */
  }
}

/** "does not exist" in the words ip and iptables use. */
export function isGone(r: ExecResult): boolean {
  return /Cannot find device|No such file|does not exist|not found|Bad rule|No chain\/target\/match|Invalid argument/i.test(r.stderr);
}

/** `ip netns exec <ns> <argv>`: a command inside a node's network namespace. */
export function inNetns(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** Splits one iptables-save line into arguments (double quotes group, backslash escapes). */
export function splitRuleLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (c === ' ' && !inQuote) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}
