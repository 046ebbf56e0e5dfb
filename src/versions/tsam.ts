import { join } from 'node:path';
import { AmchaosError } from '../errors/index.js';
import { exists } from '../util/fs.js';
import { packageRoot } from '../util/paths.js';
import type { AvailableVersion, ResolvedVersion, VersionProvider } from './types.js';

export const TSAM_FAULTS = ['no-dedup', 'no-silence-gossip', 'no-wait', 'no-nflog-gossip'] as const;
export const TSAM_COMPAT = ['0.25.0', '0.28.1', '0.33.1'] as const;
const DEFAULT_COMPAT = '0.33.1';

/**
 * tsam, amchaos's TypeScript Alertmanager, as a version name:
 *   `tsam`                      newest behaviour
 *   `tsam@0.25.0`               behave like 0.25.0 on the wire (--tsam.compat)
 *   `tsam:no-dedup[,no-wait]`   broken on purpose (--tsam.fault)
 *   `tsam@0.28.1:no-dedup`      both
 */
export class TsamProvider implements VersionProvider {
  readonly name = 'tsam';

  async resolve(requested: string): Promise<ResolvedVersion | undefined> {
    const m = /^tsam(?:@([^:]+))?(?::(.+))?$/.exec(requested);
    if (!m) return undefined;
    const compat = m[1] ?? DEFAULT_COMPAT;
    const faults = m[2] ? m[2].split(',').map((f) => f.trim()) : [];
    if (!(TSAM_COMPAT as readonly string[]).includes(compat)) {
      throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `tsam cannot behave like ${compat}`, {
        hint: `tsam@<version> takes one of ${TSAM_COMPAT.join(', ')}.`,
      });
    }
    for (const f of faults) {
      if (f.startsWith('clock-skew=')) {
        // FAULT clock-skew (src/tsam/faults/clock.ts): a wall clock ahead (30s) or behind (-30s).
        if (!/^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(f.slice('clock-skew='.length))) {
          throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `tsam fault "${f}" in ${requested}: the skew is not a duration`, {
            hint: 'e.g. tsam:clock-skew=30s (ahead) or tsam:clock-skew=-30s (behind); no "+": it joins the versions of a mixed cluster.',
          });
        }
        continue;
      }
      if (!(TSAM_FAULTS as readonly string[]).includes(f)) {
        throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `unknown tsam fault "${f}" in ${requested}`, {
          hint: `tsam:<fault> takes one or more of ${TSAM_FAULTS.join(', ')}, clock-skew=<duration> (comma-separated).`,
        });
      }
    }
    const entry = tsamEntry();
    if (!(await exists(entry))) {
      throw new AmchaosError('AMCHAOS_UNKNOWN_VERSION', `tsam is not built (${entry} is missing)`, {
        hint: 'Run `npm run build` (npm ci does it for you).',
      });
    }
    return {
      requested,
      impl: 'tsam',
      version: compat,
      reportedVersion: `tsam (compat ${compat})`,
      command: [process.execPath, entry],
      source: `tsam ${entry}`,
      extraArgs: [`--tsam.compat=${compat}`, ...(faults.length ? [`--tsam.fault=${faults.join(',')}`] : [])],
      features: { peerName: true, clusterLabel: false },
    };
  }

  async list(): Promise<AvailableVersion[]> {
    const built = await exists(tsamEntry());
    return [
      { version: 'tsam', provider: 'tsam', state: built ? 'builtin' : 'not built (npm run build)', where: tsamEntry() },
      ...TSAM_FAULTS.map((f) => ({ version: `tsam:${f}`, provider: 'tsam', state: 'broken on purpose' })),
      { version: 'tsam:clock-skew=<d>', provider: 'tsam', state: 'wall clock offset (30s ahead, -30s behind)' },
    ];
  }
}

export function tsamEntry(): string {
  return join(packageRoot(), 'dist', 'src', 'tsam', 'main.js');
}
