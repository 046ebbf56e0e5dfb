import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, interceptors, request } from 'undici';
import { AmchaosError } from '../errors/index.js';
import { execFileCollect, tailLines } from '../util/exec.js';
import { exists } from '../util/fs.js';
import { resolveLocalBinary } from './local.js';
import { isSemver, normaliseVersion } from './probe.js';
import type { AvailableVersion, ResolvedVersion, ResolveOptions, VersionProvider } from './types.js';

/** The project's GitHub release layout; {version} and {arch} are substituted. */
export const DEFAULT_UPSTREAM_URL =
  'https://github.com/prometheus/alertmanager/releases/download/v{version}/alertmanager-{version}.linux-{arch}.tar.gz';

export function upstreamUrlTemplate(): string {
  return process.env['AMCHAOS_UPSTREAM_URL'] ?? DEFAULT_UPSTREAM_URL;
}

export function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

/**
 * Upstream release tarballs: `upstream:0.27.0`. A plain version reaches this provider only when
 * AMCHAOS_UPSTREAM_URL is set, so that an offline machine never tries the internet by surprise.
 */
export class UpstreamProvider implements VersionProvider {
  readonly name = 'upstream';

  constructor(private readonly urlTemplate: () => string = upstreamUrlTemplate) {}

  async resolve(requested: string, opts: ResolveOptions): Promise<ResolvedVersion | undefined> {
    const explicit = requested.startsWith('upstream:');
    const version = normaliseVersion(explicit ? requested.slice('upstream:'.length) : requested);
    if (!isSemver(version)) {
      if (explicit) throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `"${requested}" is not upstream:X.Y.Z`, { hint: 'Write e.g. upstream:0.27.0.' });
      return undefined;
    }
    if (!explicit && process.env['AMCHAOS_UPSTREAM_URL'] === undefined) return undefined;
    const dir = join(opts.cacheDir, 'versions', 'upstream', version);
    const binary = join(dir, 'alertmanager');
    if (!(await exists(binary))) {
      if (!opts.fetch) return undefined;
      await this.fetch(version, dir, opts);
    }
    return resolveLocalBinary(requested, binary, `upstream ${this.url(version)} (${dir})`);
  }

  async list(opts: ResolveOptions): Promise<AvailableVersion[]> {
    const root = join(opts.cacheDir, 'versions', 'upstream');
    const versions = await readdir(root).catch(() => [] as string[]);
    return versions.map((v) => ({ version: v, provider: 'upstream', state: 'cached', where: join(root, v) }));
  }

  url(version: string): string {
    return this.urlTemplate().replaceAll('{version}', version).replaceAll('{arch}', goArch());
  }

  private async fetch(version: string, dir: string, opts: ResolveOptions): Promise<void> {
    await fetchReleaseTarball({ what: 'Alertmanager', version, url: this.url(version), dir, binary: 'alertmanager', urlEnv: 'AMCHAOS_UPSTREAM_URL', log: opts.log });
  }
}

export interface TarballFetch {
  /** For messages: "Alertmanager", "Prometheus". */
  what: string;
  version: string;
  url: string;
  /** Where the release folder is published (its binaries directly inside). */
  dir: string;
  /** The program the tarball must hold. */
  binary: string;
  /** The environment variable that points at a mirror (for the hint). */
  urlEnv: string;
  log?: ((line: string) => void) | undefined;
}

/**
 * Downloads a Prometheus-project release tarball (one folder `<name>-<version>.linux-<arch>/` with
 * the binaries), unpacks it and publishes the folder as `dir`.
 */
export async function fetchReleaseTarball(f: TarballFetch): Promise<void> {
  const { url, dir } = f;
  f.log?.(`fetching ${f.what} ${f.version} from ${url}`);
  const tmp = await mkdtemp(join(tmpdir(), 'amchaos-upstream-'));
  const fail = (message: string, extra: Record<string, unknown> = {}) =>
    new AmchaosError('AMCHAOS_VERSION_FETCH_FAILED', message, {
      hint: `Set ${f.urlEnv} to a mirror ({version} and {arch} are substituted), or give a binary by path.`,
      details: extra,
    });
  // GitHub release downloads redirect to a CDN.
  const agent = new Agent({ headersTimeout: 30_000, bodyTimeout: 120_000 });
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  try {
    let res;
    try {
      res = await request(url, { dispatcher });
    } catch (e) {
      throw fail(`cannot download ${url}: ${(e as Error).message}`);
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw fail(`downloading ${url} answered HTTP ${res.statusCode}`);
    }
    const tarball = join(tmp, 'release.tar.gz');
    await pipeline(res.body as unknown as Readable, createWriteStream(tarball));
    const unpacked = join(tmp, 'x');
    await mkdir(unpacked);
    const x = await execFileCollect('tar', ['-xzf', tarball, '-C', unpacked], { timeoutMs: 120_000 });
    if (x.code !== 0) throw fail(`${url} is not a readable .tar.gz`, { logTail: tailLines(x.stderr, 5) });
    // Release tarballs hold one folder <name>-<version>.linux-<arch>/ with the binaries.
    const top = (await readdir(unpacked)).map((d) => join(unpacked, d));
    const folder = top.length === 1 && !(await exists(join(unpacked, f.binary))) ? top[0]! : unpacked;
    if (!(await exists(join(folder, f.binary)))) throw fail(`${url} holds no ${f.binary} binary`);
    await mkdir(join(dir, '..'), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(folder, dir);
  } finally {
    await agent.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
