import type { SuiteDefinition } from '../src/run/suite.js';
import { exactlyOnce } from './exactly-once.js';
import { latencySweep } from './latency-sweep.js';
import { prometheusHa } from './prometheus-ha.js';
import { receiverOutage } from './receiver-outage.js';
import { restart } from './restart.js';
import { silences } from './silences.js';
import { slowReceiver } from './slow-receiver.js';
import { repeatInterval } from './repeat-interval.js';
import { flapping } from './flapping.js';
import { resolvedDropped } from './resolved-dropped.js';
import { groupKeyCollision } from './group-key-collision.js';
import { retention } from './retention.js';
import { clusterLabel } from './cluster-label.js';
import { clockSkew } from './clock-skew.js';
import { silenceRestart } from './silence-restart.js';
import { silenceFormats } from './silence-formats.js';
import { rollingUpgrade } from './rolling-upgrade.js';
import { gossipLoad } from './gossip-load.js';
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
  [slowReceiver.name]: slowReceiver,
  [repeatInterval.name]: repeatInterval,
  [flapping.name]: flapping,
  [resolvedDropped.name]: resolvedDropped,
  [groupKeyCollision.name]: groupKeyCollision,
  [retention.name]: retention,
  [clusterLabel.name]: clusterLabel,
  [clockSkew.name]: clockSkew,
  [silenceRestart.name]: silenceRestart,
  [silenceFormats.name]: silenceFormats,
  [rollingUpgrade.name]: rollingUpgrade,
  [gossipLoad.name]: gossipLoad,
};
