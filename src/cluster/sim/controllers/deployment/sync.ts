/**
 * Shared Deployment sync steps (upstream sync.go): finding or creating the new ReplicaSet and
 * syncing revisions, scaling a ReplicaSet with its events, proportional scaling, and status.
 */
import { type KubeObject } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { keyOf } from '../../apiserver.js';
import {
  ANNOTATIONS_TO_SKIP,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  MAX_REV_HISTORY_CHARS,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  Reasons,
  type DeploymentStatus,
  annotationInt,
  bySizeNewer,
  bySizeOlder,
  computeHash,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  getCondition,
  hasProgressDeadline,
  isActive,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  proportion,
  setCondition,
  specReplicas,
  sumSpec,
  sumStatus,
} from './util.js';

/** COMPONENT is the event source of everything this controller records. */
export const COMPONENT = 'deployment-controller';

/** scalingMessage writes the ScalingReplicaSet event text in the chosen release's wording. */
export function scalingMessage(ctx: ControllerContext, op: 'up' | 'down', rs: string, to: number, from: number, creation: boolean): string {
  switch (ctx.eventWording) {
    case 'article':
      return `Scaled ${op} replica set ${rs} to ${to}`;
    case 'v1.28':
      return creation ? `Scaled up replica set ${rs} to ${to}` : `Scaled ${op} replica set ${rs} to ${to} from ${from}`;
    case 'v1.32':
      return `Scaled ${op} replica set ${rs} from ${from} to ${to}`;
  }
}

/** writeStatus persists the working Deployment's status and annotations through the status subresource. */
export function writeStatus(ctx: ControllerContext, d: KubeObject): void {
  const stored = ctx.api.updateStatus('Deployment', d.metadata.namespace, d.metadata.name, d.status, d.metadata.annotations);
  d.metadata.resourceVersion = stored.metadata.resourceVersion;
}

/** setReplicasAnnotations stamps desired/max replicas on a ReplicaSet copy; true if they changed. */
function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  if (ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    ann[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (ann[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    ann[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  const ann = rs.metadata.annotations ?? {};
  return ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || ann[MAX_REPLICAS_ANNOTATION] !== String(max);
}

function copyRS(rs: KubeObject): KubeObject {
  return { ...rs, metadata: { ...rs.metadata, annotations: { ...(rs.metadata.annotations ?? {}) } }, spec: { ...rs.spec } };
}

/**
 * scaleReplicaSet writes a new size (and the desired/max annotations) to a ReplicaSet and records
 * a ScalingReplicaSet event when the size changed. Returns [scaled, the stored ReplicaSet].
 */
export function scaleReplicaSet(ctx: ControllerContext, rs: KubeObject, newScale: number, d: KubeObject, op: 'up' | 'down'): [boolean, KubeObject] {
  const desired = specReplicas(d);
  const max = desired + maxSurge(d);
  const sizeNeedsUpdate = specReplicas(rs) !== newScale;
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return [false, rs];
  const oldScale = specReplicas(rs);
  // Only what changes is copied (writeDirect copies the metadata it stamps): most scales keep the annotations.
  const copy: KubeObject = { ...rs, spec: { ...rs.spec, replicas: newScale } };
  if (replicasAnnotationsNeedUpdate(rs, desired, max)) {
    copy.metadata = { ...rs.metadata, annotations: { ...(rs.metadata.annotations ?? {}) } };
    setReplicasAnnotations(copy, desired, max);
  }
  const stored = ctx.api.writeDirect(copy);
  if (sizeNeedsUpdate) {
    ctx.record(d, 'Normal', 'ScalingReplicaSet', scalingMessage(ctx, op, rs.metadata.name, newScale, oldScale, false), COMPONENT);
  }
  return [sizeNeedsUpdate, stored];
}

/** scaleReplicaSetAndRecordEvent resizes only when the size differs (rollout paths), picking "up" or "down". */
export function scaleReplicaSetAndRecordEvent(ctx: ControllerContext, rs: KubeObject, newScale: number, d: KubeObject): [boolean, KubeObject] {
  if (specReplicas(rs) === newScale) return [false, rs];
  return scaleReplicaSet(ctx, rs, newScale, d, specReplicas(rs) < newScale ? 'up' : 'down');
}

/** copyDeploymentAnnotationsToReplicaSet adds the Deployment's annotations (minus the skip list) to a ReplicaSet copy. */
function copyDeploymentAnnotations(d: KubeObject, rs: KubeObject): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * setNewReplicaSetAnnotations gives the new ReplicaSet the next revision. A ReplicaSet that is
 * reused (rollback or v1→v2→v1) keeps its earlier revisions in revision-history, oldest first,
 * capped at 2000 characters by dropping from the front.
 * Example: revision 1 reused as revision 3 → revision "3", revision-history "1".
 */
export function setNewReplicaSetAnnotations(d: KubeObject, rs: KubeObject, newRevision: number, exists: boolean, limitChars = MAX_REV_HISTORY_CHARS): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = (rs.metadata.annotations ??= {});
  const hadRevision = REVISION_ANNOTATION in ann;
  const oldRevision = ann[REVISION_ANNOTATION] ?? '';
  let oldRevisionInt = 0;
  if (oldRevision !== '') {
    if (!/^\d+$/.test(oldRevision)) return false;
    oldRevisionInt = Number.parseInt(oldRevision, 10);
  }
  if (oldRevisionInt < newRevision) {
    ann[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
  }
  if (hadRevision && oldRevisionInt < newRevision) {
    const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
    const old = history.split(',');
    if (old[0]!.length === 0) {
      ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
    } else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > limitChars && start < old.length) {
        total -= old[start]!.length + 1;
        start++;
      }
      if (total <= limitChars) ann[REVISION_HISTORY_ANNOTATION] = [...old.slice(start), oldRevision].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

function setDeploymentRevision(d: KubeObject, revision: string): boolean {
  const ann = (d.metadata.annotations ??= {});
  if (ann[REVISION_ANNOTATION] === revision) return false;
  ann[REVISION_ANNOTATION] = revision;
  return true;
}

/**
 * newReplicaSetInStep: syncing the existing new ReplicaSet would change nothing — it has every
 * annotation the Deployment passes on, a revision of at least `newRevision`, and the Deployment's
 * minReadySeconds (what setNewReplicaSetAnnotations and the minReadySeconds check would change).
 */
function newReplicaSetInStep(d: KubeObject, rs: KubeObject, newRevision: number): boolean {
  const ann = rs.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k) && ann[k] !== v) return false;
  const revision = ann[REVISION_ANNOTATION];
  if (revision === undefined || !/^\d+$/.test(revision) || Number.parseInt(revision, 10) < newRevision) return false;
  return (rs.spec?.minReadySeconds ?? 0) === (d.spec.minReadySeconds ?? 0);
}

/**
 * getNewReplicaSet returns the ReplicaSet whose template matches the Deployment, syncing its
 * revision; creates it (sized by newRSNewReplicas) when missing and `create` is set.
 */
export function getNewReplicaSet(ctx: ControllerContext, d: KubeObject, rsList: KubeObject[], oldRSs: KubeObject[], create: boolean): KubeObject | undefined {
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = maxRevision(oldRSs) + 1;
  if (existing) {
    // Most syncs find the new ReplicaSet already in step: it is used as stored (read-only, so
    // nothing below may change it); only one that needs syncing is copied and synced.
    let copy = existing;
    if (!newReplicaSetInStep(d, existing, newRevision)) {
      copy = copyRS(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyNeedsUpdate = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyNeedsUpdate) {
        copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        // The Deployment's own revision annotation catches up on a later sync, as upstream.
        return ctx.api.writeDirect(copy);
      }
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations![REVISION_ANNOTATION]!);
    if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'True', Reasons.FoundNewRS, `Found new replica set "${copy.metadata.name}"`, ctx.nowStr()));
      needsUpdate = true;
    }
    if (needsUpdate) writeStatus(ctx, d);
    return copy;
  }
  if (!create) return undefined;

  const status: DeploymentStatus = (d.status ??= {});
  const hash = computeHash(d.spec.template, status.collisionCount);
  const template = structuredClone(d.spec.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const newRS: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { ...template.metadata.labels },
      annotations: {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
  newRS.spec.replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: KubeObject;
  let alreadyExists = false;
  const clash = ctx.api.get('ReplicaSet', newRS.metadata.namespace, newRS.metadata.name);
  if (clash) {
    const owned = clash.metadata.ownerReferences?.some((o) => o.controller && o.uid === d.metadata.uid);
    if (owned && equalIgnoreHash(clash.spec?.template, d.spec.template)) {
      created = clash;
      alreadyExists = true;
    } else {
      // A hash collision: bump collisionCount so the next sync computes a different name.
      status.collisionCount = (status.collisionCount ?? 0) + 1;
      writeStatus(ctx, d);
      ctx.requeueAt('deployment', keyOf('Deployment', d.metadata.namespace, d.metadata.name), ctx.now());
      return undefined;
    }
  } else {
    created = ctx.api.create(newRS);
  }
  if (!alreadyExists && specReplicas(created) > 0) {
    ctx.record(d, 'Normal', 'ScalingReplicaSet', scalingMessage(ctx, 'up', created.metadata.name, specReplicas(created), 0, true), COMPONENT);
  }
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (!alreadyExists && hasProgressDeadline(d)) {
    setCondition(status, newCondition('Progressing', 'True', Reasons.NewRSCreated, `Created new replica set "${created.metadata.name}"`, ctx.nowStr()));
    needsUpdate = true;
  }
  if (needsUpdate) writeStatus(ctx, d);
  return created;
}

/** findOldReplicaSets splits the non-new ReplicaSets into all old ones and the active (spec > 0) ones. */
export function findOldReplicaSets(d: KubeObject, rsList: KubeObject[]): { all: KubeObject[]; active: KubeObject[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const all = rsList.filter((rs) => rs !== newRS);
  return { all, active: all.filter(isActive) };
}

/** ReplicaSets is a Deployment's new ReplicaSet (if any) and its old ones, as getAllReplicaSetsAndSyncRevision finds them. */
export interface ReplicaSets {
  newRS: KubeObject | undefined;
  oldRSs: KubeObject[];
}

/** getAllReplicaSetsAndSyncRevision returns the new ReplicaSet (created if asked) and every old one. */
export function getAllReplicaSetsAndSyncRevision(ctx: ControllerContext, d: KubeObject, rsList: KubeObject[], create: boolean): ReplicaSets {
  const { all } = findOldReplicaSets(d, rsList);
  const newRS = getNewReplicaSet(ctx, d, rsList, all, create);
  return { newRS, oldRSs: all };
}

/** isScalingEvent: some active ReplicaSet (of `found`, what getAllReplicaSetsAndSyncRevision found without creating) was sized for a different replica count than the Deployment now wants. */
export function isScalingEvent(d: KubeObject, found: ReplicaSets): boolean {
  const { newRS, oldRSs } = found;
  for (const rs of [...oldRSs, newRS]) {
    if (!isActive(rs)) continue;
    const desired = annotationInt(rs, DESIRED_REPLICAS_ANNOTATION);
    if (desired === undefined) continue;
    if (desired !== specReplicas(d)) return true;
  }
  return false;
}

/**
 * scale resizes ReplicaSets after the Deployment's replicas changed. With one active ReplicaSet it
 * simply takes the new size; mid-rollout the difference is spread in proportion to each
 * ReplicaSet's size, the leftover going to the largest.
 * Example: 10 → 20 replicas (surge 2) with new 6 and old 6 → allowed 22, toAdd 10, each
 * round(6·22/12) − 6 = +5 → 11 and 11.
 */
export function scale(ctx: ControllerContext, d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): void {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (specReplicas(activeOrLatest) === specReplicas(d)) return;
    scaleReplicaSetAndRecordEvent(ctx, activeOrLatest, specReplicas(d), d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of oldRSs.filter(isActive)) scaleReplicaSetAndRecordEvent(ctx, old, 0, d);
    return;
  }
  if (d.spec.strategy?.type !== 'RollingUpdate') return;
  const all = [...oldRSs, newRS].filter(isActive);
  const total = sumSpec(all);
  const allowed = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - total;
  let op: 'up' | 'down' = 'up';
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name, specReplicas(rs) + p);
      added += p;
    } else {
      sizes.set(rs.metadata.name, specReplicas(rs));
    }
  }
  all.forEach((rs, i) => {
    if (i === 0 && toAdd !== 0) {
      const leftover = toAdd - added;
      sizes.set(rs.metadata.name, Math.max(0, sizes.get(rs.metadata.name)! + leftover));
    }
    scaleReplicaSet(ctx, rs, sizes.get(rs.metadata.name)!, d, op);
  });
}

/**
 * calculateStatus derives Deployment status from its ReplicaSets as read at the start of the sync:
 * replicas/ready/available from ReplicaSet status, updated from the new ReplicaSet,
 * unavailable = Σ spec − available (≥ 0), and the Available condition.
 */
export function calculateStatus(ctx: ControllerContext, allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined, d: KubeObject): DeploymentStatus {
  const available = sumStatus(allRSs, 'availableReplicas');
  const total = sumSpec(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: sumStatus(allRSs, 'replicas'),
    updatedReplicas: sumStatus([newRS], 'replicas'),
    readyReplicas: sumStatus(allRSs, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    // The stored conditions themselves: every edit (setCondition, removeCondition) replaces the array
    // and never changes a condition in place, so an unchanged one is stored again as it was, not copied.
    conditions: d.status?.conditions ?? [],
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', ctx.nowStr()));
  } else {
    setCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', ctx.nowStr()));
  }
  return status;
}

/** syncDeploymentStatus writes the calculated status when it differs (paused and scaling paths). */
export function syncDeploymentStatus(ctx: ControllerContext, allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined, d: KubeObject): void {
  const next = calculateStatus(ctx, allRSs, newRS, d);
  if (sameStatus(d.status, next)) return;
  d.status = next;
  writeStatus(ctx, d);
}

/**
 * sameStatus compares two statuses field by field (undefined and absent are equal; counts absent
 * and 0 are equal; conditions by type, status, reason, message and both times, in order). It runs
 * on every Deployment sync, so it compares in place rather than serialising normalised copies.
 */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const x = a ?? {};
  if (
    (x.observedGeneration ?? 0) !== (b.observedGeneration ?? 0) ||
    (x.replicas ?? 0) !== (b.replicas ?? 0) ||
    (x.updatedReplicas ?? 0) !== (b.updatedReplicas ?? 0) ||
    (x.readyReplicas ?? 0) !== (b.readyReplicas ?? 0) ||
    (x.availableReplicas ?? 0) !== (b.availableReplicas ?? 0) ||
    (x.unavailableReplicas ?? 0) !== (b.unavailableReplicas ?? 0) ||
    x.collisionCount !== b.collisionCount
  ) {
    return false;
  }
  const ca = x.conditions ?? [];
  const cb = b.conditions ?? [];
  if (ca.length !== cb.length) return false;
  for (let i = 0; i < ca.length; i++) {
    const p = ca[i]!;
    const q = cb[i]!;
    if (p.type !== q.type || p.status !== q.status || p.reason !== q.reason || p.message !== q.message || p.lastUpdateTime !== q.lastUpdateTime || p.lastTransitionTime !== q.lastTransitionTime) return false;
  }
  return true;
}
