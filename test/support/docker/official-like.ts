import { realpath } from 'node:fs/promises';
import { ensureImage, hasImage, planTag, treeFiles, withLibraries, type ImageFile } from '../../../src/runtime/docker/images.js';
import { docker } from '../../../src/runtime/docker/engine.js';
import { resolveVersion } from '../../../src/versions/index.js';

/**
 * A local stand-in for the official prom/alertmanager image, since no registry is reachable here:
 * the Debian 0.33.1 binary laid out as the official (distroless) image lays it out — /bin/alertmanager
 * as the entrypoint, the default config at /etc/alertmanager/alertmanager.yml, a VOLUME at
 * /alertmanager as the working directory, user nobody (65534), only 9093 exposed, no shell. Its
 * templates sit at the Debian path the binary reads (the official binary embeds them). Tagged
 * honestly: `prom/alertmanager:v0.33.1-local`, with a label saying what it is.
 */
export const OFFICIAL_LIKE_TAG = 'prom/alertmanager:v0.33.1-local';

const DEFAULT_CONFIG = `route:
  receiver: default
receivers:
  - name: default
`;

export async function officialLikeImage(tag = OFFICIAL_LIKE_TAG): Promise<string> {
  if (await hasImage(tag)) return tag;
  const v = await resolveVersion('0.33.1');
  const binary = await realpath(v.command[0]!);
  const files: ImageFile[] = [
    { path: '/bin/alertmanager', source: binary, mode: 0o755 },
    ...(await withLibraries([binary])),
    { path: '/etc/alertmanager/alertmanager.yml', content: Buffer.from(DEFAULT_CONFIG), mode: 0o644 },
    ...(v.templates ? await treeFiles(v.templates.dir, v.templates.mountAt) : []),
  ];
  const dockerfile = [
    'FROM scratch',
    'COPY rootfs/ /',
    'COPY --chown=65534:65534 storage/ /alertmanager/',
    'USER 65534:65534',
    'EXPOSE 9093',
    'VOLUME ["/alertmanager"]',
    'WORKDIR /alertmanager',
    'ENTRYPOINT ["/bin/alertmanager"]',
    'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]',
    'LABEL io.amchaos.note="built locally by amchaos tests from the Debian 0.33.1 binary, laid out as the official distroless image; not an upstream image"',
    '',
  ].join('\n');
  const plan = await planTag('amchaos-test/official-like', '0.33.1', files, dockerfile);
  await ensureImage(plan, 'amchaos-tests');
  await docker().getImage(plan.tag).tag({ repo: tag.slice(0, tag.lastIndexOf(':')), tag: tag.slice(tag.lastIndexOf(':') + 1) });
  return tag;
}
