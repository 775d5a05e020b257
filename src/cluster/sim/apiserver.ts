/**
 * The simulated API server: stores objects with uid, creationTimestamp, generation,
 * resourceVersion and a separate status, validates and defaults them, and garbage-collects
 * dependents through ownerReferences. It knows nothing about Git or GitOps.
 */
import {
  type Clock,
  type KubeObject,
  InvalidObjectError,
  type KindInfo,
  KindRegistry,
  MfluxError,
  cloneUnfrozen,
  deepEqual,
  deepFreeze,
  SecretDigester,
  objectRef,
  resourceName,
  toRFC3339,
} from '../../core/index.js';
import { MAX_REQUEST_BYTES, applyDefaults, decodeError, validateDeploymentUpdate, validateObject, validateSecretData } from '../../manifests/index.js';
import type { IdSource } from './ids.js';

/** BatchContext lets a dry run see the namespaces and CRDs of the batch being applied. */
export interface BatchContext {
  discovery: KindRegistry;
  namespaces: Set<string>;
}

/** ChangeType says what happened to an object in a watch notification. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** ChangeListener receives every stored change, synchronously, in order. */
export type ChangeListener = (type: ChangeType, obj: KubeObject, old: KubeObject | undefined) => void;

/** keyOf is the store key of an object: "Kind/namespace/name" (cluster-scoped: "Kind//name"). */
export function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** objKey is keyOf for an object in hand. */
export function objKey(obj: KubeObject): string {
  return keyOf(obj.kind, obj.metadata.namespace, obj.metadata.name);
}

/** INITIAL_NAMESPACES exist in every new cluster, as in a fresh kubeadm cluster. */
export const INITIAL_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** GENERATE_NAME_ATTEMPTS is how many names a generateName create draws before giving up (upstream: 8 in total). */
export const GENERATE_NAME_ATTEMPTS = 8;

/** requestBytes is the size of an object's JSON body in bytes, what the API server's request limit counts. */
function requestBytes(obj: KubeObject): number {
  return Buffer.byteLength(JSON.stringify(obj), 'utf8');
}

/**
 * overRequestLimit is requestBytes(obj) > MAX_REQUEST_BYTES without serialising every object: an
 * upper bound of the JSON size (each UTF-16 unit of a string at most 6 bytes, as a \uXXXX escape) is
 * walked first, and only a body that might be too large is serialised and measured. The simulator
 * creates hundreds of thousands of pods, each a kilobyte or two of JSON.
 */
function overRequestLimit(obj: KubeObject): boolean {
  const bound = jsonBytesBound(obj, 0, MAX_REQUEST_BYTES);
  return bound > MAX_REQUEST_BYTES && requestBytes(obj) > MAX_REQUEST_BYTES;
}

// jsonBytesBound adds an upper bound of value's JSON size to `acc`, stopping once past `limit`.
// Anything but plain data (toJSON, class instances, very deep nesting, which may be a cycle)
// answers Infinity, so that the exact serialisation decides (and throws where it throws).
function jsonBytesBound(v: unknown, acc: number, limit: number, depth = 0): number {
  if (acc > limit) return acc;
  switch (typeof v) {
    case 'string':
      return acc + 2 + 6 * v.length;
    case 'number':
      return acc + 24;
    case 'boolean':
      return acc + 5;
    case 'object': {
      if (v === null) return acc + 4;
      if (depth > 500) return Infinity;
      if (Array.isArray(v)) {
        acc += 2;
        // An undefined element is written as null.
        for (let i = 0; i < v.length && acc <= limit; i++) acc = v[i] === undefined ? acc + 5 : jsonBytesBound(v[i], acc + 1, limit, depth + 1);
        return acc;
      }
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return Infinity;
      acc += 2;
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        acc = jsonBytesBound((v as Record<string, unknown>)[k], acc + 4 + 6 * k.length, limit, depth + 1);
        if (acc > limit) return acc;
      }
      return acc;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
      return Infinity;
    default:
      return acc; // undefined members are left out of JSON
  }
}

/** Slot holds the stored version of the object under `key`. */
interface Slot {
  readonly key: string;
  obj: KubeObject;
}

/** ApiServer is the in-memory object store with API-server semantics. */
export class ApiServer {
  /** discovery is the cluster's kind registry: the built-ins plus every stored CRD. */
  readonly discovery = new KindRegistry();
  /**
   * objects and byKind (per kind) map each store key to its Slot, the same slot in both: an update —
   * most of a rollout's million writes — puts the new version in the slot without touching either
   * map, and finds the key string (hashed once) there.
   */
  private readonly objects = new Map<string, Slot>();
  private readonly byKind = new Map<string, Map<string, Slot>>();
  /** sorted caches list()'s order (the kind's slots) per kind; adding or removing an object of the kind drops it. */
  private readonly sorted = new Map<string, Slot[]>();
  /**
   * dependents maps an owner uid to the objects that name it in ownerReferences (by key, each its
   * stored version, in the order they were last written): a controller lists what it owns on
   * every sync, and this answers without looking each key up in the map of every object.
   */
  private readonly dependents = new Map<string, Map<string, KubeObject>>();
  private readonly listeners: ChangeListener[] = [];
  private rv: number;
  /** secrets digests Secret values: the simulated cluster keeps keyed digests, never the values themselves. */
  readonly secrets: SecretDigester;
  /**
   * admittedPodSpecs maps a pod spec object that was decoded, size-checked and defaulted once to
   * its defaulted (frozen, shared) form and the upper bound of its JSON size. 100k pods of 10k
   * ReplicaSets then hold 10k specs between them, not 100k copies — the simulator's largest
   * memory and garbage-collection cost. Stored objects are read-only; freezing makes that a rule.
   */
  private readonly admittedPodSpecs = new WeakMap<object, { spec: any; bytes: number }>();
  /** dirty collects keys written since the last drain, for persisting (value: deleted?). */
  private readonly dirty = new Map<string, KubeObject | null>();
  /**
   * unsaved holds the keys of objects created since the last drainChanges that no saved state holds:
   * deleting one of them before the next drain leaves nothing to delete from the store (an image
   * update of 100k pods creates and deletes 100k of them between two saves).
   */
  private readonly unsaved = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly ids: IdSource,
    initial: { objects?: KubeObject[]; resourceVersion?: number; secrets?: SecretDigester } = {},
  ) {
    this.rv = initial.resourceVersion ?? 0;
    this.secrets = initial.secrets ?? SecretDigester.ephemeral();
    for (const obj of initial.objects ?? []) this.index(obj);
    for (const obj of initial.objects ?? []) if (obj.kind === 'CustomResourceDefinition') this.discovery.registerCRD(obj);
    for (const ns of INITIAL_NAMESPACES) {
      if (!this.objects.has(keyOf('Namespace', undefined, ns))) {
        this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      }
    }
  }

  /** resourceVersion returns the last resourceVersion handed out. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** watch registers a listener for every change. */
  watch(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** get returns the stored object (treat it as read-only) or undefined. */
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(keyOf(kind, namespace, name))?.obj;
  }

  /**
   * list returns objects of a kind, optionally in one namespace, sorted by namespace then name
   * (a fresh array the caller may reorder).
   */
  list(kind: string, namespace?: string): KubeObject[] {
    const m = this.byKind.get(kind);
    if (!m) return [];
    let slots = this.sorted.get(kind);
    if (!slots) {
      // The order is worked out once per object added to or removed from the kind, not per call
      // (the scheduler lists Nodes for every pod it binds, the DaemonSet controller on every sync,
      // and localeCompare is slow); an update keeps an object's slot and so its place.
      slots = [...m.values()].sort((x, y) => {
        const a = x.obj.metadata;
        const b = y.obj.metadata;
        return (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
      });
      this.sorted.set(kind, slots);
    }
    const out: KubeObject[] = [];
    for (const slot of slots) {
      const o = slot.obj;
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    }
    return out;
  }

  /** kinds lists every kind that has at least one stored object. */
  kinds(): string[] {
    return [...this.byKind.entries()].filter(([, m]) => m.size > 0).map(([k]) => k);
  }

  /** ownedBy returns the objects of `kind` whose ownerReferences name `uid`. */
  ownedBy(uid: string, kind?: string): KubeObject[] {
    const deps = this.dependents.get(uid);
    if (!deps) return [];
    const out: KubeObject[] = [];
    for (const o of deps.values()) if (kind === undefined || o.kind === kind) out.push(o);
    return out;
  }

  /** kindInfo resolves an object's apiVersion/kind against discovery (UnknownKind if not served). */
  kindInfo(obj: KubeObject): KindInfo {
    return this.discovery.lookup(obj.apiVersion, obj.kind);
  }

  /** prepare defaults and validates an object for create/update without storing it (a dry run). */
  prepare(input: KubeObject, batch?: BatchContext): { obj: KubeObject; info: KindInfo; existing: KubeObject | undefined } {
    if (!input || typeof input !== 'object' || !input.metadata || typeof input.kind !== 'string' || typeof input.apiVersion !== 'string') {
      throw new MfluxError('InvalidManifest', 'object is missing apiVersion, kind or metadata');
    }
    const info = (batch?.discovery ?? this.discovery).lookup(input.apiVersion, input.kind);
    const subject = objectRef(input.kind, info.namespaced ? input.metadata.namespace || 'default' : undefined, input.metadata.name ?? '');
    // Only a frozen spec can be looked up (or remembered): one the caller could still change must be checked as it is now.
    const frozenPodSpec: object | undefined = input.kind === 'Pod' && input.apiVersion === 'v1' && input.spec && typeof input.spec === 'object' && Object.isFrozen(input.spec) ? input.spec : undefined;
    const admitted = frozenPodSpec && this.admittedPodSpecs.get(frozenPodSpec);
    let obj: KubeObject;
    if (admitted) {
      // The same checks and defaults as below, with the spec's share worked out once: every check
      // is about the body as a whole only through its parts, and this spec's parts were found clean.
      // (A loop, not `{ spec, ...rest }`: object rest is a slow runtime call, and this runs for every pod.)
      const rest = {} as KubeObject;
      for (const k of Object.keys(input)) if (k !== 'spec') rest[k] = input[k];
      // The spec's bound, plus its member name and separator (at most 32 bytes), keeps this an upper bound of the whole body.
      const bound = jsonBytesBound(rest, admitted.bytes + 32, MAX_REQUEST_BYTES);
      if (bound > MAX_REQUEST_BYTES && requestBytes(input) > MAX_REQUEST_BYTES) throw new MfluxError('RequestTooLarge', `Request entity too large: limit is ${MAX_REQUEST_BYTES}`, { subject });
      const undecodable = decodeError(rest);
      if (undecodable) throw new MfluxError('BadRequest', undecodable, { subject });
      // A Pod's defaults are all in its spec (applyDefaults): the rest is only copied, so the caller
      // keeps its own objects — all but what is frozen, which no one can change (a ReplicaSet's
      // pods share its labels and owner reference).
      obj = cloneUnfrozen(rest);
      obj.spec = admitted.spec;
    } else {
      // What a real API server refuses before it validates: a body over its request limit, then what does not decode into the Go type.
      if (overRequestLimit(input)) throw new MfluxError('RequestTooLarge', `Request entity too large: limit is ${MAX_REQUEST_BYTES}`, { subject });
      const undecodable = decodeError(input);
      if (undecodable) throw new MfluxError('BadRequest', undecodable, { subject });
      obj = applyDefaults(this.secrets.redact(input));
      obj.metadata = { ...obj.metadata };
      if (frozenPodSpec) {
        // A Pod's metadata is not defaulted: what the caller froze (its ReplicaSet's labels and owner reference) is kept as it is, as below.
        for (const [k, v] of Object.entries(input.metadata)) if (v !== null && typeof v === 'object' && Object.isFrozen(v)) obj.metadata[k] = v;
        // The ReplicaSet controller creates every pod of a ReplicaSet with the ReplicaSet's own
        // (stored, frozen) template spec: the next such pod reuses this one's defaulted spec.
        this.admittedPodSpecs.set(frozenPodSpec, { spec: deepFreeze(obj.spec), bytes: jsonBytesBound(frozenPodSpec, 0, Infinity) });
      }
    }
    // Secret data is checked as submitted: the simulated cluster keeps keyed digests of Secret values, never the values themselves.
    const secretErrs = input.kind === 'Secret' && input.apiVersion === 'v1' ? validateSecretData(input) : [];
    if (info.namespaced) obj.metadata.namespace ??= 'default';
    else delete obj.metadata.namespace;
    const existing = obj.metadata.name ? this.objects.get(objKey(obj))?.obj : undefined;
    const errs = [...(existing && obj.kind === 'Deployment' ? validateDeploymentUpdate(obj, existing) : validateObject(obj, info.nameRule)), ...secretErrs];
    if (errs.length > 0) throw new InvalidObjectError(obj.kind, obj.metadata.name ?? obj.metadata.generateName ?? '', errs, objectRef(obj.kind, obj.metadata.namespace, obj.metadata.name ?? ''));
    if (info.namespaced && !this.objects.has(keyOf('Namespace', undefined, obj.metadata.namespace!)) && !batch?.namespaces.has(obj.metadata.namespace!)) {
      throw new MfluxError('NotFound', `namespaces "${obj.metadata.namespace}" not found`, {
        subject: objectRef(obj.kind, obj.metadata.namespace, obj.metadata.name),
      });
    }
    return { obj, info, existing };
  }

  /**
   * dryRun validates a whole batch as if applied together (namespaces and CRDs in the batch count
   * as present) and stores nothing. Returns one error per failing object, by index. With `only`,
   * just those indexes are checked (the rest still provide namespaces and CRDs).
   */
  dryRun(objs: KubeObject[], only?: number[]): { index: number; error: MfluxError }[] {
    const discovery = this.discovery.clone();
    const namespaces = new Set<string>();
    for (const o of objs) {
      if (o?.kind === 'Namespace' && o.metadata?.name) namespaces.add(o.metadata.name);
      if (o?.kind === 'CustomResourceDefinition') discovery.registerCRD(o);
    }
    const errors: { index: number; error: MfluxError }[] = [];
    for (const index of only ?? objs.keys()) {
      try {
        this.prepare(objs[index]!, { discovery, namespaces });
      } catch (err) {
        if (err instanceof MfluxError) errors.push({ index, error: err });
        else throw err;
      }
    }
    return errors;
  }

  /**
   * create stores a new object; AlreadyExists if the name is taken. A generated name (generateName)
   * that collides is drawn again, up to GENERATE_NAME_ATTEMPTS in all, as upstream's API server
   * does (RetryGenerateName): 10,000 pods of one ReplicaSet share 27^5 suffixes, so a collision is
   * expected now and then and must never fail the request.
   */
  create(input: KubeObject, opts: { uid?: string } = {}): KubeObject {
    const generated = !input.metadata?.name && Boolean(input.metadata?.generateName);
    let prepared: ReturnType<ApiServer['prepare']>;
    for (let attempt = 1; ; attempt++) {
      const withName = generated ? { ...input, metadata: { ...input.metadata, name: `${input.metadata.generateName}${this.ids.nameSuffix()}` } } : input;
      prepared = this.prepare(withName);
      if (!prepared.existing) break;
      const { obj, info } = prepared;
      if (generated && attempt < GENERATE_NAME_ATTEMPTS) continue;
      const tried = generated ? ` (generateName "${input.metadata.generateName}": ${attempt} generated names were all taken; try again)` : '';
      throw new MfluxError('AlreadyExists', `${resourceName(info)} "${obj.metadata.name}" already exists${tried}`, {
        subject: objectRef(obj.kind, obj.metadata.namespace, obj.metadata.name),
      });
    }
    const { obj, info } = prepared;
    const now = this.nowStamp();
    // A given uid (simulated nodes) leaves the id sequence, and so every generated name, as it was.
    obj.metadata.uid = opts.uid ?? this.ids.uid();
    obj.metadata.creationTimestamp = now;
    obj.metadata.resourceVersion = String(++this.rv);
    delete obj.metadata.deletionTimestamp;
    if (obj.spec !== undefined) obj.metadata.generation = 1;
    if (info.hasStatus) obj.status = this.initialStatus(obj);
    if (obj.kind === 'Service' && obj.spec && obj.spec.type !== 'ExternalName' && obj.spec.clusterIP === undefined) {
      obj.spec.clusterIP = this.ids.serviceIP();
      obj.spec.clusterIPs = [obj.spec.clusterIP];
    }
    if (obj.kind === 'CustomResourceDefinition') this.discovery.registerCRD(obj);
    this.store(obj, undefined);
    return obj;
  }

  // nowStamp formats the cluster time once per instant: every object created at it is stamped with the same string.
  private stampAt = Number.NaN;
  private stamp = '';
  private nowStamp(): string {
    const now = this.clock.now();
    if (now !== this.stampAt) {
      this.stampAt = now;
      this.stamp = toRFC3339(now);
    }
    return this.stamp;
  }

  private initialStatus(obj: KubeObject): any {
    if (obj.kind === 'Namespace') return { phase: 'Active' };
    if (obj.kind === 'Service') return { loadBalancer: {} };
    return obj.status && obj.kind === 'Pod' ? obj.status : {};
  }

  /**
   * update replaces metadata (labels, annotations, ownerReferences) and spec of an existing object,
   * keeping status, uid and creationTimestamp. Nothing is written when nothing changed (the
   * resourceVersion stays). generation grows on spec changes, and for Deployments also on
   * annotation changes (they are copied to ReplicaSets).
   */
  update(input: KubeObject): KubeObject {
    const { obj, info, existing } = this.prepare(input);
    if (!existing) throw new MfluxError('NotFound', `${resourceName(info)} "${obj.metadata.name}" not found`, { subject: objectRef(obj.kind, obj.metadata.namespace, obj.metadata.name) });
    const next: KubeObject = { ...obj, metadata: { ...obj.metadata } };
    for (const k of ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'deletionTimestamp'] as const) {
      if (existing.metadata[k] === undefined) delete next.metadata[k];
      else (next.metadata as any)[k] = existing.metadata[k];
    }
    if (info.hasStatus) next.status = existing.status;
    if (obj.kind === 'Service' && existing.spec?.clusterIP && next.spec && next.spec.clusterIP === undefined) {
      next.spec.clusterIP = existing.spec.clusterIP;
      next.spec.clusterIPs = existing.spec.clusterIPs;
    }
    if (deepEqual(stripRV(next), stripRV(existing))) return existing;
    const specChanged = !deepEqual(next.spec, existing.spec);
    const annotationsChanged = !deepEqual(next.metadata.annotations ?? {}, existing.metadata.annotations ?? {});
    if (existing.metadata.generation !== undefined && (specChanged || (obj.kind === 'Deployment' && annotationsChanged))) {
      next.metadata.generation = existing.metadata.generation + 1;
    }
    next.metadata.resourceVersion = String(++this.rv);
    if (obj.kind === 'CustomResourceDefinition') this.discovery.registerCRD(next);
    this.store(next, existing);
    return next;
  }

  /**
   * updateStatus writes the status subresource: only status changes (Deployments may also carry
   * annotation changes, as upstream's status strategy allows), generation never moves.
   */
  updateStatus(kind: string, namespace: string | undefined, name: string, status: any, annotations?: Record<string, string>): KubeObject {
    const slot = this.objects.get(keyOf(kind, namespace, name));
    if (!slot) throw new MfluxError('NotFound', `${kind.toLowerCase()} "${name}" not found`, { subject: objectRef(kind, namespace, name) });
    const existing = slot.obj;
    const annChanged = annotations !== undefined && !deepEqual(annotations, existing.metadata.annotations ?? {});
    if (deepEqual(status, existing.status) && !annChanged) return existing;
    const next: KubeObject = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.rv) }, status };
    if (annChanged) next.metadata.annotations = annotations;
    this.store(next, existing, slot);
    return next;
  }

  /**
   * writeDirect stores a controller-built object (ReplicaSet scale, pod status) after the same
   * no-change check, bumping generation on spec changes. Controllers use it to avoid re-defaulting.
   */
  writeDirect(next: KubeObject): KubeObject {
    const slot = this.objects.get(objKey(next));
    if (!slot) throw new MfluxError('NotFound', `${next.kind} "${next.metadata.name}" not found`, { subject: objectRef(next.kind, next.metadata.namespace, next.metadata.name) });
    const existing = slot.obj;
    if (next === existing) return existing;
    const specChanged = !deepEqual(next.spec, existing.spec);
    const metaChanged = !sameApartFrom(next, existing, SPEC_AND_STATUS);
    const statusChanged = !deepEqual(next.status, existing.status);
    if (!specChanged && !metaChanged && !statusChanged) return existing;
    const stored: KubeObject = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.rv) } };
    if (specChanged && existing.metadata.generation !== undefined) stored.metadata.generation = existing.metadata.generation + 1;
    this.store(stored, existing, slot);
    return stored;
  }

  /**
   * delete removes an object. With a grace period (pods) it only sets deletionTimestamp and the
   * caller finishes the deletion later with `finalizeDelete`. Dependents are garbage-collected
   * (background cascading deletion). Returns false when the object did not exist.
   */
  delete(kind: string, namespace: string | undefined, name: string, graceMs = 0): boolean {
    const key = keyOf(kind, namespace, name);
    const slot = this.objects.get(key);
    if (!slot) return false;
    const existing = slot.obj;
    if (graceMs > 0) {
      if (existing.metadata.deletionTimestamp) return true;
      const next: KubeObject = {
        ...existing,
        metadata: {
          ...existing.metadata,
          deletionTimestamp: toRFC3339(this.clock.now() + graceMs),
          deletionGracePeriodSeconds: Math.ceil(graceMs / 1000),
          resourceVersion: String(++this.rv),
        },
      };
      this.store(next, existing, slot);
      return true;
    }
    this.finalizeDelete(slot.key);
    return true;
  }

  /** finalizeDelete removes an object for good and collects everything it owned. */
  finalizeDelete(key: string): void {
    const existing = this.objects.get(key)?.obj;
    if (!existing) return;
    this.unindex(existing, key);
    if (this.unsaved.delete(key)) this.dirty.delete(key);
    else this.dirty.set(key, null);
    this.rv++;
    for (const l of this.listeners) l('DELETED', existing, existing);
    const uid = existing.metadata.uid;
    if (uid) {
      const deps = this.dependents.get(uid);
      if (deps) {
        this.dependents.delete(uid);
        for (const dk of [...deps.keys()]) {
          const dep = this.objects.get(dk)?.obj;
          // Only a dependent whose every owner is gone is collected, as the garbage collector does.
          const owners = dep?.metadata.ownerReferences ?? [];
          if (dep && owners.every((o) => o.uid === uid || !this.uidExists(o.uid))) this.finalizeDelete(dk);
        }
      }
    }
    if (existing.kind === 'Namespace') {
      for (const [k, slot] of [...this.objects]) if (slot.obj.metadata.namespace === existing.metadata.name) this.finalizeDelete(k);
    }
  }

  private readonly uids = new Set<string>();

  private uidExists(uid: string): boolean {
    return this.uids.has(uid);
  }

  private index(obj: KubeObject, key = objKey(obj)): Slot {
    const slot: Slot = { key, obj };
    this.objects.set(key, slot);
    this.sorted.delete(obj.kind);
    let m = this.byKind.get(obj.kind);
    if (!m) this.byKind.set(obj.kind, (m = new Map()));
    m.set(key, slot);
    if (obj.metadata.uid) this.uids.add(obj.metadata.uid);
    this.addDependent(obj, key);
    return slot;
  }

  // addDependent files obj (under key) with each owner its ownerReferences name, at the end of their lists.
  private addDependent(obj: KubeObject, key: string): void {
    for (const o of obj.metadata.ownerReferences ?? []) {
      let m = this.dependents.get(o.uid);
      if (!m) this.dependents.set(o.uid, (m = new Map()));
      m.set(key, obj);
    }
  }

  private unindex(obj: KubeObject, key = objKey(obj)): void {
    this.objects.delete(key);
    this.sorted.delete(obj.kind);
    this.byKind.get(obj.kind)?.delete(key);
    if (obj.metadata.uid) this.uids.delete(obj.metadata.uid);
    for (const o of obj.metadata.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(key);
  }

  // store files obj, a new version of old (in `slot`, when the caller has it) or a new object.
  private store(obj: KubeObject, old: KubeObject | undefined, slot?: Slot): void {
    let key: string;
    if (old) {
      slot ??= this.objects.get(objKey(obj))!;
      key = slot.key;
      this.reindex(old, obj, slot);
    } else {
      key = this.index(obj).key;
      // New to the store too, unless a saved object of that name is waiting to be deleted (then the row is replaced).
      if (!this.dirty.has(key)) this.unsaved.add(key);
    }
    this.dirty.set(key, obj);
    const type: ChangeType = old ? 'MODIFIED' : 'ADDED';
    for (const l of this.listeners) l(type, obj, old);
  }

  // reindex replaces a stored object by its new version with the effect of unindex + index on what
  // callers see (the key moves to the end of its owners' dependents: ownedBy's order), without the
  // work that has no effect: the version goes into its slot, so it keeps its place in `objects` (only
  // a namespace's deletion walks that, in creation order) and in its kind's map, and the uid set only
  // changes if its uid did — a rollout's million writes touch neither map of every object.
  private reindex(old: KubeObject, obj: KubeObject, slot: Slot): void {
    const key = slot.key;
    slot.obj = obj;
    if (old.metadata.uid !== obj.metadata.uid) {
      if (old.metadata.uid) this.uids.delete(old.metadata.uid);
      if (obj.metadata.uid) this.uids.add(obj.metadata.uid);
    }
    for (const o of old.metadata.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(key);
    this.addDependent(obj, key);
  }

  /** drainChanges returns (and forgets) what was written since the last call: upserted objects and deleted keys. */
  drainChanges(): { upserts: KubeObject[]; deletes: KubeObject[] } {
    const upserts: KubeObject[] = [];
    const deletes: KubeObject[] = [];
    for (const [key, obj] of this.dirty) {
      if (obj) upserts.push(obj);
      else {
        const [kind, ns, ...rest] = key.split('/');
        deletes.push({ apiVersion: 'v1', kind: kind!, metadata: { name: rest.join('/'), namespace: ns || undefined } });
      }
    }
    this.dirty.clear();
    this.unsaved.clear();
    return { upserts, deletes };
  }
}

const SPEC_AND_STATUS: ReadonlySet<string> = new Set(['spec', 'status']);
const RESOURCE_VERSION: ReadonlySet<string> = new Set(['resourceVersion']);

// sameApartFrom is deepEqual(stripRV({...a, <skip>: undefined}), stripRV({...b, <skip>: undefined}))
// without building the copies: it runs on every controller write.
function sameApartFrom(a: KubeObject, b: KubeObject, skip: ReadonlySet<string>): boolean {
  return equalMembers(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>, skip, sameMemberApartFromRV);
}

const sameMember = (_k: string, x: unknown, y: unknown): boolean => deepEqual(x, y);
const sameMemberApartFromRV = (k: string, x: unknown, y: unknown): boolean =>
  k === 'metadata' && isRecord(x) && isRecord(y) ? equalMembers(x, y, RESOURCE_VERSION, sameMember) : deepEqual(x, y);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// equalMembers compares two objects member by member as deepEqual does (undefined members count as absent), ignoring `skip`.
// (for…in, not Object.keys: it runs on every controller write, and for…in reads the key cache without copying it.)
function equalMembers(a: Record<string, unknown>, b: Record<string, unknown>, skip: ReadonlySet<string>, eq: (k: string, x: unknown, y: unknown) => boolean): boolean {
  for (const k in a) {
    if (a[k] === undefined || skip.has(k)) continue;
    if (!eq(k, a[k], b[k])) return false;
  }
  for (const k in b) {
    if (b[k] !== undefined && !skip.has(k) && a[k] === undefined) return false;
  }
  return true;
}

function stripRV(o: KubeObject): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
}
