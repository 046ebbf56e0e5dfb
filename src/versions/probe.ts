import { execFileCollect } from '../util/exec.js';
import { AmchaosError } from '../errors/index.js';

export interface ProbedBinary {
  /** Normalised "X.Y.Z" (Debian suffixes such as "+ds" stripped). */
  version: string;
  /** Exactly what `--version` printed after "version ", e.g. "0.28.1+ds". */
  reportedVersion: string;
  features: { peerName: boolean; clusterLabel: boolean };
}

/**
 * Runs `binary --version` and `binary --help` and reads "<program>, version X" from the first: what
 * every probe of a Prometheus-project binary (alertmanager, prometheus) starts with. A binary that
 * does not run, or prints another program's name, is refused with what to give instead.
 */
export async function probeProgram(binary: string, program: 'alertmanager' | 'prometheus'): Promise<{ reportedVersion: string; helpText: string }> {
  const product = program === 'alertmanager' ? 'an Alertmanager' : 'a Prometheus';
  let version;
  let help;
  try {
    version = await execFileCollect(binary, ['--version'], { timeoutMs: 10_000 });
    help = await execFileCollect(binary, ['--help'], { timeoutMs: 10_000 });
  } catch (e) {
    throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `cannot run ${binary}: ${(e as Error).message}`, {
      hint: `Check that the path points to ${product} binary for this machine.`,
      cause: e,
    });
  }
  const printed = version.stdout + version.stderr;
  const m = new RegExp(`${program}, version (\\S+)`).exec(printed);
  if (!m) {
    throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `${binary} does not look like ${program === 'alertmanager' ? 'Alertmanager' : 'Prometheus'}: --version printed ${JSON.stringify(printed.slice(0, 200))}`, {
      hint: `Give the path of ${program === 'alertmanager' ? 'an' : 'a'} ${program} binary (it prints "${program}, version X.Y.Z").`,
    });
  }
  return { reportedVersion: m[1]!, helpText: help.stdout + help.stderr };
}

/**
 * Asks a binary what it is. Flags differ across versions (--cluster.peer-name is 0.30+), so the
 * runtime passes only what `--help` lists rather than guessing from the version number.
 */
export async function probeBinary(binary: string): Promise<ProbedBinary> {
  const { reportedVersion, helpText } = await probeProgram(binary, 'alertmanager');
  return {
    version: normaliseVersion(reportedVersion),
    reportedVersion,
    features: {
      peerName: helpText.includes('--cluster.peer-name'),
      clusterLabel: helpText.includes('--cluster.label'),
    },
  };
}

/** "0.28.1+ds" → "0.28.1"; "v0.27.0" → "0.27.0". */
export function normaliseVersion(v: string): string {
  const m = /^v?(\d+\.\d+\.\d+)/.exec(v);
  return m ? m[1]! : v;
}

export function isSemver(v: string): boolean {
  return /^v?\d+\.\d+\.\d+$/.test(v);
}

export function compareSemver(a: string, b: string): number {
  const pa = normaliseVersion(a).split('.').map(Number);
  const pb = normaliseVersion(b).split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
