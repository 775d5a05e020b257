/**
 * The module map of DESIGN.md, enforced: imports only point down, side effects stay where they
 * belong, and only core/clock reads the time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = path.resolve(__dirname, '../src');

/**
 * LEVELS is DESIGN.md's module map in its row order ("import only downward in this list"): a
 * module may import the modules listed above it, never one below. The longest matching prefix
 * names a file's module.
 */
const LEVELS: Record<string, number> = {
  core: 0,
  source: 1,
  manifests: 2,
  render: 2.5,
  cluster: 3,
  store: 4,
  'cluster/sim': 5,
  plan: 6,
  apply: 7,
  ledger: 8,
  reconcile: 9,
  daemon: 10,
  check: 11,
  cli: 12,
};

function moduleOf(file: string, root = SRC): string {
  const rel = path.relative(root, file).split(path.sep).join('/');
  const match = Object.keys(LEVELS)
    .filter((m) => rel === m || rel.startsWith(`${m}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (!match) throw new Error(`${rel} is not in any module of the module map`);
  return match;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const files = sourceFiles(SRC);
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** localImports lists the project files a source file imports (type-only imports included). */
function localImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2]!).filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

/** upwardImports is the module-map check: every import that points up the map, as "file (module, level) imports spec (module, level)". */
function upwardImports(root: string): string[] {
  const violations: string[] = [];
  for (const f of sourceFiles(root)) {
    const from = moduleOf(f, root);
    for (const target of localImports(f)) {
      const to = moduleOf(target, root);
      if (to === from) continue;
      if (!(LEVELS[to]! < LEVELS[from]!)) violations.push(`${path.relative(root, f)} (${from}, level ${LEVELS[from]}) imports ${path.relative(root, target)} (${to}, level ${LEVELS[to]})`);
    }
  }
  return violations;
}

/** importCycles finds every strongly connected set of files that import each other (Tarjan), type-only imports included. */
function importCycles(root: string): string[][] {
  const all = sourceFiles(root);
  const edges = new Map(all.map((f) => [f, localImports(f).filter((t) => fs.existsSync(t))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack.delete(w);
        scc.push(path.relative(root, w));
        if (w === v) break;
      }
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const f of all) if (!index.has(f)) visit(f);
  return out;
}

/** plantTree writes a throwaway src tree (relative path → text) and returns its root. */
function plantTree(tree: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-arch-'));
  for (const [rel, text] of Object.entries(tree)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('module map', () => {
  test('every source file belongs to a module', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => moduleOf(f)).not.toThrow();
  });

  test('imports only point down (or stay inside their own module)', () => {
    expect(upwardImports(SRC)).toEqual([]);
  });

  test('no import cycles between files, type-only imports included', () => {
    expect(importCycles(SRC)).toEqual([]);
  });

  test('a planted upward import and a planted cycle are caught by the same checks', () => {
    // Guards the checkers themselves, on a real tree of files.
    const root = plantTree({
      'core/object.ts': "import { main } from '../cli/program.js';\nexport const x = main;\n",
      'cli/program.ts': "export const main = 1;\n",
      'plan/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'plan/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
    });
    try {
      expect(upwardImports(root)).toEqual([`${path.join('core', 'object.ts')} (core, level 0) imports ${path.join('cli', 'program.ts')} (cli, level 12)`]);
      expect(importCycles(root)).toEqual([[path.join('plan', 'a.ts'), path.join('plan', 'b.ts')]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('side effects stay in their place', () => {
  const outside = (allowed: (rel: string) => boolean, re: RegExp) =>
    files
      .map((f) => path.relative(SRC, f).split(path.sep).join('/'))
      .filter((rel) => !allowed(rel) && re.test(fs.readFileSync(path.join(SRC, rel), 'utf8')));

  test('only core/clock reads the time or sets timers', () => {
    expect(outside((r) => r === 'core/clock.ts', /Date\.now\(|new Date\(\)|setTimeout\(|setInterval\(|performance\.now\(/)).toEqual([]);
  });

  test('only cli/ exits the process or writes to stdout', () => {
    expect(outside((r) => r.startsWith('cli/'), /process\.exit|process\.stdout\.write|console\.log\(/)).toEqual([]);
  });

  test('only cli/ and tests construct the simulator', () => {
    expect(outside((r) => r.startsWith('cli/') || r.startsWith('cluster/sim/'), /new Simulation\(/)).toEqual([]);
  });
});
