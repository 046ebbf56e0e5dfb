/** memberlist message type bytes (net.go; identical in memberlist 0.2.2 .. 0.6.0). */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ackResp: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nackResp: 11,
  hasCrc: 12,
  err: 13,
  /** Label prefix (memberlist >= 0.3). Not a message: an outer header; memberlist 0.2.2 rejects it. */
  hasLabel: 244,
} as const;
export type MessageTypeName = keyof typeof MessageType;

/** Node states as memberlist numbers them (pushNodeState.State). */
export const NodeStateType = {
  alive: 0,
  suspect: 1,
  dead: 2,
  left: 3,
} as const;
export type NodeStateValue = (typeof NodeStateType)[keyof typeof NodeStateType];

/**
 * Version vector [PMin, PMax, PCur, DMin, DMax, DCur] every Alertmanager sends: memberlist's LAN
 * defaults (protocol 1..5, speaking 2) and no delegate version.
 */
export const ALERTMANAGER_VSN: readonly number[] = [1, 5, 2, 0, 0, 0];

/** Alertmanager's MaxGossipPacketSize, used as memberlist UDPBufferSize. */
export const MAX_GOSSIP_PACKET_SIZE = 1400;
/** A cluster.Channel part larger than this goes by TCP to every peer instead of gossip. */
export const OVERSIZED_PART_BYTES = MAX_GOSSIP_PACKET_SIZE / 2;
/** memberlist's udpPacketBufSize: the largest datagram it reads. */
export const UDP_RECV_BUFFER = 65536;

/** Compound framing costs: memberlist's compoundHeaderOverhead and compoundOverhead. */
export const COMPOUND_HEADER_OVERHEAD = 2;
export const COMPOUND_OVERHEAD = 2;
/** One type byte in front of a user payload inside a packet. */
export const USER_MSG_OVERHEAD = 1;

/** The only compression algorithm memberlist knows. */
export const LZW_ALGO = 0;
