/** The report renderers on hand-made reports: GitHub's escaping rules, Markdown that cannot be broken out of, size limits. */
import { describe, expect, test } from 'vitest';
import { type CheckReport, MARKDOWN_LIMIT, escapeData, escapeProperty, renderGitHub, renderMarkdown, renderReport, renderText } from '../../src/check/index.js';

const commit = (c: string) => ({ ref: 'main', commit: c.repeat(40), subject: 's' });

function report(over: Partial<CheckReport> = {}): CheckReport {
  return { verdict: 'pass', base: commit('a'), head: { ...commit('b'), ref: 'feature' }, outcome: 'Applied', findings: [], changes: [], rollouts: [], ...over };
}

describe('github workflow commands', () => {
  test('data escapes %, CR and LF; properties also escape : and ,', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('dir,a/b:c.yaml')).toBe('dir%2Ca/b%3Ac.yaml');
    expect(escapeData('%0A')).toBe('%250A'); // an escape sequence in the text stays literal
  });

  test('one command per finding: error, warning, notice; file and line only when known', () => {
    const out = renderGitHub(
      report({
        verdict: 'fail',
        findings: [
          { severity: 'error', code: 'YAMLSyntax', object: null, file: 'a,b.yaml', line: 3, message: 'bad\nthing 50%' },
          { severity: 'warning', code: 'DoubleCapacity', object: 'Deployment/default/web', file: 'web.yaml', line: null, message: 'twice' },
          { severity: 'info', code: 'Invalid', object: 'Deployment/default/x', file: null, line: null, message: 'base: x' },
        ],
      }),
    ).split('\n');
    expect(out.slice(0, 3)).toEqual([
      '::error file=a%2Cb.yaml,line=3,title=YAMLSyntax::bad%0Athing 50%25',
      '::warning file=web.yaml,title=DoubleCapacity Deployment/default/web::twice',
      '::notice title=Invalid Deployment/default/x::base: x',
    ]);
    expect(out[3]).toBe('mflux check: FAIL (1 error, 1 warning)');
  });
});

describe('markdown', () => {
  test('messages cannot break the table, the list or open HTML; diffs holding fences get a longer fence', () => {
    const md = renderMarkdown(
      report({
        verdict: 'fail',
        findings: [{ severity: 'error', code: 'Invalid', object: 'ConfigMap/default/c', file: 'c.yaml', line: 1, message: 'a | b <script> `x` *y*\nz' }],
        changes: [{ object: 'ConfigMap/default/c', action: 'update', patch: [] }],
      }),
      new Map([['ConfigMap/default/c', '--- live\n+++ git\n@@ -1,2 +1,2 @@\n ```\n-a: 1\n+a: 2\n']]),
    );
    expect(md).toContain('- ❌ **Invalid** `ConfigMap/default/c` at `c.yaml:1`: a \\| b &lt;script&gt; \\`x\\` \\*y\\* z');
    expect(md).toContain('| `ConfigMap/default/c` | update |  |  |  |  | ❌ Invalid |');
    expect(md).toContain('````diff\n--- live\n+++ git\n@@ -1,2 +1,2 @@\n ```\n-a: 1\n+a: 2\n````');
  });

  test('diffs that would pass the comment size limit are left out, and counted', () => {
    const changes = Array.from({ length: 40 }, (_, i) => ({ object: `ConfigMap/default/c${i}`, action: 'update' as const, patch: [] }));
    const big = '+x\n'.repeat(1000);
    const md = renderMarkdown(report({ changes }), new Map(changes.map((c) => [c.object, big])));
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT + 500);
    const shown = md.match(/<details>/g)!.length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(40);
    expect(md).toContain(`${40 - shown} more diff(s) left out`);
  });
});

describe('text and json', () => {
  test('a ref that is a SHA prints once; json is the report itself', () => {
    const r = report({ base: { ref: 'a'.repeat(40), commit: 'a'.repeat(40), subject: 'x' } });
    expect(renderText(r).split('\n')[1]).toBe('base aaaaaaa "x" → head feature bbbbbbb "s"');
    expect(JSON.parse(renderReport('json', r, new Map()))).toEqual(r);
  });
});
