/** Unified YAML diffs of plan entries, for `mflux diff` (Secrets masked). */
import { structuredPatch } from 'diff';
import { dump } from 'js-yaml';
import { type KubeObject, maskSecret } from '../core/index.js';
import { normalise, type PlanEntry } from './plan.js';

/** toYAML renders an object the way kubectl does (sorted keys, no line folding). */
export function toYAML(obj: unknown): string {
  return dump(obj, { noRefs: true, sortKeys: true, seqNoIndent: true, lineWidth: -1, quoteStyle: 'double' });
}

/**
 * MAX_EDIT_LENGTH bounds the Myers search (time grows with lines × edits): two texts that differ by
 * more lines than this are shown as one hunk that replaces the whole text, instead of minutes of CPU.
 */
const MAX_EDIT_LENGTH = 4000;

/**
 * unifiedDiff compares two texts line by line (Myers' O(ND) algorithm, from the `diff` package, so a
 * long file with a few changes costs little memory) and writes a unified diff with `context` lines
 * around each change; "" when equal. Lines are compared exactly: a CRLF file keeps its `\r`.
 */
export function unifiedDiff(a: string, b: string, labelA: string, labelB: string, context = 3): string {
  if (a === b) return '';
  // Both texts end with a newline for the comparison, so no "\ No newline at end of file" markers appear.
  const x = a === '' || a.endsWith('\n') ? a : `${a}\n`;
  const y = b === '' || b.endsWith('\n') ? b : `${b}\n`;
  const out: string[] = [`--- ${labelA}`, `+++ ${labelB}`];
  const patch = structuredPatch(labelA, labelB, x, y, undefined, undefined, { context, maxEditLength: MAX_EDIT_LENGTH });
  if (!patch) {
    // Too different to diff cheaply: one hunk that removes every old line and adds every new one.
    const old = x === '' ? [] : x.slice(0, -1).split('\n');
    const neu = y === '' ? [] : y.slice(0, -1).split('\n');
    out.push(`@@ -${old.length === 0 ? 0 : 1},${old.length} +${neu.length === 0 ? 0 : 1},${neu.length} @@`);
    for (const l of old) out.push(`-${l}`);
    for (const l of neu) out.push(`+${l}`);
    return `${out.join('\n')}\n`;
  }
  for (const h of patch.hunks) {
    // A hunk that covers no lines on one side names the line before it, as diff(1) and git do.
    out.push(`@@ -${h.oldLines === 0 ? h.oldStart - 1 : h.oldStart},${h.oldLines} +${h.newLines === 0 ? h.newStart - 1 : h.newStart},${h.newLines} @@`);
    for (const l of h.lines) if (!l.startsWith('\\')) out.push(l);
  }
  return `${out.join('\n')}\n`;
}

/** entryDiff renders one plan entry as a unified diff of normalised YAML (live → desired). */
export function entryDiff(e: PlanEntry): string {
  const show = (o: KubeObject | undefined) => (o ? toYAML(maskSecret(normalise(o))) : '');
  const action = e.intended ?? e.action;
  const from = action === 'create' ? '' : show(e.live);
  const to = action === 'prune' ? '' : show(e.applied);
  const text = unifiedDiff(from, to, `live/${e.ref}`, `git/${e.ref}`);
  // Masked Secret values can differ while their masked YAML does not: say which keys changed instead of showing nothing.
  if (text === '' && e.patch.length > 0) return `# ${e.ref}: values masked; changed: ${e.patch.map((op) => `${op.op} ${op.path}`).join(', ')}\n`;
  return text;
}
