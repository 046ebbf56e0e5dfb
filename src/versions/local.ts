import { dirname, join, resolve as resolvePath } from 'node:path';
import { AmchaosError } from '../errors/index.js';
import { exists, isExecutable, which } from '../util/fs.js';
import { DEBIAN_TEMPLATES_PATH } from './debian.js';
import { probeBinary } from './probe.js';
import type { AvailableVersion, ResolvedVersion, ResolveOptions, VersionProvider } from './types.js';

/** Builds a ResolvedVersion for a binary on disk, with amtool and templates found beside it. */
export async function resolveLocalBinary(requested: string, binary: string, source: string): Promise<ResolvedVersion> {
  const probed = await probeBinary(binary);
  const binDir = dirname(binary);
  const amtool = join(binDir, 'amtool');
  // A Debian-layout tree (<root>/usr/bin + <root>/usr/share/prometheus/alertmanager) carries the
  // templates the binary reads from its compiled-in path; upstream builds embed theirs.
  const debianTemplates = join(binDir, '..', 'share', 'prometheus', 'alertmanager');
  const isDebianBuild = binary.endsWith('prometheus-alertmanager') || probed.reportedVersion.includes('+ds');
  let templates: ResolvedVersion['templates'];
  if (await exists(join(debianTemplates, 'default.tmpl'))) {
    templates = { dir: resolvePath(debianTemplates), mountAt: DEBIAN_TEMPLATES_PATH };
  } else if (isDebianBuild) {
    templates = { dir: DEBIAN_TEMPLATES_PATH, mountAt: DEBIAN_TEMPLATES_PATH };
  }
  return {
    requested,
    impl: 'alertmanager',
    version: probed.version,
    reportedVersion: probed.reportedVersion,
    command: [binary],
    ...((await isExecutable(amtool)) ? { amtool } : {}),
    ...(templates ? { templates } : {}),
    source,
    extraArgs: [],
    features: probed.features,
  };
}

/** An explicit path: `/opt/am/alertmanager`, `./alertmanager`, `path:/opt/am/alertmanager`. */
export class PathProvider implements VersionProvider {
  readonly name = 'path';

  async resolve(requested: string): Promise<ResolvedVersion | undefined> {
    const isPath = requested.startsWith('path:') || requested.startsWith('/') || requested.startsWith('./') || requested.startsWith('../');
    if (!isPath) return undefined;
    const path = resolvePath(requested.replace(/^path:/, ''));
    if (!(await isExecutable(path))) {
      throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `${path} is not an executable file`, {
        hint: 'Give the path of an alertmanager binary, or a version such as 0.28.1 (see `amchaos versions`).',
      });
    }
    return resolveLocalBinary(requested, path, `path ${path}`);
  }

  async list(): Promise<AvailableVersion[]> {
    return [];
  }
}

/** The machine's own binary: `alertmanager` (upstream) or `prometheus-alertmanager` (Debian) on PATH. */
export class SystemProvider implements VersionProvider {
  readonly name = 'system';
  private found: Promise<ResolvedVersion | undefined> | undefined;

  private find(): Promise<ResolvedVersion | undefined> {
    this.found ??= (async () => {
      for (const name of ['alertmanager', 'prometheus-alertmanager']) {
        const p = await which(name);
        if (p) return resolveLocalBinary('system', p, `system ${p}`);
      }
      return undefined;
    })();
    return this.found;
  }

  async resolve(requested: string): Promise<ResolvedVersion | undefined> {
    const found = await this.find();
    if (requested === 'system') {
      if (!found) {
        throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', 'no Alertmanager binary on PATH (alertmanager or prometheus-alertmanager)', {
          hint: 'Install one (Debian: apt-get install prometheus-alertmanager) or ask for a version such as 0.28.1.',
        });
      }
      return found;
    }
    if (found && found.version === requested) return { ...found, requested };
    return undefined;
  }

  async list(): Promise<AvailableVersion[]> {
    const found = await this.find();
    return found ? [{ version: found.version, provider: 'system', state: 'installed', where: found.command[0]! }] : [];
  }
}
