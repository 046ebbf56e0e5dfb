/**
 * memberlist's messages on the wire (hashicorp's net.go): outgoing packets with piggybacked
 * broadcasts, incoming packets and their commands (ping, indirect ping, ack, nack, alive, suspect,
 * dead, user), gossip rounds, push/pull anti-entropy, join, reliable user messages and the TCP
 * stream handler. Builds on state.ts; probe.ts builds on it.
 */
import dns from 'node:dns';
import net from 'node:net';
import {
  ALERTMANAGER_VSN,
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_OVERHEAD,
  LabelRejectedError,
  MessageType,
  NodeStateType,
  USER_MSG_OVERHEAD,
  type IndirectPingReq,
  type Ping,
  type PushNodeState,
  decodeBody,
  decodePacket,
  encodeAckResp,
  encodeAckStream,
  encodeErrStream,
  encodeNackResp,
  encodePacket,
  encodePing,
  encodePushPull,
  encodeUserStream,
  frameStreamMessage,
  makeCompound,
  makeCompounds,
  readAckResp,
  readAlive,
  readDead,
  readIndirectPingReq,
  readNackResp,
  readPing,
  readSuspect,
} from '../wire/index.js';
import { bytesToIp, joinHostPort, splitHostPort } from './addr.js';
import { StreamClosedError, endAndWait, readStreamMessage, writeAll } from './stream-io.js';
import { type PacketSource } from './transport.js';
import {
  MemberlistState,
  type NodeState,
  MAX_PUSH_PULL_REQUESTS,
} from './state.js';

export abstract class MemberlistNet extends MemberlistState {
  /** memberlist getBroadcasts: our own broadcasts first, then the delegate's user messages. */
  protected getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const toSend = this.broadcasts.getBroadcasts(overhead, limit);
    let used = 0;
    for (const m of toSend) used += m.length + overhead;
    const avail = limit - used;
    if (avail > overhead + USER_MSG_OVERHEAD) {
      for (const u of this.cfg.delegate.getBroadcasts(overhead + USER_MSG_OVERHEAD, avail)) {
        const framed = new Uint8Array(u.length + 1);
        framed[0] = MessageType.user;
        framed.set(u, 1);
        toSend.push(framed);
      }
    }
    return toSend;
  }

  /**
   * memberlist rawSendMsgPacket. When no node is given Go looks the *IP string* up in a map keyed
   * by name, which fails for ULID names; so pings, acks and nacks go without CRC, gossip with.
   */
  protected rawSendMsgPacket(ip: string, port: number, node: NodeState | undefined, msg: Uint8Array): void {
    if (this.shut) return;
    const target = node ?? this.nodeMap.get(ip);
    const pmax = target?.vsn[1] ?? 0;
    const out = encodePacket(msg, { compress: this.cfg.enableCompression, crc: target !== undefined && pmax >= 5 });
    this.transport.sendPacket(out, ip, port);
  }

  /** memberlist sendMsg: piggy-backs queued broadcasts onto pings, acks and nacks. */
  protected sendMsg(ip: string, port: number, msg: Uint8Array): void {
    const avail = this.cfg.udpBufferSize - msg.length - COMPOUND_HEADER_OVERHEAD;
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, avail);
    if (extra.length === 0) {
      this.rawSendMsgPacket(ip, port, undefined, msg);
      return;
    }
    this.rawSendMsgPacket(ip, port, undefined, makeCompound([msg, ...extra]));
  }

  protected ingestPacket(buf: Uint8Array, from: PacketSource): void {
    const d = decodePacket(buf, this.cfg.compat);
    for (const p of d.problems) this.cfg.log('warn', `memberlist: ${p}`, { from: `${from.address}:${from.port}` });
    for (const m of d.messages) {
      try {
        this.handleCommand(m.type, m.body, from);
      } catch (e) {
        this.cfg.log('error', 'memberlist: failed to handle message', { type: m.type, err: String(e), from: `${from.address}:${from.port}` });
      }
    }
  }

  protected handleCommand(type: number, body: Uint8Array, from: PacketSource): void {
    switch (type) {
      case MessageType.ping:
        return this.handlePing(decodeBody(body, 'ping', readPing), from);
      case MessageType.indirectPing:
        return this.handleIndirectPing(decodeBody(body, 'indirectPingReq', readIndirectPingReq), from);
      case MessageType.ackResp: {
        const a = decodeBody(body, 'ackResp', readAckResp);
        this.ackHandlers.get(a.seqNo)?.ack(a.payload);
        return;
      }
      case MessageType.nackResp: {
        const n = decodeBody(body, 'nackResp', readNackResp);
        this.stats.nacksReceived++;
        this.ackHandlers.get(n.seqNo)?.nack?.();
        return;
      }
      case MessageType.suspect:
        return this.suspectNode(decodeBody(body, 'suspect', readSuspect));
      case MessageType.alive: {
        const a = decodeBody(body, 'alive', readAlive);
        if (a.port === 0) a.port = this.transport.port;
        return this.aliveNode(a, undefined, false);
      }
      case MessageType.dead:
        return this.deadNode(decodeBody(body, 'dead', readDead));
      case MessageType.user:
        if (body.length > 0) this.cfg.delegate.notifyMsg(body.slice());
        return;
      default:
        this.cfg.log('error', `memberlist: msg type (${type}) not supported`, { from: `${from.address}:${from.port}` });
    }
  }

  protected handlePing(p: Ping, from: PacketSource): void {
    // A ping for another name means the sender knows a previous process at this address.
    if (p.node !== '' && p.node !== this.name) {
      this.cfg.log('warn', 'memberlist: got ping for unexpected node', { node: p.node, from: `${from.address}:${from.port}` });
      return;
    }
    const ack = encodeAckResp({ seqNo: p.seqNo, payload: this.cfg.delegate.ackPayload() });
    if (p.sourceAddr && p.sourceAddr.length > 0 && p.sourcePort > 0) this.sendMsg(bytesToIp(p.sourceAddr), p.sourcePort, ack);
    else this.sendMsg(from.address, from.port, ack);
  }

  protected handleIndirectPing(ind: IndirectPingReq, from: PacketSource): void {
    this.stats.relayRequests++;
    const port = ind.port === 0 ? this.transport.port : ind.port;
    const localSeq = this.nextSeqNo();
    const ping = encodePing({
      seqNo: localSeq,
      node: ind.node,
      sourceAddr: this.selfAddrBytes(),
      sourcePort: this.advertisePort,
      sourceNode: this.name,
    });
    const reply =
      ind.sourceAddr && ind.sourceAddr.length > 0 && ind.sourcePort > 0
        ? { ip: bytesToIp(ind.sourceAddr), port: ind.sourcePort }
        : { ip: from.address, port: from.port };
    let nackTimer: NodeJS.Timeout | undefined;
    const timer = this.timeout(this.cfg.probeTimeoutMs, () => this.ackHandlers.delete(localSeq));
    this.ackHandlers.set(localSeq, {
      ack: () => {
        this.clearTimer(timer);
        this.clearTimer(nackTimer);
        this.ackHandlers.delete(localSeq);
        this.stats.relayedAcks++;
        this.sendMsg(reply.ip, reply.port, encodeAckResp({ seqNo: ind.seqNo, payload: null }));
      },
      nack: undefined,
      timer,
    });
    if (ind.target && ind.target.length > 0) this.sendMsg(bytesToIp(ind.target), port, ping);
    if (ind.nack) {
      nackTimer = this.timeout(this.cfg.probeTimeoutMs, () => {
        this.stats.relayedNacks++;
        this.sendMsg(reply.ip, reply.port, encodeNackResp({ seqNo: ind.seqNo }));
      });
    }
  }

  protected gossip(): void {
    const now = Date.now();
    const targets = this.kRandomNodes(this.cfg.gossipNodes, (n) => {
      if (n.name === this.name) return true;
      if (n.state === NodeStateType.alive || n.state === NodeStateType.suspect) return false;
      if (n.state === NodeStateType.dead) return now - n.stateChange > this.cfg.gossipToTheDeadTimeMs;
      return true;
    });
    const bytesAvail = this.cfg.udpBufferSize - COMPOUND_HEADER_OVERHEAD;
    for (const node of targets) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, bytesAvail);
      if (msgs.length === 0) return;
      const ip = this.nodeIp(node);
      if (msgs.length === 1) this.rawSendMsgPacket(ip, node.port, node, msgs[0]!);
      else for (const c of makeCompounds(msgs)) this.rawSendMsgPacket(ip, node.port, node, c);
    }
  }

  protected localStateMessage(join: boolean): Uint8Array {
    const nodes: PushNodeState[] = this.nodes.map((n) => ({
      name: n.name,
      addr: n.addr,
      port: n.port,
      meta: n.meta,
      incarnation: n.incarnation,
      state: n.state,
      vsn: n.vsn.length === 6 ? n.vsn : Uint8Array.from(ALERTMANAGER_VSN),
    }));
    const user = this.cfg.delegate.localState(join);
    const raw = encodePushPull(join, nodes, user.length > 0 ? user : null, this.cfg.compat.msgpackInts);
    return frameStreamMessage(raw, this.cfg.enableCompression);
  }

  protected mergeRemoteState(join: boolean, nodes: PushNodeState[], userState: Uint8Array | null): void {
    for (const n of nodes) if (n.port === 0) n.port = this.transport.port;
    this.verifyProtocol(nodes);
    this.mergeState(nodes);
    if (userState !== null) this.cfg.delegate.mergeRemoteState(userState, join);
  }

  /** Push our state to `ip:port` and merge what it sends back. */
  async pushPullNode(ip: string, port: number, join: boolean): Promise<void> {
    const sock = await this.transport.dial(ip, port, this.cfg.tcpTimeoutMs);
    const deadline = Date.now() + this.cfg.tcpTimeoutMs;
    let reply;
    try {
      await writeAll(sock, this.localStateMessage(join));
      reply = await readStreamMessage(sock, { compat: this.cfg.compat, serverSide: false }, deadline);
    } finally {
      sock.destroy();
    }
    if (reply.kind === 'err') throw new Error(`remote error: ${reply.err.error}`);
    if (reply.kind !== 'pushPull') throw new Error(`received invalid msgType (${reply.kind}), expected pushPull`);
    this.mergeRemoteState(join, reply.nodes, reply.userState);
  }

  protected async pushPull(): Promise<void> {
    if (this.shut) return;
    const [node] = this.kRandomNodes(1, (n) => n.name === this.name || n.state !== NodeStateType.alive);
    if (!node) return;
    try {
      await this.pushPullNode(this.nodeIp(node), node.port, false);
    } catch (e) {
      this.cfg.log('error', `memberlist: push/pull with ${node.name} failed`, { err: String(e) });
    }
  }

  /**
   * Joins through each "host:port": resolves it, pushes/pulls with Join=true. Returns how many
   * addresses answered and the errors of the others.
   */
  async join(existing: readonly string[]): Promise<{ joined: number; errors: string[] }> {
    let joined = 0;
    const errors: string[] = [];
    for (const hp of existing) {
      let targets: { ip: string; port: number }[];
      try {
        const { host, port } = splitHostPort(hp);
        const ips = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true })).map((a) => a.address);
        targets = ips.map((ip) => ({ ip, port }));
      } catch (e) {
        errors.push(`failed to resolve ${hp}: ${String(e)}`);
        continue;
      }
      for (const t of targets) {
        try {
          await this.pushPullNode(t.ip, t.port, true);
          joined++;
        } catch (e) {
          const msg = `failed to join ${joinHostPort(t.ip, t.port)}: ${(e as Error).message ?? String(e)}`;
          this.cfg.log('debug', `memberlist: ${msg}`);
          errors.push(msg);
        }
      }
    }
    return { joined, errors };
  }

  /** Sends a user message over TCP (memberlist SendReliable). */
  async sendReliable(ip: string, port: number, payload: Uint8Array): Promise<void> {
    const sock = await this.transport.dial(ip, port, this.cfg.tcpTimeoutMs);
    try {
      await writeAll(sock, frameStreamMessage(encodeUserStream(payload, this.cfg.compat.msgpackInts), this.cfg.enableCompression));
      await endAndWait(sock, this.cfg.tcpTimeoutMs);
    } finally {
      sock.destroy();
    }
  }

  /** One inbound TCP connection = one request (net.go handleConn). */
  protected async handleConn(sock: net.Socket): Promise<void> {
    const from = `${sock.remoteAddress}:${sock.remotePort}`;
    const deadline = Date.now() + this.cfg.tcpTimeoutMs;
    try {
      let msg;
      try {
        msg = await readStreamMessage(sock, { compat: this.cfg.compat, serverSide: true }, deadline);
      } catch (e) {
        if (e instanceof StreamClosedError && e.message === 'EOF') return;
        if (e instanceof LabelRejectedError) {
          this.cfg.log('error', `memberlist: ${e.message}`, { from });
          return;
        }
        this.cfg.log('error', 'memberlist: failed to receive', { err: String(e), from });
        if (!sock.destroyed) await writeAll(sock, frameStreamMessage(encodeErrStream({ error: (e as Error).message }), this.cfg.enableCompression)).catch(() => {});
        return;
      }
      switch (msg.kind) {
        case 'ping': {
          if (msg.ping.node !== '' && msg.ping.node !== this.name) {
            this.cfg.log('warn', 'memberlist: got ping for unexpected node', { node: msg.ping.node, from });
            return;
          }
          await writeAll(sock, frameStreamMessage(encodeAckStream({ seqNo: msg.ping.seqNo, payload: null }), this.cfg.enableCompression));
          return;
        }
        case 'pushPull': {
          this.pushPullReq++;
          try {
            if (this.pushPullReq >= MAX_PUSH_PULL_REQUESTS) {
              this.cfg.log('error', 'memberlist: too many pending push/pull requests', { from });
              return;
            }
            // Reply with our state as it was before merging theirs, as Go does.
            await writeAll(sock, this.localStateMessage(msg.header.join));
            try {
              this.mergeRemoteState(msg.header.join, msg.nodes, msg.userState);
            } catch (e) {
              this.cfg.log('error', 'memberlist: failed push/pull merge', { err: String(e), from });
            }
          } finally {
            this.pushPullReq--;
          }
          return;
        }
        case 'user':
          if (msg.payload.length > 0) this.cfg.delegate.notifyMsg(msg.payload);
          return;
        default:
          this.cfg.log('error', `memberlist: received invalid msgType (${msg.kind === 'unknown' ? msg.type : msg.kind})`, { from });
      }
    } catch (e) {
      this.cfg.log('error', 'memberlist: stream handling failed', { err: String(e), from });
    } finally {
      sock.end();
      setTimeout(() => sock.destroy(), 1000).unref();
    }
  }
}
