/** Parsing manifest files into objects that remember where they came from (file:line). */
import { CHOMPING_MODE, CORE_SCHEMA, EVENT_ID, SCALAR_STYLE, YAMLException, constructFromEvents, intCoreTag, mergeTag, parseEvents } from 'js-yaml';
// Straight to the two core files it needs: parse-worker loads this file, and core/index would bring in the logger.
import { type ErrorCode, MfluxError } from '../core/errors.js';
import type { KubeObject } from '../core/object.js';
import { BUILTIN_KINDS, type KindLookup } from '../core/kinds.js';
import { MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_REQUEST_BYTES, formatBytes, invalidUtf8At, jsonTooDeepAt, lineColumnAt, measureValue } from './limits.js';

/** ManifestFile is one file's path (relative, for messages) and content: raw bytes as read (decoded here, strictly), or text. */
export interface ManifestFile {
  path: string;
  content: string | Uint8Array;
}

/** Origin is where an object was defined: file and 1-based line of its document. */
export interface Origin {
  file: string;
  line: number;
  /** kustomizations, for a rendered object, are the kustomization files that changed or generated it, innermost first. */
  kustomizations?: string[];
}

/** formatOrigin writes an origin as `file:line`, plus the kustomization that last changed it (`overlays/prod/kustomization.yaml patched base/web.yaml:1`). */
export function formatOrigin(o: Origin): string {
  const k = o.kustomizations?.length ? o.kustomizations[o.kustomizations.length - 1] : undefined;
  return k ? `${k} patched ${o.file}:${o.line}` : `${o.file}:${o.line}`;
}

/** ParsedObject is a manifest object plus its origin. */
export interface ParsedObject {
  object: KubeObject;
  origin: Origin;
}

/** ManifestIssue is one problem found while parsing (code, file:line:column, message). */
export interface ManifestIssue {
  code: ManifestIssueCode;
  file: string;
  line: number;
  column?: number;
  message: string;
}

/** ManifestIssueCode is every code a file-level problem can carry (README "Limits" lists the limits). */
export type ManifestIssueCode = Extract<
  ErrorCode,
  'YAMLSyntax' | 'InvalidManifest' | 'InvalidEncoding' | 'ManifestTooLarge' | 'ManifestTooDeep' | 'YAMLAliasLimit' | 'RequestTooLarge'
>;

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
  // A document cut by a marker keeps the line break before it (a block scalar ending there ends with it); the last keeps what the file has.
  const flush = (cut: boolean) => {
    docs.push({ text: buf.join('\n') + (cut && buf.length > 0 ? '\n' : ''), line: start + 1 });
    buf = [];
  };
  lines.forEach((l, i) => {
    if (DOC_SEPARATOR.test(l)) {
      flush(true);
      start = i + 1;
      const rest = l.slice(3).trim();
      if (rest && !rest.startsWith('#')) {
        buf.push(rest);
        start = i;
      }
    } else if (DOC_END.test(l)) {
      flush(true);
      start = i + 1;
    } else {
      buf.push(l);
    }
  });
  flush(false);
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

/** hasContent tells whether a document's text has a line that is neither blank nor a comment. */
function hasContent(t: string): boolean {
  return /^[ \t]*[^\s#]/m.test(t);
}

function isEmptyDoc(v: unknown): boolean {
  return v === null || v === undefined;
}

function parseJSON(file: { path: string; content: string }, issues: ManifestIssue[]): { value: unknown; line: number }[] {
  // JSON.parse and every later walk recurse: refuse deep nesting before parsing.
  const deep = jsonTooDeepAt(file.content, MAX_DEPTH);
  if (deep >= 0) {
    const at = lineColumnAt(file.content, deep);
    issues.push({ code: 'ManifestTooDeep', file: file.path, line: at.line, column: at.column, message: `nesting deeper than ${MAX_DEPTH} levels` });
    return [];
  }
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3;
  }
  return n;
}

/**
 * decodeManifest turns a file's content into text, refusing (as an issue) a file over
 * MAX_FILE_BYTES and bytes that are not UTF-8 — never replaced by U+FFFD and parsed anyway.
 */
export function decodeManifest(file: ManifestFile, issues: ManifestIssue[]): string | undefined {
  const c = file.content;
  const size = typeof c === 'string' ? (c.length * 3 <= MAX_FILE_BYTES ? c.length : utf8Length(c)) : c.length;
  if (size > MAX_FILE_BYTES) {
    issues.push({ code: 'ManifestTooLarge', file: file.path, line: 1, message: `the file is larger than the limit of ${formatBytes(MAX_FILE_BYTES)} per manifest file` });
    return undefined;
  }
  // A byte-order mark is not content: left in, it hides a leading `---` from the document split.
  if (typeof c === 'string') return c.charCodeAt(0) === 0xfeff ? c.slice(1) : c;
  try {
    const text = utf8.decode(c);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    const at = Math.max(0, invalidUtf8At(c));
    const { line, column } = lineColumnAt(c, at);
    const byte = (c[at] ?? 0).toString(16).padStart(2, '0');
    issues.push({ code: 'InvalidEncoding', file: file.path, line, column, message: `invalid UTF-8 (byte 0x${byte}): manifests must be UTF-8 text` });
    return undefined;
  }
}

/**
 * documentLimitIssue measures a parsed document as it would expand (aliases at full size): a
 * recursive alias, nesting beyond MAX_DEPTH or an object beyond the API server's request limit is
 * returned as an issue's code and message; undefined when the document may be used. `text` is
 * the document's source (a document without '*' has no alias, which saves the walk).
 */
export function documentLimitIssue(value: unknown, text: string): { code: ManifestIssueCode; message: string } | undefined {
  // Without an alias a document cannot expand, js-yaml already bounds its depth, and a small text cannot reach the request limit.
  if (!text.includes('*') && text.length * 4 < MAX_REQUEST_BYTES) return undefined;
  const shape = measureValue(value);
  if (shape.cyclic) return { code: 'YAMLAliasLimit', message: 'a YAML alias refers to a node that contains it (a recursive document)' };
  if (shape.depth > MAX_DEPTH) {
    return shape.shared
      ? { code: 'YAMLAliasLimit', message: `YAML aliases expand this document deeper than ${MAX_DEPTH} levels` }
      : { code: 'ManifestTooDeep', message: `nesting deeper than ${MAX_DEPTH} levels` };
  }
  if (shape.bytes <= MAX_REQUEST_BYTES) return undefined;
  if (shape.shared) return { code: 'YAMLAliasLimit', message: `YAML aliases expand this document beyond ${MAX_REQUEST_BYTES} bytes, the API server's request limit` };
  // A List is sent item by item, like kubectl does: only each item must fit in one request.
  const items = isList(value) ? (value as any).items : [value];
  for (const item of items) {
    if (measureValue(item).bytes > MAX_REQUEST_BYTES) {
      const what = item && typeof item === 'object' && typeof item.kind === 'string' ? `${item.kind}/${item.metadata?.name ?? ''}: ` : '';
      return { code: 'RequestTooLarge', message: `${what}Request entity too large: limit is ${MAX_REQUEST_BYTES}` };
    }
  }
  return undefined;
}

/** LEGACY_OCTAL is a YAML 1.1 octal integer (`0755`): Kubernetes' YAML reader (go-yaml v2) reads it as octal, and manifests use it for volume modes. */
const LEGACY_OCTAL = /^[-+]?0[0-7]+$/;

/**
 * intTag is the core schema's integer plus YAML 1.1's legacy octal, as Kubernetes reads manifests:
 * `defaultMode: 0755` is 493, not 755 (which the API server would refuse). Other YAML 1.1 forms
 * (sexagesimal `1:20`, `yes`/`no` booleans) stay as the core schema reads them.
 */
const intTag = {
  ...intCoreTag,
  resolve(...args: Parameters<typeof intCoreTag.resolve>) {
    const source = args[0];
    if (LEGACY_OCTAL.test(source)) return (source.startsWith('-') ? -1 : 1) * Number.parseInt(source.replace(/^[-+]/, ''), 8);
    return intCoreTag.resolve(...args);
  },
} as typeof intCoreTag;

/** YAML_SCHEMA is the core schema plus merge keys (`<<: *anchor`) and legacy octal integers, which Kubernetes' YAML reader accepts and real repositories use. */
const YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag, intTag);


/**
 * loadYaml parses one YAML document as Kubernetes' reader (go-yaml) does, within our limits.
 * It differs from js-yaml's `load` in one place real repositories hit: a block scalar (`|`, `>`)
 * that runs to the end of a file without a final line break has no trailing newline — there is
 * no break to keep — where js-yaml adds one (a ConfigMap ending a file without `\n` would
 * otherwise differ from what kubectl applies, and every pass would "change" it).
 */
export function loadYaml(text: string): unknown {
  const events = parseEvents(text, { maxDepth: MAX_DEPTH });
  if (!/[\r\n]$/.test(text)) {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type !== EVENT_ID.SCALAR) continue;
      const block = e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK;
      // Only a last line with content: trailing blank lines would be kept or clipped by the chomping indicator.
      const lastLine = text.slice(text.lastIndexOf('\n') + 1);
      if (block && e.valueEnd === text.length && lastLine.trim() !== '') e.chomping = CHOMPING_MODE.STRIP;
      break;
    }
  }
  const docs = constructFromEvents(events, { schema: YAML_SCHEMA, maxAliases: MAX_ALIASES, source: text });
  if (docs.length !== 1) throw new YAMLException(docs.length === 0 ? 'expected a document, but the input is empty' : 'expected a single document in the stream, but found more');
  return docs[0];
}

/** yamlLimitIssue turns js-yaml's limit errors into their codes and our messages (undefined: a plain syntax error). */
export function yamlLimitIssue(err: unknown): { code: ManifestIssueCode; message: string } | undefined {
  const reason = String((err as any)?.reason ?? (err as any)?.message ?? err);
  if (err instanceof RangeError || /exceeded maxDepth/.test(reason)) return { code: 'ManifestTooDeep', message: `nesting deeper than ${MAX_DEPTH} levels` };
  if (/exceeded maxAliases/.test(reason)) return { code: 'YAMLAliasLimit', message: `more than ${MAX_ALIASES} YAML aliases in one document` };
  return undefined;
}

function checkLimits(value: unknown, text: string, file: string, line: number, issues: ManifestIssue[]): boolean {
  const issue = documentLimitIssue(value, text);
  if (issue) issues.push({ ...issue, file, line });
  return !issue;
}

/** isList tells whether a document is a list to unpack: `List` or any typed `*List` (ConfigMapList, RoleList, …) with `items`, as kubectl accepts. */
function isList(value: unknown): boolean {
  return Boolean(value && typeof value === 'object' && !Array.isArray(value) && typeof (value as any).kind === 'string' && (value as any).kind.endsWith('List') && Array.isArray((value as any).items));
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return Boolean(v && typeof v === 'object' && !Array.isArray(v));
}

/** looksKubernetes tells whether a document claims to be a Kubernetes object: it names an apiVersion or a kind. */
function looksKubernetes(v: unknown): boolean {
  return isMapping(v) && ('apiVersion' in v || 'kind' in v);
}

/**
 * parseManifestFile parses one file (YAML multi-document or JSON; a `List` or `*List` is unpacked)
 * into objects with origins. A file that parses but whose documents name neither an apiVersion nor
 * a kind (a Helm values file, a CI workflow) holds no Kubernetes object: it gives nothing, and a
 * note naming it goes to `notes` when given.
 */
export function parseManifestFile(file: ManifestFile, issues: ManifestIssue[], notes?: string[]): ParsedObject[] {
  const start = issues.length;
  const content = decodeManifest(file, issues);
  if (content === undefined) return [];
  const text = { path: file.path, content };
  const values: { value: unknown; line: number }[] = [];
  if (file.path.endsWith('.json')) {
    for (const v of parseJSON(text, issues)) if (checkLimits(v.value, '*', file.path, v.line, issues)) values.push(v);
  } else {
    // Most files hold one document: parse them whole, without splitting and re-joining lines.
    const single = !/(^|\n)(---|\.\.\.)(\s|$)/.test(content);
    for (const doc of single ? [{ text: content, line: 1 }] : splitDocuments(content)) {
      // Empty and comment-only documents (before a leading `---`, after a trailing one) are nothing; js-yaml 5 throws on them.
      if (!hasContent(doc.text)) continue;
      try {
        const value = loadYaml(doc.text);
        if (isEmptyDoc(value)) continue;
        const line = firstContentLine(doc);
        if (checkLimits(value, doc.text, file.path, line, issues)) values.push({ value, line });
      } catch (err: any) {
        const line = typeof err?.mark?.line === 'number' ? err.mark.line : typeof err?.line === 'number' ? err.line : 0;
        const column = typeof err?.mark?.column === 'number' ? err.mark.column : typeof err?.column === 'number' ? err.column : 0;
        const reason = String(err?.reason ?? String(err?.message ?? err).split('\n')[0]);
        const limit = yamlLimitIssue(err);
        issues.push({ code: limit?.code ?? 'YAMLSyntax', file: file.path, line: doc.line + line, column: column + 1, message: limit?.message ?? `YAML syntax error: ${reason}` });
      }
    }
  }
  const out: ParsedObject[] = [];
  // A file with a syntax error may still be a manifest: only a clean parse can show it is none.
  // Only mappings: a scalar or a list where a manifest should be is a broken manifest, not some other tool's file.
  if (values.length > 0 && issues.length === start && values.every((v) => isMapping(v.value) && !looksKubernetes(v.value))) {
    notes?.push(`${file.path}: skipped: no Kubernetes object in it (no document has an apiVersion or a kind)`);
    return out;
  }
  for (const { value, line } of values) {
    if (isList(value)) {
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
    // kubectl apply refuses generateName too ("cannot use generate name with apply"): say so rather than just "missing".
    const generated = missing.includes('metadata.name') && typeof o.metadata?.generateName === 'string' && o.metadata.generateName;
    problem(`${what}missing ${missing.join(', ')}${generated ? ` (metadata.generateName "${o.metadata.generateName}" cannot be applied declaratively: a new object would be created on every pass; give it a fixed metadata.name)` : ''}`);
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
