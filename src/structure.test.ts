import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder } from './util/fs.js';
import { packageRoot } from './util/paths.js';

/**
 * The shape docs/architecture.md draws, held against the code: the folders under src/ (one concept
 * each) import one another without a circle — static imports and dynamic `import()` alike, tests
 * left out. A circle means two concepts no longer stand apart (versions/ once reached into the
 * docker runtime for `image:` while runtime/ read versions/' types).
 */
const SRC = join(packageRoot(), 'src');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;

/** The folder under src/ a file belongs to ("runtime", "tsam"); files directly in src/ are "(root)". */
function unitOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? rel.split('/')[0]! : '(root)';
}

async function folderGraph(): Promise<Map<string, Map<string, string>>> {
  const graph = new Map<string, Map<string, string>>();
  const files = (await filesUnder(SRC)).filter((f) => f.endsWith('.ts') && !/\.test\.ts$/.test(f));
  for (const file of files) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(SRC + '/')) continue;
      const to = unitOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, `${relative(SRC, file)} → ${m[1]}`);
    }
  }
  return graph;
}

/** Every elementary circle's first occurrence, as "a → b → a (why each step)". */
function circles(graph: Map<string, Map<string, string>>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (node: string, path: string[]): void => {
    for (const [next, why] of graph.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at !== -1) {
        const loop = [...path.slice(at), next];
        const key = [...loop.slice(0, -1)].sort().join(',');
        if (!seen.has(key)) {
          seen.add(key);
          out.push(loop.join(' → ') + ` (last step: ${why})`);
        }
        continue;
      }
      if (path.length < 12) walk(next, [...path, next]);
    }
  };
  for (const start of [...graph.keys()].sort()) walk(start, [start]);
  return out;
}

describe('structure: the folders under src/ import one another without a circle', () => {
  it('finds the folders and their imports (the scan sees both kinds of import)', async () => {
    const g = await folderGraph();
    expect(g.get('run')?.has('runtime')).toBe(true);
    expect(g.get('cli')?.has('run')).toBe(true);
    // run/runtime-registry.ts loads the netns runtime with a dynamic import.
    expect(g.get('run')?.get('runtime')).toBeDefined();
    expect(circles(new Map([['a', new Map([['b', 'x']])], ['b', new Map([['a', 'y']])]]))).toEqual(['a → b → a (last step: y)']);
  });

  it('no circle', async () => {
    expect(circles(await folderGraph())).toEqual([]);
  });
});
