/**
 * SWIM failure detection (hashicorp's probeNode in state.go, kept apart here): one node per probe
 * interval, round-robin over a shuffled list; ping, wait for the ack, indirect pings through k peers
 * (with nacks), the TCP fallback ping, awareness, and suspicion when nothing answers.
 */
import net from 'node:net';
import {
  NodeStateType,
  type IndirectPingReq,
  type Ping,
  encodeIndirectPingReq,
  encodePing,
  encodePingStream,
  encodeSuspect,
  frameStreamMessage,
  makeCompound,
} from '../wire/index.js';
import { readStreamMessage, writeAll } from './stream-io.js';
import { MemberlistNet } from './net.js';
import {
  type NodeState,
  deadOrLeft,
  shuffle,
} from './state.js';

export abstract class MemberlistProbe extends MemberlistNet {
  protected async probe(): Promise<void> {
    let numCheck = 0;
    for (;;) {
      if (this.shut || numCheck >= this.nodes.length) return;
      if (this.probeIndex >= this.nodes.length) {
        this.resetNodes();
        this.probeIndex = 0;
        numCheck++;
        continue;
      }
      const node = this.nodes[this.probeIndex]!;
      this.probeIndex++;
      if (node.name === this.name || deadOrLeft(node.state)) {
        numCheck++;
        continue;
      }
      await this.probeNode({ ...node });
      return;
    }
  }

  /** Drops nodes dead or left for longer than GossipToTheDeadTime, then shuffles. */
  protected resetNodes(): void {
    const now = Date.now();
    const keep: NodeState[] = [];
    for (const n of this.nodes) {
      if (deadOrLeft(n.state) && now - n.stateChange > this.cfg.gossipToTheDeadTimeMs) {
        this.nodeMap.delete(n.name);
        this.nodeTimers.get(n.name)?.stop();
        this.nodeTimers.delete(n.name);
      } else {
        keep.push(n);
      }
    }
    this.nodes.length = 0;
    this.nodes.push(...shuffle(keep));
  }

  protected async probeNode(node: NodeState): Promise<void> {
    const probeInterval = this.awareness.scaleTimeout(this.cfg.probeIntervalMs);
    const seq = this.nextSeqNo();
    this.stats.probes++;
    const ping: Ping = {
      seqNo: seq,
      node: node.name,
      sourceAddr: this.selfAddrBytes(),
      sourcePort: this.advertisePort,
      sourceNode: this.name,
    };
    let nacks = 0;
    // Resolves true on the first ack, false when the probe interval is over (Go's ackCh).
    let settle!: (ok: boolean) => void;
    const acked = new Promise<boolean>((r) => (settle = r));
    const timer = this.timeout(probeInterval, () => {
      this.ackHandlers.delete(seq);
      settle(false);
    });
    this.ackHandlers.set(seq, {
      ack: () => {
        this.clearTimer(timer);
        this.ackHandlers.delete(seq);
        settle(true);
      },
      nack: () => nacks++,
      timer,
      cancel: () => settle(false),
    });
    const sent = Date.now();
    const deadline = sent + probeInterval;
    const ip = this.nodeIp(node);
    let awarenessDelta = 0;
    try {
      if (node.state === NodeStateType.alive) {
        this.sendMsg(ip, node.port, encodePing(ping));
      } else {
        const suspect = encodeSuspect({ incarnation: node.incarnation, node: node.name, from: this.name });
        this.rawSendMsgPacket(ip, node.port, node, makeCompound([encodePing(ping), suspect]));
      }
      awarenessDelta = -1;
      let probeTimer: NodeJS.Timeout | undefined;
      const first = await Promise.race([
        acked,
        new Promise<null>((r) => (probeTimer = this.timeout(this.cfg.probeTimeoutMs, () => r(null)))),
      ]);
      this.clearTimer(probeTimer);
      if (first === true) this.cfg.events.notifyPingComplete?.(this.view(node), Date.now() - sent);
      if (first === true || this.shut) return;
      this.stats.directFailures++;
      this.cfg.log('debug', 'memberlist: failed UDP ping (timeout reached)', { node: node.name });

      const peers = this.kRandomNodes(
        this.cfg.indirectChecks,
        (n) => n.name === this.name || n.name === node.name || n.state !== NodeStateType.alive,
      );
      let expectedNacks = 0;
      for (const peer of peers) {
        const nack = (peer.vsn[1] ?? 0) >= 4;
        if (nack) expectedNacks++;
        const ind: IndirectPingReq = {
          seqNo: seq,
          target: node.addr,
          port: node.port,
          node: node.name,
          nack,
          sourceAddr: this.selfAddrBytes(),
          sourcePort: this.advertisePort,
          sourceNode: this.name,
        };
        this.sendMsg(this.nodeIp(peer), peer.port, encodeIndirectPingReq(ind));
      }
      const fallback: Promise<boolean> =
        !this.cfg.disableTcpPings && (node.vsn[1] ?? 0) >= 3
          ? this.sendPingAndWaitForAck(ip, node.port, ping, deadline).catch((e: unknown) => {
              this.cfg.log('error', 'memberlist: failed fallback ping', { node: node.name, err: String(e) });
              return false;
            })
          : Promise.resolve(false);
      if (await acked) {
        this.stats.indirectAcks++;
        return;
      }
      if (await fallback) {
        this.stats.tcpFallbackSuccesses++;
        this.cfg.log('warn', `memberlist: was able to connect to ${node.name} over TCP but UDP probes failed, network may be misconfigured`);
        return;
      }
      if (this.shut) return;
      awarenessDelta = 0;
      if (expectedNacks > 0) {
        if (nacks < expectedNacks) awarenessDelta += expectedNacks - nacks;
      } else {
        awarenessDelta += 1;
      }
      this.cfg.log('info', `memberlist: suspect ${node.name} has failed, no acks received`);
      this.suspectNode({ incarnation: node.incarnation, node: node.name, from: this.name });
    } finally {
      this.awareness.applyDelta(awarenessDelta);
    }
  }

  /** The TCP fallback ping: true if the node answered with an ack for this sequence number. */
  protected async sendPingAndWaitForAck(ip: string, port: number, ping: Ping, deadline: number): Promise<boolean> {
    let sock: net.Socket;
    try {
      sock = await this.transport.dial(ip, port, deadline - Date.now());
    } catch {
      // A dead node refusing the connection is the expected outcome, not an error.
      return false;
    }
    try {
      await writeAll(sock, frameStreamMessage(encodePingStream(ping), this.cfg.enableCompression));
      const reply = await readStreamMessage(sock, { compat: this.cfg.compat, serverSide: false }, deadline);
      if (reply.kind !== 'ack') throw new Error(`unexpected msgType (${reply.kind}) from ping`);
      if (reply.ack.seqNo !== ping.seqNo) throw new Error(`sequence number from ack (${reply.ack.seqNo}) doesn't match ping (${ping.seqNo})`);
      return true;
    } finally {
      sock.destroy();
    }
  }
}
