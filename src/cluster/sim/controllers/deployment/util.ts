/**
 * Pure Deployment arithmetic, as upstream's deployment util: fenceposts, surge/unavailable,
 * new-ReplicaSet sizing, proportional scaling, completeness and progress checks, template hashing.
 * Nothing here reads the clock or writes anything.
 */
import { type KubeObject, canonicalJSON, deepEqual, parseRFC3339 } from '../../../../core/index.js';
import { MAX_INT32, resolveFenceposts, scaledValue } from '../../../../manifests/index.js';
import { fnv1a32, safeEncode } from '../../ids.js';

/** Annotation and label keys the Deployment controller reads and writes. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** MAX_REV_HISTORY_CHARS caps the revision-history annotation, as upstream does. */
export const MAX_REV_HISTORY_CHARS = 2000;

/** ANNOTATIONS_TO_SKIP are never copied from a Deployment to its ReplicaSets. */
export const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** Condition reasons, with upstream's names. */
export const Reasons = {
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  NewRSCreated: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  FailedRSCreate: 'ReplicaSetCreateError',
} as const;

/** Condition is a Deployment status condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

/** DeploymentStatus is apps/v1 DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

/** specReplicas reads spec.replicas (0 when unset on a ReplicaSet that has not been defaulted). */
export function specReplicas(o: KubeObject | undefined): number {
  return o?.spec?.replicas ?? 0;
}

/** isRollingUpdate tells whether a Deployment uses the RollingUpdate strategy. */
export function isRollingUpdate(d: KubeObject): boolean {
  return d.spec?.strategy?.type === 'RollingUpdate';
}

/** maxUnavailable resolves maxUnavailable to a pod count, clamped to replicas; 0 for Recreate or 0 replicas. Example: 10 replicas, "100%" → 10; 5 replicas, 10 → 5. */
export function maxUnavailable(d: KubeObject): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy.rollingUpdate ?? {};
  const { unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** maxSurge resolves maxSurge to a pod count (not clamped); 0 for Recreate. Example: 3 replicas, "30%" → ceil(0.9) = 1. */
export function maxSurge(d: KubeObject): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, specReplicas(d)).surge;
}

/** minAvailable is replicas − maxUnavailable (0 for Recreate). Example: 10 replicas, "10%" → 10 − 1 = 9. */
export function minAvailable(d: KubeObject): number {
  if (!isRollingUpdate(d)) return 0;
  return specReplicas(d) - maxUnavailable(d);
}

/** sumSpec adds up spec.replicas over ReplicaSets. */
export function sumSpec(rss: (KubeObject | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += specReplicas(rs);
  return n;
}

/** sumStatus adds up one status counter over ReplicaSets. */
export function sumStatus(rss: (KubeObject | undefined)[], field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rs.status?.[field] ?? 0;
  return n;
}

/**
 * newRSNewReplicas decides the new ReplicaSet's next size. RollingUpdate: grow by what the surge
 * budget leaves, never past replicas. Recreate: replicas at once.
 * Example: replicas 6, maxSurge 10, old RS 5, new RS 2 → maxTotal 16, current 7, up = min(9, 4) → 6.
 */
export function newRSNewReplicas(d: KubeObject, allRSs: (KubeObject | undefined)[], newRS: KubeObject): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const ru = d.spec.strategy.rollingUpdate ?? {};
  // Surge is resolved directly (ceil), not through the fencepost rule.
  const surge = scaledValue(ru.maxSurge, replicas, true);
  const current = sumSpec(allRSs);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** isActive is true for a ReplicaSet with spec.replicas > 0. */
export function isActive(rs: KubeObject | undefined): rs is KubeObject {
  return rs !== undefined && specReplicas(rs) > 0;
}

/** annotationInt reads an integer annotation; undefined when missing or unparsable. */
export function annotationInt(o: KubeObject, key: string): number | undefined {
  const v = o.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number.parseInt(v, 10);
}

/** revisionOf reads a ReplicaSet's revision annotation (missing or empty: 0; unparsable: undefined). */
export function revisionOf(o: KubeObject): number | undefined {
  const v = o.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || v === '') return 0;
  return /^\d+$/.test(v) ? Number.parseInt(v, 10) : undefined;
}

/** maxRevision is the highest parsable revision among ReplicaSets (0 if none). */
export function maxRevision(rss: KubeObject[]): number {
  let max = 0;
  for (const rs of rss) {
    const r = revisionOf(rs);
    if (r !== undefined && r > max) max = r;
  }
  return max;
}

/** roundHalfAwayFromZero rounds like Go's math.Round: 2.5 → 3, −2.5 → −3. */
export function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * replicaSetFraction is how much a ReplicaSet should grow or shrink when the Deployment is resized
 * mid-rollout: its size scaled by newMax/oldMax (oldMax from its max-replicas annotation).
 * Example: replicas 120, surge 10, RS 50 with max-replicas 110 → round(50·130/110 = 59.09) − 50 = 9.
 */
export function replicaSetFraction(rs: KubeObject, d: KubeObject): number {
  const replicas = specReplicas(d);
  if (replicas === 0) return -specReplicas(rs);
  const target = replicas + maxSurge(d);
  let base = annotationInt(rs, MAX_REPLICAS_ANNOTATION);
  if (base === undefined || base === 0) {
    base = d.status?.replicas ?? 0;
    if (base === 0) return 0;
  }
  return roundHalfAwayFromZero((specReplicas(rs) * target) / base!) - specReplicas(rs);
}

/** proportion bounds replicaSetFraction by what is left to add (or remove). Example: toAdd 3, added 2, fraction 2 → min(2, 1) = 1. */
export function proportion(rs: KubeObject | undefined, d: KubeObject, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}

/** isSaturated: the new ReplicaSet has all replicas, knows the desired size, and all are available. */
export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  const desired = annotationInt(rs, DESIRED_REPLICAS_ANNOTATION);
  return specReplicas(rs) === specReplicas(d) && desired === specReplicas(d) && (rs.status?.availableReplicas ?? 0) === specReplicas(d);
}

/** creationMs reads creationTimestamp as epoch ms (0 when missing). */
export function creationMs(o: KubeObject): number {
  return o.metadata.creationTimestamp ? parseRFC3339(o.metadata.creationTimestamp) : 0;
}

/** byCreation orders oldest first, ties by name. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  return creationMs(a) - creationMs(b) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
}

/** bySizeNewer orders largest first, ties newest first (where scaling up adds). */
export function bySizeNewer(a: KubeObject, b: KubeObject): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** bySizeOlder orders largest first, ties oldest first (where scaling down removes). */
export function bySizeOlder(a: KubeObject, b: KubeObject): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** byRevision orders by revision ascending; unparsable or equal revisions fall back to creation order. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreation(a, b);
  return ra - rb;
}

/** findActiveOrLatest returns the only active ReplicaSet, the newest one when none is active, or undefined when several are active. */
export function findActiveOrLatest(newRS: KubeObject | undefined, oldRSs: KubeObject[]): KubeObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = [...sortedOld, newRS].filter(isActive);
  if (active.length === 0) return newRS ?? sortedOld[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** templateWithoutHash drops the pod-template-hash label so templates can be compared. */
export function templateWithoutHash(template: any): any {
  const t = template ?? {};
  const labels = t.metadata?.labels;
  if (!labels || !(POD_TEMPLATE_HASH_LABEL in labels)) return t;
  const { [POD_TEMPLATE_HASH_LABEL]: _drop, ...rest } = labels;
  return { ...t, metadata: { ...t.metadata, labels: rest } };
}

/** equalIgnoreHash compares two pod templates ignoring the pod-template-hash label. */
export function equalIgnoreHash(a: any, b: any): boolean {
  return deepEqual(templateWithoutHash(a), templateWithoutHash(b));
}

/** findNewReplicaSet returns the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(d: KubeObject, rss: KubeObject[]): KubeObject | undefined {
  // The first match in creation order, found without sorting a copy (a sync asks several times).
  let oldest: KubeObject | undefined;
  for (const rs of rss) {
    if ((oldest === undefined || byCreation(rs, oldest) < 0) && templateMatches(rs.spec?.template, d.spec?.template)) oldest = rs;
  }
  return oldest;
}

// TEMPLATE_MATCH remembers, per ReplicaSet template object, the last Deployment template it was
// compared with and the answer. A Deployment sync asks several times, and every sync of an
// unchanged Deployment asks again about the same two objects: stored objects are never changed in
// place (a write stores new objects around the unchanged template), so object identity stands for
// the content.
const TEMPLATE_MATCH = new WeakMap<object, { other: object; equal: boolean }>();

function templateMatches(rsTemplate: unknown, dTemplate: unknown): boolean {
  if (!rsTemplate || !dTemplate || typeof rsTemplate !== 'object' || typeof dTemplate !== 'object') return equalIgnoreHash(rsTemplate, dTemplate);
  const hit = TEMPLATE_MATCH.get(rsTemplate);
  if (hit?.other === dTemplate) return hit.equal;
  const equal = equalIgnoreHash(rsTemplate, dTemplate);
  TEMPLATE_MATCH.set(rsTemplate, { other: dTemplate, equal });
  return equal;
}

/**
 * computeHash gives the pod-template-hash: FNV-1a over the canonical JSON of the template (upstream
 * hashes a Go-specific dump, which cannot be reproduced outside Go), plus the collision count, then
 * the decimal digits are mapped through the name alphabet. Equal templates always give equal hashes.
 */
export function computeHash(template: any, collisionCount?: number): string {
  let extra: Uint8Array | undefined;
  if (collisionCount !== undefined && collisionCount !== null) {
    extra = new Uint8Array(8);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
  }
  return safeEncode(String(fnv1a32(canonicalJSON(templateWithoutHash(template)), extra)));
}

/** hasProgressDeadline is false when progressDeadlineSeconds is unset or MaxInt32. */
export function hasProgressDeadline(d: KubeObject): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return typeof p === 'number' && p !== MAX_INT32;
}

/** hasRevisionHistoryLimit is false when revisionHistoryLimit is unset or MaxInt32. */
export function hasRevisionHistoryLimit(d: KubeObject): boolean {
  const l = d.spec?.revisionHistoryLimit;
  return typeof l === 'number' && l !== MAX_INT32;
}

/** getCondition finds a condition by type. */
export function getCondition(status: DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** newCondition builds a condition stamped with `now`. */
export function newCondition(type: string, status: Condition['status'], reason: string, message: string, now: string): Condition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/** setCondition replaces a condition unless status and reason are unchanged; keeps lastTransitionTime when only the reason changes. */
export function setCondition(status: DeploymentStatus, cond: Condition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

/** removeCondition drops a condition by type. */
export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** deploymentComplete: every replica updated, no extra replicas, all available, and the current generation observed. Example: (5,5,5,5) → true; (5,5,5,4) → false. */
export function deploymentComplete(d: KubeObject, s: DeploymentStatus): boolean {
  const r = specReplicas(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** deploymentProgressing compares the stored status with a new one: more updated, fewer old, more ready or more available pods count as progress. */
export function deploymentProgressing(d: KubeObject, next: DeploymentStatus): boolean {
  const old: DeploymentStatus = d.status ?? {};
  const oldStatusOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newStatusOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newStatusOld < oldStatusOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** deploymentTimedOut: the Progressing condition (not yet complete) was last updated more than progressDeadlineSeconds before now. Example: deadline 10s, last update 00:01:09, now 00:01:20 → true. */
export function deploymentTimedOut(d: KubeObject, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, 'Progressing');
  if (!cond) return false;
  if (cond.reason === Reasons.NewRSAvailable) return false;
  if (cond.reason === Reasons.TimedOut) return true;
  return parseRFC3339(cond.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 < now;
}
