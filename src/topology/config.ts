import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Document, type YAMLMap } from 'yaml';
import { AmchaosError } from '../errors/index.js';
import type { RouteRecord, Timers } from '../history/types.js';
import { execFileCollect, tailLines } from '../util/exec.js';
import { formatGoDuration, parseDuration } from './timers.js';

/**
 * The Alertmanager configuration of a scenario, and what the checkers must know about it.
 * Receivers always deliver to the capture, at `<captureBase>/hook/<receiver name>`.
 */
export interface ClusterConfig {
  /** The alertmanager.yml every node gets. */
  yaml: string;
  receivers: string[];
  /** send_resolved per receiver (true everywhere: the capture wants resolutions too). */
  sendResolved: Record<string, boolean>;
  /** Effective repeat_interval per receiver, ms: the smallest among the routes that use it. */
  repeatIntervalMs: Record<string, number>;
  /** The root route's timers (what `timers` of the scenario records for group_wait/interval/repeat). */
  groupWaitMs: number;
  groupIntervalMs: number;
  /** Every route with its effective timers, in tree order: the checkers judge each group by its route. */
  routes: RouteRecord[];
  /** True when the config came from the user (--config). */
  fromUser: boolean;
}

/** Where the generated config's timers come from (flags the user gave), for messages. */
export type TimerSources = Partial<NonNullable<RouteRecord['sources']>>;

export const DEFAULT_RECEIVER = 'capture';

export function captureHookURL(captureBase: string, receiver: string): string {
  return `${captureBase.replace(/\/$/, '')}/hook/${encodeURIComponent(receiver)}`;
}

/** The harness's own config: one route, grouped by alertname and group, one receiver. */
export function defaultConfig(captureBase: string, timers: Timers, sources: TimerSources = {}): ClusterConfig {
  const doc = {
    route: {
      receiver: DEFAULT_RECEIVER,
      group_by: ['alertname', 'group'],
      group_wait: formatGoDuration(timers.groupWaitMs),
      group_interval: formatGoDuration(timers.groupIntervalMs),
      repeat_interval: formatGoDuration(timers.repeatIntervalMs),
    },
    receivers: [
      {
        name: DEFAULT_RECEIVER,
        webhook_configs: [{ url: captureHookURL(captureBase, DEFAULT_RECEIVER), send_resolved: true }],
      },
    ],
  };
  return {
    yaml: stringify(doc),
    receivers: [DEFAULT_RECEIVER],
    sendResolved: { [DEFAULT_RECEIVER]: true },
    repeatIntervalMs: { [DEFAULT_RECEIVER]: timers.repeatIntervalMs },
    groupWaitMs: timers.groupWaitMs,
    groupIntervalMs: timers.groupIntervalMs,
    routes: [
      {
        id: 'root',
        receiver: DEFAULT_RECEIVER,
        matchers: [],
        continue: false,
        groupBy: ['alertname', 'group'],
        groupWaitMs: timers.groupWaitMs,
        groupIntervalMs: timers.groupIntervalMs,
        repeatIntervalMs: timers.repeatIntervalMs,
        sources: {
          groupWait: sources.groupWait ?? 'amchaos default',
          groupInterval: sources.groupInterval ?? 'amchaos default (N × peer timeout)',
          repeatInterval: sources.repeatInterval ?? 'amchaos default',
        },
      },
    ],
    fromUser: false,
  };
}

// Alertmanager's documented route defaults, used where the user's config leaves a timer out.
const AM_DEFAULTS = { group_wait: 30_000, group_interval: 300_000, repeat_interval: 14_400_000 };

/**
 * The user's own alertmanager.yml: routes, grouping, timers and inhibitions stay exactly as
 * written; every receiver's integrations are replaced by one capturing webhook (names kept), so
 * users test their real routing. Comments and formatting of the rest survive (yaml Document API).
 */
export function userConfig(text: string, file: string, captureBase: string): ClusterConfig {
  const fail = (msg: string) =>
    new AmchaosError('AMCHAOS_INVALID_CONFIG', `${file}: ${msg}`, {
      hint: 'Fix the file (amtool check-config validates it) and run again.',
    });
  let doc: Document;
  const lines = new LineCounter();
  try {
    doc = parseDocument(text, { prettyErrors: true, lineCounter: lines });
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (doc.errors.length > 0) throw fail(doc.errors.map((e) => e.message).join('; '));
  if (!isMap(doc.contents)) throw fail('the top level must be a mapping with route: and receivers:');
  const receiversNode = doc.get('receivers');
  if (!isSeq(receiversNode) || receiversNode.items.length === 0) throw fail('receivers: must be a non-empty list');
  const receivers: string[] = [];
  for (const item of receiversNode.items) {
    if (!isMap(item)) throw fail('each receiver must be a mapping with a name');
    const name = item.get('name');
    if (typeof name !== 'string' || name === '') throw fail('a receiver has no name');
    receivers.push(name);
    // Drop every integration (email_configs, slack_configs, webhook_configs, ...), keep the name.
    for (const pair of [...item.items]) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      if (key.endsWith('_configs')) item.delete(key);
    }
    item.set('webhook_configs', doc.createNode([{ url: captureHookURL(captureBase, name), send_resolved: true }]));
  }
  const routeNode = doc.get('route', true);
  if (!isMap(routeNode)) throw fail('route: is missing (or is not a mapping)');
  let routes: RouteRecord[];
  try {
    routes = flattenRoutes(routeNode, (node) => `${basename(file)}:${lines.linePos(node.range?.[0] ?? 0).line}`);
  } catch (e) {
    throw fail((e as Error).message);
  }
  const root = routes[0]!;
  if (!root.receiver) throw fail('the root route has no receiver');
  const repeat: Record<string, number> = {};
  for (const r of routes) {
    if (!receivers.includes(r.receiver)) throw fail(`route uses receiver "${r.receiver}", which is not defined under receivers:`);
    repeat[r.receiver] = Math.min(repeat[r.receiver] ?? Infinity, r.repeatIntervalMs);
  }
  return {
    yaml: doc.toString(),
    receivers,
    sendResolved: Object.fromEntries(receivers.map((r) => [r, true])),
    repeatIntervalMs: Object.fromEntries(receivers.map((r) => [r, repeat[r] ?? root.repeatIntervalMs])),
    groupWaitMs: root.groupWaitMs,
    groupIntervalMs: root.groupIntervalMs,
    routes,
    fromUser: true,
  };
}

type TimerKey = 'group_wait' | 'group_interval' | 'repeat_interval';
const TIMER_FIELDS: Record<TimerKey, 'groupWait' | 'groupInterval' | 'repeatInterval'> = {
  group_wait: 'groupWait',
  group_interval: 'groupInterval',
  repeat_interval: 'repeatInterval',
};

/**
 * The route tree as Alertmanager builds it (dispatch/route.go NewRoute): a child inherits its
 * parent's receiver, group_by and timers unless it sets them; match: and match_re: become matchers
 * beside matchers:. Each timer remembers the line it was set on, so a finding can name it.
 */
function flattenRoutes(rootNode: YAMLMap, where: (node: { range?: [number, number, number] | null }) => string): RouteRecord[] {
  const out: RouteRecord[] = [];
  const inheritedRoot = {
    receiver: '',
    groupBy: [] as string[],
    timers: { group_wait: AM_DEFAULTS.group_wait, group_interval: AM_DEFAULTS.group_interval, repeat_interval: AM_DEFAULTS.repeat_interval } as Record<TimerKey, number>,
    sources: { group_wait: 'Alertmanager default', group_interval: 'Alertmanager default', repeat_interval: 'Alertmanager default' } as Record<TimerKey, string>,
  };
  const walk = (node: YAMLMap, id: string, parent: string | undefined, inh: typeof inheritedRoot): void => {
    const str = (key: string): string | undefined => {
      const v = node.get(key);
      return v === undefined || v === null ? undefined : String(v);
    };
    const timers = { ...inh.timers };
    const sources: Record<TimerKey, string> = {
      group_wait: inheritedSource(inh.sources.group_wait),
      group_interval: inheritedSource(inh.sources.group_interval),
      repeat_interval: inheritedSource(inh.sources.repeat_interval),
    };
    for (const key of Object.keys(TIMER_FIELDS) as TimerKey[]) {
      const scalar = node.get(key, true);
      if (scalar === undefined || scalar === null) continue;
      const text = isScalar(scalar) ? String(scalar.value) : String(scalar);
      timers[key] = parseDuration(text, `${id === 'root' ? 'route' : `route ${id}`} ${key}`);
      sources[key] = `${where(scalar as { range?: [number, number, number] | null })} (${key}: ${text})`;
    }
    const groupByNode = node.get('group_by');
    const groupBy = isSeq(groupByNode) ? groupByNode.items.map((i) => String(isScalar(i) ? i.value : i)) : inh.groupBy;
    const matchers: string[] = [];
    const match = node.get('match');
    if (isMap(match)) for (const p of match.items) matchers.push(`${scalarText(p.key)}=${JSON.stringify(scalarText(p.value))}`);
    const matchRe = node.get('match_re');
    if (isMap(matchRe)) for (const p of matchRe.items) matchers.push(`${scalarText(p.key)}=~${JSON.stringify(scalarText(p.value))}`);
    const ms = node.get('matchers');
    if (isSeq(ms)) for (const m of ms.items) matchers.push(scalarText(m));
    const receiver = str('receiver') ?? inh.receiver;
    const record: RouteRecord = {
      id,
      ...(parent ? { parent } : {}),
      receiver,
      matchers,
      continue: node.get('continue') === true,
      groupBy,
      groupWaitMs: timers.group_wait,
      groupIntervalMs: timers.group_interval,
      repeatIntervalMs: timers.repeat_interval,
      sources: { groupWait: sources.group_wait, groupInterval: sources.group_interval, repeatInterval: sources.repeat_interval },
    };
    out.push(record);
    const children = node.get('routes');
    if (isSeq(children)) {
      children.items.forEach((child, i) => {
        if (!isMap(child)) throw new Error(`route ${id}.${i} is not a mapping`);
        walk(child, `${id}.${i}`, id, { receiver, groupBy, timers, sources });
      });
    }
  };
  walk(rootNode, 'root', undefined, inheritedRoot);
  return out;
}

function inheritedSource(source: string): string {
  return source.endsWith('(inherited)') || source.startsWith('Alertmanager') ? source : `${source} (inherited)`;
}

function scalarText(node: unknown): string {
  return String(isScalar(node) ? node.value : node);
}

/**
 * Checks a config with the build's own amtool before anything starts; an invalid config is a
 * user error (exit 254) with amtool's words in it.
 */
export async function checkConfigWithAmtool(amtool: string, yamlText: string, label: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'amchaos-check-'));
  try {
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, yamlText);
    const r = await execFileCollect(amtool, ['check-config', file], { timeoutMs: 30_000 });
    if (r.code !== 0) {
      const lines = tailLines(r.stdout + r.stderr, 12).filter((l) => !l.startsWith('Checking '));
      throw new AmchaosError('AMCHAOS_INVALID_CONFIG', `${label} is not a valid Alertmanager config (${amtool} check-config): ${lines.join(' ').trim()}`, {
        hint: 'Fix the config and run again; `amtool check-config FILE` shows the same message.',
        details: { logTail: lines },
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
