import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, stringify, type Document } from 'yaml';
import { AmchaosError } from '../errors/index.js';
import type { Timers } from '../history/types.js';
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
  /** The route tree's timers (root values), which define observation windows. */
  groupWaitMs: number;
  groupIntervalMs: number;
  /** True when the config came from the user (--config). */
  fromUser: boolean;
}

export const DEFAULT_RECEIVER = 'capture';

export function captureHookURL(captureBase: string, receiver: string): string {
  return `${captureBase.replace(/\/$/, '')}/hook/${encodeURIComponent(receiver)}`;
}

/** The harness's own config: one route, grouped by alertname and group, one receiver. */
export function defaultConfig(captureBase: string, timers: Timers): ClusterConfig {
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
  try {
    doc = parseDocument(text, { prettyErrors: true });
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
  const route = doc.toJS().route as RouteJS | undefined;
  if (!route || typeof route !== 'object') throw fail('route: is missing');
  if (!route.receiver) throw fail('the root route has no receiver');
  const repeat: Record<string, number> = {};
  const walk = (r: RouteJS, inherited: { group_wait: number; group_interval: number; repeat_interval: number }) => {
    const eff = {
      group_wait: r.group_wait ? parseDuration(r.group_wait, 'group_wait') : inherited.group_wait,
      group_interval: r.group_interval ? parseDuration(r.group_interval, 'group_interval') : inherited.group_interval,
      repeat_interval: r.repeat_interval ? parseDuration(r.repeat_interval, 'repeat_interval') : inherited.repeat_interval,
    };
    const recv = r.receiver;
    if (recv) repeat[recv] = Math.min(repeat[recv] ?? Infinity, eff.repeat_interval);
    // A child route without a receiver inherits its parent's.
    for (const child of r.routes ?? []) walk({ ...child, receiver: child.receiver ?? recv }, eff);
    return eff;
  };
  let rootEff;
  try {
    rootEff = walk(route, AM_DEFAULTS);
  } catch (e) {
    throw fail((e as Error).message);
  }
  for (const r of Object.keys(repeat)) {
    if (!receivers.includes(r)) throw fail(`route uses receiver "${r}", which is not defined under receivers:`);
  }
  return {
    yaml: doc.toString(),
    receivers,
    sendResolved: Object.fromEntries(receivers.map((r) => [r, true])),
    repeatIntervalMs: Object.fromEntries(receivers.map((r) => [r, repeat[r] ?? rootEff.repeat_interval])),
    groupWaitMs: rootEff.group_wait,
    groupIntervalMs: rootEff.group_interval,
    fromUser: true,
  };
}

interface RouteJS {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteJS[];
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
