/** RollingUpdate (upstream rolling.go): one phase per sync — grow the new ReplicaSet, or shrink old ones. */
import { type KubeObject, MfluxError } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { cleanupDeployment } from './history.js';
import { syncRolloutStatus } from './progress.js';
import { type ReplicaSets, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.js';
import { byCreation, deploymentComplete, isActive, maxUnavailable, newRSNewReplicas, specReplicas, sumSpec, sumStatus } from './util.js';

/**
 * rolloutRolling runs one RollingUpdate sync: create/scale up the new ReplicaSet, else scale down
 * old ones, then status. `found`: the ReplicaSets as a search of this sync that wrote nothing found them, with the new one.
 */
export function rolloutRolling(ctx: ControllerContext, d: KubeObject, rsList: KubeObject[], found?: ReplicaSets): void {
  const { newRS, oldRSs } = found ?? getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true);
  const allRSs = [...oldRSs, newRS];
  if (!newRS) return; // a hash collision was recorded; the sync is re-queued.
  if (reconcileNewReplicaSet(ctx, allRSs, newRS, d)) {
    syncRolloutStatus(ctx, allRSs, newRS, d);
    return;
  }
  if (reconcileOldReplicaSets(ctx, allRSs, oldRSs.filter(isActive), newRS, d)) {
    syncRolloutStatus(ctx, allRSs, newRS, d);
    return;
  }
  if (deploymentComplete(d, d.status ?? {})) cleanupDeployment(ctx, oldRSs, d);
  syncRolloutStatus(ctx, allRSs, newRS, d);
}

/** reconcileNewReplicaSet scales the new ReplicaSet toward replicas within the surge budget (or down to replicas). */
export function reconcileNewReplicaSet(ctx: ControllerContext, allRSs: (KubeObject | undefined)[], newRS: KubeObject, d: KubeObject): boolean {
  const replicas = specReplicas(d);
  if (specReplicas(newRS) === replicas) return false;
  if (specReplicas(newRS) > replicas) return scaleReplicaSetAndRecordEvent(ctx, newRS, replicas, d)[0];
  return scaleReplicaSetAndRecordEvent(ctx, newRS, newRSNewReplicas(d, allRSs, newRS), d)[0];
}

/**
 * reconcileOldReplicaSets scales old ReplicaSets down as far as availability allows:
 * maxScaledDown = allPods − minAvailable − (new RS pods not yet available); unhealthy old pods
 * go first, then healthy ones while available stays ≥ minAvailable.
 * Example (10 replicas, maxUnavailable 2): old 10/10 available, new 0 → maxScaledDown 10−8−0 = 2
 * → old scaled to 8.
 */
export function reconcileOldReplicaSets(ctx: ControllerContext, allRSs: (KubeObject | undefined)[], oldRSs: KubeObject[], newRS: KubeObject, d: KubeObject): boolean {
  const oldPods = sumSpec(oldRSs);
  if (oldPods === 0) return false;
  const allPods = sumSpec(allRSs);
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  let cleanedOld: KubeObject[];
  let cleaned: number;
  try {
    ({ oldRSs: cleanedOld, cleaned } = cleanupUnhealthyReplicas(ctx, oldRSs, d, maxScaledDown));
  } catch (err) {
    // Upstream swallows this error and reports "nothing scaled"; a later sync (once the
    // ReplicaSet status has caught up with its spec) continues the rollout.
    if (err instanceof MfluxError) return false;
    throw err;
  }
  const scaled = scaleDownOldReplicaSetsForRollingUpdate(ctx, [...cleanedOld, newRS], cleanedOld, d);
  return cleaned + scaled > 0;
}

/**
 * cleanupUnhealthyReplicas removes not-available pods from old ReplicaSets first (oldest first),
 * at most maxCleanup in total. Example: old spec 10 with 8 available, maxCleanup 3 → scaled to 8 (2 cleaned).
 * A ReplicaSet whose (lagging) status shows more available pods than its spec would yield a
 * negative count, i.e. a scale *up*; upstream refuses with an error instead, and so does this.
 */
export function cleanupUnhealthyReplicas(ctx: ControllerContext, oldRSs: KubeObject[], d: KubeObject, maxCleanup: number): { oldRSs: KubeObject[]; cleaned: number } {
  const sorted = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= maxCleanup) break;
    const rs = sorted[i]!;
    const spec = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (spec === 0 || spec === available) continue;
    const k = Math.min(maxCleanup - total, spec - available);
    if (spec - k > spec) {
      throw new MfluxError('Internal', `when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${spec} -> ${spec - k}`);
    }
    const [, updated] = scaleReplicaSetAndRecordEvent(ctx, rs, spec - k, d);
    total += k;
    sorted[i] = updated;
  }
  return { oldRSs: sorted, cleaned: total };
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate removes old pods while the available count (all
 * ReplicaSets) stays ≥ minAvailable, oldest ReplicaSet first.
 * Example (3 replicas, 30%/10% → minAvailable 3): old 3 + new 1 available → budget 1 → old to 2.
 */
export function scaleDownOldReplicaSetsForRollingUpdate(ctx: ControllerContext, allRSs: (KubeObject | undefined)[], oldRSs: KubeObject[], d: KubeObject): number {
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const available = sumStatus(allRSs, 'availableReplicas');
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let scaled = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (scaled >= budget) break;
    if (specReplicas(rs) === 0) continue;
    const k = Math.min(specReplicas(rs), budget - scaled);
    scaleReplicaSetAndRecordEvent(ctx, rs, specReplicas(rs) - k, d);
    scaled += k;
  }
  return scaled;
}
