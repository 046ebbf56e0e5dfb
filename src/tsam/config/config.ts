/**
 * alertmanager.yml as Alertmanager reads it: the whole global section, the route tree, inhibit_rules
 * (new and old matcher forms), receivers with every integration type the imitated version knows
 * (checked with Go's wording; only webhooks are delivered, see integrations.ts), `templates`
 * (accepted, unused). Errors use Alertmanager's wording where it has one ("undefined receiver \"x\"
 * used in route", yaml's "field foo not found in type config.plain"); keys whose behaviour tsam does
 * not implement (time intervals, a webhook's http_config/url_file) are rejected by name so a suite
 * author knows tsam, not their config, is the limit.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Compat, CompatVersion } from '../compat/compat.js';
import { parsePromDuration } from '../duration/duration.js';
import { goQuote } from '../labels/gostring.js';
import { isValidLabelName } from '../labels/labelset.js';
import { Matcher, sortMatchers } from '../labels/matcher.js';
import { parseMatchers } from '../labels/parse.js';
import { checkAgainstGlobal, checkIntegration, integrationsOf, type OtherIntegration } from './integrations.js';
import { globalKeys, originalConfig } from './original.js';

export class ConfigError extends Error {}

export interface WebhookConfig {
  url: string;
  sendResolved: boolean;
  maxAlerts: number;
  /** 0 = no own timeout (the pipeline context decides). */
  timeoutMs: number;
}

export interface ReceiverConfig {
  name: string;
  /** 0.33: labels for receiver_matchers= (always including name). */
  labels?: Record<string, string>;
  webhookConfigs: WebhookConfig[];
  /** Integrations tsam accepts but does not deliver to (each notification for them fails). */
  others: OtherIntegration[];
}

export interface RouteConfig {
  receiver: string | undefined;
  groupBy: string[] | undefined;
  /** From match, match_re and matchers, sorted as Go sorts labels.Matchers. */
  matchers: Matcher[];
  continue: boolean;
  groupWaitMs: number | undefined;
  groupIntervalMs: number | undefined;
  repeatIntervalMs: number | undefined;
  routes: RouteConfig[];
}

export interface InhibitRuleConfig {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export interface Config {
  resolveTimeoutMs: number;
  route: RouteConfig;
  receivers: ReceiverConfig[];
  inhibitRules: InhibitRuleConfig[];
  /** The config as Alertmanager re-marshals it for /api/v2/status (original.ts). */
  original: string;
}

/** Keys the real Alertmanager accepts but whose behaviour tsam does not implement, per section. */
const UNSUPPORTED: Record<string, readonly string[]> = {
  top: ['time_intervals', 'mute_time_intervals', 'tracing'],
  global: [],
  route: ['mute_time_intervals', 'active_time_intervals'],
  receiver: [],
  webhook: ['http_config', 'url_file'],
  inhibit: [],
};

/** The keys each section accepts in the imitated version. */
function knownKeys(v: CompatVersion): Record<string, readonly string[]> {
  return {
    top: ['global', 'route', 'receivers', 'inhibit_rules', 'templates'],
    global: globalKeys(v),
    route: ['receiver', 'group_by', 'match', 'match_re', 'matchers', 'continue', 'routes', 'group_wait', 'group_interval', 'repeat_interval'],
    receiver: ['name', ...(v === '0.33.1' ? ['labels'] : []), ...integrationsOf(v).map((n) => `${n}_configs`)],
    webhook: ['url', 'send_resolved', 'max_alerts', 'timeout'],
    inhibit: [...(v === '0.33.1' ? ['name'] : []), 'source_matchers', 'target_matchers', 'equal', 'source_match', 'source_match_re', 'target_match', 'target_match_re'],
  };
}

/** Go type names, for yaml's "field x not found in type …" message. */
const GO_TYPE: Record<string, string> = {
  top: 'config.plain',
  global: 'config.plain',
  route: 'config.plain',
  receiver: 'config.plain',
  webhook: 'config.plain',
  inhibit: 'config.plain',
};

class Reader {
  private readonly known: Record<string, readonly string[]>;

  constructor(
    private readonly lc: LineCounter,
    private readonly compat: Compat,
  ) {
    this.known = knownKeys(compat.version);
  }

  line(n: Node | null | undefined): number {
    const off = n?.range?.[0];
    return off === undefined ? 0 : this.lc.linePos(off).line;
  }

  /** The entries of a mapping, checked against the section's known keys. */
  map(n: Node | null | undefined, section: string, where: string): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return out;
    if (!isMap(n)) throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal a non-mapping into ${where}`);
    const unknown: string[] = [];
    for (const pair of n.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      if ((UNSUPPORTED[section] ?? []).includes(key)) {
        throw new ConfigError(
          `tsam does not support "${key}" (in ${where}, line ${this.line(keyNode)}); tsam implements only ` +
            `${this.known[section]!.join(', ')} there`,
        );
      }
      if (!(this.known[section] ?? []).includes(key)) {
        unknown.push(`  line ${this.line(keyNode)}: field ${key} not found in type ${GO_TYPE[section]}`);
        continue;
      }
      out.set(key, (pair.value as Node | null) ?? null);
    }
    if (unknown.length > 0) throw new ConfigError(`yaml: unmarshal errors:\n${unknown.join('\n')}`);
    return out;
  }

  str(n: Node | null | undefined, what: string): string {
    if (n === null || n === undefined) return '';
    if (!isScalar(n) || typeof n.value === 'object') {
      throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal ${what} into string`);
    }
    return n.value === null ? '' : String(n.value);
  }

  bool(n: Node | null | undefined, what: string): boolean {
    if (n === null || n === undefined) return false;
    if (!isScalar(n) || typeof n.value !== 'boolean') {
      throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal ${what} into bool`);
    }
    return n.value;
  }

  int(n: Node | null | undefined, what: string): number {
    if (n === null || n === undefined) return 0;
    if (!isScalar(n) || typeof n.value !== 'number' || !Number.isInteger(n.value) || n.value < 0) {
      throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal ${what} into uint64`);
    }
    return n.value;
  }

  duration(n: Node | null | undefined, what: string): number | undefined {
    if (n === null || n === undefined) return undefined;
    const s = this.str(n, what);
    try {
      return parsePromDuration(s);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }

  strList(n: Node | null | undefined, what: string): string[] {
    if (n === null || n === undefined) return [];
    if (!isSeq(n)) throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal ${what} into []string`);
    return n.items.map((i) => this.str(i as Node, what));
  }

  seq(n: Node | null | undefined, what: string): Node[] {
    if (n === null || n === undefined) return [];
    if (!isSeq(n)) throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal ${what} into a list`);
    return n.items as Node[];
  }

  strMap(n: Node | null | undefined, what: string): [string, string][] {
    if (n === null || n === undefined) return [];
    if (!isMap(n)) throw new ConfigError(`yaml: unmarshal errors:\n  line ${this.line(n)}: cannot unmarshal ${what} into map[string]string`);
    return n.items.map((p) => [this.str(p.key as Node, what), this.str(p.value as Node, what)]);
  }

  /** match / match_re / matchers → Matchers, as Alertmanager builds them for routes and inhibit rules. */
  matchers(match: Node | null | undefined, matchRe: Node | null | undefined, matchers: Node | null | undefined): Matcher[] {
    const out: Matcher[] = [];
    const utf8 = this.compat.utf8LabelNames;
    for (const [k, v] of this.strMap(match, 'match')) {
      if (!isValidLabelName(k, utf8)) throw new ConfigError(`invalid label name ${JSON.stringify(k)}`);
      out.push(new Matcher('=', k, v));
    }
    for (const [k, v] of this.strMap(matchRe, 'match_re')) {
      if (!isValidLabelName(k, utf8)) throw new ConfigError(`invalid label name ${JSON.stringify(k)}`);
      // config.Regexp's String() is the anchored source, so the route key shows ^(?:…)$.
      let m: Matcher;
      try {
        m = new Matcher('=~', k, `^(?:${v})$`);
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
      out.push(m);
    }
    for (const s of this.strList(matchers, 'matchers')) {
      try {
        out.push(...parseMatchers(s, utf8));
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    }
    return sortMatchers(out);
  }
}

function parseRoute(r: Reader, n: Node | null | undefined, where: string): RouteConfig {
  const m = r.map(n, 'route', where);
  const groupBy = m.has('group_by') ? r.strList(m.get('group_by'), 'group_by') : undefined;
  if (groupBy) {
    const seen = new Set<string>();
    for (const l of groupBy) {
      if (l !== '...' && !isValidLabelName(l, true)) throw new ConfigError(`invalid label name ${JSON.stringify(l)} in group_by list`);
      if (seen.has(l)) throw new ConfigError(`duplicated label ${JSON.stringify(l)} in group_by`);
      seen.add(l);
    }
    if (seen.has('...') && groupBy.length > 1) {
      throw new ConfigError('cannot have wildcard group_by (`...`) and other other labels at the same time');
    }
  }
  const groupIntervalMs = r.duration(m.get('group_interval'), 'group_interval');
  if (groupIntervalMs === 0) throw new ConfigError('group_interval cannot be zero');
  const repeatIntervalMs = r.duration(m.get('repeat_interval'), 'repeat_interval');
  if (repeatIntervalMs === 0) throw new ConfigError('repeat_interval cannot be zero');
  const receiver = m.has('receiver') ? r.str(m.get('receiver'), 'receiver') : undefined;
  return {
    receiver: receiver === '' ? undefined : receiver,
    groupBy,
    matchers: r.matchers(m.get('match'), m.get('match_re'), m.get('matchers')),
    continue: r.bool(m.get('continue'), 'continue'),
    groupWaitMs: r.duration(m.get('group_wait'), 'group_wait'),
    groupIntervalMs,
    repeatIntervalMs,
    routes: r.seq(m.get('routes'), 'routes').map((c, i) => parseRoute(r, c, `${where}.routes[${i}]`)),
  };
}

function checkReceivers(route: RouteConfig, names: Set<string>): void {
  if (route.receiver !== undefined && !names.has(route.receiver)) {
    throw new ConfigError(`undefined receiver ${JSON.stringify(route.receiver)} used in route`);
  }
  for (const c of route.routes) checkReceivers(c, names);
}

function parseWebhook(r: Reader, n: Node, where: string): WebhookConfig {
  const m = r.map(n, 'webhook', where);
  const url = r.str(m.get('url'), 'url');
  if (url === '') throw new ConfigError('one of url or url_file must be configured');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`unsupported scheme "" for URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`unsupported scheme ${JSON.stringify(parsed.protocol.replace(/:$/, ''))} for URL`);
  }
  return {
    url,
    // Alertmanager's DefaultWebhookConfig has send_resolved: true.
    sendResolved: m.has('send_resolved') ? r.bool(m.get('send_resolved'), 'send_resolved') : true,
    maxAlerts: r.int(m.get('max_alerts'), 'max_alerts'),
    timeoutMs: r.duration(m.get('timeout'), 'timeout') ?? 0,
  };
}

/** Parses and validates alertmanager.yml text. Throws ConfigError with Alertmanager-like wording. */
export function parseConfig(text: string, compat: Compat): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError(`yaml: ${doc.errors[0]!.message}`);
  const r = new Reader(lc, compat);
  const top = r.map(doc.contents as Node | null, 'top', 'config');
  const global = r.map(top.get('global'), 'global', 'global');
  const resolveTimeoutMs = r.duration(global.get('resolve_timeout'), 'resolve_timeout') ?? 5 * 60_000;
  const globalRaw = Object.fromEntries([...global].map(([k, v]) => [k, v === null ? null : (v.toJSON() as unknown)]));

  const receivers: ReceiverConfig[] = [];
  const names = new Set<string>();
  r.seq(top.get('receivers'), 'receivers').forEach((n, i) => {
    const m = r.map(n, 'receiver', `receivers[${i}]`);
    const name = r.str(m.get('name'), 'name');
    if (name === '') throw new ConfigError('missing name in receiver');
    if (names.has(name)) throw new ConfigError(`notification config name ${JSON.stringify(name)} is not unique`);
    names.add(name);
    let labels: Record<string, string> | undefined;
    if (compat.receiverLabels) {
      labels = Object.fromEntries(r.strMap(m.get('labels'), 'labels'));
      if (labels['name'] !== undefined && labels['name'] !== name) {
        throw new ConfigError(`receiver label "name" must match receiver name ${goQuote(name)}, got ${goQuote(labels['name'])}`);
      }
      labels['name'] = name;
    }
    const others: OtherIntegration[] = [];
    for (const integration of integrationsOf(compat.version)) {
      if (integration === 'webhook') continue;
      r.seq(m.get(`${integration}_configs`), `${integration}_configs`).forEach((n) => {
        if (!isMap(n)) throw new ConfigError(`yaml: unmarshal errors:\n  line ${r.line(n)}: cannot unmarshal !!${isSeq(n) ? 'seq' : 'str'} into config.${integration}`);
        const fields = n.toJSON() as Record<string, unknown>;
        const err = checkIntegration(integration, fields, compat.version);
        if (err) throw new ConfigError(err);
        others.push({ name: integration, fields });
      });
    }
    const err = checkAgainstGlobal(others, globalRaw, compat.version);
    if (err) throw new ConfigError(err);
    receivers.push({
      name,
      ...(labels ? { labels } : {}),
      webhookConfigs: r.seq(m.get('webhook_configs'), 'webhook_configs').map((w, j) =>
        parseWebhook(r, w, `receivers[${i}].webhook_configs[${j}]`),
      ),
      others,
    });
  });

  if (!top.has('route') || top.get('route') === null) throw new ConfigError('no routes provided');
  const route = parseRoute(r, top.get('route'), 'route');
  if (route.receiver === undefined) throw new ConfigError('root route must specify a default receiver');
  if (route.matchers.length > 0) throw new ConfigError('root route must not have any matchers');
  if (route.continue) throw new ConfigError('cannot have continue in root route');
  checkReceivers(route, names);

  const inhibitRules = r.seq(top.get('inhibit_rules'), 'inhibit_rules').map((n, i) => {
    const m = r.map(n, 'inhibit', `inhibit_rules[${i}]`);
    const equal = r.strList(m.get('equal'), 'equal');
    for (const l of equal) {
      if (!isValidLabelName(l, compat.utf8LabelNames)) throw new ConfigError(`invalid label name ${JSON.stringify(l)} in equal list`);
    }
    return {
      sourceMatchers: r.matchers(m.get('source_match'), m.get('source_match_re'), m.get('source_matchers')),
      targetMatchers: r.matchers(m.get('target_match'), m.get('target_match_re'), m.get('target_matchers')),
      equal,
    };
  });

  let original: string;
  try {
    original = originalConfig(doc.toJS() as Record<string, unknown>, compat);
  } catch {
    // A shape the re-marshaller does not know must not stop a valid config from loading.
    original = text;
  }
  return { resolveTimeoutMs, route, receivers, inhibitRules, original };
}
