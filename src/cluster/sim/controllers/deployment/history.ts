/** Revision history cleanup (upstream cleanupDeployment): keep at most revisionHistoryLimit old ReplicaSets. */
import type { KubeObject } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { byRevision, hasRevisionHistoryLimit, specReplicas } from './util.js';

/**
 * cleanupDeployment deletes the oldest-revision old ReplicaSets beyond revisionHistoryLimit. Only
 * the first `diff` candidates are looked at; one that still has replicas (or is not yet observed)
 * is skipped and not replaced by a later one, as upstream does.
 * Example: limit 1, old ReplicaSets rev 1 (1 replica), rev 2 (0), rev 3 (0) → diff 2 → rev 1 is
 * skipped, rev 2 is deleted, rev 3 stays.
 */
export function cleanupDeployment(ctx: ControllerContext, oldRSs: KubeObject[], d: KubeObject): void {
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - d.spec.revisionHistoryLimit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i]!;
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
    ctx.api.delete('ReplicaSet', rs.metadata.namespace, rs.metadata.name);
  }
}
