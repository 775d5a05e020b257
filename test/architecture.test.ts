/**
 * The module map of DESIGN.md, enforced: imports only point down, side effects stay where they
 * belong, and only core/clock reads the time.
 */
import fs from 'node:fs';
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

function moduleOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep).join('/');
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

describe('module map', () => {
  test('every source file belongs to a module', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(() => moduleOf(f)).not.toThrow();
  });

  test('imports only point down (or stay inside their own module)', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = moduleOf(f);
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2]!;
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts'));
        const to = moduleOf(target);
        if (to === from) continue;
        if (!(LEVELS[to]! < LEVELS[from]!)) violations.push(`${path.relative(SRC, f)} (${from}, level ${LEVELS[from]}) imports ${spec} (${to}, level ${LEVELS[to]})`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('a planted upward import would be caught', () => {
    // Guards the checker itself: core importing cli must count as a violation.
    const from = moduleOf(path.join(SRC, 'core/object.ts'));
    const to = moduleOf(path.join(SRC, 'cli/program.ts'));
    expect(LEVELS[to]! < LEVELS[from]!).toBe(false);
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
