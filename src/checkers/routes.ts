import type { LabelSet, NotificationEvent, RouteRecord, ScenarioStartEvent, Timers } from '../history/types.js';
import { matchesAll, parseMatchers, type LabelMatcher } from './matchers.js';

/** What the route tree is built from (a RouteSource fits). */
export interface RouteSource {
  start: ScenarioStartEvent;
  timers: Timers;
}

/**
 * The route tree of scenario.start, so every check judges an alert or a group by the timers its
 * route really runs (a user's config can give each route its own group_wait / group_interval /
 * repeat_interval). Routing follows Alertmanager's Route.Match: a route whose matchers match
 * descends into its children in order; the first matching child stops the search unless it has
 * `continue: true`; a route none of whose children matched is itself the match.
 *
 * Histories written before routes were recorded get one pseudo-route that stands for every
 * receiver (receiver ANY_RECEIVER) with the scenario's timers — what the checkers used before.
 */

/** The receiver of the pseudo-route of a history without recorded routes: any receiver will do. */
export const ANY_RECEIVER = '*';

export interface RouteNode {
  record: RouteRecord;
  /** undefined when a matcher could not be compiled faithfully (routing through it is unknown). */
  matchers: LabelMatcher[] | undefined;
  children: RouteNode[];
}

export interface RouteTree {
  root: RouteNode;
  all: RouteRecord[];
  /** false for histories without recorded routes (pseudo-routes from timers). */
  recorded: boolean;
  /** Routes whose matchers could not be compiled (routing through them is undecidable). */
  unusable: string[];
}

const cache = new WeakMap<RouteSource, RouteTree>();

export function routeTree(view: RouteSource): RouteTree {
  const hit = cache.get(view);
  if (hit) return hit;
  const tree = buildTree(view);
  cache.set(view, tree);
  return tree;
}

function buildTree(view: RouteSource): RouteTree {
  const recorded = view.start.routes && view.start.routes.length > 0 ? view.start.routes : undefined;
  const records = recorded ?? pseudoRoutes(view);
  const nodes = new Map<string, RouteNode>();
  const unusable: string[] = [];
  for (const record of records) {
    let matchers: LabelMatcher[] | undefined;
    try {
      matchers = parseMatchers(record.matchers);
    } catch {
      matchers = undefined;
      unusable.push(record.id);
    }
    const node: RouteNode = { record, matchers, children: [] };
    nodes.set(record.id, node);
    if (record.parent !== undefined) nodes.get(record.parent)?.children.push(node);
  }
  return { root: nodes.get(records[0]!.id)!, all: records, recorded: recorded !== undefined, unusable };
}

/** The pseudo-route of a history without recorded routes: any receiver, the scenario's timers. */
function pseudoRoutes(view: RouteSource): RouteRecord[] {
  const t = view.timers;
  return [
    { id: 'root', receiver: ANY_RECEIVER, matchers: [], continue: false, groupBy: ['...'], groupWaitMs: t.groupWaitMs, groupIntervalMs: t.groupIntervalMs, repeatIntervalMs: t.repeatIntervalMs },
  ];
}

/**
 * The routes an alert with these labels is routed to (Route.Match), in order. `undecidable` is
 * true when an unusable matcher was on the way (the result may then be incomplete).
 */
export function routesFor(tree: RouteTree, labels: LabelSet): { routes: RouteRecord[]; undecidable: boolean } {
  let undecidable = false;
  const match = (node: RouteNode): RouteRecord[] | undefined => {
    if (node.matchers === undefined) {
      undecidable = true;
      return undefined;
    }
    if (!matchesAll(node.matchers, labels)) return undefined;
    const all: RouteRecord[] = [];
    for (const child of node.children) {
      const m = match(child);
      if (m === undefined || m.length === 0) continue;
      all.push(...m);
      if (!child.record.continue) break;
    }
    return all.length > 0 ? all : [node.record];
  };
  // The root matches every alert (Alertmanager refuses matchers on it).
  return { routes: match(tree.root) ?? [tree.root.record], undecidable };
}

/**
 * The route a delivered group belongs to: among the routes its alerts are routed to, those with
 * the notification's receiver; when several remain (one receiver on several matching routes), the
 * one whose depth matches the group key's route part, else the most conservative reading
 * (longest group_interval and group_wait, shortest repeat_interval) — `ambiguous` then says so.
 */
export function routeOfGroup(tree: RouteTree, n: Pick<NotificationEvent, 'receiver' | 'groupKey' | 'alerts' | 'groupLabels'>): { route: RouteRecord; ambiguous: boolean } {
  if (!tree.recorded) return { route: tree.root.record, ambiguous: false };
  const labels = n.alerts[0]?.labels ?? n.groupLabels;
  const candidates = routesFor(tree, labels).routes.filter((r) => r.receiver === n.receiver);
  const byReceiver = candidates.length > 0 ? candidates : tree.all.filter((r) => r.receiver === n.receiver);
  if (byReceiver.length === 1) return { route: byReceiver[0]!, ambiguous: false };
  if (byReceiver.length === 0) return { route: conservative(tree.all), ambiguous: true };
  // The route key is "{}/{…}/{…}": one segment per level below the root.
  const cut = n.groupKey.indexOf(':{');
  const routePart = cut >= 0 ? n.groupKey.slice(0, cut) : n.groupKey;
  const depth = (routePart.match(/\}\/\{/g) ?? []).length;
  const atDepth = byReceiver.filter((r) => r.id.split('.').length - 1 === depth);
  if (atDepth.length === 1) return { route: atDepth[0]!, ambiguous: false };
  return { route: conservative(atDepth.length > 0 ? atDepth : byReceiver), ambiguous: true };
}

function conservative(routes: readonly RouteRecord[]): RouteRecord {
  const first = routes[0]!;
  return {
    ...first,
    id: routes.map((r) => r.id).join('|'),
    groupWaitMs: Math.max(...routes.map((r) => r.groupWaitMs)),
    groupIntervalMs: Math.max(...routes.map((r) => r.groupIntervalMs)),
    repeatIntervalMs: Math.min(...routes.map((r) => r.repeatIntervalMs)),
  };
}

/** The longest group_wait and group_interval of any route (windows that must cover every group). */
export function longestRouteTimers(tree: RouteTree): { groupWaitMs: number; groupIntervalMs: number } {
  return {
    groupWaitMs: Math.max(...tree.all.map((r) => r.groupWaitMs)),
    groupIntervalMs: Math.max(...tree.all.map((r) => r.groupIntervalMs)),
  };
}
