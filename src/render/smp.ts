/**
 * Strategic merge patch as kustomize applies it (kyaml merge2, "prepend" lists): maps merge,
 * `null` deletes, `$patch: delete|replace` directives, and lists of built-in kinds merge by
 * their patchMergeKey (containers by name, ports by containerPort, …) with the patch's
 * elements first. Kinds without a schema (custom resources) replace lists whole.
 */
import { apiGroupOf } from '../core/object.js';

/** BUILTIN_GROUPS are the API groups whose types carry Kubernetes' merge keys; other groups merge without a schema. */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'extensions',
  'policy',
  'autoscaling',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
]);

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/**
 * PATCH_MERGE_KEYS maps a list field's name to its patchMergeKey in the built-in types
 * ('' marks a merged list of scalars). Fields absent here are atomic: the patch replaces them.
 */
const PATCH_MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  secrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ownerReferences: 'uid',
  finalizers: '',
  conditions: 'type',
  resourceClaims: 'name',
  schedulingGates: 'name',
};

type Json = any;
const DELETE = Symbol('delete');

function isMap(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** mergeKeyFor returns the merge key of the list at `path` (field names from the object root), '' for a merged scalar list, or undefined when the list is atomic. */
function mergeKeyFor(path: string[], kind: string): string | undefined {
  const name = path[path.length - 1]!;
  if (name === 'ports') {
    if (CONTAINER_LISTS.has(path[path.length - 2] ?? '')) return 'containerPort';
    if (kind === 'Service' && path.length === 2 && path[0] === 'spec') return 'port';
    return undefined;
  }
  if (name === 'finalizers') return path.length === 2 && path[0] === 'metadata' ? '' : undefined;
  return PATCH_MERGE_KEYS[name];
}

function strip(v: Json): Json {
  if (Array.isArray(v)) return v.filter((e) => !(isMap(e) && e.$patch !== undefined && Object.keys(e).length === 1)).map(strip);
  if (!isMap(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (x === null) continue;
    out[k] = strip(x);
  }
  return out;
}

function keyOf(e: Json, key: string): string | undefined {
  if (!isMap(e) || e[key] === undefined || e[key] === null) return undefined;
  return String(e[key]);
}

function mergeList(dest: Json[], patch: Json[], path: string[], kind: string, builtin: boolean): Json[] | typeof DELETE {
  const key = builtin ? mergeKeyFor(path, kind) : undefined;
  if (key === undefined) return strip(patch);
  if (patch.some((e) => isMap(e) && e.$patch === 'replace')) return strip(patch);
  if (key === '') {
    const seen = new Set<string>();
    const out: Json[] = [];
    for (const e of [...patch, ...dest]) {
      const s = JSON.stringify(e);
      if (!seen.has(s)) {
        seen.add(s);
        out.push(e);
      }
    }
    return out;
  }
  const order: string[] = [];
  const byKeyDest = new Map<string, Json>();
  const byKeyPatch = new Map<string, Json>();
  const keyless: Json[] = [];
  for (const e of patch) {
    const k = keyOf(e, key);
    if (k === undefined) continue;
    if (!byKeyPatch.has(k)) order.push(k);
    byKeyPatch.set(k, e);
  }
  for (const e of dest) {
    const k = keyOf(e, key);
    if (k === undefined) {
      keyless.push(e);
      continue;
    }
    if (!byKeyPatch.has(k) && !byKeyDest.has(k)) order.push(k);
    if (!byKeyDest.has(k)) byKeyDest.set(k, e);
  }
  const out: Json[] = [];
  for (const k of order) {
    const d = byKeyDest.get(k);
    const p = byKeyPatch.get(k);
    if (p === undefined) {
      out.push(d);
      continue;
    }
    if (isMap(p) && p.$patch === 'delete') continue;
    const merged = d === undefined ? strip(p) : mergeValue(d, p, path, kind, builtin);
    if (merged !== DELETE) out.push(merged);
  }
  return [...out, ...keyless];
}

function mergeValue(dest: Json, patch: Json, path: string[], kind: string, builtin: boolean): Json | typeof DELETE {
  if (patch === null) return DELETE;
  if (isMap(patch)) {
    if (patch.$patch === 'delete') return DELETE;
    if (patch.$patch === 'replace' || !isMap(dest)) return strip(patch);
    for (const [k, pv] of Object.entries(patch)) {
      if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
      const r = mergeValue(dest[k], pv, [...path, k], kind, builtin);
      if (r === DELETE) delete dest[k];
      else dest[k] = r;
    }
    return dest;
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(dest)) return strip(patch);
    return mergeList(dest, patch, path, kind, builtin);
  }
  return patch;
}

/**
 * strategicMerge applies a strategic-merge patch to an object in place and returns it, or null
 * when the patch deletes the object (`$patch: delete` at its top). The target keeps its kind,
 * name and namespace, as kustomize's ApplySmPatch restores them.
 */
export function strategicMerge(target: Record<string, Json>, patch: Record<string, Json>): Record<string, Json> | null {
  if (patch.$patch === 'delete') return null;
  const kind = String(target.kind ?? '');
  const apiVersion = String(target.apiVersion ?? '');
  const name = target.metadata?.name;
  const namespace = target.metadata?.namespace;
  const builtin = BUILTIN_GROUPS.has(apiGroupOf(apiVersion)) && !apiVersion.includes('.') ? true : BUILTIN_GROUPS.has(apiGroupOf(apiVersion));
  const merged = mergeValue(target, patch, [], kind, builtin);
  if (merged === DELETE || !isMap(merged)) return null;
  merged.kind = kind;
  merged.apiVersion = apiVersion;
  if (!isMap(merged.metadata)) merged.metadata = {};
  merged.metadata.name = name;
  if (namespace === undefined) delete merged.metadata.namespace;
  else merged.metadata.namespace = namespace;
  return merged;
}
