import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { AmchaosError } from '../errors/index.js';
import type { LabelSet } from '../history/types.js';
import type { AlertSpec } from './types.js';

export interface GenerateOptions {
  /** Same seed, same options → the same alerts, in the same order, on every machine. */
  seed: number;
  /** Number of groups (distinct `alertname` + `group` pairs). Default 10. */
  groups?: number;
  /** Alerts per group: a fixed number or an inclusive range. Default 1..5. */
  alertsPerGroup?: number | { min: number; max: number };
}

// Realistic vocabularies, so generated alerts look like what users' routes match on.
const ALERTNAMES = [
  'HighCPU', 'HighMemory', 'DiskFull', 'DiskLatency', 'InstanceDown', 'TargetMissing', 'HighErrorRate',
  'HighLatency', 'CertificateExpiring', 'QueueBacklog', 'ReplicationLag', 'PodCrashLooping', 'NodeNotReady',
  'OOMKilled', 'BackupFailed', 'SLOBurnRate',
];
const SEVERITIES = ['critical', 'warning', 'info'];
const JOBS = ['node', 'api', 'db', 'cache', 'queue', 'ingress', 'kubelet', 'blackbox'];
const TEAMS = ['infra', 'payments', 'search', 'identity', 'data', 'mobile'];
const ENVS = ['prod', 'staging'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];

/**
 * Deterministic alerts for a seed: `groups` groups, each with one alertname and a `group` label
 * (the harness's default route groups by [alertname, group]), and alerts inside a group that
 * differ by instance and carry varied extra labels (severity, job, team, and sometimes env or
 * region), so label sets are not all the same shape.
 */
export function generateAlerts(opts: GenerateOptions): AlertSpec[] {
  const groups = opts.groups ?? 10;
  const per = typeof opts.alertsPerGroup === 'number' ? { min: opts.alertsPerGroup, max: opts.alertsPerGroup } : (opts.alertsPerGroup ?? { min: 1, max: 5 });
  if (!Number.isInteger(opts.seed)) throw bad(`seed must be an integer, got ${opts.seed}`);
  if (!Number.isInteger(groups) || groups < 1) throw bad(`groups must be a positive integer, got ${groups}`);
  if (!Number.isInteger(per.min) || !Number.isInteger(per.max) || per.min < 1 || per.max < per.min) {
    throw bad(`alertsPerGroup must be a positive integer or a range with 1 <= min <= max, got ${JSON.stringify(opts.alertsPerGroup)}`);
  }

  // xoroshiro128+ from pure-rand. Its seeds are 32-bit: larger integers are taken modulo 2^32.
  const rng = xoroshiro128plus(opts.seed | 0);
  const pick = <T>(xs: readonly T[]): T => xs[uniformInt(rng, 0, xs.length - 1)]!;
  const chance = (percent: number): boolean => uniformInt(rng, 1, 100) <= percent;
  const width = String(groups - 1).length;

  const out: AlertSpec[] = [];
  for (let g = 0; g < groups; g++) {
    const alertname = pick(ALERTNAMES);
    const group = `g${String(g).padStart(width, '0')}`;
    const job = pick(JOBS);
    const team = pick(TEAMS);
    const severity = pick(SEVERITIES);
    const count = uniformInt(rng, per.min, per.max);
    const withEnv = chance(50);
    const withRegion = chance(30);
    for (let a = 0; a < count; a++) {
      const labels: LabelSet = {
        alertname,
        group,
        instance: `${job}-${a}.${team}.example:${9100 + uniformInt(rng, 0, 9)}`,
        job,
        severity: chance(80) ? severity : pick(SEVERITIES),
      };
      // Some groups have no team label at all: routes often branch on its absence.
      if (g % 4 !== 3) labels['team'] = team;
      if (withEnv) labels['env'] = pick(ENVS);
      if (withRegion) labels['region'] = pick(REGIONS);
      out.push({ labels, annotations: { summary: `${alertname} on ${labels['instance']}` } });
    }
  }
  return out;
}

function bad(message: string): AmchaosError {
  return new AmchaosError('AMCHAOS_BAD_ARGUMENT', `generateAlerts: ${message}`, {
    hint: 'give a seed (integer), groups >= 1 and alertsPerGroup >= 1 (or { min, max })',
  });
}
