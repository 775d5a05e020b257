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

/** cloneObject deep-copies a JSON-shaped object. */
export function cloneObject<T>(obj: T): T {
  return structuredClone(obj);
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
  for (const k of Object.keys(ao)) {
    if (ao[k] === undefined) continue;
    if (!deepEqual(ao[k], bo[k])) return false;
  }
  for (const k of Object.keys(bo)) {
    if (bo[k] !== undefined && ao[k] === undefined) return false;
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
