import { AmchaosError } from '../errors/index.js';
import { defaultCacheDir } from '../util/fs.js';
import { DebianProvider, DEBIAN_SUITES } from './debian.js';
import { PathProvider, SystemProvider } from './local.js';
import { TSAM_FAULTS, TsamProvider } from './tsam.js';
import type { AvailableVersion, ResolvedVersion, ResolveOptions, VersionProvider } from './types.js';
import { upstreamUrlTemplate, UpstreamProvider } from './upstream.js';

/**
 * The provider chain, in order of preference for a plain version string: an explicit path, tsam,
 * the system binary if it is that version (no download, its own templates in place), the Debian
 * cache/fetch, then upstream tarballs (only when asked for or when a mirror URL is configured).
 * Runtimes may add their own in front: the docker runtime's `image:REF` (src/run/runtime-registry.ts).
 */
export function defaultProviders(): VersionProvider[] {
  return [new PathProvider(), new TsamProvider(), new SystemProvider(), new DebianProvider(), new UpstreamProvider()];
}

export function defaultResolveOptions(overrides: Partial<ResolveOptions> = {}): ResolveOptions {
  return { cacheDir: defaultCacheDir(), fetch: true, ...overrides };
}

export async function resolveVersion(
  requested: string,
  opts: ResolveOptions = defaultResolveOptions(),
  providers: VersionProvider[] = defaultProviders(),
): Promise<ResolvedVersion> {
  const wanted = requested.trim();
  if (wanted === '') throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', 'empty version', { hint: 'Write a version such as 0.28.1.' });
  for (const p of providers) {
    const r = await p.resolve(wanted, opts);
    if (r) return r;
  }
  throw await unknownVersionError(wanted, opts, providers);
}

async function unknownVersionError(requested: string, opts: ResolveOptions, providers: VersionProvider[]): Promise<AmchaosError> {
  const available = await listVersions(opts, providers).catch(() => [] as AvailableVersion[]);
  const names = [...new Set(available.map((a) => a.version))];
  return new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `unknown Alertmanager version "${requested}"; available here: ${names.join(', ')}`, {
    hint: [
      `Debian builds: ${Object.entries(DEBIAN_SUITES).map(([v, s]) => `${v} (${s})`).join(', ')}.`,
      `Any other version: upstream:X.Y.Z downloads the release tarball from ${upstreamUrlTemplate()} (set AMCHAOS_UPSTREAM_URL for a mirror),`,
      'or give a binary by path (/opt/am/alertmanager). `amchaos versions` lists what resolves.',
    ].join(' '),
  });
}

export async function listVersions(opts: ResolveOptions = defaultResolveOptions(), providers: VersionProvider[] = defaultProviders()): Promise<AvailableVersion[]> {
  const out: AvailableVersion[] = [];
  for (const p of providers) out.push(...(await p.list(opts)));
  return out;
}

export { TSAM_FAULTS };
