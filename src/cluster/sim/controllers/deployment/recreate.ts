/** Recreate (upstream recreate.go): stop every old pod, wait until they are gone, then start the new ReplicaSet. */
import type { KubeObject } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { cleanupDeployment } from './history.js';
import { syncRolloutStatus } from './progress.js';
import { type ReplicaSets, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.js';
import { deploymentComplete, isActive, specReplicas, sumStatus } from './util.js';

/** rolloutRecreate runs one Recreate sync. `podsByRS` maps ReplicaSet uid → its pods; `found`: the ReplicaSets as a search of this sync that wrote nothing found them. */
export function rolloutRecreate(ctx: ControllerContext, d: KubeObject, rsList: KubeObject[], podsByRS: Map<string, KubeObject[]>, found?: ReplicaSets): void {
  let { newRS, oldRSs } = found ?? getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  let allRSs = [...oldRSs, newRS];
  let scaledDown = false;
  for (const rs of oldRSs.filter(isActive)) {
    if (scaleReplicaSetAndRecordEvent(ctx, rs, 0, d)[0]) scaledDown = true;
  }
  if (scaledDown || oldPodsRunning(newRS, oldRSs, podsByRS)) {
    syncRolloutStatus(ctx, allRSs, newRS, d);
    return;
  }
  if (!newRS) {
    ({ newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true));
    allRSs = [...oldRSs, newRS];
    if (!newRS) return;
  }
  scaleReplicaSetAndRecordEvent(ctx, newRS, specReplicas(d), d);
  if (deploymentComplete(d, d.status ?? {})) cleanupDeployment(ctx, oldRSs, d);
  syncRolloutStatus(ctx, allRSs, newRS, d);
}

/** oldPodsRunning: an old ReplicaSet still reports pods, or any pod of an old ReplicaSet is not Failed/Succeeded (terminating pods count). */
export function oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[], podsByRS: Map<string, KubeObject[]>): boolean {
  if (sumStatus(oldRSs, 'replicas') > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
