/**
 * The StatefulSet controller (upstream pkg/controller/statefulset, stateful_set_control.go, 1.31):
 * revisions first, then pods in ordinal order — created (claims first) and, under OrderedReady,
 * one at a time, each waited for until Running and Ready; surplus ordinals deleted from the
 * highest; then the rolling update from the highest ordinal down to `partition`, one pod deleted
 * at a time (re-created by the next sync with the update revision) and waited for. `OnDelete`
 * leaves replacing pods to the user. Status and history are written at the end of every sync.
 */
import { type KubeObject, isMfluxError } from '../../../../core/index.js';
import { scaledValue } from '../../../../manifests/index.js';
import type { ControllerContext } from '../context.js';
import { syncRevisions, truncateHistory } from '../history/revisions.js';
import { readySince } from '../replicaset.js';
import { isFinished, isHealthy, isRunningAndAvailable, isRunningAndReady, isTerminating, newClaims, newStatefulPod, podOrdinal, podRevision } from './pods.js';

/** COMPONENT is the event source of the StatefulSet controller. */
export const COMPONENT = 'statefulset-controller';

/** CREATE_RETRY_MS is how long the controller waits before retrying after a create failed. */
const CREATE_RETRY_MS = 1000;

/**
 * maxUnavailableOf resolves rollingUpdate.maxUnavailable against replicas (rounding down, at least
 * 1), or undefined when unset. Upstream honours the field only with the MaxUnavailableStatefulSet
 * feature gate (alpha in 1.31); the simulator honours it whenever it is set. Example: 25% of 5 → 1.
 */
export function maxUnavailableOf(set: KubeObject): number | undefined {
  const v = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
  if (v === undefined || v === null) return undefined;
  return Math.max(1, scaledValue(v, set.spec?.replicas ?? 1, false));
}

/** syncStatefulSet runs one sync of the StatefulSet `namespace/name`; `podGraceMs` is how long a deleted pod takes to terminate. */
export function syncStatefulSet(ctx: ControllerContext, namespace: string, name: string, podGraceMs: number): void {
  const set = ctx.api.get('StatefulSet', namespace, name);
  if (!set || set.metadata.deletionTimestamp) return;
  const { current, update, all } = syncRevisions(ctx, set, set.status?.currentRevision);
  const key = `StatefulSet/${namespace}/${name}`;
  const uid = set.metadata.uid!;
  const owned = () => ctx.api.ownedBy(uid, 'Pod').filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid));

  manage(ctx, set, owned(), current, update, podGraceMs, key);

  const pods = owned();
  const status = computeStatus(ctx, set, pods, current.metadata.name, update.metadata.name);
  const live = new Set([current.metadata.name, update.metadata.name, ...pods.map(podRevision)]);
  truncateHistory(ctx, set, all, live);
  ctx.api.updateStatus('StatefulSet', namespace, name, status);
}

/** Wait is what a step returns: true when the sync must stop here (upstream's early `return &status, nil`). */
type Wait = boolean;

function manage(ctx: ControllerContext, set: KubeObject, pods: KubeObject[], current: KubeObject, update: KubeObject, podGraceMs: number, key: string): void {
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const start = set.spec?.ordinals?.start ?? 0;
  const count = set.spec?.replicas ?? 1;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const now = ctx.now();
  const replicas: (KubeObject | undefined)[] = new Array(count).fill(undefined);
  const condemned: KubeObject[] = [];
  for (const p of pods) {
    const ord = podOrdinal(set, p);
    if (ord < 0) continue;
    if (ord >= start && ord < start + count) replicas[ord - start] = p;
    else condemned.push(p);
  }
  condemned.sort((a, b) => podOrdinal(set, b) - podOrdinal(set, a));

  // The first unhealthy pod, in ordinal order and then condemned from the highest, may be deleted even when unhealthy.
  const firstUnhealthy = [...replicas, ...condemned].find((p) => p !== undefined && !isHealthy(p));
  const ru = set.spec?.updateStrategy?.rollingUpdate;
  const rolling = set.spec?.updateStrategy?.type !== 'OnDelete';
  const revisionFor = (ordinal: number): KubeObject => {
    // newVersionedStatefulSetPod, with Go's precedence: ordinals below the partition keep the current revision.
    const currentReplicas = set.status?.currentReplicas ?? 0;
    if ((rolling && !ru && ordinal - start < currentReplicas) || (ru && ordinal - start < (ru.partition ?? 0))) return current;
    return update;
  };

  for (let i = 0; i < count; i++) {
    const pod = replicas[i];
    const ordinal = start + i;
    if (pod && isFinished(pod) && !isTerminating(pod)) {
      // A finished pod is deleted; the next sync creates its replacement.
      deletePod(ctx, set, pod, podGraceMs);
      if (monotonic) return;
      continue;
    }
    if (!pod) {
      if (!createPod(ctx, set, newStatefulPod(set, ordinal, revisionFor(ordinal)), key)) return;
      if (monotonic) return;
      continue;
    }
    if (isTerminating(pod)) {
      if (monotonic) return;
      continue;
    }
    if (!isRunningAndReady(pod)) {
      if (monotonic) return;
      continue;
    }
    if (!isRunningAndAvailable(pod, minReady, now)) {
      // Ready but not yet for minReadySeconds: come back when it will be.
      ctx.requeueAt('statefulset', key, (readySince(pod) ?? now) + minReady * 1000 + 1000);
      if (monotonic) return;
    }
  }

  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return;
      continue;
    }
    if (monotonic && !isRunningAndReady(pod) && pod !== firstUnhealthy) return;
    deletePod(ctx, set, pod, podGraceMs);
    if (monotonic) return;
  }

  if (!rolling) return;
  if (rollingUpdate(ctx, set, replicas, update, podGraceMs)) return;
}

/**
 * rollingUpdate walks from the highest ordinal down to the partition: a pod at an old revision is
 * deleted (one per sync; with maxUnavailable, as many as keep unavailable pods within it), and an
 * unhealthy one stops the walk. Example: 5 replicas, partition 2 → web-4, web-3, web-2 are
 * replaced in that order; web-1 and web-0 keep the current revision.
 */
function rollingUpdate(ctx: ControllerContext, set: KubeObject, replicas: (KubeObject | undefined)[], update: KubeObject, podGraceMs: number): Wait {
  const start = set.spec?.ordinals?.start ?? 0;
  const partition = Math.min(set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0, replicas.length);
  const updateMin = Math.max(0, partition - start);
  const maxUnavailable = maxUnavailableOf(set);
  if (maxUnavailable === undefined) {
    for (let target = replicas.length - 1; target >= updateMin; target--) {
      const pod = replicas[target];
      if (!pod) return true;
      if (podRevision(pod) !== update.metadata.name && !isTerminating(pod)) {
        deletePod(ctx, set, pod, podGraceMs);
        return true;
      }
      if (!isHealthy(pod)) return true;
    }
    return false;
  }
  let unavailable = 0;
  for (let target = replicas.length - 1; target >= updateMin; target--) {
    const pod = replicas[target];
    if (!pod || !isHealthy(pod)) unavailable++;
  }
  if (unavailable >= maxUnavailable) return true;
  let budget = maxUnavailable - unavailable;
  for (let target = replicas.length - 1; target >= updateMin && budget > 0; target--) {
    const pod = replicas[target];
    if (pod && podRevision(pod) !== update.metadata.name && !isTerminating(pod) && isHealthy(pod)) {
      deletePod(ctx, set, pod, podGraceMs);
      budget--;
    }
  }
  return true;
}

/** createPod creates the pod's missing claims, then the pod, recording upstream's events; false (and a retry) on failure. */
function createPod(ctx: ControllerContext, set: KubeObject, pod: KubeObject, key: string): boolean {
  try {
    for (const claim of newClaims(set, pod.metadata.name)) {
      const existing = ctx.api.get('PersistentVolumeClaim', claim.metadata.namespace, claim.metadata.name);
      if (existing) continue;
      ctx.api.create(claim);
      ctx.record(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`, COMPONENT);
    }
    ctx.api.create(pod);
  } catch (err) {
    if (!isMfluxError(err)) throw err;
    ctx.record(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${err.message}`, COMPONENT);
    ctx.requeueAt('statefulset', key, ctx.now() + CREATE_RETRY_MS);
    return false;
  }
  ctx.record(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`, COMPONENT);
  return true;
}

function deletePod(ctx: ControllerContext, set: KubeObject, pod: KubeObject, podGraceMs: number): void {
  ctx.api.delete('Pod', pod.metadata.namespace, pod.metadata.name, podGraceMs);
  ctx.record(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`, COMPONENT);
}

/**
 * computeStatus counts pods as upstream does: replicas = created pods, ready/available among them,
 * current/updated = non-terminating pods at the current/update revision; then completeRollingUpdate
 * moves currentRevision to updateRevision once every pod is updated and ready (RollingUpdate only:
 * under OnDelete, and with a partition > 0, currentRevision stays).
 */
function computeStatus(ctx: ControllerContext, set: KubeObject, pods: KubeObject[], currentName: string, updateName: string): any {
  const minReady = set.spec?.minReadySeconds ?? 0;
  const now = ctx.now();
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let currentReplicas = 0;
  let updated = 0;
  for (const p of pods) {
    if (podOrdinal(set, p) < 0) continue;
    replicas++;
    if (isRunningAndReady(p)) {
      ready++;
      if (isRunningAndAvailable(p, minReady, now)) available++;
    }
    if (!isTerminating(p)) {
      if (podRevision(p) === currentName) currentReplicas++;
      if (podRevision(p) === updateName) updated++;
    }
  }
  let currentRevision = currentName;
  if (set.spec?.updateStrategy?.type !== 'OnDelete' && updated === replicas && ready === replicas) {
    currentReplicas = updated;
    currentRevision = updateName;
  }
  const status: any = {
    observedGeneration: set.metadata.generation,
    replicas,
    readyReplicas: ready,
    currentReplicas,
    updatedReplicas: updated,
    currentRevision,
    updateRevision: updateName,
    collisionCount: set.status?.collisionCount ?? 0,
    availableReplicas: available,
  };
  // The API omits these when zero (omitempty); replicas and availableReplicas are always written.
  for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas'] as const) if (status[k] === 0) delete status[k];
  return status;
}
