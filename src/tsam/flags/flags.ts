/**
 * Alertmanager's command line, parsed the way kingpin parses it: `--flag=value` and `--flag value`,
 * repeatable flags, Go durations, and unknown flags rejected with kingpin's wording
 * ("unknown long flag '--x', try --help"), so the harness can start tsam exactly like the binary.
 */
import { AmchaosError } from '../../errors/index.js';
import { parseGoDuration } from '../duration/duration.js';

export interface Flags {
  configFile: string;
  storagePath: string;
  webListenAddress: string;
  webExternalUrl: string;
  clusterListenAddress: string;
  clusterAdvertiseAddress: string;
  clusterPeers: string[];
  clusterPeerName: string;
  clusterPeerTimeoutMs: number;
  clusterGossipIntervalMs: number;
  clusterPushPullIntervalMs: number;
  clusterSettleTimeoutMs: number;
  clusterProbeTimeoutMs: number;
  clusterProbeIntervalMs: number;
  clusterReconnectIntervalMs: number;
  clusterReconnectTimeoutMs: number;
  clusterTcpTimeoutMs: number;
  dataRetentionMs: number;
  dataMaintenanceIntervalMs: number;
  alertsGcIntervalMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'logfmt' | 'json';
  tsamCompat: string;
  tsamFaults: string[];
  help: boolean;
  version: boolean;
}

type Kind = 'string' | 'duration' | 'repeated' | 'bool';

interface Spec {
  key: keyof Flags;
  kind: Kind;
  help: string;
  choices?: readonly string[];
}

const SPECS: Record<string, Spec> = {
  'config.file': { key: 'configFile', kind: 'string', help: 'Alertmanager configuration file name.' },
  'storage.path': { key: 'storagePath', kind: 'string', help: 'Base path for data storage (nflog and silences snapshots).' },
  'web.listen-address': { key: 'webListenAddress', kind: 'string', help: 'Address to listen on for the web interface and API.' },
  'web.external-url': { key: 'webExternalUrl', kind: 'string', help: 'The URL under which Alertmanager is externally reachable.' },
  'cluster.listen-address': { key: 'clusterListenAddress', kind: 'string', help: 'Listen address for cluster. Set to empty string to disable HA mode.' },
  'cluster.advertise-address': { key: 'clusterAdvertiseAddress', kind: 'string', help: 'Explicit address to advertise in cluster.' },
  'cluster.peer': { key: 'clusterPeers', kind: 'repeated', help: 'Initial peers (may be repeated).' },
  'cluster.peer-name': { key: 'clusterPeerName', kind: 'string', help: 'Explicit name of the peer, rather than generating a random one.' },
  'cluster.peer-timeout': { key: 'clusterPeerTimeoutMs', kind: 'duration', help: 'Time to wait between peers to send notifications.' },
  'cluster.gossip-interval': { key: 'clusterGossipIntervalMs', kind: 'duration', help: 'Interval between sending gossip messages.' },
  'cluster.pushpull-interval': { key: 'clusterPushPullIntervalMs', kind: 'duration', help: 'Interval for gossip state syncs.' },
  'cluster.settle-timeout': { key: 'clusterSettleTimeoutMs', kind: 'duration', help: 'Maximum time to wait for cluster connections to settle before evaluating notifications.' },
  'cluster.probe-timeout': { key: 'clusterProbeTimeoutMs', kind: 'duration', help: 'Timeout to wait for an ack from a probed node.' },
  'cluster.probe-interval': { key: 'clusterProbeIntervalMs', kind: 'duration', help: 'Interval between random node probes.' },
  'cluster.reconnect-interval': { key: 'clusterReconnectIntervalMs', kind: 'duration', help: 'Interval between attempting to reconnect to lost peers.' },
  'cluster.reconnect-timeout': { key: 'clusterReconnectTimeoutMs', kind: 'duration', help: 'Length of time to attempt to reconnect to a lost peer.' },
  'cluster.tcp-timeout': { key: 'clusterTcpTimeoutMs', kind: 'duration', help: 'Timeout for establishing a stream connection with a remote node.' },
  'data.retention': { key: 'dataRetentionMs', kind: 'duration', help: 'How long to keep data for.' },
  'data.maintenance-interval': { key: 'dataMaintenanceIntervalMs', kind: 'duration', help: 'Interval between garbage collection and snapshotting to disk of the silences and the notification logs.' },
  'alerts.gc-interval': { key: 'alertsGcIntervalMs', kind: 'duration', help: 'Interval between alert GC.' },
  'log.level': { key: 'logLevel', kind: 'string', help: 'Only log messages with the given severity or above.', choices: ['debug', 'info', 'warn', 'error'] },
  'log.format': { key: 'logFormat', kind: 'string', help: 'Output format of log messages.', choices: ['logfmt', 'json'] },
  'tsam.compat': { key: 'tsamCompat', kind: 'string', help: 'Alertmanager version tsam imitates: 0.25.0, 0.28.1 or 0.33.1.' },
  'tsam.fault': { key: 'tsamFaults', kind: 'repeated', help: 'Break tsam on purpose: no-dedup, no-silence-gossip, no-wait, no-nflog-gossip (comma-separated or repeated).' },
  help: { key: 'help', kind: 'bool', help: 'Show context-sensitive help.' },
  version: { key: 'version', kind: 'bool', help: 'Show application version.' },
};

export function defaultFlags(): Flags {
  return {
    configFile: 'alertmanager.yml',
    storagePath: 'data/',
    webListenAddress: ':9093',
    webExternalUrl: '',
    clusterListenAddress: '0.0.0.0:9094',
    clusterAdvertiseAddress: '',
    clusterPeers: [],
    clusterPeerName: '',
    clusterPeerTimeoutMs: 15_000,
    clusterGossipIntervalMs: 200,
    clusterPushPullIntervalMs: 60_000,
    clusterSettleTimeoutMs: 60_000,
    clusterProbeTimeoutMs: 500,
    clusterProbeIntervalMs: 1000,
    clusterReconnectIntervalMs: 10_000,
    clusterReconnectTimeoutMs: 6 * 3_600_000,
    clusterTcpTimeoutMs: 10_000,
    dataRetentionMs: 120 * 3_600_000,
    dataMaintenanceIntervalMs: 15 * 60_000,
    alertsGcIntervalMs: 30 * 60_000,
    logLevel: 'info',
    logFormat: 'logfmt',
    tsamCompat: '0.33.1',
    tsamFaults: [],
    help: false,
    version: false,
  };
}

function flagError(msg: string): AmchaosError {
  return new AmchaosError('AMCHAOS_BAD_ARGUMENT', `${msg}, try --help`, { hint: 'run with --help for the flags tsam accepts' });
}

/** Parses argv (without node and script). Throws AmchaosError(AMCHAOS_BAD_ARGUMENT) with kingpin's wording. */
export function parseFlags(argv: readonly string[]): Flags {
  const f = defaultFlags();
  const seenRepeated = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      f.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) throw flagError(`unknown short flag '${arg}'`);
      throw flagError(`unexpected ${arg}`);
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = SPECS[name];
    let negated = false;
    if (!spec && name.startsWith('no-') && SPECS[name.slice(3)]?.kind === 'bool') {
      negated = true;
      name = name.slice(3);
      spec = SPECS[name];
    }
    if (!spec) throw flagError(`unknown long flag '--${name}'`);
    if (spec.kind === 'bool') {
      (f as unknown as Record<string, boolean>)[spec.key] = value === undefined ? !negated : value === 'true';
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw flagError(`expected argument for flag '--${name}'`);
      value = argv[++i]!;
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw flagError(`enum value must be one of ${spec.choices.join(',')}, got '${value}'`);
    }
    switch (spec.kind) {
      case 'string':
        (f as unknown as Record<string, string>)[spec.key] = value;
        break;
      case 'duration':
        try {
          (f as unknown as Record<string, number>)[spec.key] = parseGoDuration(value);
        } catch (e) {
          throw flagError((e as Error).message);
        }
        break;
      case 'repeated': {
        // Repeated flags replace their default on first use, then append.
        const list = f[spec.key] as string[];
        if (!seenRepeated.has(name)) {
          list.length = 0;
          seenRepeated.add(name);
        }
        list.push(value);
        break;
      }
    }
  }
  return f;
}

export function helpText(app: string): string {
  const lines = [`usage: ${app} [<flags>]`, '', 'Flags:'];
  for (const [name, spec] of Object.entries(SPECS)) {
    const arg = spec.kind === 'bool' ? '' : spec.kind === 'repeated' ? `=${name.toUpperCase()} ...` : `=${name.toUpperCase()}`;
    lines.push(`  --${name}${arg}`, `      ${spec.help}`);
  }
  return lines.join('\n') + '\n';
}

/** Splits "host:port", "[v6]:port" or ":port" like net.SplitHostPort. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `address ${addr}: missing port in address`, {
      hint: 'give host:port, e.g. 127.0.0.1:9093',
    });
  }
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}
