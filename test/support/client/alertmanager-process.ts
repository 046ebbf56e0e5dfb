/**
 * Test support for client/, workload/ and capture/ tests: one real Alertmanager binary on free
 * loopback ports with a given config, clustering off unless asked, in its own temp dir, removed on
 * stop(). A thin face of test/support/alertmanager/real.ts, the one starter every test uses.
 */
import { freePort as allocatePort } from '../../../src/runtime/common/ports.js';
import { launchAlertmanager } from '../alertmanager/real.js';
import { findRealAlertmanager, realBinaryEnvVar } from '../versions/real-binary.js';

/** The env variable that points tests at a binary of `version`, e.g. AMCHAOS_AM_0_33_1. */
export const binaryEnvVar = realBinaryEnvVar;

/** The binary for `version` (see test/support/versions/real-binary.ts); undefined makes tests skip. */
export const findAlertmanagerBinary = findRealAlertmanager;

/** A loopback port (TCP and UDP) not handed out before in this process: concurrent tests never share one. */
export function freePort(): Promise<number> {
  return allocatePort('127.0.0.1', { udp: true });
}

export interface TestAlertmanagerOptions {
  binary: string;
  /** alertmanager.yml content. */
  config: string;
  /** Path part of --web.external-url (the API then lives under it), e.g. "/n1". Default none. */
  routePrefix?: string;
  /** Cluster listen port on 127.0.0.1 and peers to join; omitted = clustering disabled. */
  cluster?: { port: number; peers: string[]; extraArgs?: string[] };
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

export interface TestAlertmanager {
  readonly port: number;
  /** API base URL including the route prefix. */
  readonly apiURL: string;
  readonly externalURL: string;
  readonly pid: number | undefined;
  readonly dir: string;
  readonly configFile: string;
  logTail(n?: number): Promise<string>;
  /** Stops the process (SIGTERM, SIGKILL after 3 s), waits for it to exit, removes the temp dir. */
  stop(): Promise<void>;
}

/** One real binary on loopback (test/support/alertmanager/real.ts does the work). */
export async function startTestAlertmanager(opts: TestAlertmanagerOptions): Promise<TestAlertmanager> {
  const am = await launchAlertmanager({
    version: opts.binary,
    config: opts.config,
    ...(opts.routePrefix ? { routePrefix: opts.routePrefix } : {}),
    ...(opts.cluster ? { cluster: { port: opts.cluster.port, peers: opts.cluster.peers } } : {}),
    extraArgs: [...(opts.cluster?.extraArgs ?? []), ...(opts.extraArgs ?? [])],
    ...(opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
  });
  return {
    port: am.webPort,
    apiURL: am.apiURL,
    externalURL: am.externalURL,
    get pid() {
      return am.pid;
    },
    dir: am.dir,
    configFile: am.configFile,
    logTail: (n) => am.logTail(n),
    stop: async () => {
      await am.stop(3_000);
      await am.destroy();
    },
  };
}

/** A config whose single receiver posts every notification to `webhookURL`. */
export function webhookConfig(webhookURL: string, opts: { groupWait?: string; groupInterval?: string; repeatInterval?: string; groupBy?: string[] } = {}): string {
  return [
    'route:',
    '  receiver: hook',
    `  group_by: [${(opts.groupBy ?? ['alertname']).join(', ')}]`,
    `  group_wait: ${opts.groupWait ?? '1s'}`,
    `  group_interval: ${opts.groupInterval ?? '2s'}`,
    `  repeat_interval: ${opts.repeatInterval ?? '1h'}`,
    'receivers:',
    '- name: hook',
    '  webhook_configs:',
    `  - url: ${JSON.stringify(webhookURL)}`,
    '    send_resolved: true',
    '',
  ].join('\n');
}
