import type { SuiteDefinition } from '../src/run/suite.js';
import { exactlyOnce } from './exactly-once.js';
import { latencySweep } from './latency-sweep.js';
import { prometheusHa } from './prometheus-ha.js';
import { receiverOutage } from './receiver-outage.js';
import { restart } from './restart.js';
import { silences } from './silences.js';
import { splitBrain } from './split-brain.js';
import { udpCut } from './udp-cut.js';

/** Every suite, by name: `amchaos run --suite NAME` and the vitest files both use these. */
export const SUITES: Readonly<Record<string, SuiteDefinition>> = {
  [exactlyOnce.name]: exactlyOnce,
  [silences.name]: silences,
  [splitBrain.name]: splitBrain,
  [udpCut.name]: udpCut,
  [latencySweep.name]: latencySweep,
  [receiverOutage.name]: receiverOutage,
  [restart.name]: restart,
  [prometheusHa.name]: prometheusHa,
};
