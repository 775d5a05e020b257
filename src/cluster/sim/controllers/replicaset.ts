/** The ReplicaSet controller (upstream replica_set.go): keep spec.replicas pods, delete the least useful first, report status. */
import { isPodReady, readyCondition } from '../../serving.js';
import { type KubeObject, deepEqual, deepFreeze, isMfluxError, parseRFC3339 } from '../../../core/index.js';
import type { ControllerContext } from './context.js';

/** COMPONENT is the event source of the ReplicaSet controller. */
export const COMPONENT = 'replicaset-controller';

/** BURST_REPLICAS caps how many pods one sync creates or deletes, as upstream's burstReplicas. */
export const BURST_REPLICAS = 500;

/** CREATE_RETRY_MS is how long the controller waits before retrying after a pod create failed. */
export const CREATE_RETRY_MS = 1000;

/** isPodActive: not terminating and not finished. */
export function isPodActive(p: KubeObject): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

export { isPodReady };

/** readySince returns when a ready pod became Ready (epoch ms), or undefined. */
export function readySince(p: KubeObject): number | undefined {
  const c = readyCondition(p);
  return c?.status === 'True' && c.lastTransitionTime ? parseRFC3339(c.lastTransitionTime) : undefined;
}

/** isPodAvailable: Ready for strictly longer than minReadySeconds (or Ready at all when it is 0). Example: ready at 10s, minReadySeconds 5 → available after 15s. */
export function isPodAvailable(p: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(p)) return false;
  if (minReadySeconds === 0) return true;
  const since = readySince(p);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function log2Bucket(ms: number): number {
  // Upstream buckets durations logarithmically so pods of similar age count as equal.
  const s = Math.max(0, Math.floor(ms / 1000));
  return s === 0 ? 0 : Math.floor(Math.log2(s)) + 1;
}

/**
 * podsToDelete ranks pods the way upstream does and returns the first n: unscheduled, then
 * Pending < Unknown < Running, not-ready before ready, lower deletion cost, more recently ready,
 * more restarts, newer — so a scale-down never removes a serving pod while a broken one exists.
 */
export function podsToDelete(pods: KubeObject[], n: number, now: number): KubeObject[] {
  // Each pod's ranks are worked out once, not in every comparison (a scale-down of a few pods sorts
  // them with ~n log n comparisons, and a rollout of 100k pods runs one for each ReplicaSet step).
  const ranked = pods.map((p) => {
    const ready = isPodReady(p);
    return {
      p,
      scheduled: p.spec?.nodeName ? 1 : 0,
      phase: PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0,
      ready: ready ? 1 : 0,
      cost: Number.parseInt(p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? '0', 10) || 0,
      readyBucket: ready ? log2Bucket(now - (readySince(p) ?? now)) : 0,
      restarts: Math.max(0, ...((p.status?.containerStatuses ?? []) as any[]).map((c) => c.restartCount ?? 0)),
      age: log2Bucket(now - parseRFC3339(p.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z')),
      uid: p.metadata.uid ?? '',
    };
  });
  ranked.sort((a, b) => {
    if (a.scheduled !== b.scheduled) return a.scheduled - b.scheduled;
    if (a.phase !== b.phase) return a.phase - b.phase;
    if (a.ready !== b.ready) return a.ready - b.ready;
    if (a.cost !== b.cost) return a.cost - b.cost;
    if (a.ready && b.ready && a.readyBucket !== b.readyBucket) return a.readyBucket - b.readyBucket;
    if (a.restarts !== b.restarts) return b.restarts - a.restarts;
    if (a.age !== b.age) return a.age - b.age;
    return a.uid < b.uid ? -1 : 1;
  });
  return ranked.slice(0, n).map((r) => r.p);
}

/**
 * podChangeWakesReplicaSet tells whether an update of one of a ReplicaSet's pods can change what a
 * sync of that ReplicaSet would do. Upstream's updatePod enqueues the owner on every update; a sync
 * reads a pod's ownership, labels (fullyLabeledReplicas), whether it is active, whether it is Ready
 * and since when (ready and available replicas, the minReadySeconds requeue) — and ranks pods only
 * to delete some, which an owner's own change asks for. So any other update (a bind, a restart
 * count, a new IP) would wake a sync that writes nothing: a third of a rollout's ReplicaSet syncs.
 */
export function podChangeWakesReplicaSet(old: KubeObject, pod: KubeObject): boolean {
  if (isPodActive(old) !== isPodActive(pod)) return true;
  // Ready, and since when (readySince reads the transition time of a Ready condition only).
  const was = readyCondition(old);
  const is = readyCondition(pod);
  const ready = is?.status === 'True';
  if ((was?.status === 'True') !== ready || (ready && was?.lastTransitionTime !== is?.lastTransitionTime)) return true;
  const a = old.metadata;
  const b = pod.metadata;
  return !sameValue(a.labels, b.labels) || !sameValue(a.ownerReferences, b.ownerReferences);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || deepEqual(a, b);
}

/**
 * podFromTemplate builds a pod for a ReplicaSet (generateName "<rs>-", controller owner reference).
 * Its spec is the stored ReplicaSet's template spec itself, frozen: the API server defaults it once
 * and every pod of the ReplicaSet shares the result (stored objects are read-only).
 */
export function podFromTemplate(rs: KubeObject): KubeObject {
  const t = rs.spec.template ?? {};
  const shared = podMetadataOf(rs, t);
  // Key by key (a conditional spread costs a runtime call, and this runs for every pod created).
  const metadata: KubeObject['metadata'] = { name: '', generateName: shared.generateName, namespace: rs.metadata.namespace, labels: shared.labels };
  if (t.metadata?.annotations) metadata.annotations = { ...t.metadata.annotations };
  metadata.ownerReferences = shared.ownerReferences;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: deepFreeze(t.spec ?? {}) };
}

/** PodMetadata is what every pod of one ReplicaSet holds alike: its labels and its owner reference, frozen and shared. */
interface PodMetadata {
  uid: string;
  name: string;
  generateName: string;
  labels: Record<string, string>;
  ownerReferences: NonNullable<KubeObject['metadata']['ownerReferences']>;
}

// POD_METADATA holds, per stored template (a ReplicaSet's, unchanged by its scale and status writes), its pods' shared metadata.
const POD_METADATA = new WeakMap<object, PodMetadata>();

/**
 * podMetadataOf is the labels and owner reference of rs's pods, made once per template and owner:
 * 100k pods of 10k ReplicaSets then hold 10k of each, not 100k copies (the API server keeps what is
 * frozen as it is; stored objects are read-only).
 */
function podMetadataOf(rs: KubeObject, t: any): PodMetadata {
  const uid = rs.metadata.uid!;
  const name = rs.metadata.name;
  let m = POD_METADATA.get(t);
  if (!m || m.uid !== uid || m.name !== name) {
    m = {
      uid,
      name,
      generateName: `${name}-`,
      labels: deepFreeze({ ...t.metadata?.labels }),
      ownerReferences: deepFreeze([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, controller: true, blockOwnerDeletion: true }]),
    };
    POD_METADATA.set(t, m);
  }
  return m;
}

// activePodsOf lists the active pods the ReplicaSet `uid` controls, in one pass (this runs twice in most of a rollout's syncs).
function activePodsOf(ctx: ControllerContext, uid: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const p of ctx.api.ownedBy(uid, 'Pod')) if (isPodActive(p) && controlledBy(p, uid)) out.push(p);
  return out;
}

function controlledBy(p: KubeObject, uid: string): boolean {
  for (const o of p.metadata.ownerReferences ?? []) if (o.controller && o.uid === uid) return true;
  return false;
}

// hasLabels: every label of `want` is in `labels` with the same value.
function hasLabels(labels: Record<string, string> | undefined, want: Record<string, string>): boolean {
  for (const k in want) if (labels?.[k] !== want[k]) return false;
  return true;
}

/**
 * syncReplicaSet creates or deletes pods to match spec.replicas and writes status
 * (replicas = active pods, ready, available after minReadySeconds). `podGraceMs` is how long a
 * deleted pod takes to terminate. Returns false when the burst limit left pods to create or delete
 * (another sync must follow), true when this sync did all there was to do.
 */
export function syncReplicaSet(ctx: ControllerContext, namespace: string, name: string, podGraceMs: number): boolean {
  const rs = ctx.api.get('ReplicaSet', namespace, name);
  if (!rs) return true;
  let complete = true;
  const uid = rs.metadata.uid!;
  let active = activePodsOf(ctx, uid);
  if (!rs.metadata.deletionTimestamp) {
    const want = rs.spec?.replicas ?? 0;
    const diff = active.length - want;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      complete = n === -diff;
      for (let i = 0; i < n; i++) {
        let pod: KubeObject;
        try {
          pod = ctx.api.create(podFromTemplate(rs));
        } catch (err) {
          if (!isMfluxError(err)) throw err;
          // Upstream reports the failure as an event and requeues the ReplicaSet with backoff; the
          // pods created so far stay, and the next sync creates the rest.
          ctx.record(rs, 'Warning', 'FailedCreate', `Error creating: ${err.message}`, COMPONENT);
          ctx.requeueAt('replicaset', `ReplicaSet/${namespace}/${name}`, ctx.now() + CREATE_RETRY_MS);
          break;
        }
        ctx.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
      }
    } else if (diff > 0) {
      complete = diff <= BURST_REPLICAS;
      for (const pod of podsToDelete(active, Math.min(diff, BURST_REPLICAS), ctx.now())) {
        ctx.api.delete('Pod', pod.metadata.namespace, pod.metadata.name, podGraceMs);
        ctx.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, COMPONENT);
      }
    }
    if (diff !== 0) {
      // Status reflects the pods as they are after this sync's creates and deletes.
      active = activePodsOf(ctx, uid);
    }
  }
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let nextAvailableAt = Infinity;
  const now = ctx.now();
  for (const p of active) {
    if (hasLabels(p.metadata.labels, templateLabels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
      else nextAvailableAt = Math.min(nextAvailableAt, (readySince(p) ?? now) + minReady * 1000 + 1000);
    }
  }
  const status: any = { ...(rs.status ?? {}) };
  status.replicas = active.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  status.observedGeneration = rs.metadata.generation;
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[k] === 0) delete status[k];
  ctx.api.updateStatus('ReplicaSet', namespace, name, status);
  if (nextAvailableAt !== Infinity) ctx.requeueAt('replicaset', `ReplicaSet/${namespace}/${name}`, nextAvailableAt);
  return complete;
}
