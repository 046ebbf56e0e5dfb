import { dirname, join, resolve as resolvePath } from 'node:path';
import { AmchaosError } from '../errors/index.js';
import { execFileCollect } from '../util/exec.js';
import { exists, isExecutable, which } from '../util/fs.js';
import { fetchDebianPackage, readDebianMeta } from './debian.js';
import { isSemver, normaliseVersion, probeProgram } from './probe.js';
import type { AvailableVersion, ProviderOf, ResolveOptions } from './types.js';
import { fetchReleaseTarball, goArch } from './upstream.js';

/**
 * Prometheus builds, from the same kinds of providers as Alertmanager's (the fetch mechanisms are
 * shared: debian.ts fetchDebianPackage, upstream.ts fetchReleaseTarball): a path, the system's
 * `prometheus`, Debian suites fetched with apt into the per-user cache, upstream release tarballs.
 * Every build comes with its promtool, which checks rule files before anything starts.
 */
export interface ResolvedPrometheus {
  /** What the user asked for: "2.42.0", "upstream:2.53.0", "/opt/prometheus/prometheus". */
  requested: string;
  /** "2.42.0" (Debian suffixes stripped). */
  version: string;
  /** What `--version` printed, e.g. "2.42.0+ds". */
  reportedVersion: string;
  command: string[];
  /** promtool from the same build. */
  promtool: string;
  /** Provider and where it found the build. */
  source: string;
  features: PrometheusFeatures;
}

export interface PrometheusFeatures {
  /** --web.enable-lifecycle (POST /-/reload); otherwise SIGHUP reloads. */
  lifecycle: boolean;
  /** --rules.alert.resend-delay. */
  resendDelay: boolean;
}

export type PrometheusProvider = ProviderOf<ResolvedPrometheus>;

/** The Prometheus version each Debian suite ships (package `prometheus`, checked 2026-11). */
export const PROMETHEUS_DEBIAN_SUITES: Readonly<Record<string, string>> = {
  '2.42.0': 'bookworm',
  '2.53.3': 'trixie',
  '3.5.3': 'sid',
};

export const DEFAULT_PROMETHEUS_UPSTREAM_URL =
  'https://github.com/prometheus/prometheus/releases/download/v{version}/prometheus-{version}.linux-{arch}.tar.gz';

const DEBIAN_PACKAGE = 'prometheus';
const DEBIAN_BINARY = join('usr', 'bin', 'prometheus');
const PROMTOOL = join('usr', 'bin', 'promtool');

interface ProbedPrometheus {
  version: string;
  reportedVersion: string;
  features: PrometheusFeatures;
}

/** Asks a binary what it is: "prometheus, version X.Y.Z", and which flags its --help lists. */
export async function probePrometheus(binary: string): Promise<ProbedPrometheus> {
  const { reportedVersion, helpText } = await probeProgram(binary, 'prometheus');
  return {
    version: normaliseVersion(reportedVersion),
    reportedVersion,
    features: { lifecycle: /--(\[no-\])?web\.enable-lifecycle/.test(helpText), resendDelay: helpText.includes('--rules.alert.resend-delay') },
  };
}

/** A ResolvedPrometheus for a binary on disk; its promtool must sit beside it. */
export async function resolvePrometheusBinary(requested: string, binary: string, source: string): Promise<ResolvedPrometheus> {
  const probed = await probePrometheus(binary);
  const promtool = join(dirname(binary), 'promtool');
  if (!(await isExecutable(promtool))) {
    throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `Prometheus ${binary} has no promtool beside it (${promtool})`, {
      hint: 'amchaos checks rule files with the build\'s own promtool: put promtool next to the prometheus binary (release tarballs and the Debian package have both).',
    });
  }
  return { requested, version: probed.version, reportedVersion: probed.reportedVersion, command: [binary], promtool, source, features: probed.features };
}

/** An explicit path: `/opt/prometheus/prometheus`, `./prometheus`, `path:...`. */
export class PrometheusPathProvider implements PrometheusProvider {
  readonly name = 'path';

  async resolve(requested: string): Promise<ResolvedPrometheus | undefined> {
    const isPath = requested.startsWith('path:') || requested.startsWith('/') || requested.startsWith('./') || requested.startsWith('../');
    if (!isPath) return undefined;
    const path = resolvePath(requested.replace(/^path:/, ''));
    if (!(await isExecutable(path))) {
      throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `${path} is not an executable file`, {
        hint: 'Give the path of a prometheus binary, or a version such as 2.42.0 (see `amchaos versions`).',
      });
    }
    return resolvePrometheusBinary(requested, path, `path ${path}`);
  }

  async list(): Promise<AvailableVersion[]> {
    return [];
  }
}

/** `prometheus` on PATH: `system`, or a version equal to it. */
export class PrometheusSystemProvider implements PrometheusProvider {
  readonly name = 'system';
  private found: Promise<ResolvedPrometheus | undefined> | undefined;

  private find(): Promise<ResolvedPrometheus | undefined> {
    this.found ??= (async () => {
      const p = await which('prometheus');
      return p ? resolvePrometheusBinary('system', p, `system ${p}`).catch(() => undefined) : undefined;
    })();
    return this.found;
  }

  async resolve(requested: string): Promise<ResolvedPrometheus | undefined> {
    const found = await this.find();
    if (requested === 'system') {
      if (!found) {
        throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', 'no Prometheus (with promtool) on PATH', {
          hint: 'Ask for a version such as 2.42.0 (fetched from Debian into the cache) or give a binary by path.',
        });
      }
      return found;
    }
    if (found && found.version === requested) return { ...found, requested };
    return undefined;
  }

  async list(): Promise<AvailableVersion[]> {
    const found = await this.find();
    return found ? [{ product: 'prometheus', version: found.version, provider: 'system', state: 'installed', where: found.command[0]! }] : [];
  }
}

/** Debian's `prometheus` package of the suite that ships the version, unpacked into the cache. */
export class PrometheusDebianProvider implements PrometheusProvider {
  readonly name = 'debian';

  async resolve(requested: string, opts: ResolveOptions): Promise<ResolvedPrometheus | undefined> {
    const explicit = requested.startsWith('debian:');
    const version = explicit ? requested.slice('debian:'.length) : requested;
    const suite = PROMETHEUS_DEBIAN_SUITES[version];
    if (!suite) {
      if (explicit) {
        throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `Debian ships no Prometheus ${version} that amchaos knows of`, {
          hint: `Debian versions: ${debianList()}.`,
        });
      }
      return undefined;
    }
    const dir = this.cacheDir(opts.cacheDir, version);
    let meta = (await exists(join(dir, 'root', PROMTOOL))) ? await readDebianMeta<ProbedPrometheus>(dir, DEBIAN_BINARY) : undefined;
    if (!meta) {
      if (!opts.fetch) return undefined;
      meta = await fetchDebianPackage({ what: 'Prometheus', pkg: DEBIAN_PACKAGE, companions: ['promtool'], version, suite, dir, binary: DEBIAN_BINARY, probe: probePrometheus, log: opts.log });
    }
    const root = join(dir, 'root');
    return {
      requested,
      version: meta.probed.version,
      reportedVersion: meta.probed.reportedVersion,
      command: [join(root, DEBIAN_BINARY)],
      promtool: join(root, PROMTOOL),
      source: `debian:${meta.suite} ${DEBIAN_PACKAGE} ${meta.packageVersion} (${root})`,
      features: meta.probed.features,
    };
  }

  async list(opts: ResolveOptions): Promise<AvailableVersion[]> {
    const out: AvailableVersion[] = [];
    for (const [version, suite] of Object.entries(PROMETHEUS_DEBIAN_SUITES)) {
      const dir = this.cacheDir(opts.cacheDir, version);
      const meta = (await exists(join(dir, 'root', PROMTOOL))) ? await readDebianMeta<ProbedPrometheus>(dir, DEBIAN_BINARY) : undefined;
      out.push({ product: 'prometheus', version, provider: `debian:${suite}`, state: meta ? 'cached' : 'fetchable', ...(meta ? { where: join(dir, 'root') } : {}) });
    }
    return out;
  }

  private cacheDir(cacheDir: string, version: string): string {
    return join(cacheDir, 'prometheus', 'debian', version);
  }
}

export function prometheusUpstreamUrlTemplate(): string {
  return process.env['AMCHAOS_PROMETHEUS_UPSTREAM_URL'] ?? DEFAULT_PROMETHEUS_UPSTREAM_URL;
}

/** Release tarballs: `upstream:X.Y.Z` (a plain version only when AMCHAOS_PROMETHEUS_UPSTREAM_URL is set). */
export class PrometheusUpstreamProvider implements PrometheusProvider {
  readonly name = 'upstream';

  constructor(private readonly urlTemplate: () => string = prometheusUpstreamUrlTemplate) {}

  async resolve(requested: string, opts: ResolveOptions): Promise<ResolvedPrometheus | undefined> {
    const explicit = requested.startsWith('upstream:');
    const version = normaliseVersion(explicit ? requested.slice('upstream:'.length) : requested);
    if (!isSemver(version)) {
      if (explicit) throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `"${requested}" is not upstream:X.Y.Z`, { hint: 'Write e.g. upstream:2.53.0.' });
      return undefined;
    }
    if (!explicit && process.env['AMCHAOS_PROMETHEUS_UPSTREAM_URL'] === undefined) return undefined;
    const dir = join(opts.cacheDir, 'prometheus', 'upstream', version);
    const binary = join(dir, 'prometheus');
    if (!(await exists(binary))) {
      if (!opts.fetch) return undefined;
      await fetchReleaseTarball({ what: 'Prometheus', version, url: this.url(version), dir, binary: 'prometheus', urlEnv: 'AMCHAOS_PROMETHEUS_UPSTREAM_URL', log: opts.log });
    }
    return resolvePrometheusBinary(requested, binary, `upstream ${this.url(version)} (${dir})`);
  }

  async list(opts: ResolveOptions): Promise<AvailableVersion[]> {
    const { readdir } = await import('node:fs/promises');
    const root = join(opts.cacheDir, 'prometheus', 'upstream');
    const versions = await readdir(root).catch(() => [] as string[]);
    return versions.map((v) => ({ product: 'prometheus' as const, version: v, provider: 'upstream', state: 'cached', where: join(root, v) }));
  }

  url(version: string): string {
    return this.urlTemplate().replaceAll('{version}', version).replaceAll('{arch}', goArch());
  }
}

export function defaultPrometheusProviders(): PrometheusProvider[] {
  return [new PrometheusPathProvider(), new PrometheusSystemProvider(), new PrometheusDebianProvider(), new PrometheusUpstreamProvider()];
}

function debianList(): string {
  return Object.entries(PROMETHEUS_DEBIAN_SUITES)
    .map(([v, s]) => `${v} (${s})`)
    .join(', ');
}

/** Resolves a Prometheus version (fetching Debian builds into the cache), or AMCHAOS_UNKNOWN_VERSION listing what there is. */
export async function resolvePrometheus(requested: string, opts: ResolveOptions, providers: PrometheusProvider[] = defaultPrometheusProviders()): Promise<ResolvedPrometheus> {
  const wanted = requested.trim();
  if (wanted === '') throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'empty Prometheus version', { hint: 'Write a version such as 2.42.0.' });
  for (const p of providers) {
    const r = await p.resolve(wanted, opts);
    if (r) return r;
  }
  const available = await listPrometheusVersions(opts, providers).catch(() => [] as AvailableVersion[]);
  throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `unknown Prometheus version "${requested}"; available here: ${[...new Set(available.map((a) => a.version))].join(', ')}`, {
    hint: [
      `Debian builds: ${debianList()}.`,
      `Any other version: upstream:X.Y.Z downloads the release tarball from ${prometheusUpstreamUrlTemplate()} (set AMCHAOS_PROMETHEUS_UPSTREAM_URL for a mirror),`,
      'or give a binary by path (/opt/prometheus/prometheus, with promtool beside it). `amchaos versions` lists what resolves.',
    ].join(' '),
  });
}

export async function listPrometheusVersions(opts: ResolveOptions, providers: PrometheusProvider[] = defaultPrometheusProviders()): Promise<AvailableVersion[]> {
  const out: AvailableVersion[] = [];
  for (const p of providers) out.push(...(await p.list(opts)));
  return out;
}
