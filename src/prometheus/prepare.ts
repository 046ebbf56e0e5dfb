import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmchaosError } from '../errors/index.js';
import type { LabelSet } from '../history/types.js';
import { execFileCollect, tailLines } from '../util/exec.js';
import { defaultCacheDir } from '../util/fs.js';
import { resolvePrometheus, type ResolvedPrometheus } from '../versions/prometheus.js';
import {
  checkAlertsForPrometheus,
  DEFAULT_REPLICA_LABEL,
  DEFAULT_SOURCE_TIMERS,
  rulesForAlertnames,
  parseUserPrometheusConfig,
  replicaConfig,
  type SourceTimers,
  type UserPrometheusConfig,
} from './config.js';
import type { UserRules } from './source.js';

/** Everything a scenario needs to run Prometheus as its source, checked before anything starts. */
export interface PrometheusPlan {
  version: ResolvedPrometheus;
  replicas: number;
  rules?: UserRules | undefined;
  config?: UserPrometheusConfig | undefined;
  timers: SourceTimers;
}

/**
 * Resolves the Prometheus version (fetching a Debian build into the cache), reads the user's rule
 * file and prometheus.yml, and checks them with the build's own promtool: bad input stops here, with
 * a typed error and a hint, before any node starts.
 */
export async function preparePrometheusSource(o: {
  version: string;
  replicas: number;
  rulesFile?: string | undefined;
  configFile?: string | undefined;
  /** The alert set the exporter will serve (its labels must be valid Prometheus labels). */
  alerts?: readonly LabelSet[] | undefined;
  fetch?: boolean;
  log?: (line: string) => void;
}): Promise<PrometheusPlan> {
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 9) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `--prometheus-replicas must be a whole number from 1 to 9, got ${o.replicas}`, { hint: 'HA pairs are 2 (the default).' });
  }
  const version = await resolvePrometheus(o.version, { cacheDir: defaultCacheDir(), fetch: o.fetch ?? true, ...(o.log ? { log: o.log } : {}) });
  if (o.alerts) checkAlertsForPrometheus(o.alerts);
  const rules = o.rulesFile !== undefined ? { file: o.rulesFile, text: await readInput(o.rulesFile, '--rules') } : undefined;
  const config = o.configFile !== undefined ? parseUserPrometheusConfig(await readInput(o.configFile, '--prometheus-config'), o.configFile) : undefined;
  if (rules) await checkRulesWithPromtool(version.promtool, rules.text, rules.file);
  // The config as a replica will run it (placeholder addresses), with its rule file: promtool checks both.
  const rulesText = rules?.text ?? rulesForAlertnames((o.alerts ?? [{ alertname: 'Probe' }]).map((a) => a['alertname'] ?? 'Probe'));
  const yaml = replicaConfig({
    replica: 'p1',
    externalLabels: { ...(config?.externalLabels ?? {}), [config?.replicaLabel ?? DEFAULT_REPLICA_LABEL]: 'p1' },
    replicaLabel: config?.replicaLabel ?? DEFAULT_REPLICA_LABEL,
    exporter: '127.0.0.1:9',
    ruleFiles: ['rules.yml'],
    alertmanagers: ['127.0.0.1:9'],
    dropReplicaLabel: true,
    timers: DEFAULT_SOURCE_TIMERS,
    user: config,
  });
  await checkConfigWithPromtool(version.promtool, yaml, rulesText, config?.file ?? 'the generated prometheus.yml');
  return { version, replicas: o.replicas, rules, config, timers: DEFAULT_SOURCE_TIMERS };
}

/** `promtool check rules` on the text; AMCHAOS_INVALID_CONFIG with promtool's words when it refuses. */
export async function checkRulesWithPromtool(promtool: string, text: string, file: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'amchaos-rules-'));
  try {
    const path = join(dir, 'rules.yml');
    await writeFile(path, text);
    const r = await execFileCollect(promtool, ['check', 'rules', path], { timeoutMs: 30_000 });
    if (r.code !== 0) {
      const out = (r.stdout + r.stderr).replaceAll(path, file);
      throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `--rules ${file}: promtool check rules refused it: ${out.split('\n').filter((l) => /FAILED|error|err/i.test(l)).join(' ').trim() || out.trim()}`, {
        hint: `Fix the rule file (run \`${promtool} check rules ${file}\` to see every problem).`,
        details: { logTail: tailLines(out, 15) },
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `promtool check config` on a replica's prometheus.yml (with its rule file beside it). */
export async function checkConfigWithPromtool(promtool: string, yaml: string, rulesText: string, what: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'amchaos-promcfg-'));
  try {
    await writeFile(join(dir, 'rules.yml'), rulesText);
    const path = join(dir, 'prometheus.yml');
    await writeFile(path, yaml);
    const r = await execFileCollect(promtool, ['check', 'config', path], { timeoutMs: 30_000, cwd: dir });
    if (r.code !== 0) {
      const out = r.stdout + r.stderr;
      throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `${what}: promtool check config refused the Prometheus config amchaos would run: ${out.split('\n').filter((l) => /FAILED|error/i.test(l)).join(' ').trim() || out.trim()}`, {
        hint: 'Fix the alerting: section of --prometheus-config (its alert_relabel_configs are kept as written).',
        details: { logTail: tailLines(out, 15), config: yaml },
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readInput(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `${flag} ${file}: ${(e as Error).message}`, { hint: `Give the path of a readable file to ${flag}.` });
  }
}
