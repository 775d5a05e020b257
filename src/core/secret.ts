/** Secret values are never kept: anything that must remember a Secret keeps a digest of each value. */
import { createHash } from 'node:crypto';
import type { KubeObject } from './object.js';

/** DIGEST_PREFIX marks a value that is already a digest. */
export const DIGEST_PREFIX = 'sha256:';

/** digestValue replaces a secret value by "sha256:<hex>" (idempotent). */
export function digestValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s.startsWith(DIGEST_PREFIX) && s.length === DIGEST_PREFIX.length + 64) return s;
  return DIGEST_PREFIX + createHash('sha256').update(s).digest('hex');
}

/** redactSecret returns a Secret whose data and stringData values are digests; other kinds come back unchanged. */
export function redactSecret<T extends KubeObject>(obj: T): T {
  if (obj.kind !== 'Secret') return obj;
  const out: KubeObject = { ...obj };
  for (const k of ['data', 'stringData'] as const) {
    const m = obj[k];
    if (m && typeof m === 'object' && !Array.isArray(m)) out[k] = Object.fromEntries(Object.entries(m as Record<string, unknown>).map(([key, v]) => [key, digestValue(v)]));
  }
  return out as T;
}
