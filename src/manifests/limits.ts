/**
 * Hard limits on what a manifest file may cost to read, and the pure checks that enforce them
 * before anything downstream (plan, canonical JSON, the store) walks a parsed value. Each limit
 * has its own stable code; README "Limits" lists them.
 */

/** MAX_FILE_BYTES is the largest manifest file read (8 MiB): a few objects at the API server's 3 MiB request limit, and far beyond any real install bundle. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** MAX_REQUEST_BYTES is the API server's request body limit (3 MiB): no object whose JSON is larger can be stored. */
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/**
 * MAX_DEPTH is the deepest nesting of mappings/sequences accepted in YAML and JSON (1000). The API
 * server allows 10000 for JSON, but our own walks (defaults, diff, canonical JSON) recurse, and
 * js-yaml's parser overflows the stack before 10000; no real manifest nests beyond a few dozen.
 */
export const MAX_DEPTH = 1000;

/** MAX_ALIASES is the most YAML aliases (`*name`) one document may use (1000), like go-yaml's and the `yaml` library's alias limits. */
export const MAX_ALIASES = 1000;

/** MAX_DATA_BYTES is the API server's limit on a ConfigMap's or Secret's data (core.MaxSecretSize, 1 MiB). */
export const MAX_DATA_BYTES = 1024 * 1024;

/**
 * invalidUtf8At returns the index of the first byte that does not start (or continue) a well-formed
 * UTF-8 sequence, or -1 when all of `bytes` is UTF-8 (WHATWG rules: no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
export function invalidUtf8At(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < lo || c > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/** lineColumnAt turns an index into 1-based line and column by counting newlines (works on bytes and strings alike). */
export function lineColumnAt(text: Uint8Array | string, index: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < index; i++) {
    const c = typeof text === 'string' ? text.charCodeAt(i) : text[i];
    if (c === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: index - start + 1 };
}

/**
 * jsonTooDeepAt scans JSON text for the first bracket that opens nesting level `max + 1` and
 * returns its index (or -1), without parsing: JSON.parse and every walk after it recurse.
 */
export function jsonTooDeepAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

/** Shape is what measureValue learns of a parsed value, counting every alias at full size. */
export interface Shape {
  /** bytes estimates the value's JSON length (strings without escapes). */
  bytes: number;
  /** depth is the deepest nesting of objects/arrays (a scalar is 0). */
  depth: number;
  /** shared is true when some object is reachable twice (a YAML alias). */
  shared: boolean;
  /** cyclic is true when an object contains itself (a recursive YAML alias); bytes and depth are then meaningless. */
  cyclic: boolean;
}

function scalarBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v).length;
  if (typeof v === 'boolean') return v ? 4 : 5;
  return 4; // null, undefined and anything else a YAML tag may produce
}

/**
 * measureValue walks a parsed value once per distinct object (iteratively, memoised by identity),
 * so a "billion laughs" document — whose aliases js-yaml keeps as shared references — is measured
 * as it would expand, in time proportional to its text.
 */
export function measureValue(root: unknown): Shape {
  if (root === null || typeof root !== 'object') return { bytes: scalarBytes(root), depth: 0, shared: false, cyclic: false };
  const done = new Map<object, { bytes: number; depth: number }>();
  const open = new Set<object>();
  let shared = false;
  const stack: { node: object; children: [string | null, unknown][]; next: number; bytes: number; depth: number }[] = [];
  const push = (node: object) => {
    open.add(node);
    const children: [string | null, unknown][] = Array.isArray(node) ? node.map((v) => [null, v]) : Object.entries(node);
    stack.push({ node, children, next: 0, bytes: 2 + Math.max(0, children.length - 1), depth: 1 });
  };
  push(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length) {
      const [key, child] = top.children[top.next++]!;
      if (key !== null) top.bytes += key.length + 3;
      if (child === null || typeof child !== 'object') {
        top.bytes += scalarBytes(child);
        continue;
      }
      if (open.has(child)) return { bytes: Infinity, depth: Infinity, shared: true, cyclic: true };
      const seen = done.get(child);
      if (seen) {
        shared = true;
        top.bytes += seen.bytes;
        top.depth = Math.max(top.depth, seen.depth + 1);
        continue;
      }
      push(child);
      continue;
    }
    stack.pop();
    open.delete(top.node);
    done.set(top.node, { bytes: top.bytes, depth: top.depth });
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.bytes += top.bytes;
      parent.depth = Math.max(parent.depth, top.depth + 1);
    }
  }
  const r = done.get(root)!;
  return { bytes: r.bytes, depth: r.depth, shared, cyclic: false };
}

/** formatBytes writes a byte count for messages: "8388608 bytes (8.0 MiB)". */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n} bytes (${(n / 1024 / 1024).toFixed(1)} MiB)` : `${n} bytes`;
}
