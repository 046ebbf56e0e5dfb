import { AmchaosError } from '../errors/index.js';
import { ProcessRuntime } from '../runtime/process/process-runtime.js';
import type { Runtime, RuntimeName } from '../runtime/types.js';
import { isRoot } from '../util/fs.js';
import { defaultProviders } from '../versions/resolve.js';
import type { VersionProvider } from '../versions/types.js';

/** Runtimes by name. netns and docker are loaded lazily: they need root or a Docker engine. */
export async function getRuntime(name: RuntimeName): Promise<Runtime> {
  switch (name) {
    case 'process':
      return new ProcessRuntime();
    case 'netns': {
      const { NetnsRuntime } = await import('../runtime/netns/index.js');
      return new NetnsRuntime();
    }
    case 'docker': {
      const { DockerRuntime } = await import('../runtime/docker/index.js');
      return new DockerRuntime();
    }
    default:
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${name} runtime is not available in this build`, {
        hint: 'Use --runtime process (any machine), --runtime netns (root) or --runtime docker (a Docker engine); netns and docker fault every link.',
      });
  }
}

/** Each runtime's sweep of resources a killed run left (called at start-up and by `amchaos sweep`). */
export function runtimeSweeps(): Array<() => Promise<string[]>> {
  return [
    () => new ProcessRuntime().sweep(),
    async () => {
      // Namespaces, veths, bridges and rules can only exist (and be removed) as root.
      if (!isRoot()) return [];
      const { sweepNetns } = await import('../runtime/netns/index.js');
      return sweepNetns();
    },
    async () => {
      // Containers, networks and dangling images of dead runs (none when no engine answers).
      const { sweepDocker } = await import('../runtime/docker/index.js');
      return sweepDocker();
    },
  ];
}

/**
 * The version providers a run resolves with: the runtimes' own first (`image:REF`, a user's
 * Alertmanager image on the docker runtime, loaded only when a version asks for an image), then the
 * version resolver's chain (src/versions).
 */
export function versionProviders(): VersionProvider[] {
  const image: VersionProvider = {
    name: 'image',
    async resolve(requested) {
      if (!requested.startsWith('image:')) return undefined;
      const { ImageProvider } = await import('../runtime/docker/image-version.js');
      return new ImageProvider().resolve(requested);
    },
    async list() {
      return [];
    },
  };
  return [image, ...defaultProviders()];
}
