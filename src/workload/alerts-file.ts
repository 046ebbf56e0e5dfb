import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { AmchaosError } from '../errors/index.js';
import { labelKey, type LabelSet } from '../history/types.js';
import type { AlertSpec } from './types.js';

/**
 * The alerts file: a YAML list. Each item is either a label map (short form) or a map with
 * `labels` and optional `annotations` (long form):
 *
 *   - alertname: HighCPU
 *     group: web
 *     instance: web-1:9100
 *   - labels: { alertname: DiskFull, group: db }
 *     annotations: { summary: "disk almost full" }
 *
 * Label names follow the classic Prometheus rule ([a-zA-Z_][a-zA-Z0-9_]*, no leading "__", which
 * every version amchaos runs accepts); values are non-empty strings (quote numbers: "1").
 */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LONG_FORM_KEYS = new Set(['labels', 'annotations']);

const FORMAT_HINT =
  'an alerts file is a YAML list; each item is a label map (alertname: X, group: Y) or { labels: {...}, annotations: {...} }; see fixtures/alerts/example.yaml';

/** Reads and validates an alerts file; every problem is AMCHAOS_INVALID_ALERTS_FILE with file:line. */
export async function loadAlertsFile(path: string): Promise<AlertSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AmchaosError('AMCHAOS_INVALID_ALERTS_FILE', `cannot read alerts file ${path}: ${(e as Error).message}`, {
      hint: 'check the path given to --alerts',
      cause: e,
    });
  }
  return parseAlertsYaml(text, path);
}

/** Parses alerts-file text; `source` names it in messages (a path, or "<inline>"). */
export function parseAlertsYaml(text: string, source = '<inline>'): AlertSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (message: string, at?: Node | number | null): never => {
    const offset = typeof at === 'number' ? at : at?.range?.[0];
    const where = offset === undefined ? source : `${source}:${lines.linePos(offset).line}`;
    throw new AmchaosError('AMCHAOS_INVALID_ALERTS_FILE', `${where}: ${message}`, { hint: FORMAT_HINT, details: { file: source } });
  };

  const first = doc.errors[0];
  if (first) {
    const where = `${source}:${lines.linePos(first.pos[0]).line}`;
    const msg = first.message.split('\n')[0] ?? first.message;
    throw new AmchaosError('AMCHAOS_INVALID_ALERTS_FILE', `${where}: not valid YAML: ${msg}`, { hint: FORMAT_HINT, details: { file: source } });
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return fail('the file is empty; it must list at least one alert');
  if (!isSeq(root)) return fail('the top level must be a list of alerts (items starting with "- ")', root);
  const seq = root;
  if (seq.items.length === 0) return fail('the list of alerts is empty', seq);

  const specs: AlertSpec[] = [];
  const firstSeen = new Map<string, number>();
  seq.items.forEach((item, index) => {
    const n = index + 1;
    if (!isMap(item)) return fail(`alert #${n} must be a map of labels (or { labels, annotations })`, item as Node | null);
    const isLong = item.items.some((p) => isScalar(p.key) && p.key.value === 'labels' && isMap(p.value));
    let labels: LabelSet;
    let annotations: LabelSet | undefined;
    if (isLong) {
      for (const p of item.items) {
        const k = scalarKey(p);
        if (k === undefined || !LONG_FORM_KEYS.has(k)) {
          return fail(`alert #${n}: unknown key ${JSON.stringify(k ?? '?')} in the { labels, annotations } form`, p.key as Node);
        }
      }
      const lp = item.items.find((p) => scalarKey(p) === 'labels')!;
      labels = stringMap(lp.value as Node, `alert #${n} labels`, true, fail);
      const ap = item.items.find((p) => scalarKey(p) === 'annotations');
      if (ap) annotations = stringMap(ap.value as Node, `alert #${n} annotations`, false, fail);
    } else {
      labels = stringMap(item, `alert #${n}`, true, fail);
    }
    const key = labelKey(labels);
    const offset = item.range?.[0] ?? 0;
    const earlier = firstSeen.get(key);
    if (earlier !== undefined) {
      return fail(`alert #${n} has the same labels as the alert on line ${lines.linePos(earlier).line} (${key}); each alert must be distinct`, offset);
    }
    firstSeen.set(key, offset);
    specs.push(annotations ? { labels, annotations } : { labels });
  });
  return specs;
}

function scalarKey(p: Pair): string | undefined {
  return isScalar(p.key) && typeof p.key.value === 'string' ? p.key.value : undefined;
}

function stringMap(
  node: Node | null,
  what: string,
  asLabels: boolean,
  fail: (message: string, at?: Node | number | null) => never,
): LabelSet {
  if (!isMap(node)) return fail(`${what} must be a map of name: "value"`, node);
  const out: LabelSet = {};
  for (const p of node.items) {
    const name = scalarKey(p);
    const keyNode = p.key as Node;
    if (name === undefined) return fail(`${what}: names must be plain strings`, keyNode);
    if (asLabels) {
      if (!LABEL_NAME.test(name)) return fail(`${what}: label name ${JSON.stringify(name)} is invalid (use letters, digits and _, not starting with a digit)`, keyNode);
      if (name.startsWith('__')) return fail(`${what}: label name ${JSON.stringify(name)} is reserved (names starting with "__" are internal)`, keyNode);
    }
    const v = p.value as Node | null;
    if (!isScalar(v) || typeof v.value !== 'string') {
      const shown = isScalar(v) ? JSON.stringify(v.value) : 'a list or map';
      return fail(`${what}: the value of ${JSON.stringify(name)} must be a string, got ${shown} (quote it: ${name}: "...")`, v ?? keyNode);
    }
    if (asLabels && v.value === '') return fail(`${what}: label ${JSON.stringify(name)} is empty (an empty label is the same as no label: leave it out)`, v);
    out[name] = v.value;
  }
  if (asLabels && Object.keys(out).length === 0) return fail(`${what} has no labels; an alert needs at least one (usually alertname)`, node);
  return out;
}
