/** Unified YAML diffs of plan entries, for `mflux diff` (Secrets masked). */
import { dump } from 'js-yaml';
import type { KubeObject } from '../core/index.js';
import { maskSecret, normalise, type PlanEntry } from './plan.js';

/** toYAML renders an object the way kubectl does (sorted keys, no line folding). */
export function toYAML(obj: unknown): string {
  return dump(obj, { noRefs: true, sortKeys: true, seqNoIndent: true, lineWidth: -1, quoteStyle: 'double' });
}

/**
 * unifiedDiff compares two texts line by line (longest common subsequence) and writes a unified
 * diff with `context` lines around each change; "" when equal.
 */
export function unifiedDiff(a: string, b: string, labelA: string, labelB: string, context = 3): string {
  if (a === b) return '';
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  const n = x.length;
  const m = y.length;
  // lcs[i][j] = length of the LCS of x[i..] and y[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { t: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push({ t: ' ', line: x[i]!, ai: i++, bi: j++ });
    // Deletions before insertions within a change, as diff(1) and git print them.
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ t: '-', line: x[i]!, ai: i++, bi: j });
    else ops.push({ t: '+', line: y[j]!, ai: i, bi: j++ });
  }
  const out: string[] = [`--- ${labelA}`, `+++ ${labelB}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.t === ' ') {
      k++;
      continue;
    }
    let start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are within 2·context lines of each other.
    for (;;) {
      while (end < ops.length && ops[end]!.t !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.t === ' ' && next - end < 2 * context) next++;
      if (next < ops.length && ops[next]!.t !== ' ' && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const aStart = hunk[0]!.ai;
    const bStart = hunk[0]!.bi;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = stop;
    start = stop;
  }
  return `${out.join('\n')}\n`;
}

/** entryDiff renders one plan entry as a unified diff of normalised YAML (live → desired). */
export function entryDiff(e: PlanEntry): string {
  const show = (o: KubeObject | undefined) => (o ? toYAML(maskSecret(normalise(o))) : '');
  const action = e.intended ?? e.action;
  const from = action === 'create' ? '' : show(e.live);
  const to = action === 'prune' ? '' : show(e.applied);
  return unifiedDiff(from, to, `live/${e.ref}`, `git/${e.ref}`);
}
