import { accessSync, constants } from 'node:fs';
import { resolveVersion } from '../../../src/versions/resolve.js';

/**
 * Test support, shared by every test that talks to a real Alertmanager: the binary of a version,
 * from $AMCHAOS_AM_<x_y_z> if set, else through the version providers — system package, the
 * cache, or a Debian fetch (so a fresh CI machine gets it rather than skipping). Memoised per
 * version. Undefined when nothing works; tests then skip with realBinarySkipReason().
 */
const memo = new Map<string, Promise<string | undefined>>();

export function realBinaryEnvVar(version: string): string {
  return `AMCHAOS_AM_${version.replace(/\./g, '_')}`;
}

export function findRealAlertmanager(version: string): Promise<string | undefined> {
  let found = memo.get(version);
  if (!found) {
    found = (async () => {
      const override = process.env[realBinaryEnvVar(version)];
      if (override) {
        try {
          accessSync(override, constants.X_OK);
          return override;
        } catch {
          return undefined;
        }
      }
      try {
        const r = await resolveVersion(version);
        return r.impl === 'alertmanager' && r.version === version ? r.command[0] : undefined;
      } catch {
        return undefined;
      }
    })();
    memo.set(version, found);
  }
  return found;
}

export function realBinarySkipReason(version: string): string {
  return `real Alertmanager ${version} not found: run bash .ci/setup (Debian + apt lets amchaos fetch it), or set ${realBinaryEnvVar(version)}=/path/to/alertmanager`;
}
