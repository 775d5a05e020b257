/** Kubernetes object shapes shared by every module. */
import { BUILTIN_KINDS, type KindLookup } from './kinds.js';

/** OwnerReference is the metadata.ownerReferences entry that ties a dependent to its owner. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ObjectMeta is the subset of metadata the simulator and the GitOps path use; unknown keys are kept. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

/** KubeObject is any Kubernetes object: typed envelope, free-form spec and status. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

/** isNamespaced tells whether objects of a kind live in a namespace, per the kind registry (pass one that knows the CRDs in play). */
export function isNamespaced(kind: string, kinds: KindLookup = BUILTIN_KINDS): boolean {
  return kinds.isNamespaced(kind);
}

/**
 * ObjectRef is an object reference, "Kind/namespace/name" (cluster-scoped: "Kind/name"). Fields
 * named `ref` on plan entries, rollouts and findings hold one; a Git ref (branch, tag, SHA) is
 * only ever `GitRevision.ref` or the `--ref` flag.
 */
export type ObjectRef = string;

/** objectRef writes an object's identity as an ObjectRef. */
export function objectRef(kind: string, namespace: string | undefined, name: string): ObjectRef {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/** refOf is objectRef for an object in hand (scope from the built-in kinds; plan's refOfObject takes a registry that knows CRDs). */
export function refOf(obj: KubeObject): string {
  return objectRef(obj.kind, isNamespaced(obj.kind) ? obj.metadata.namespace ?? 'default' : undefined, obj.metadata.name);
}

/** apiGroupOf returns the API group of an apiVersion ("apps/v1" → "apps", "v1" → ""). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** deepFreeze freezes a plain-data value and everything in it (shared, read-only data such as a stored template many pods point at), and returns it. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/**
 * cloneObject deep-copies a JSON-shaped object as structuredClone does — shared members (YAML
 * aliases) stay shared and cycles are kept, `__proto__` keys stay own keys, holes stay holes — but
 * copies plain objects and arrays by hand, several times faster: the simulator clones every pod it
 * creates, and structuredClone was a large share of a 100k-pod rollout. Anything else inside (a
 * Date from YAML, a Map, a function) goes to structuredClone, which copies it or refuses it.
 * Example: cloneObject({a: [1, {b: 2}]}) is an equal copy sharing nothing with its input.
 */
export function cloneObject<T>(obj: T): T {
  if (obj === null || typeof obj !== 'object') return typeof obj === 'function' || typeof obj === 'symbol' ? structuredClone(obj) : obj;
  return cloneValue(obj, new Map(), false) as T;
}

/**
 * cloneUnfrozen is cloneObject except that a frozen object or array inside (one deepFreeze made:
 * shared, read-only data) is kept as it is rather than copied — no one can change it, so sharing it
 * is invisible. The simulated API server admits every pod this way: a ReplicaSet's pods share its
 * frozen labels and owner reference.
 * Example: cloneUnfrozen({a: frozen}).a === frozen.
 */
export function cloneUnfrozen<T>(obj: T): T {
  if (obj === null || typeof obj !== 'object') return cloneObject(obj);
  return cloneValue(obj, new Map(), true) as T;
}

function cloneValue(v: unknown, seen: Map<object, unknown>, keepFrozen: boolean): unknown {
  if (v === null) return v;
  const t = typeof v;
  if (t !== 'object') return t === 'function' || t === 'symbol' ? structuredClone(v) : v;
  const o = v as object;
  if (keepFrozen && Object.isFrozen(o)) return o;
  const done = seen.get(o);
  if (done !== undefined) return done;
  if (Array.isArray(o)) {
    const out: unknown[] = new Array(o.length);
    seen.set(o, out);
    for (let i = 0; i < o.length; i++) if (i in o) out[i] = cloneValue(o[i], seen, keepFrozen);
    return out;
  }
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) {
    const copy = structuredClone(o);
    seen.set(o, copy);
    return copy;
  }
  const out: Record<string, unknown> = {};
  seen.set(o, out);
  for (const k in o) {
    if (!hasOwn.call(o, k)) continue;
    const c = cloneValue((o as Record<string, unknown>)[k], seen, keepFrozen);
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}

/** canonicalJSON serialises a JSON value with object keys sorted, so equal values give equal strings. */
export function canonicalJSON(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJSON(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJSON(v)}`);
  }
  return `{${parts.join(',')}}`;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** deepEqual compares two JSON values structurally (undefined members are ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return (a === undefined && b === undefined) || a === b;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // for…in with an own-property check visits what Object.keys lists without allocating the list
  // (this runs on every write the simulator's controllers make).
  for (const k in ao) {
    if (!hasOwn.call(ao, k) || ao[k] === undefined) continue;
    if (!deepEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) {
    if (hasOwn.call(bo, k) && bo[k] !== undefined && ao[k] === undefined) return false;
  }
  return true;
}

/**
 * KubeEvent is a core/v1 Event as the simulator records it: kind "Event", the involved object,
 * reason, message, source component, first/last timestamps (cluster clock) and a repeat count.
 */
export interface KubeEvent extends KubeObject {
  kind: 'Event';
  involvedObject: { apiVersion?: string; kind: string; namespace?: string; name: string; uid?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source: { component: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}
