import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { historyBuilder } from '../../test/support/checkers/history-builder.js';
import { CHECKER_NAMES, runChecks } from '../checkers/index.js';
import { packageRoot } from '../util/paths.js';
import { describeFigure, describedKeys, formatFigureValue } from './figures.js';

/**
 * Every figure key a checker, the scenario runner or a suite writes has a description in
 * src/report/figures.ts. The keys are read from the source itself (the TypeScript AST): writes
 * `figures['k'] = …`, `ctx.figures.k = …`, `ctx.figures[`k:${x}`] = …`, object literals assigned to a `figures…`
 * variable or property (spreads followed to the object they spread), and the figures passed to
 * unknownResult(). A new figure without a description fails here.
 */

const ROOT = packageRoot();

interface Written {
  source: string;
  key: string;
  /** `duplicatesBySender:${s}` → prefix "duplicatesBySender". */
  prefix: boolean;
  where: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
}

/** The check a checker file writes figures for: its exported name constant (`export const NO_LOSS = 'no-loss'`). */
function checkNameOf(text: string): string | undefined {
  return /export const [A-Z_]+ = '([a-z-]+)';/.exec(text)?.[1];
}

function writtenKeys(file: string, source: string): { keys: Written[]; dynamic: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const keys: Written[] = [];
  const dynamic: string[] = [];
  const where = (n: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  // Object literals of variables in this file, to follow spreads (`{ ...counts, x }`).
  const literals = new Map<string, ts.ObjectLiteralExpression>();
  const collectLiterals = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isObjectLiteralExpression(n.initializer)) literals.set(n.name.text, n.initializer);
    ts.forEachChild(n, collectLiterals);
  };
  collectLiterals(sf);
  const fromLiteral = (o: ts.ObjectLiteralExpression, seen = new Set<string>()): void => {
    for (const p of o.properties) {
      if (ts.isSpreadAssignment(p)) {
        if (ts.isIdentifier(p.expression) && literals.has(p.expression.text) && !seen.has(p.expression.text)) {
          seen.add(p.expression.text);
          fromLiteral(literals.get(p.expression.text)!, seen);
        } else if (!ts.isConditionalExpression(p.expression) && !ts.isParenthesizedExpression(p.expression)) dynamic.push(`${where(p)} spreads ${p.expression.getText(sf)}`);
        continue;
      }
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (name === undefined) dynamic.push(`${where(p)} computed key ${p.getText(sf)}`);
      else keys.push({ source, key: name, prefix: false, where: where(p) });
    }
  };
  const isFiguresName = (e: ts.Expression): boolean => /(^|\.)figures(Base)?$/.test(e.getText(sf));
  const visit = (n: ts.Node): void => {
    // figures['k'] = …, ctx.figures[`k:${x}`] = …
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isElementAccessExpression(n.left) && isFiguresName(n.left.expression)) {
      const arg = n.left.argumentExpression;
      if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) keys.push({ source, key: arg.text, prefix: false, where: where(n) });
      else if (ts.isTemplateExpression(arg) && arg.head.text.endsWith(':')) keys.push({ source, key: arg.head.text.slice(0, -1), prefix: true, where: where(n) });
      else dynamic.push(`${where(n)} ${n.left.getText(sf)}`);
    }
    // figures.k = … (property access)
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && isFiguresName(n.left.expression)) {
      keys.push({ source, key: n.left.name.text, prefix: false, where: where(n) });
    }
    // const figures = { … }, figuresBase = { … }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && /^figures/.test(n.name.text) && n.initializer && ts.isObjectLiteralExpression(n.initializer)) fromLiteral(n.initializer);
    // { figures: { … } } in a result
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'figures' && ts.isObjectLiteralExpression(n.initializer)) fromLiteral(n.initializer);
    // unknownResult(name, summary, evidence, { … })
    if (ts.isCallExpression(n) && n.expression.getText(sf) === 'unknownResult' && n.arguments[3] && ts.isObjectLiteralExpression(n.arguments[3])) fromLiteral(n.arguments[3]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { keys, dynamic };
}

function allWritten(): { keys: Written[]; dynamic: string[] } {
  const keys: Written[] = [];
  const dynamic: string[] = [];
  for (const file of sourceFiles('src/checkers')) {
    const source = checkNameOf(readFileSync(join(ROOT, file), 'utf8'));
    if (!source) continue;
    const r = writtenKeys(file, source);
    keys.push(...r.keys);
    dynamic.push(...r.dynamic);
  }
  // The scenario runner (src/run, src/library, src/steps) and the suites write the scenario's own figures.
  for (const file of [...sourceFiles('src/run'), ...sourceFiles('src/library'), ...sourceFiles('src/steps'), ...sourceFiles('suites')]) {
    const r = writtenKeys(file, 'scenario');
    keys.push(...r.keys);
    dynamic.push(...r.dynamic);
  }
  return { keys, dynamic };
}

describe('figure descriptions', () => {
  const { keys, dynamic } = allWritten();

  it('finds the figures the checkers and suites write (the scan itself works)', () => {
    const has = (source: string, key: string) => keys.some((k) => k.source === source && k.key === key);
    // A sample of each kind of write, so a scan that silently finds nothing fails here.
    expect(has('exactly-once', 'duplicatesTotal')).toBe(true); // object literal
    expect(has('exactly-once', 'duplicatesBySender')).toBe(true); // template key
    expect(has('no-loss', 'lateFiring')).toBe(true); // spread of `counts`
    expect(has('no-loss', 'mutedDeliveriesIgnored')).toBe(true);
    expect(has('validity', 'phantoms')).toBe(true);
    expect(has('convergence', 'comparedBy')).toBe(true); // figuresBase['k'] = …
    expect(has('silence-propagation', 'indeterminateCreates')).toBe(true); // unknownResult(…, { … })
    expect(has('scenario', 'quiesceMs')).toBe(true); // runner
    expect(has('scenario', 'latencyThresholdMs')).toBe(true); // ctx.figures in a suite
    expect(keys.length).toBeGreaterThan(120);
  });

  it('has no figure written under a key the scan cannot read', () => {
    expect(dynamic).toEqual([]);
  });

  it('describes every figure key written: label, unit (or kind that needs none) and a one-line help', () => {
    const missing: string[] = [];
    for (const w of keys) {
      const probe = w.prefix ? `${w.key}:n1` : w.key;
      const info = describeFigure(w.source, probe);
      if (!info) {
        missing.push(`${w.source} ${w.key}${w.prefix ? ':*' : ''} (${w.where})`);
        continue;
      }
      expect(info.label.length, probe).toBeGreaterThan(2);
      expect(info.help.length, probe).toBeGreaterThan(15);
      expect(info.help, probe).not.toContain('\n');
      if (['count', 'ms', 'at', 'list'].includes(info.kind)) expect(info.unit, `${w.source} ${probe}`).not.toBe('');
    }
    expect(missing, 'add a description to src/report/figures.ts').toEqual([]);
  });

  it('names each new figure the issue asked for', () => {
    for (const [source, key] of [
      ['exactly-once', 'duplicatesTotal'],
      ['exactly-once', 'transitionsNotWatchedToHorizon'],
      ['exactly-once', 'latestHorizon'],
      ['exactly-once', 'watchedUntil'],
      ['validity', 'latestHorizon'],
      ['validity', 'watchedUntil'],
      ['validity', 'staleFiring'],
      ['no-loss', 'lateFiring'],
      ['no-loss', 'mutedDeliveriesIgnored'],
      ['scenario', 'quiesceMs'],
    ] as const) {
      expect(describeFigure(source, key), `${source} ${key}`).toBeDefined();
    }
  });

  it('every key the real checkers produce on a history is described (the dynamic side of the scan)', () => {
    const A = { alertname: 'A' };
    const h = historyBuilder()
      .start({ nodes: 3 })
      .ready(0)
      .fire(A, 1_000)
      .notify({ t: 2_100, sender: 'n1', firing: [A] })
      .notify({ t: 4_200, sender: 'n2', firing: [A] })
      .silence({ t: 5_000, node: 'n1', matchers: ['alertname="B"'], id: 's1' })
      .fault({ t: 8_000, until: 12_000, components: [['n1'], ['n2', 'n3']] })
      .sampleAll(13_000, ['s1'])
      .resolve(A, 20_000)
      .notify({ t: 22_100, sender: 'n1', resolved: [A] })
      .end(60_000)
      .build();
    const results = runChecks(h, CHECKER_NAMES);
    const missing = results.flatMap((r) => Object.keys(r.figures).filter((k) => !describeFigure(r.name, k)).map((k) => `${r.name} ${k}`));
    expect(missing).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(6);
  });

  it('formats values with their unit, times relative to the scenario start', () => {
    expect(formatFigureValue(describeFigure('exactly-once', 'duplicates'), 3, 0)).toBe('3 notifications');
    expect(formatFigureValue(describeFigure('no-loss', 'firingObligations'), 9, 0)).toBe('9 alerts');
    expect(formatFigureValue(describeFigure('no-loss', 'firingObligations'), 1, 0)).toBe('1 alert');
    expect(formatFigureValue(describeFigure('validity', 'statesChecked'), 1, 0)).toBe('1 alert state');
    expect(formatFigureValue(describeFigure('exactly-once', 'healthyTransitions'), 8, 0)).toBe('8 transitions');
    expect(formatFigureValue(describeFigure('no-loss', 'fireDeadlineMs'), 17_000, 0)).toBe('17000 ms (17 s)');
    expect(formatFigureValue(describeFigure('timers', 'repeatIntervalMs'), 3_600_000, 0)).toBe('3600000 ms (1 h)');
    expect(formatFigureValue(describeFigure('exactly-once', 'settleMarginMs'), 500, 0)).toBe('500 ms');
    expect(formatFigureValue(describeFigure('exactly-once', 'latestHorizon'), 12_345, 2_000)).toBe('t=10.345 s');
    expect(formatFigureValue(describeFigure('exactly-once', 'readyAt'), null, 0)).toBe('—');
    expect(describeFigure('exactly-once', 'duplicatesBySender:n2')?.label).toContain('n2');
    expect(describeFigure('exactly-once', 'noSuchFigure')).toBeUndefined();
    expect(describedKeys('no-loss').exact).toContain('lateFiring');
  });
});
