/**
 * Where the Alertmanager versions tsam can impersonate differ on the memberlist wire.
 *
 * Checked against the Debian binaries (strings in the binaries and live traffic):
 * - all three link go-msgpack through the v1 import path (github.com/hashicorp/go-msgpack/codec),
 *   so every one writes non-negative Go ints in the unsigned forms;
 * - 0.25.0 (bookworm) is built against memberlist 0.2.2: no label support, a packet or stream that
 *   starts with 244 is an invalid message type; 0.28.1 and 0.33.1 carry memberlist's label code
 *   (AddLabelHeaderToPacket etc.) and drop traffic whose label differs from theirs ("").
 * Both ways a labelled packet is dropped by an unlabelled node; only the reason differs. tsam
 * never sends a label, because no version here is run with --cluster.label.
 */
import { AmchaosError } from '../../errors/index.js';
import type { MsgpackIntStyle } from './msgpack.js';

export interface WireCompat {
  /** The Alertmanager version whose wire behaviour is modelled. */
  version: string;
  /** memberlist >= 0.3 understands the 244 label header; 0.2.2 rejects it as a message type. */
  labelSupport: boolean;
  /** How Go ints (pushPullHeader.Nodes, UserStateLen, pushNodeState.State, UserMsgLen) are written. */
  msgpackInts: MsgpackIntStyle;
}

export const WIRE_COMPAT: Readonly<Record<string, WireCompat>> = {
  '0.25.0': { version: '0.25.0', labelSupport: false, msgpackInts: 'unsigned' },
  '0.28.1': { version: '0.28.1', labelSupport: true, msgpackInts: 'unsigned' },
  '0.33.1': { version: '0.33.1', labelSupport: true, msgpackInts: 'unsigned' },
};

/** The default when no compat version is given: the newest Debian build. */
export const DEFAULT_WIRE_COMPAT = '0.33.1';

/**
 * Looks up a compat profile. Other 0.x versions map to the nearest rule: below 0.26.0 there is no
 * usable label (0.25.0 behaviour), from 0.26.0 on labels are parsed.
 */
export function wireCompat(version: string | undefined): WireCompat {
  const v = version ?? DEFAULT_WIRE_COMPAT;
  const known = WIRE_COMPAT[v];
  if (known) return known;
  const m = /^0\.(\d+)\.(\d+)$/.exec(v);
  if (!m) {
    throw new AmchaosError('AMCHAOS_BAD_ARGUMENT', `unknown cluster compat version "${v}"`, {
      hint: `use one of ${Object.keys(WIRE_COMPAT).join(', ')} (or another 0.x.y Alertmanager version)`,
    });
  }
  const minor = Number(m[1]);
  return { version: v, labelSupport: minor >= 26, msgpackInts: 'unsigned' };
}
