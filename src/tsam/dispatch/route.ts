/**
 * The routing tree (dispatch.Route): options inherited from the parent, depth-first matching where a
 * matching child stops the search unless it has `continue`, and the route key that starts every
 * nflog group key: parent key + "/" + Matchers.String(), the root being "{}".
 */
import type { Compat } from '../compat/compat.js';
import type { RouteConfig } from '../config/config.js';
import type { LabelSet } from '../labels/labelset.js';
import { matchersString, matchesAll, type Matcher } from '../labels/matcher.js';

export const DEFAULT_GROUP_WAIT_MS = 30_000;
export const DEFAULT_GROUP_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000;

export interface RouteOpts {
  receiver: string;
  /** Label names to group by; ignored when groupByAll. */
  groupBy: Set<string>;
  groupByAll: boolean;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export class Route {
  readonly parent: Route | undefined;
  readonly opts: RouteOpts;
  readonly matchers: Matcher[];
  readonly continue: boolean;
  readonly routes: Route[];
  readonly key: string;
  /** Position in a depth-first walk: distinguishes routes with equal keys in the dispatcher. */
  readonly id: number;

  constructor(cfg: RouteConfig, parent: Route | undefined, compat: Compat, counter: { n: number }) {
    this.parent = parent;
    this.id = counter.n++;
    const p = parent?.opts;
    const groupBy = cfg.groupBy ?? (p ? (p.groupByAll ? ['...'] : [...p.groupBy]) : []);
    this.opts = {
      receiver: cfg.receiver ?? p?.receiver ?? '',
      groupBy: new Set(groupBy.filter((g) => g !== '...')),
      groupByAll: groupBy.includes('...'),
      groupWaitMs: cfg.groupWaitMs ?? p?.groupWaitMs ?? DEFAULT_GROUP_WAIT_MS,
      groupIntervalMs: cfg.groupIntervalMs ?? p?.groupIntervalMs ?? DEFAULT_GROUP_INTERVAL_MS,
      repeatIntervalMs: cfg.repeatIntervalMs ?? p?.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS,
    };
    this.matchers = cfg.matchers;
    this.continue = cfg.continue;
    const own = matchersString(this.matchers, compat.quoteReservedMatcherNames);
    this.key = parent ? `${parent.key}/${own}` : own;
    this.routes = cfg.routes.map((c) => new Route(c, this, compat, counter));
  }

  static fromConfig(cfg: RouteConfig, compat: Compat): Route {
    return new Route(cfg, undefined, compat, { n: 0 });
  }

  /** Route.Match: the routes an alert with these labels goes to. */
  match(ls: LabelSet): Route[] {
    if (!matchesAll(this.matchers, ls)) return [];
    const all: Route[] = [];
    for (const c of this.routes) {
      const m = c.match(ls);
      all.push(...m);
      if (m.length > 0 && !c.continue) break;
    }
    if (all.length === 0) all.push(this);
    return all;
  }

  /** The group labels of an alert on this route (getGroupLabels). */
  groupLabels(ls: LabelSet): LabelSet {
    if (this.opts.groupByAll) return { ...ls };
    const out: LabelSet = {};
    for (const n of this.opts.groupBy) {
      const v = ls[n];
      if (v !== undefined) out[n] = v;
    }
    return out;
  }

  walk(fn: (r: Route) => void): void {
    fn(this);
    for (const c of this.routes) c.walk(fn);
  }
}
