import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmchaosError } from '../errors/index.js';

/**
 * The files a report inlines: uPlot (from node_modules, at render time, so the report always
 * carries the installed version) and the report's own browser script and styles (client/).
 */

export interface Assets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
  clientCss: string;
  uplotVersion: string;
}

let cached: Assets | undefined;

export function loadAssets(): Assets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let uplotJsPath: string;
  try {
    uplotJsPath = require.resolve('uplot/dist/uPlot.iife.min.js');
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INTERNAL', `the charting library uPlot is not installed (${(e as Error).message})`, {
      hint: 'run `npm install` in the amchaos package (uplot is a runtime dependency)',
    });
  }
  const uplotDir = dirname(uplotJsPath);
  const pkg = JSON.parse(readFileSync(join(uplotDir, '..', 'package.json'), 'utf8')) as { version: string };
  const clientDir = findClientDir();
  cached = {
    uplotJs: readFileSync(uplotJsPath, 'utf8'),
    uplotCss: readFileSync(join(uplotDir, 'uPlot.min.css'), 'utf8'),
    clientJs: readFileSync(join(clientDir, 'report.js'), 'utf8'),
    clientCss: readFileSync(join(clientDir, 'report.css'), 'utf8'),
    uplotVersion: pkg.version,
  };
  return cached;
}

/**
 * client/ sits beside this module in the source tree; a tsc build (dist/) does not copy non-TS
 * files, so from dist we look for the package's src/report/client instead.
 */
function findClientDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'client')];
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) candidates.push(join(dir, 'src', 'report', 'client'));
  const found = candidates.find((c) => existsSync(join(c, 'report.js')));
  if (!found) {
    throw new AmchaosError('AMCHAOS_INTERNAL', `the report's browser script (client/report.js) was not found near ${here}`, {
      hint: 'the amchaos package is incomplete: reinstall it (src/report/client/ must ship with it)',
    });
  }
  return found;
}

/** For the Content-Security-Policy: inline scripts run only if their hash is listed. */
export function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}
