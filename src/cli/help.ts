import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiteDefinition } from '../run/suite.js';
import { deliveryWindows } from '../run/suite.js';
import { defaultConfig } from '../topology/config.js';
import { formatGoDuration, timersFor } from '../topology/timers.js';
import { packageRoot } from '../util/paths.js';
import type { AvailableVersion } from '../versions/types.js';

/**
 * What `--help`, `suites` and `versions` print beyond commander's option list: examples for every
 * command (each a complete command that runs as pasted from the repository's root), the windows
 * the timers imply, which runtime each suite needs, and which build a version name runs.
 */

export function amchaosVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

type Example = [what: string, command: string];

export const EXAMPLES: Record<'amchaos' | 'run' | 'suites' | 'versions' | 'check' | 'report' | 'merge' | 'catalogue' | 'proxy' | 'sweep' | 'tsam', Example[]> = {
  amchaos: [
    ['the main job: exactly-once on real 0.25.0, 0.28.1 and 0.33.1 clusters, report in reports/r1', 'amchaos run --suite exactly-once --versions 0.25.0,0.28.1,0.33.1 --out reports/r1'],
    ['what there is to run', 'amchaos suites && amchaos versions'],
    ['the options of one command', 'amchaos run --help'],
  ],
  run: [
    ['3 nodes of 0.33.1 (the defaults), report in reports/r1', 'amchaos run --suite exactly-once --out reports/r1'],
    ['one cluster per version, and one mixed cluster', 'amchaos run --suite exactly-once --versions 0.25.0,0.33.1,0.25.0+0.28.1+0.33.1'],
    ['the control that must fail: the same nodes, not clustered', 'amchaos run --suite exactly-once --versions 0.33.1 --no-cluster'],
    ['your own routing (receivers replaced by the capture) and alerts', 'amchaos run --suite exactly-once --config fixtures/configs/routing-example.yml --alerts fixtures/alerts/example.yaml'],
    ['link faults need the netns runtime (as root) or the docker runtime (a Docker engine)', 'amchaos run --suite split-brain --runtime netns --versions 0.25.0,0.33.1 --out reports/r3'],
    ['official Alertmanager images beside a Debian build, on Docker', 'amchaos run --suite exactly-once --runtime docker --versions image:prom/alertmanager:v0.27.0,0.33.1'],
    ['production-like timers (slower: every window grows with them)', 'amchaos run --suite exactly-once --peer-timeout 15s --group-wait 30s --group-interval 1m'],
    ['replay a run: the report and summary.json print its exact command and seed', 'amchaos run --suite exactly-once --versions 0.33.1 --seed 1234'],
    ['run again into the same directory, replacing the old run', 'amchaos run --suite exactly-once --out reports/r1 --force'],
    ['real Prometheus as the source: an HA pair of 2.42.0 sending to every node, and the classic mistakes', 'amchaos run --suite prometheus-ha --source prometheus --prometheus 2.42.0 --versions 0.25.0,0.33.1'],
    ['your own Prometheus rules (checked with promtool) over the alert set, with your routing', 'amchaos run --suite exactly-once --source prometheus --config fixtures/configs/routing-example.yml --rules fixtures/rules/example.yml'],
    ['a cluster of 0.25.0 upgraded node by node to 0.33.1 while alerts fire and resolve', 'amchaos run --suite rolling-upgrade --versions 0.25.0 --upgrade-to 0.33.1'],
    ['the second of four stable slices of the clusters (CI); merge them with `amchaos report merge`', 'amchaos run --suite exactly-once --versions 0.25.0,0.28.1,0.33.1,tsam --shard 2/4 --out reports/part-2'],
  ],
  suites: [['the suites and what each needs', 'amchaos suites']],
  versions: [
    ['what resolves here, and which build `run` picks', 'amchaos versions'],
    ['download the Debian builds now (.ci/setup does this)', 'amchaos versions --fetch 0.25.0,0.28.1,0.33.1'],
    ['and the Prometheus builds, with their promtool', 'amchaos versions --fetch-prometheus 2.42.0,3.5.3'],
    ['only what is here already', 'amchaos versions --offline'],
  ],
  check: [['re-judge a stored run with today\'s checkers', 'amchaos check reports/r1']],
  report: [
    ['re-render one run\'s index.html and junit.xml', 'amchaos report reports/r1'],
    ['re-render every run in a folder, and the folder\'s index', 'amchaos report reports'],
  ],
  merge: [
    ['CI shards into one report, one junit.xml and (for the catalogue) one matrix', 'amchaos report merge reports/part-1 reports/part-2 --out reports/all'],
  ],
  catalogue: [
    ['every failure mode on every version here: the matrix in reports/cat/catalogue.html (as root: the netns suites)', 'amchaos catalogue --versions 0.25.0,0.28.1,0.33.1,tsam --out reports/cat'],
    ['some modes on one version', 'amchaos catalogue --versions 0.33.1 --suites slow-receiver,flapping --out reports/cat-some'],
    ['the first of four CI slices; merge them with `amchaos report merge`', 'amchaos catalogue --shard 1/4 --out reports/part-1'],
  ],
  proxy: [
    ['the link proxy alone (Toxiproxy\'s HTTP API, TCP + UDP); Ctrl-C stops it', 'amchaos proxy --listen 127.0.0.1:8474'],
    ['with proxies created at start', 'amchaos proxy --listen 127.0.0.1:8474 --config proxies.json'],
  ],
  sweep: [['after a killed run: remove its nodes, namespaces, firewall rules and temp dirs', 'amchaos sweep']],
  tsam: [
    ['tsam as a single node, with alertmanager\'s flags', 'amchaos tsam --config.file=fixtures/configs/two-routes.yml --storage.path=/tmp/tsam-data --web.listen-address=127.0.0.1:9093 --cluster.listen-address='],
    ['its flags (the same as alertmanager\'s)', 'amchaos tsam --help'],
  ],
};

export function examplesText(examples: readonly Example[]): string {
  return `\nExamples:\n${examples.map(([what, cmd]) => `  # ${what}\n  ${cmd}\n`).join('')}`;
}

/**
 * The windows the timers imply for N nodes, with the slack the suites add (src/run/suite.ts
 * deliveryWindows), computed from the same functions the run uses so the numbers never drift.
 */
export function runHelpText(): string {
  const rows = [3, 5].map((n) => {
    const t = timersFor(n);
    const w = deliveryWindows(t, n, defaultConfig('http://127.0.0.1:9', t));
    return { n, t, w };
  });
  const three = rows[0]!;
  const slack = formatGoDuration(three.w.slack);
  return [
    '',
    'Timers and windows:',
    '  Defaults are short so a suite takes seconds; raise any timer up to production values. Only',
    '  group_interval depends on the cluster size N (N × peer timeout, so the last position\'s',
    '  flush ends before the next tick). The position-k node acts about k × peer timeout after',
    '  position 0, so after each first delivery a suite waits (N−1) × peer timeout + slack for a',
    `  duplicate; slack = max(500ms, peer timeout / 4) covers the webhook's own delay (${slack} by default).`,
    ...rows.map(
      ({ n, t, w }) =>
        `  N = ${n}: group_interval ${formatGoDuration(t.groupIntervalMs)}; duplicate window ${n - 1} × ${formatGoDuration(t.peerTimeoutMs)} + ${formatGoDuration(w.slack)} = ${formatGoDuration(w.duplicateWindow)}.`,
    ),
    '  The checkers judge with their own windows, printed in the report with how each is made up.',
    '',
  ].join('\n');
}

/** The Prometheus builds `--source prometheus --prometheus VERSION` can run, after the Alertmanager table. */
export function prometheusVersionsTable(list: readonly AvailableVersion[]): string {
  const rows = list.map((v) => [v.version, v.provider, v.state, v.where ?? '']);
  const heads = ['PROMETHEUS', 'PROVIDER', 'STATE', 'WHERE'];
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [
    '',
    line(heads),
    ...rows.map(line),
    '',
    'For --source prometheus --prometheus VERSION (each build with its promtool); also a path (/opt/prometheus/prometheus, promtool beside it), system, upstream:X.Y.Z (AMCHAOS_PROMETHEUS_UPSTREAM_URL sets a mirror).',
    '',
  ].join('\n');
}

/** `amchaos suites`: name, what it proves, and the runtimes it runs on (netns means root). */
export function suitesTable(suites: readonly Pick<SuiteDefinition, 'name' | 'summary' | 'needs'>[]): string {
  const rows = suites.map((s) => [s.name, (s.needs?.linkFaults ? 'netns (root) or docker' : 'any (process: no root)') + (s.needs?.source === 'prometheus' ? ', --source prometheus' : ''), s.summary] as const);
  const w0 = Math.max(5, ...rows.map((r) => r[0].length));
  const w1 = Math.max(7, ...rows.map((r) => r[1].length));
  const lines = [`${'SUITE'.padEnd(w0)}  ${'RUNTIME'.padEnd(w1)}  WHAT IT PROVES`, ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`)];
  lines.push(
    '',
    'Suites that inject link faults (partitions, latency, UDP cuts) need --runtime netns (as root) or --runtime docker (a Docker engine).',
    'The process runtime (the default) needs root only to give each node of a mixed Debian cluster its own templates.',
  );
  return lines.join('\n') + '\n';
}

/**
 * `amchaos versions`: every build that resolves, and what to write in --versions to get each one.
 * A plain version goes to the first provider that has it (path, tsam, system binary, Debian cache,
 * upstream: src/versions/resolve.ts), so when the system binary is 0.25.0 and the Debian 0.25.0 is
 * cached too, `0.25.0` runs the system one; the table and a note say so.
 */
export function versionsTable(list: readonly AvailableVersion[]): string {
  const systemVersions = new Set(list.filter((v) => v.provider === 'system').map((v) => v.version));
  const askFor = (v: AvailableVersion): string => {
    if (v.provider === 'system') return `${v.version} or system`;
    if (v.provider.startsWith('debian:')) return systemVersions.has(v.version) ? `debian:${v.version}` : v.version;
    return v.version;
  };
  const rows = list.map((v) => [v.version, v.provider, v.state, askFor(v), v.where ?? '']);
  const heads = ['VERSION', 'PROVIDER', 'STATE', '--versions', 'WHERE'];
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(heads), ...rows.map(line), ''];
  for (const version of systemVersions) {
    const debian = list.find((v) => v.version === version && v.provider.startsWith('debian:'));
    const system = list.find((v) => v.version === version && v.provider === 'system');
    if (!debian || !system) continue;
    out.push(
      `${version} is listed twice: --versions ${version} runs the system binary (${system.where}), because amchaos tries a`,
      '  path, tsam, the system binary, the Debian cache, then upstream, and takes the first that has the version: the system',
      `  build needs no download and reads its own templates in place. Write debian:${version} for the ${debian.state} Debian build.`,
    );
  }
  out.push('Also: any binary by path (/opt/am/alertmanager), upstream:X.Y.Z (release tarball; AMCHAOS_UPSTREAM_URL sets a mirror), image:REF (a container image, --runtime docker).');
  return out.join('\n') + '\n';
}
