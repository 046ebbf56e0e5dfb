import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmchaosError } from '../errors/index.js';
import { execFileCollect, tailLines } from '../util/exec.js';
import { exists, isRoot } from '../util/fs.js';
import { findDebianMirror, readAptSources } from './apt-sources.js';
import { normaliseVersion, probeBinary, type ProbedBinary } from './probe.js';
import type { AvailableVersion, ResolvedVersion, ResolveOptions, VersionProvider } from './types.js';

/** The Alertmanager version each Debian suite ships (checked 2026-11). */
export const DEBIAN_SUITES: Readonly<Record<string, string>> = {
  '0.25.0': 'bookworm',
  '0.28.1': 'trixie',
  '0.33.1': 'sid',
};

export const DEBIAN_TEMPLATES_PATH = '/usr/share/prometheus/alertmanager';
const PACKAGE = 'prometheus-alertmanager';

type CacheMeta = DebianCacheMeta<ProbedBinary>;

/**
 * Debian builds of Alertmanager, fetched with apt through a temporary apt state that reuses the
 * machine's configured Debian mirror, unpacked with dpkg-deb into the per-user cache. Nothing is
 * installed system-wide.
 */
export class DebianProvider implements VersionProvider {
  readonly name = 'debian';

  async resolve(requested: string, opts: ResolveOptions): Promise<ResolvedVersion | undefined> {
    const explicit = requested.startsWith('debian:');
    const version = explicit ? requested.slice('debian:'.length) : requested;
    const suite = DEBIAN_SUITES[version];
    if (!suite) {
      if (explicit) {
        throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `Debian ships no Alertmanager ${version} that amchaos knows of`, {
          hint: `Debian versions: ${Object.entries(DEBIAN_SUITES).map(([v, s]) => `${v} (${s})`).join(', ')}.`,
        });
      }
      return undefined;
    }
    const dir = this.cacheDir(opts.cacheDir, version);
    let meta = await this.readMeta(dir);
    if (!meta) {
      if (!opts.fetch) return undefined;
      meta = await this.fetch(version, suite, dir, opts);
    }
    return this.toResolved(requested, dir, meta);
  }

  async list(opts: ResolveOptions): Promise<AvailableVersion[]> {
    const out: AvailableVersion[] = [];
    for (const [version, suite] of Object.entries(DEBIAN_SUITES)) {
      const dir = this.cacheDir(opts.cacheDir, version);
      const meta = await this.readMeta(dir);
      out.push(
        meta
          ? { version, provider: `debian:${suite}`, state: 'cached', where: join(dir, 'root') }
          : { version, provider: `debian:${suite}`, state: 'fetchable' },
      );
    }
    return out;
  }

  private cacheDir(cacheDir: string, version: string): string {
    return join(cacheDir, 'versions', 'debian', version);
  }

  private readMeta(dir: string): Promise<CacheMeta | undefined> {
    return readDebianMeta<ProbedBinary>(dir, join('usr', 'bin', PACKAGE));
  }

  private toResolved(requested: string, dir: string, meta: CacheMeta): ResolvedVersion {
    const root = join(dir, 'root');
    return {
      requested,
      impl: 'alertmanager',
      version: meta.version,
      reportedVersion: meta.probed.reportedVersion,
      command: [join(root, 'usr', 'bin', PACKAGE)],
      amtool: join(root, 'usr', 'bin', 'amtool'),
      templates: { dir: join(root, DEBIAN_TEMPLATES_PATH), mountAt: DEBIAN_TEMPLATES_PATH },
      source: `debian:${meta.suite} ${PACKAGE} ${meta.packageVersion} (${root})`,
      extraArgs: [],
      features: meta.probed.features,
    };
  }

  private async fetch(version: string, suite: string, dir: string, opts: ResolveOptions): Promise<CacheMeta> {
    return fetchDebianPackage({ what: 'Alertmanager', pkg: PACKAGE, version, suite, dir, binary: join('usr', 'bin', PACKAGE), probe: probeBinary, log: opts.log });
  }
}

/** What a Debian cache entry records (meta.json beside `root/`). */
export interface DebianCacheMeta<P> {
  version: string;
  suite: string;
  packageVersion: string;
  sha256: string;
  probed: P;
  fetchedAt: string;
}

/**
 * The cache entry in `dir` (meta.json and the unpacked `root/`), if it is complete: its binary
 * (`binary`, relative to the root) is there.
 */
export async function readDebianMeta<P>(dir: string, binary: string): Promise<DebianCacheMeta<P> | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as DebianCacheMeta<P>;
    if (!(await exists(join(dir, 'root', binary)))) return undefined;
    return meta;
  } catch {
    return undefined;
  }
}

export interface DebianFetch<P> {
  /** For messages: "Alertmanager", "Prometheus". */
  what: string;
  /** The Debian package. */
  pkg: string;
  /** The upstream version wanted (the package's version without its Debian revision). */
  version: string;
  suite: string;
  /** The cache entry to publish (`<dir>/root` and `<dir>/meta.json`). */
  dir: string;
  /**
   * Packages of the same source unpacked into the same root when the suite has them in the same
   * version (sid splits promtool out of prometheus).
   */
  companions?: readonly string[];
  /** The program inside the unpacked package (relative), probed before the entry is published. */
  binary: string;
  probe: (binary: string) => Promise<P>;
  log?: ((line: string) => void) | undefined;
}

/**
 * Downloads one Debian package with apt through a temporary apt state that reuses the machine's
 * configured Debian mirror (read from /etc/apt), unpacks it with dpkg-deb and publishes it into
 * the per-user cache atomically. Nothing is installed; no system apt state is read or written.
 */
export async function fetchDebianPackage<P>(f: DebianFetch<P>): Promise<DebianCacheMeta<P>> {
  const { what, pkg, version, suite, dir } = f;
  const fail = (message: string, hint: string, details: Record<string, unknown> = {}) =>
    new AmchaosError('AMCHAOS_VERSION_FETCH_FAILED', message, {
      hint,
      details,
    });
  const mirror = findDebianMirror(await readAptSources());
  if (!mirror) {
    throw fail(
      `cannot fetch ${what} ${version} from Debian ${suite}: no Debian mirror is configured in /etc/apt`,
      `Configure a Debian mirror in /etc/apt/sources.list.d, or give a binary by path.`,
    );
  }
  f.log?.(`fetching ${what} ${version} from Debian ${suite} (apt, temporary state)`);
  const tmp = await mkdtemp(join(tmpdir(), 'amchaos-apt-'));
  try {
    for (const d of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d', 'dl']) {
      await mkdir(join(tmp, d), { recursive: true });
    }
    const arch = (await execFileCollect('dpkg', ['--print-architecture'])).stdout.trim() || 'amd64';
    const stanza = [
      'Types: deb',
      `URIs: ${mirror.uri}`,
      `Suites: ${suite}`,
      'Components: main',
      `Architectures: ${arch}`,
      ...(mirror.signedBy ? [`Signed-By: ${mirror.signedBy}`] : []),
    ].join('\n');
    await writeFile(join(tmp, 'sources.list.d', 'amchaos.sources'), stanza + '\n');
    // A private apt state: none of the machine's lists, preferences, or dpkg status is read or written.
    const aptOpts = [
      '-o', `Dir::State::Lists=${join(tmp, 'lists')}`,
      '-o', `Dir::Cache=${join(tmp, 'cache')}`,
      '-o', 'Dir::Etc::SourceList=/dev/null',
      '-o', `Dir::Etc::SourceParts=${join(tmp, 'sources.list.d')}`,
      '-o', 'Dir::Etc::Preferences=/dev/null',
      '-o', `Dir::Etc::PreferencesParts=${join(tmp, 'preferences.d')}`,
      '-o', 'Dir::State::status=/dev/null',
      '-o', `APT::Architecture=${arch}`,
      '-o', 'Debug::NoLocking=1',
      ...(isRoot() ? ['-o', 'APT::Sandbox::User=root'] : []),
    ];
    const update = await execFileCollect('apt-get', [...aptOpts, '-q', 'update'], { timeoutMs: 300_000 }).catch((e: Error) => {
      throw fail(`cannot run apt-get: ${e.message}`, 'amchaos fetches Debian builds with apt; run it on a Debian-based machine or give a binary by path.');
    });
    if (update.code !== 0) {
      throw fail(`apt-get update for Debian ${suite} failed (exit ${update.code})`, 'Check that the configured Debian mirror is reachable.', {
        logTail: tailLines(update.stdout + update.stderr, 10),
      });
    }
    const candidatesOf = async (name: string): Promise<string[]> => {
      const madison = await execFileCollect('apt-cache', [...aptOpts, 'madison', name], { timeoutMs: 60_000 });
      return madison.stdout
        .split('\n')
        .map((l) => l.split('|').map((x) => x.trim()))
        .filter((cols) => cols.length >= 3 && cols[0] === name)
        .map((cols) => cols[1]!);
    };
    const candidates = await candidatesOf(pkg);
    const packageVersion = candidates.find((v) => normaliseVersion(v.replace(/^\d+:/, '')) === version);
    if (!packageVersion) {
      throw fail(
        `Debian ${suite} no longer ships ${what} ${version} (it has: ${candidates.join(', ') || 'none'})`,
        `Use upstream:${version} (release tarball) or give a binary by path.`,
      );
    }
    const wanted = [`${pkg}=${packageVersion}`];
    for (const c of f.companions ?? []) if ((await candidatesOf(c)).includes(packageVersion)) wanted.push(`${c}=${packageVersion}`);
    const dl = await execFileCollect('apt-get', [...aptOpts, '-q', 'download', ...wanted], {
      cwd: join(tmp, 'dl'),
      timeoutMs: 300_000,
    });
    const debs = (await readdir(join(tmp, 'dl'))).filter((f) => f.endsWith('.deb'));
    if (dl.code !== 0 || debs.length !== wanted.length) {
      throw fail(`apt-get download ${wanted.join(' ')} failed (exit ${dl.code})`, 'Check that the configured Debian mirror is reachable.', {
        logTail: tailLines(dl.stdout + dl.stderr, 10),
      });
    }
    const staging = join(tmp, 'root');
    for (const d of debs.sort()) {
      const x = await execFileCollect('dpkg-deb', ['-x', join(tmp, 'dl', d), staging], { timeoutMs: 120_000 });
      if (x.code !== 0) throw fail(`dpkg-deb -x ${d} failed`, 'Install dpkg (Debian-based machines have it).', { logTail: tailLines(x.stderr, 10) });
    }
    const deb = join(tmp, 'dl', debs.find((d) => d.startsWith(`${pkg}_`)) ?? debs[0]!);
    const probed = await f.probe(join(staging, f.binary));
    const meta: DebianCacheMeta<P> = {
      version,
      suite,
      packageVersion,
      sha256: await sha256File(deb),
      probed,
      fetchedAt: new Date().toISOString(),
    };
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    // Publish atomically: a half-unpacked cache entry is never visible to a concurrent run.
    await mkdir(join(dir, '..'), { recursive: true });
    const publish = join(tmp, 'publish');
    await mkdir(publish);
    await rename(staging, join(publish, 'root'));
    await rename(join(tmp, 'meta.json'), join(publish, 'meta.json'));
    await rm(dir, { recursive: true, force: true });
    await rename(publish, dir);
    f.log?.(`cached ${what} ${version} (${packageVersion}) in ${dir}`);
    return meta;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
