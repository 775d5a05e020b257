/**
 * The name-suffix hash kustomize appends to generated ConfigMaps and Secrets (sigs.k8s.io/kustomize
 * api/hasher): sha256 of a Go-JSON encoding of kind, data (and type for Secrets), first 10 hex digits with
 * 0/1/3/a/e swapped for letters so the suffix never looks like a number or a word.
 */
import { createHash } from 'node:crypto';

/** goJSON encodes a JSON value as Go's encoding/json does: map keys sorted, <, >, & and U+2028/9 escaped. */
export function goJSON(value: unknown): string {
  const enc = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(enc).join(',')}]`;
    const keys = Object.keys(v as object).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : Buffer.from(a) > Buffer.from(b) ? 1 : 0));
    return `{${keys.map((k) => `${enc(k)}:${enc((v as Record<string, unknown>)[k])}`).join(',')}}`;
  };
  return enc(value);
}

/** encodeHash turns a sha256 hex digest into kustomize's 10-character suffix. */
export function encodeHash(hex: string): string {
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join('');
}

function mapOrEmpty(v: unknown): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : '';
}

/** nameSuffixHash computes the suffix kustomize gives a generated object (ConfigMap, Secret, or any other kind by its whole JSON). */
export function nameSuffixHash(obj: Record<string, any>): string {
  // kustomize looks the name up as one field called "metadata/name", which never exists: the
  // encoded name is always "" (so a prefix never changes the suffix). Same here, on purpose.
  let encoded: string;
  if (obj.kind === 'ConfigMap') {
    const m: Record<string, unknown> = { kind: 'ConfigMap', name: '', data: mapOrEmpty(obj.data) };
    if (mapOrEmpty(obj.binaryData) !== '') m.binaryData = obj.binaryData;
    encoded = goJSON(m);
  } else if (obj.kind === 'Secret') {
    // A generated Secret always has a data map (kyaml creates it even when empty; output drops it).
    const m: Record<string, unknown> = { kind: 'Secret', type: obj.type ?? '', name: '', data: mapOrEmpty(obj.data) === '' ? {} : obj.data };
    if (mapOrEmpty(obj.stringData) !== '') m.stringData = obj.stringData;
    encoded = goJSON(m);
  } else {
    encoded = goJSON(obj);
  }
  return encodeHash(createHash('sha256').update(encoded, 'utf8').digest('hex'));
}
