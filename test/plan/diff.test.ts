/**
 * unifiedDiff: exact output on small cases (the same text `diff -u` prints), and on seeded random
 * texts a diff that GNU patch applies back to the new text. Large inputs stay cheap.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { unifiedDiff } from '../../src/plan/diff.js';

/** gnuDiff runs the real `diff -u` and drops its two header lines (they carry file times). */
function gnuDiff(a: string, b: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-diff-'));
  try {
    fs.writeFileSync(path.join(dir, 'a'), a);
    fs.writeFileSync(path.join(dir, 'b'), b);
    let out = '';
    try {
      out = execFileSync('diff', ['-u', 'a', 'b'], { cwd: dir, encoding: 'utf8' });
    } catch (err) {
      out = (err as { stdout: string }).stdout;
    }
    return out.split('\n').slice(2).join('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** patchApplies feeds our diff to GNU patch and returns the patched text. */
function patchApplies(a: string, diff: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-patch-'));
  try {
    fs.writeFileSync(path.join(dir, 'f'), a);
    fs.writeFileSync(path.join(dir, 'p'), diff);
    execFileSync('patch', ['--quiet', '--batch', 'f', 'p'], { cwd: dir, encoding: 'utf8' });
    return fs.readFileSync(path.join(dir, 'f'), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const body = (d: string) => d.split('\n').slice(2).join('\n');

describe('unifiedDiff', () => {
  test('equal texts give no diff', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
  });

  test('one changed line in the middle: three lines of context, deletion before insertion', () => {
    const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\n';
    const b = 'l1\nl2\nl3\nL4\nl5\nl6\nl7\n';
    const d = unifiedDiff(a, b, 'live/x', 'git/x');
    expect(d).toBe('--- live/x\n+++ git/x\n@@ -1,7 +1,7 @@\n l1\n l2\n l3\n-l4\n+L4\n l5\n l6\n l7\n');
    expect(body(d)).toBe(gnuDiff(a, b));
  });

  test('create and delete of a whole text name line 0 on the empty side', () => {
    expect(unifiedDiff('', 'a\nb\n', 'x', 'y')).toBe('--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    expect(unifiedDiff('a\nb\n', '', 'x', 'y')).toBe('--- x\n+++ y\n@@ -1,2 +0,0 @@\n-a\n-b\n');
  });

  test('changes far apart make two hunks; near ones share a hunk (as diff -u)', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const far = [...lines];
    far[2] = 'changed 2';
    far[25] = 'changed 25';
    const a = `${lines.join('\n')}\n`;
    const bFar = `${far.join('\n')}\n`;
    expect(body(unifiedDiff(a, bFar, 'a', 'b'))).toBe(gnuDiff(a, bFar));
    expect(unifiedDiff(a, bFar, 'a', 'b').match(/^@@/gm)).toHaveLength(2);
    const near = [...lines];
    near[10] = 'x';
    near[16] = 'y';
    const bNear = `${near.join('\n')}\n`;
    expect(body(unifiedDiff(a, bNear, 'a', 'b'))).toBe(gnuDiff(a, bNear));
    expect(unifiedDiff(a, bNear, 'a', 'b').match(/^@@/gm)).toHaveLength(1);
  });

  test('a CRLF text keeps its carriage returns in the diff lines', () => {
    const d = unifiedDiff('a: 1\r\nz: 1\r\n', 'a: 2\r\nz: 1\r\n', 'a', 'b');
    expect(d).toContain('\n-a: 1\r\n+a: 2\r\n z: 1\r\n');
  });

  test('seeded random edits: GNU patch turns the old text into the new one with our diff', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const a = Array.from({ length: 5 + rnd(60) }, () => `k${rnd(8)}: v${rnd(5)}`);
      const b = [...a];
      for (let e = 0; e < 1 + rnd(8); e++) {
        const at = rnd(b.length + 1);
        const what = rnd(3);
        if (what === 0) b.splice(at, 0, `new${rnd(100)}`);
        else if (what === 1 && b.length > 1) b.splice(Math.min(at, b.length - 1), 1);
        else if (b.length > 0) b[Math.min(at, b.length - 1)] = `mod${rnd(100)}`;
      }
      const ta = `${a.join('\n')}\n`;
      const tb = `${b.join('\n')}\n`;
      const d = unifiedDiff(ta, tb, 'f', 'f');
      if (ta === tb) expect(d).toBe('');
      else expect(patchApplies(ta, d), `round ${round}`).toBe(tb);
    }
  });

  test('a long file with one change costs little; two unrelated long files fall back to one replacing hunk', () => {
    const n = 200_000;
    const a = Array.from({ length: n }, (_, i) => `line ${i}`);
    const b = [...a];
    b[n / 2] = 'changed';
    const before = process.memoryUsage().rss;
    const d = unifiedDiff(`${a.join('\n')}\n`, `${b.join('\n')}\n`, 'a', 'b');
    expect(d).toContain(`-line ${n / 2}\n+changed\n`);
    expect(d.split('\n').length).toBe(2 + 1 + 7 + 1 + 1);
    // The old rows × columns table needed 200,001² × 4 bytes (160 GB) here.
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);

    const x = Array.from({ length: 20_000 }, (_, i) => `x ${i}`).join('\n');
    const y = Array.from({ length: 20_000 }, (_, i) => `y ${i}`).join('\n');
    const whole = unifiedDiff(x, y, 'a', 'b');
    expect(whole.startsWith('--- a\n+++ b\n@@ -1,20000 +1,20000 @@\n-x 0\n')).toBe(true);
    expect(patchApplies(`${x}\n`, whole)).toBe(`${y}\n`);
  });
});
