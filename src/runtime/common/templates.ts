import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AmchaosError } from '../../errors/index.js';
import { exists, isRoot, which } from '../../util/fs.js';
import { packageRoot } from '../../util/paths.js';
import type { NodeSpec } from '../types.js';

/** How a node gets its own version's templates at the compiled-in path. */
export type TemplatesPlan = { kind: 'none' } | { kind: 'mount'; dir: string; mountAt: string };

/**
 * Decides whether a node needs a private bind mount of its version's templates. `root` decides
 * between a private mount namespace and a refusal (exported with that parameter for tests).
 */
export async function templatesPlan(n: NodeSpec, root = isRoot()): Promise<TemplatesPlan> {
  const t = n.version.templates;
  if (!t || t.dir === t.mountAt) return { kind: 'none' };
  // Same templates already at the compiled-in path (e.g. the system package of the same version)?
  const want = await readFile(join(t.dir, 'default.tmpl'), 'utf8').catch(() => undefined);
  const have = await readFile(join(t.mountAt, 'default.tmpl'), 'utf8').catch(() => undefined);
  if (want !== undefined && want === have) return { kind: 'none' };
  if (!root) {
    throw new AmchaosError(
      'AMCHAOS_TEMPLATES_CONFLICT',
      `node ${n.id} (${n.version.requested}) reads its templates from ${t.mountAt}, which holds ${have === undefined ? 'nothing' : "another version's templates"}`,
      {
        hint: 'Run as root (each node then gets its own templates in a private mount namespace), or use the version whose package is installed, or an upstream build (upstream:X.Y.Z embeds its templates).',
      },
    );
  }
  if (!(await which('unshare'))) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', 'unshare (util-linux) is needed to give each node its own templates', {
      hint: 'apt-get install util-linux',
    });
  }
  if (!(await exists(t.mountAt))) {
    // The mount point must exist; an empty directory at the Debian path is harmless and is what
    // the Debian package would create.
    await mkdir(t.mountAt, { recursive: true });
  }
  return { kind: 'mount', dir: t.dir, mountAt: t.mountAt };
}

/**
 * Wraps a node's command line so the node sees its own templates: a private mount namespace whose
 * bind mount disappears with the node. Every wrapper `exec`s, so the pid stays the node's.
 */
export function withTemplates(plan: TemplatesPlan, argv: string[]): string[] {
  if (plan.kind !== 'mount') return argv;
  const script = join(packageRoot(), 'src', 'runtime', 'process', 'with-templates.sh');
  return ['unshare', '--mount', '--propagation', 'private', '--', script, plan.dir, plan.mountAt, ...argv];
}

/** The kernel kills the node if the harness dies, even by SIGKILL (when setpriv exists). */
export function withPdeathsig(setpriv: string | undefined, argv: string[]): string[] {
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}
