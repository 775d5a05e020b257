/** Parsing manifest files into objects that remember where they came from (file:line). */
import { load } from 'js-yaml';
// Straight to the two core files it needs: parse-worker loads this file, and core/index would bring in the logger.
import { MfluxError } from '../core/errors.js';
import type { KubeObject } from '../core/object.js';
import { BUILTIN_KINDS, type KindLookup } from '../core/kinds.js';

/** ManifestFile is one file's path (relative, for messages) and text. */
export interface ManifestFile {
  path: string;
  content: string;
}

/** Origin is where an object was defined: file and 1-based line of its document. */
export interface Origin {
  file: string;
  line: number;
}

/** ParsedObject is a manifest object plus its origin. */
export interface ParsedObject {
  object: KubeObject;
  origin: Origin;
}

/** ManifestIssue is one problem found while parsing (code, file:line:column, message). */
export interface ManifestIssue {
  code: 'YAMLSyntax' | 'InvalidManifest';
  file: string;
  line: number;
  column?: number;
  message: string;
}

/** formatIssue writes an issue as "file:line:col: message". */
export function formatIssue(i: ManifestIssue): string {
  return `${i.file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}: ${i.message}`;
}

/** ManifestError carries every issue found in a set of files; its code is the first issue's. */
export class ManifestError extends MfluxError {
  readonly issues: ManifestIssue[];
  constructor(issues: ManifestIssue[]) {
    super(issues[0]!.code, issues.map(formatIssue).join('\n'), { details: { issues } });
    this.issues = issues;
  }
}

const DOC_SEPARATOR = /^---(\s.*)?$/;
const DOC_END = /^\.\.\.\s*$/;

/** splitDocuments cuts a multi-document YAML text at "---" lines, remembering each document's first line (1-based). */
export function splitDocuments(text: string): { text: string; line: number }[] {
  const lines = text.split(/\r?\n/);
  const docs: { text: string; line: number }[] = [];
  let start = 0;
  let buf: string[] = [];
  const flush = () => {
    docs.push({ text: buf.join('\n'), line: start + 1 });
    buf = [];
  };
  lines.forEach((l, i) => {
    if (DOC_SEPARATOR.test(l)) {
      flush();
      start = i + 1;
      const rest = l.slice(3).trim();
      if (rest && !rest.startsWith('#')) {
        buf.push(rest);
        start = i;
      }
    } else if (DOC_END.test(l)) {
      flush();
      start = i + 1;
    } else {
      buf.push(l);
    }
  });
  flush();
  return docs;
}

function firstContentLine(doc: { text: string; line: number }): number {
  // Count the blank and comment lines before the first content line, without splitting the whole text.
  const t = doc.text;
  let line = doc.line;
  let pos = 0;
  while (pos < t.length) {
    const nl = t.indexOf('\n', pos);
    const end = nl < 0 ? t.length : nl;
    const l = t.slice(pos, end).trim();
    if (l !== '' && !l.startsWith('#')) return line;
    if (nl < 0) break;
    line++;
    pos = nl + 1;
  }
  return doc.line;
}

function isEmptyDoc(v: unknown): boolean {
  return v === null || v === undefined;
}

function parseJSON(file: ManifestFile, issues: ManifestIssue[]): { value: unknown; line: number }[] {
  try {
    return [{ value: JSON.parse(file.content), line: 1 }];
  } catch (err) {
    const m = /position (\d+)/.exec(String((err as Error).message));
    let line = 1;
    let column = 1;
    if (m) {
      const before = file.content.slice(0, Number(m[1]));
      line = before.split('\n').length;
      column = before.length - before.lastIndexOf('\n');
    }
    issues.push({ code: 'YAMLSyntax', file: file.path, line, column, message: `invalid JSON: ${(err as Error).message}` });
    return [];
  }
}

/** parseManifestFile parses one file (YAML multi-document or JSON; a "List" is unpacked) into objects with origins. */
export function parseManifestFile(file: ManifestFile, issues: ManifestIssue[]): ParsedObject[] {
  const values: { value: unknown; line: number }[] = [];
  if (file.path.endsWith('.json')) {
    values.push(...parseJSON(file, issues));
  } else {
    // Most files hold one document: parse them whole, without splitting and re-joining lines.
    const single = !/(^|\n)(---|\.\.\.)(\s|$)/.test(file.content);
    for (const doc of single ? [{ text: file.content, line: 1 }] : splitDocuments(file.content)) {
      try {
        const value = load(doc.text);
        if (!isEmptyDoc(value)) values.push({ value, line: firstContentLine(doc) });
      } catch (err: any) {
        const line = typeof err?.mark?.line === 'number' ? err.mark.line : typeof err?.line === 'number' ? err.line : 0;
        const column = typeof err?.mark?.column === 'number' ? err.mark.column : typeof err?.column === 'number' ? err.column : 0;
        const reason = err?.reason ?? String(err?.message ?? err).split('\n')[0];
        issues.push({ code: 'YAMLSyntax', file: file.path, line: doc.line + line, column: column + 1, message: `YAML syntax error: ${reason}` });
      }
    }
  }
  const out: ParsedObject[] = [];
  for (const { value, line } of values) {
    if (value && typeof value === 'object' && !Array.isArray(value) && (value as any).kind === 'List' && Array.isArray((value as any).items)) {
      for (const item of (value as any).items) checkObject(item, { file: file.path, line }, issues, out);
    } else {
      checkObject(value, { file: file.path, line }, issues, out);
    }
  }
  return out;
}

function checkObject(value: unknown, origin: Origin, issues: ManifestIssue[], out: ParsedObject[]): void {
  const problem = (message: string) => issues.push({ code: 'InvalidManifest', file: origin.file, line: origin.line, message });
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problem('a manifest must be a YAML mapping (an object with apiVersion, kind and metadata)');
    return;
  }
  const o = value as Record<string, any>;
  const missing: string[] = [];
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) missing.push('apiVersion');
  if (typeof o.kind !== 'string' || !o.kind) missing.push('kind');
  if (!o.metadata || typeof o.metadata !== 'object' || typeof o.metadata.name !== 'string' || !o.metadata.name) missing.push('metadata.name');
  if (missing.length > 0) {
    const what = typeof o.kind === 'string' ? `${o.kind}${o.metadata?.name ? `/${o.metadata.name}` : ''}: ` : '';
    problem(`${what}missing ${missing.join(', ')}`);
    return;
  }
  out.push({ object: o as KubeObject, origin });
}

/** parseManifests parses many files; any issue in any file raises one ManifestError listing them all. */
export function parseManifests(files: ManifestFile[]): ParsedObject[] {
  const issues: ManifestIssue[] = [];
  const out: ParsedObject[] = [];
  for (const f of files) out.push(...parseManifestFile(f, issues));
  if (issues.length > 0) throw new ManifestError(issues);
  return out;
}

/** sortForApply orders objects by the kind registry's apply order (custom resources last), then namespace and name. */
export function sortForApply<T extends { object: KubeObject }>(items: T[], kinds: KindLookup = BUILTIN_KINDS): T[] {
  const rank = (k: string) => kinds.applyRank(k);
  return [...items].sort(
    (a, b) =>
      rank(a.object.kind) - rank(b.object.kind) ||
      (a.object.metadata.namespace ?? '').localeCompare(b.object.metadata.namespace ?? '') ||
      a.object.metadata.name.localeCompare(b.object.metadata.name),
  );
}
