import { AmchaosError } from '../../errors/index.js';
import { normaliseVersion } from '../../versions/probe.js';
import type { AvailableVersion, ResolvedVersion, VersionProvider } from '../../versions/types.js';
import * as engine from './engine.js';
import * as images from './images.js';

/**
 * `image:REF` — a user's Alertmanager image (the official prom/alertmanager or
 * quay.io/prometheus/alertmanager, or their own), run as it is on the docker runtime. The engine's
 * copy is used when it has one; otherwise it is pulled, and when it cannot be had the run stops
 * before anything starts (exit 254) saying why. The image is asked for `--version` and `--help` in a
 * throw-away container (no shell needed: the distroless images have none), so flags such as
 * --cluster.peer-name are passed only where it has them. It lives with the docker runtime because it
 * needs the engine; the run layer puts it first in the provider chain (src/run/runtime-registry.ts),
 * so the version resolver itself knows nothing of Docker.
 */
export class ImageProvider implements VersionProvider {
  readonly name = 'image';

  async resolve(requested: string): Promise<ResolvedVersion | undefined> {
    if (!requested.startsWith('image:')) return undefined;
    const ref = requested.slice('image:'.length).trim();
    if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(ref)) {
      throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `"${requested}" does not name an image`, { hint: 'e.g. image:prom/alertmanager:v0.27.0 or image:quay.io/prometheus/alertmanager:v0.33.1' });
    }
    await engine.requireEngine();
    if (!(await images.hasImage(ref))) {
      try {
        await images.pullImage(ref);
      } catch (e) {
        throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `image ${ref} cannot be had: the Docker engine does not have it and pulling it failed (${(e as Error).message.split('\n')[0]})`, {
          hint: 'Pull or load it into the engine first (docker pull / docker load), or check the name; `docker images` lists what the engine has.',
          cause: e,
        });
      }
    }
    const labels = { [engine.LABEL.role]: 'probe', [engine.LABEL.run]: 'resolve', [engine.LABEL.owner]: engine.ownerLabel() };
    const version = await engine.runOnce(ref, ['--version'], labels);
    const m = /alertmanager, version (\S+)/.exec(version.output);
    if (!m) {
      throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `image ${ref} does not look like Alertmanager: --version printed ${JSON.stringify(version.output.slice(0, 200))}`, {
        hint: 'Its entrypoint must be the alertmanager binary (as in prom/alertmanager).',
      });
    }
    const help = (await engine.runOnce(ref, ['--help'], labels)).output;
    const id = (await engine.docker().getImage(ref).inspect()).Id;
    return {
      requested,
      impl: 'alertmanager',
      version: normaliseVersion(m[1]!),
      reportedVersion: m[1]!,
      // The image's own entrypoint runs it (/bin/alertmanager in the official images).
      command: ['/bin/alertmanager'],
      image: ref,
      source: `image ${ref} (${id.slice(7, 19)})`,
      extraArgs: [],
      features: { peerName: help.includes('--cluster.peer-name'), clusterLabel: help.includes('--cluster.label') },
    };
  }

  async list(): Promise<AvailableVersion[]> {
    return [];
  }
}
