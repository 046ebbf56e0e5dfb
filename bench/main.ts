import { readyTimes, suiteOverhead } from './cluster.js';
import { dockerBench } from './docker.js';
import { netnsScale } from './netns.js';
import { run as proxyBench } from './proxy.js';
import { run as tsamBench } from './tsam.js';

/**
 * `npm run bench`: every figure the issues ask for, measured side by side in one run on this
 * machine. Ratios, not absolute times, are what compare across machines. `npm run bench -- cluster`
 * (or suite, netns, docker, proxy, tsam) runs one section.
 */
const log = (l: string) => process.stdout.write(l + '\n');
const only = new Set(process.argv.slice(2));
const want = (s: string) => only.size === 0 || only.has(s);

const figures: Record<string, number> = {};
if (want('cluster')) Object.assign(figures, await readyTimes(log, ['0.25.0', '0.28.1', '0.33.1', 'tsam'], [3, 5, 9]));
if (want('suite')) Object.assign(figures, await suiteOverhead(log, '0.33.1'));
if (want('netns')) Object.assign(figures, await netnsScale(log, '0.33.1', [9, 15]));
if (want('docker')) Object.assign(figures, await dockerBench(log, ['0.33.1', 'tsam'], [3, 5]));
if (want('proxy')) Object.assign(figures, await proxyBench(log));
if (want('tsam')) Object.assign(figures, await tsamBench(log));
log('\n' + JSON.stringify(figures, null, 2));
