import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { AmchaosError } from '../../errors/index.js';
import { processStartTime } from '../common/owner.js';

/**
 * The connection to the Docker engine, shared by the docker runtime, image packing, the `image:`
 * version provider and the sweep. dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH) as the Docker CLI does, so a user can point amchaos at another engine.
 *
 * Everything amchaos creates in the engine carries labels: the run, the scenario, the cluster tag,
 * the role, and its owner (host, pid and the pid's start time), so the sweep can tell a dead run's
 * leftovers from a live run's resources — no Ryuk needed (none can be pulled here).
 */
export const LABEL = {
  run: 'io.amchaos.run',
  scenario: 'io.amchaos.scenario',
  cluster: 'io.amchaos.cluster',
  role: 'io.amchaos.role',
  node: 'io.amchaos.node',
  owner: 'io.amchaos.owner',
  /** On images amchaos built: the content hash the tag carries. */
  content: 'io.amchaos.content',
} as const;

export type Role = 'holder' | 'sidecar' | 'node' | 'network' | 'image' | 'probe';

/** `<host>/<pid>/<pid start time>`: who created a resource (a recycled pid is not mistaken for the owner). */
export function ownerLabel(pid = process.pid): string {
  return `${hostname()}/${pid}/${processStartTime(pid) ?? ''}`;
}

/** Whether the owner a label names is this host's live process (undefined: another host's). */
export function ownerAlive(label: string | undefined): boolean | undefined {
  if (!label) return false;
  const [host, pid, start] = label.split('/');
  if (host !== hostname()) return undefined;
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  return processStartTime(n) === start;
}

let client: Docker | undefined;

/** The engine, as DOCKER_HOST says (default: the local socket). */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Where the engine is, for messages. */
export function engineAddress(): string {
  return process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
}

/**
 * testcontainers with no registry: Ryuk (its reaper image) cannot be pulled, so it is off and
 * amchaos cleans up by its own labels; the host is named so testcontainers does not start a helper
 * container to find it. A user's own settings win. Must run before testcontainers is loaded.
 */
export function prepareTestcontainers(): void {
  process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] ??= 'localhost';
}

export async function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  prepareTestcontainers();
  return import('testcontainers');
}

let pinged: Promise<{ apiVersion: string; serverVersion: string }> | undefined;

/**
 * Checks that an engine answers and the user may use it; throws RUNTIME_UNSUPPORTED saying how to
 * get one (start dockerd, join the docker group, set DOCKER_HOST) before anything is created.
 */
export function requireEngine(): Promise<{ apiVersion: string; serverVersion: string }> {
  pinged ??= (async () => {
    try {
      const v = await docker().version();
      return { apiVersion: v.ApiVersion, serverVersion: v.Version };
    } catch (e) {
      pinged = undefined;
      const msg = (e as Error).message;
      const denied = /EACCES|permission denied/i.test(msg);
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the docker runtime needs a Docker engine, and none answers at ${engineAddress()}: ${msg}`, {
        hint: denied
          ? 'Add your user to the docker group (usermod -aG docker $USER, then log in again), or run as root.'
          : 'Start one (as root: `dockerd &`; bash .ci/setup installs docker.io and starts it), or point DOCKER_HOST at one.',
        cause: e,
      });
    }
  })();
  return pinged;
}

/** Reads a container's multiplexed stdout/stderr stream as text lines into `onLine`. */
export function demux(stream: NodeJS.ReadableStream, onText: (text: string) => void): Promise<void> {
  const out = new PassThrough();
  out.on('data', (b: Buffer) => onText(b.toString('utf8')));
  docker().modem.demuxStream(stream, out, out);
  return new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

/**
 * Runs `cmd` in a throw-away container of `image` (no network, no shell needed) and returns its
 * exit code and output: the `image:` provider asks an image for `--version` and `--help` this way.
 */
export async function runOnce(image: string, cmd: string[], labels: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number; output: string }> {
  const c = await docker().createContainer({ Image: image, Cmd: cmd, Labels: labels, HostConfig: { NetworkMode: 'none' } });
  try {
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    let output = '';
    const done = demux(stream, (t) => (output += t));
    await c.start();
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const res = await Promise.race([c.wait() as Promise<{ StatusCode: number }>, timer]);
    if (res === 'timeout') throw new Error(`${image} ${cmd.join(' ')} did not finish within ${timeoutMs} ms`);
    await Promise.race([done, new Promise((r) => setTimeout(r, 1_000))]);
    return { code: res.StatusCode, output };
  } finally {
    await c.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** Docker's "no such ..." (a 404 from the engine). */
export function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404;
}
