/**
 * Shared parts: values that many stored objects hold in common, kept in the database once.
 *
 * The simulator gives every pod of a ReplicaSet the ReplicaSet's own frozen template spec, and every
 * pod started at one instant the same frozen conditions and container statuses (stored objects are
 * read-only, so sharing them is invisible). A 100k-pod cluster holds about 20k such values, not 300k.
 * Written as JSON, each pod would repeat them: two thirds of a pod row's 1.8 KB. So a frozen value at
 * one of PART_PATHS is stored once in object_parts, under a digest of its JSON, and the object's row
 * holds null in its place (keeping the object's key order) and, in its parts column, where each part
 * goes. Loading puts one frozen copy of each part back into every object that holds it, so a loaded
 * cluster shares them again.
 */
import { createHash } from 'node:crypto';
import { deepFreeze } from '../core/index.js';
import type { KubeObject } from '../core/index.js';

/** PartPath names where an object may hold a shared part: its spec, and its status's conditions and container statuses. */
export type PartPath = 'spec' | 'status.conditions' | 'status.containerStatuses';

/** PartRefs is an object row's parts column: the id of the part at each path that holds one. */
export type PartRefs = Partial<Record<PartPath, string>>;

/** isShareable says whether a value can be stored as a part: only a frozen object or array, which no one can change after it is written. */
function isShareable(v: unknown): v is object {
  return v !== null && typeof v === 'object' && Object.isFrozen(v);
}

/** partId is the id a part is stored under: 64 bits of the SHA-256 of its JSON, in hex. */
export function partId(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

/**
 * splitObject is what an object's row holds: its JSON with each shared part replaced by null, and
 * the part refs (null when it has none). `share` stores a part and returns its id, or undefined to keep that value inline.
 * Example: a pod whose spec is its ReplicaSet's frozen template spec is written as {"…","spec":null,…} with parts {"spec":"9f3c…"}.
 */
export function splitObject(obj: KubeObject, share: (value: object) => string | undefined): { json: string; parts: string | null } {
  let refs: PartRefs | undefined;
  let out: KubeObject = obj;
  if (isShareable(obj.spec)) {
    const id = share(obj.spec);
    if (id !== undefined) {
      (refs ??= {}).spec = id;
      out = { ...out, spec: null };
    }
  }
  const status = obj.status;
  if (status !== null && typeof status === 'object') {
    let st: Record<string, unknown> | undefined;
    for (const key of ['conditions', 'containerStatuses'] as const) {
      const v = (status as Record<string, unknown>)[key];
      if (!isShareable(v)) continue;
      const id = share(v);
      if (id === undefined) continue;
      (refs ??= {})[`status.${key}`] = id;
      (st ??= { ...(status as Record<string, unknown>) })[key] = null;
    }
    if (st) out = { ...out, status: st };
  }
  return { json: JSON.stringify(out), parts: refs ? JSON.stringify(refs) : null };
}

/**
 * joinObject puts an object's parts back (mutating `obj`, just parsed from its row); `part` returns
 * a part by id, or undefined when it is missing. Returns an error message naming what is wrong, or undefined.
 */
export function joinObject(obj: KubeObject, partsJson: string, part: (id: string) => unknown): string | undefined {
  let refs: unknown;
  try {
    refs = JSON.parse(partsJson);
  } catch {
    return 'its parts column is not JSON';
  }
  if (refs === null || typeof refs !== 'object') return 'its parts column is not an object';
  for (const [path, id] of Object.entries(refs as Record<string, unknown>)) {
    if (typeof id !== 'string') return `part ${path} has no id`;
    const value = part(id);
    if (value === undefined) return `shared part ${id} (${path}) is missing`;
    if (path === 'spec') obj.spec = value;
    else if (path === 'status.conditions' || path === 'status.containerStatuses') {
      const status = obj.status;
      if (status === null || typeof status !== 'object') return `part ${path} has no status to go in`;
      (status as Record<string, unknown>)[path.slice('status.'.length)] = value;
    } else return `unknown part path ${path}`;
  }
  return undefined;
}

/** parsePart reads a stored part, frozen (every object that holds it shares this one copy). */
export function parsePart(json: string): unknown {
  return deepFreeze(JSON.parse(json) as unknown);
}
