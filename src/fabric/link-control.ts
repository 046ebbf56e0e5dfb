import type { CreateToxicInput, ToxicJson } from '../proxy/index.js';
import type { CutResult, CutVerdict, FlowResult } from './verify.js';
import type { LinkInfo, LinkKind, LinkTraffic, StatsSnapshot, Transport } from './types.js';

/**
 * What the nemesis needs from a network it can fault, and nothing more (Jepsen's net/proto.clj:
 * drop, heal, slow, flaky, as one small protocol). The fabric implements it over its link proxies;
 * a runtime whose network is built differently could implement it too.
 */
export interface LinkControl {
  links(kind?: LinkKind): LinkInfo[];
  link(name: string): LinkInfo;
  /**
   * Adds a link from a sender on the harness's host to a node's API (`p1->n1`: what a Prometheus
   * replica's send tap posts to n1), so one sender cut from one node is a link fault too.
   */
  addSenderLink?(from: string, node: string): Promise<LinkInfo>;
  addToxic(link: string, toxic: CreateToxicInput): Promise<ToxicJson>;
  removeToxic(link: string, toxic: string): Promise<void>;
  toxics(link: string): ToxicJson[];
  /** Removes every toxic whose name matches; returns how many. */
  removeToxics(match: string | ((name: string) => boolean)): Promise<number>;
  /** Counters of the named links (all when omitted), the baseline of a verification. */
  snapshot(links?: readonly string[]): StatsSnapshot;
  traffic(): Record<string, LinkTraffic>;
  /**
   * Makes traffic on links the harness itself originates (client links: one request each), so a cut
   * or a heal there can be observed; links the nodes originate need nothing.
   */
  exercise(links: readonly string[]): Promise<void>;
  verifyCut(links: readonly string[], transport: Transport, before: StatsSnapshot, opts: { timeoutMs: number }): Promise<CutResult>;
  verifyCutNow(links: readonly string[], transport: Transport, before: StatsSnapshot): CutVerdict;
  verifyFlow(links: readonly string[], transport: Transport, before: StatsSnapshot, opts: { timeoutMs: number }): Promise<FlowResult>;
}
