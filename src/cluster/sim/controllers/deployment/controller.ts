/** The Deployment controller's entry point (upstream syncDeployment): pick the path for one Deployment and run one sync. */
import type { KubeObject } from '../../../../core/index.js';
import { selectorMatches } from '../../../../manifests/index.js';
import type { ControllerContext } from '../context.js';
import { checkPausedConditions } from './progress.js';
import { rolloutRecreate } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import { cleanupDeployment } from './history.js';
import { getAllReplicaSetsAndSyncRevision, isScalingEvent, scale, syncDeploymentStatus } from './sync.js';

function controllerUid(o: KubeObject): string | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

/**
 * replicaSetsFor returns the ReplicaSets this Deployment controls, adopting orphans in its
 * namespace whose labels match its selector (as upstream's ControllerRefManager does).
 */
export function replicaSetsFor(ctx: ControllerContext, d: KubeObject, orphans: Iterable<KubeObject>): KubeObject[] {
  const uid = d.metadata.uid!;
  const owned = ctx.api.ownedBy(uid, 'ReplicaSet').filter((rs) => controllerUid(rs) === uid);
  for (const rs of orphans) {
    if (rs.metadata.namespace !== d.metadata.namespace || rs.metadata.deletionTimestamp) continue;
    if (!selectorMatches(d.spec.selector, rs.metadata.labels)) continue;
    const adopted = ctx.api.writeDirect({
      ...rs,
      metadata: {
        ...rs.metadata,
        ownerReferences: [...(rs.metadata.ownerReferences ?? []), { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid, controller: true, blockOwnerDeletion: true }],
      },
    });
    owned.push(adopted);
  }
  return owned;
}

/** podsByReplicaSet groups the pods controlled by each listed ReplicaSet (upstream getPodMapForDeployment). */
export function podsByReplicaSet(ctx: ControllerContext, rsList: KubeObject[]): Map<string, KubeObject[]> {
  const map = new Map<string, KubeObject[]>();
  for (const rs of rsList) {
    const uid = rs.metadata.uid!;
    map.set(uid, ctx.api.ownedBy(uid, 'Pod').filter((p) => controllerUid(p) === uid));
  }
  return map;
}

/**
 * workingCopy is the Deployment a sync edits: status, the revision annotations and the
 * resourceVersion are edited in place, then written through the status subresource. Only those
 * levels are copied (conditions are replaced, never edited; the spec is only read), so the spec
 * stays the stored object's — which also lets findNewReplicaSet remember its template comparisons.
 */
function workingCopy(stored: KubeObject): KubeObject {
  const m = stored.metadata;
  const d: KubeObject = { ...stored, metadata: m.annotations ? { ...m, annotations: { ...m.annotations } } : { ...m } };
  if (stored.status) d.status = { ...stored.status };
  return d;
}

/** syncDeployment runs one sync of the Deployment stored under (namespace, name). */
export function syncDeployment(ctx: ControllerContext, namespace: string, name: string, orphans: Iterable<KubeObject> = []): void {
  const stored = ctx.api.get('Deployment', namespace, name);
  if (!stored) return;
  const d = workingCopy(stored);
  const rsList = replicaSetsFor(ctx, d, orphans);
  if (d.metadata.deletionTimestamp) {
    const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
    syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS, d);
    return;
  }
  checkPausedConditions(ctx, d);
  // Upstream finds the ReplicaSets (syncing the new one's revision) for isScalingEvent and again for
  // the path it picks. When the first search wrote nothing (the resourceVersion did not move), a
  // second would find the same: what it found is handed on instead — one search in most syncs.
  const rv = ctx.api.resourceVersion;
  const found = getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  const unchanged = ctx.api.resourceVersion === rv ? found : undefined;
  if (d.spec.paused || isScalingEvent(d, found)) {
    const { newRS, oldRSs } = unchanged ?? getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
    scale(ctx, d, newRS, oldRSs);
    if (d.spec.paused) cleanupDeployment(ctx, oldRSs, d);
    syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS, d);
    return;
  }
  if (d.spec.strategy?.type === 'Recreate') {
    rolloutRecreate(ctx, d, rsList, podsByReplicaSet(ctx, rsList), unchanged);
  } else {
    // The rolling path creates a missing new ReplicaSet: only a search that found one can stand in.
    rolloutRolling(ctx, d, rsList, unchanged?.newRS ? unchanged : undefined);
  }
}
