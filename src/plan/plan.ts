/**
 * computePlan: what applying a commit would do to the cluster, as a value. One entry per object
 * (create | update | unchanged | prune), with the RFC 6902 patch from live to desired. Pure: no
 * cluster, no clock, no I/O — `check` renders the same Plan that `reconcile` applies.
 */
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { BUILTIN_KINDS, type KindLookup, type KubeObject, type ObjectRef, KindRegistry, SECRET_MASK, cloneObject, maskSecret, maskSecretValue, objectRef } from '../core/index.js';
import { applyDefaults, type Origin } from '../manifests/index.js';

/** PlanAction is what happens to one object. */
export type PlanAction = 'create' | 'update' | 'unchanged' | 'prune' | 'blocked';

/** Reason explains a blocked or invalid entry: stable code, object, origin, field path, message. */
export interface Reason {
  code: string;
  object: string;
  file?: string;
  line?: number;
  field?: string;
  message: string;
}

/** PlanEntry is one object's fate. `applied` is the object to write (never printed); `patch` is masked for Secrets. */
export interface PlanEntry {
  /** ref is the entry's object reference (not a Git ref). */
  ref: ObjectRef;
  kind: string;
  namespace?: string;
  name: string;
  action: PlanAction;
  /** intended is what a blocked entry would have done. */
  intended?: PlanAction;
  origin?: Origin;
  patch: Operation[];
  reasons: Reason[];
  impact: string[];
  /** manifest is the object as Git has it (namespace filled in) — what the inventory remembers. */
  manifest?: KubeObject;
  /** applied is manifest merged onto live (three-way), with defaults: what the object will be after the write (before any stamp). */
  applied?: KubeObject;
  /**
   * write is the RFC 6902 patch the apply phase sends: preconditions (`test` of uid and
   * resourceVersion for an update, of an empty document for a create) and then exactly `patch`,
   * unmasked — which for a Secret means keyed digests, never values. Never printed.
   */
  write?: Operation[];
  live?: KubeObject;
  /** autoscaledBy names the HorizontalPodAutoscaler that scales this workload (its spec.replicas is the autoscaler's). */
  autoscaledBy?: string;
}

/** Plan is the whole set of entries plus counts per action. */
export interface Plan {
  entries: PlanEntry[];
  counts: Record<PlanAction, number>;
}

/** DesiredObject is a manifest object with where it came from. */
export interface DesiredObject {
  object: KubeObject;
  origin?: Origin;
}

/** PlanInput is everything computePlan looks at. */
export interface PlanInput {
  desired: DesiredObject[];
  /** live maps ref → the object in the cluster now (absent: not there). */
  live: Map<string, KubeObject>;
  /** inventory maps ref → the manifest this source applied last time (what it owns). */
  inventory: Map<string, KubeObject>;
  /** inSync lists refs the caller already knows to match (same manifest, live object untouched since): no diff is computed. */
  inSync?: Set<string>;
  /**
   * redact turns a desired object into the form the cluster keeps (ClusterClient.redact: the
   * simulator keeps keyed digests of Secret values), so desired and live compare like with like and
   * no Secret value goes further than this. Identity when absent (callers that plan only Deployments).
   */
  redact?: (obj: KubeObject) => KubeObject;
  /** kinds is the kind registry that knows the cluster's CRDs (default: built-ins plus the desired objects' CRDs). */
  kinds?: KindLookup;
  /** stamp adds annotations to every object the plan changes (a pass stamps change-cause and revision on Deployments); they are part of the patch like any other field. */
  stamp?: Stamp;
  /** autoscalers are the cluster's HorizontalPodAutoscalers (besides those in `desired`): their targets' replicas are theirs. */
  autoscalers?: KubeObject[];
}

/** SCALED_KINDS are the kinds an HPA can scale (a scale subresource over spec.replicas). */
export const SCALED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/**
 * autoscaledTargets maps each workload an HPA scales ("Deployment/ns/name") to that HPA's ref. Git's
 * HPAs count, and so do the cluster's — except the ones this pass replaces (Git has them) or prunes
 * (the inventory has them and Git no longer does), whose claim ends with this pass.
 */
export function autoscaledTargets(input: Pick<PlanInput, 'desired' | 'autoscalers' | 'inventory'>, kinds: KindLookup = BUILTIN_KINDS): Map<string, string> {
  const out = new Map<string, string>();
  const desiredRefs = new Set<string>();
  const add = (hpa: KubeObject) => {
    const t = hpa.spec?.scaleTargetRef;
    if (!t || typeof t.kind !== 'string' || typeof t.name !== 'string' || !SCALED_KINDS.has(t.kind)) return;
    const target = objectRef(t.kind, hpa.metadata.namespace || 'default', t.name);
    if (!out.has(target)) out.set(target, refOfObject(hpa, kinds));
  };
  for (const { object } of input.desired) {
    if (object.kind !== 'HorizontalPodAutoscaler') continue;
    desiredRefs.add(refOfObject(object, kinds));
    add(withNamespace(object, kinds));
  }
  for (const h of input.autoscalers ?? []) {
    const ref = refOfObject(h, kinds);
    if (!desiredRefs.has(ref) && !input.inventory.has(ref)) add(h);
  }
  return out;
}

/** keepReplicas returns `applied` with the live object's spec.replicas: the autoscaler's value, whatever Git or the defaults say. */
function keepReplicas(applied: KubeObject, live: KubeObject | undefined): KubeObject {
  const n = live?.spec?.replicas;
  if (n === undefined || applied.spec?.replicas === n) return applied;
  return { ...applied, spec: { ...applied.spec, replicas: n } };
}

/** kindsFor is the registry a plan needs: built-in kinds, the cluster's CRDs and those about to be applied (the desired ones win). */
export function kindsFor(desired: Iterable<KubeObject>, liveCRDs: Iterable<KubeObject> = []): KindRegistry {
  return KindRegistry.withCRDs([...liveCRDs, ...desired]);
}

/** Stamp returns the annotations a changed object gets (undefined: none). */
export type Stamp = (manifest: KubeObject) => Record<string, string> | undefined;

/** SERVER_METADATA are metadata fields the API server owns; they never take part in a diff. */
export const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** CONTROLLER_ANNOTATION_PREFIXES mark annotations written by controllers or by mflux itself, ignored in diffs. */
export const CONTROLLER_ANNOTATION_PREFIXES = ['deployment.kubernetes.io/', 'mflux.dev/', 'kubernetes.io/change-cause', 'kubectl.kubernetes.io/last-applied-configuration'];

/** MASK replaces Secret values in every output. */
export const MASK = SECRET_MASK;

/** refOfObject writes Kind/namespace/name, filling the default namespace for namespaced kinds (scope from `kinds`, which should know the CRDs in play). */
export function refOfObject(obj: KubeObject, kinds: KindLookup = BUILTIN_KINDS): string {
  return objectRef(obj.kind, kinds.isNamespaced(obj.kind) ? obj.metadata.namespace || 'default' : undefined, obj.metadata.name);
}

/** withNamespace returns the manifest with `default` filled in for namespaced kinds (and none for cluster-scoped ones). */
export function withNamespace(obj: KubeObject, kinds: KindLookup = BUILTIN_KINDS): KubeObject {
  if (kinds.isNamespaced(obj.kind)) {
    if (obj.metadata.namespace) return obj;
    return { ...obj, metadata: { ...obj.metadata, namespace: 'default' } };
  }
  if (obj.metadata.namespace === undefined) return obj;
  const { namespace: _drop, ...rest } = obj.metadata;
  return { ...obj, metadata: rest as KubeObject['metadata'] };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * merge3 merges Git's manifest onto the live object: fields Git sets win; fields that mflux
 * applied before (in `last`) and Git no longer has are removed; fields set by others (controllers,
 * defaulting) stay. Maps merge key by key; lists are replaced whole.
 * Example: last {replicas: 3, paused: true}, desired {replicas: 5}, live {replicas: 3, paused: true,
 * revisionHistoryLimit: 10} → {replicas: 5, revisionHistoryLimit: 10}.
 */
export function merge3(last: unknown, desired: unknown, live: unknown): unknown {
  if (!isPlainObject(desired) || !isPlainObject(live)) return cloneObject(desired);
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(desired)) {
    out[k] = isPlainObject(v) && isPlainObject(live[k]) ? merge3(isPlainObject(last) ? last[k] : undefined, v, live[k]) : cloneObject(v);
  }
  if (isPlainObject(last)) for (const k of Object.keys(last)) if (!(k in desired)) delete out[k];
  return out;
}

/** normalise strips what never counts as a difference: status, server metadata and controller-owned annotations. */
export function normalise(obj: KubeObject): KubeObject {
  // Secrets compare by keyed digest: computePlan redacts desired objects, and the cluster and the inventory keep digests only.
  const { status: _status, ...rest } = obj;
  const metadata: Record<string, unknown> = { ...obj.metadata };
  for (const k of SERVER_METADATA) delete metadata[k];
  if (obj.metadata.annotations) {
    const ann = Object.fromEntries(Object.entries(obj.metadata.annotations).filter(([k]) => !CONTROLLER_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))));
    if (Object.keys(ann).length > 0) metadata.annotations = ann;
    else delete metadata.annotations;
  }
  return { ...rest, metadata: metadata as KubeObject['metadata'] };
}

/** maskPatch hides Secret values in a patch (data and stringData), so plans can be printed and stored. */
export function maskPatch(kind: string, ops: Operation[]): Operation[] {
  if (kind !== 'Secret') return ops;
  return ops.map((op) => {
    if (!('value' in op)) return op;
    if (/^\/(data|stringData)(\/|$)/.test(op.path)) return { ...op, value: maskSecretValue(op.value) };
    if (op.path === '' || op.path === '/') return { ...op, value: maskSecret(op.value) };
    return op;
  });
}

/** diffObjects is the RFC 6902 patch from one normalised object to another. */
export function diffObjects(from: KubeObject, to: KubeObject): Operation[] {
  return fastJsonPatch.compare(normalise(from), normalise(to));
}

/** desiredAfterApply is what the cluster will hold after applying `manifest` over `live`, given what was applied `last`. */
export function desiredAfterApply(manifest: KubeObject, live: KubeObject | undefined, last: KubeObject | undefined): KubeObject {
  if (!live) return applyDefaults(manifest);
  const { status: _s, ...liveSpec } = live;
  const merged = merge3(last, manifest, liveSpec) as KubeObject;
  // Switching a Deployment to Recreate must drop the defaulted rollingUpdate block, or the API server
  // rejects it ("may not be specified when strategy type is 'Recreate'") — a trap kubectl apply users hit.
  if (merged.kind === 'Deployment' && manifest.spec?.strategy?.type === 'Recreate' && manifest.spec.strategy.rollingUpdate === undefined && merged.spec?.strategy) {
    const { rollingUpdate: _ru, ...strategy } = merged.spec.strategy;
    merged.spec = { ...merged.spec, strategy };
  }
  for (const k of SERVER_METADATA) {
    if ((live.metadata as Record<string, unknown>)[k] !== undefined) (merged.metadata as Record<string, unknown>)[k] = (live.metadata as Record<string, unknown>)[k];
  }
  return applyDefaults(merged);
}

/** withStamp returns an object with extra annotations (itself when there are none). */
function withStamp(obj: KubeObject, extra: Record<string, string> | undefined): KubeObject {
  if (!extra || Object.keys(extra).length === 0) return obj;
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...(obj.metadata.annotations ?? {}), ...extra } } };
}

/** withoutStatus drops the status subresource: a write never touches it. */
function withoutStatus(obj: KubeObject): KubeObject {
  const { status: _s, ...rest } = obj;
  return rest as KubeObject;
}

/**
 * preconditions are the `test` operations a write starts with: for an update, the live object's uid
 * and resourceVersion as planned (anyone else's write in between makes the whole patch fail: a
 * Conflict, nothing written); for a create, that there is no object yet (an empty document).
 */
export function preconditions(live: KubeObject | undefined): Operation[] {
  if (!live) return [{ op: 'test', path: '', value: {} }];
  return [
    { op: 'test', path: '/metadata/uid', value: live.metadata.uid },
    { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
  ];
}

/**
 * computePlan compares every desired object with the live one and lists what must change;
 * objects this source applied before (inventory) that Git no longer has are `prune` entries.
 * An entry's `patch` is what is shown and, after its preconditions, exactly what is written
 * (`write`): for an update, the RFC 6902 diff from the live object to the intended one, stamp
 * included; for a create, one `add` of the whole object.
 */
export function computePlan(input: PlanInput): Plan {
  const entries: PlanEntry[] = [];
  const seen = new Set<string>();
  const kinds = input.kinds ?? kindsFor(input.desired.map((d) => d.object));
  const scaled = autoscaledTargets(input, kinds);
  for (const { object, origin } of input.desired) {
    const manifest = input.redact ? input.redact(withNamespace(object, kinds)) : withNamespace(object, kinds);
    const ref = refOfObject(manifest, kinds);
    seen.add(ref);
    const live = input.live.get(ref);
    const hpa = SCALED_KINDS.has(manifest.kind) ? scaled.get(ref) : undefined;
    const by = hpa ? { autoscaledBy: hpa } : {};
    if (live && input.inSync?.has(ref)) {
      entries.push({ ref, kind: manifest.kind, namespace: manifest.metadata.namespace, name: manifest.metadata.name, origin, reasons: [], impact: [], manifest, live, action: 'unchanged', patch: [], ...by });
      continue;
    }
    // An autoscaled workload keeps its live replicas: neither Git's value nor the default (when Git
    // dropped a field it set before) may undo the autoscaler's work. A new one starts from Git's.
    const merged = desiredAfterApply(manifest, live, input.inventory.get(ref));
    const applied = hpa ? keepReplicas(merged, live) : merged;
    const base = { ref, kind: manifest.kind, namespace: manifest.metadata.namespace, name: manifest.metadata.name, origin, reasons: [], impact: [], manifest, applied, live, ...by };
    if (!live) {
      const ops: Operation[] = [{ op: 'add', path: '', value: withStamp(applied, input.stamp?.(manifest)) }];
      entries.push({ ...base, action: 'create', patch: maskPatch(manifest.kind, ops), write: [...preconditions(undefined), ...ops] });
      continue;
    }
    // Whether anything changes is judged on normalised objects (server metadata, status and
    // controller annotations never count); what changes is then the exact patch to the live object.
    if (diffObjects(live, applied).length === 0) {
      entries.push({ ...base, action: 'unchanged', patch: [] });
      continue;
    }
    const ops = fastJsonPatch.compare(withoutStatus(live), withStamp(applied, input.stamp?.(manifest)));
    entries.push({ ...base, action: 'update', patch: maskPatch(manifest.kind, ops), write: [...preconditions(live), ...ops] });
  }
  for (const [ref, last] of input.inventory) {
    if (seen.has(ref)) continue;
    const live = input.live.get(ref);
    if (!live) continue; // already gone: nothing to prune
    entries.push({ ref, kind: last.kind, namespace: last.metadata.namespace, name: last.metadata.name, action: 'prune', patch: [{ op: 'remove', path: '' }], reasons: [], impact: [], live });
  }
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, prune: 0, blocked: 0 };
  for (const e of entries) counts[e.action]++;
  return { entries, counts };
}

/** planChanges is the printable part of a plan: one {object, action, patch} per changing entry (Secrets masked). */
export function planChanges(plan: Plan): { object: string; action: PlanAction; patch: Operation[] }[] {
  return plan.entries.filter((e) => e.action !== 'unchanged').map((e) => ({ object: e.ref, action: e.action, patch: e.patch }));
}
