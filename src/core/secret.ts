/**
 * Secret values are never kept and never shown. Anything that must remember a Secret (the
 * simulated cluster, the inventory) keeps a keyed digest of each value — HMAC-SHA256 under a key
 * private to one state dir — so two manifests can still be compared, but a digest read from a
 * state dir, a backup or a screen cannot be checked against guessed values without that key.
 * Every output shows SECRET_MASK instead of a value or a digest.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { MfluxError } from './errors.js';
import type { KubeObject } from './object.js';

/** SECRET_KEY_BYTES is the size of a digest key. */
export const SECRET_KEY_BYTES = 32;

/** DIGEST_PREFIX marks a value that is already a keyed digest. */
export const DIGEST_PREFIX = 'hmac-sha256:';

/** LEGACY_DIGEST is what a state-dir migration leaves where an unkeyed `sha256:` digest was: it matches no value, so the next pass re-applies the Secret from Git. */
export const LEGACY_DIGEST = 'redacted:unkeyed-sha256-digest-removed';

/** SECRET_MASK replaces every Secret value (and digest) in every output. */
export const SECRET_MASK = '***';

const DIGEST_RE = /^hmac-sha256:[0-9a-f]{64}$/;

/** isRedacted tells whether a stored Secret value is already a digest (or the placeholder for a removed legacy one). */
export function isRedacted(v: unknown): boolean {
  return typeof v === 'string' && (DIGEST_RE.test(v) || v === LEGACY_DIGEST);
}

/** SecretDigester computes keyed digests of Secret values; the key is loaded on first use and never leaves the instance. */
export class SecretDigester {
  #key: Buffer | undefined;
  readonly #loadKey: () => Buffer;

  constructor(loadKey: () => Buffer) {
    this.#loadKey = loadKey;
  }

  /** ephemeral returns a digester with a random key that lives only in this process (a check's throwaway cluster). */
  static ephemeral(): SecretDigester {
    const key = randomBytes(SECRET_KEY_BYTES);
    return new SecretDigester(() => key);
  }

  /** digest replaces a secret value by "hmac-sha256:<hex>" (idempotent: a digest stays as it is). */
  digest(v: unknown): string {
    if (isRedacted(v)) return v as string;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return DIGEST_PREFIX + createHmac('sha256', this.key()).update(s).digest('hex');
  }

  /** redact returns a Secret whose data and stringData values are digests; other kinds come back unchanged. */
  redact<T extends KubeObject>(obj: T): T {
    if (obj?.kind !== 'Secret') return obj;
    const out: KubeObject = { ...obj };
    for (const k of ['data', 'stringData'] as const) {
      const m = obj[k];
      if (m && typeof m === 'object' && !Array.isArray(m)) out[k] = Object.fromEntries(Object.entries(m as Record<string, unknown>).map(([key, v]) => [key, this.digest(v)]));
    }
    return out as T;
  }

  /** toJSON keeps the key out of any serialisation of an object that holds a digester. */
  toJSON(): string {
    return 'SecretDigester';
  }

  private key(): Buffer {
    if (!this.#key) {
      const key = this.#loadKey();
      if (key.length !== SECRET_KEY_BYTES) throw new MfluxError('Internal', `a Secret digest key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
      this.#key = key;
    }
    return this.#key;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** maskSecretValue masks one data/stringData value, or every value of a whole data map. */
export function maskSecretValue(v: unknown): unknown {
  return isPlainObject(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, SECRET_MASK])) : SECRET_MASK;
}

/** maskSecret returns a copy of a Secret with every data/stringData value replaced by the mask; anything else comes back unchanged. */
export function maskSecret<T>(obj: T): T {
  if (!isPlainObject(obj) || obj.kind !== 'Secret') return obj;
  const out: Record<string, unknown> = { ...obj };
  for (const k of ['data', 'stringData']) if (isPlainObject(out[k])) out[k] = maskSecretValue(out[k]);
  return out as T;
}
