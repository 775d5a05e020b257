/** Progress estimation (upstream progress.go): the Progressing condition, the deadline, and paused conditions. */
import { type KubeObject, parseRFC3339 } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { keyOf } from '../../apiserver.js';
import { calculateStatus, sameStatus, writeStatus } from './sync.js';
import {
  Reasons,
  type DeploymentStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  removeCondition,
  setCondition,
} from './util.js';

/**
 * syncRolloutStatus recomputes status and the Progressing condition: complete → NewReplicaSetAvailable;
 * progress seen → ReplicaSetUpdated (refreshing lastUpdateTime, which restarts the deadline);
 * no progress for progressDeadlineSeconds → ProgressDeadlineExceeded. It writes only on change,
 * and otherwise schedules the deadline check.
 */
export function syncRolloutStatus(ctx: ControllerContext, allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined, d: KubeObject): void {
  const next = calculateStatus(ctx, allRSs, newRS, d);
  if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const isComplete = next.replicas === next.updatedReplicas && current?.reason === Reasons.NewRSAvailable;
  const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (hasProgressDeadline(d) && !isComplete) {
    if (deploymentComplete(d, next)) {
      setCondition(next, newCondition('Progressing', 'True', Reasons.NewRSAvailable, `${subject} has successfully progressed.`, ctx.nowStr()));
    } else if (deploymentProgressing(d, next)) {
      const cond = newCondition('Progressing', 'True', Reasons.ReplicaSetUpdated, `${subject} is progressing.`, ctx.nowStr());
      // Progress refreshes lastUpdateTime even with the same reason, which setCondition would skip.
      if (current) {
        if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, 'Progressing');
      }
      setCondition(next, cond);
    } else if (deploymentTimedOut(d, next, ctx.now())) {
      setCondition(next, newCondition('Progressing', 'False', Reasons.TimedOut, `${subject} has timed out progressing.`, ctx.nowStr()));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(next, failure);
  else removeCondition(next, 'ReplicaFailure');

  if (sameStatus(d.status, next)) {
    requeueStuckDeployment(ctx, d, next);
    return;
  }
  d.status = next;
  writeStatus(ctx, d);
}

function replicaFailure(allRSs: (KubeObject | undefined)[], newRS: KubeObject | undefined): any {
  const pick = (rs: KubeObject | undefined) => rs?.status?.conditions?.find((c: any) => c.type === 'ReplicaFailure');
  const fromNew = pick(newRS);
  const c = fromNew ?? allRSs.map(pick).find(Boolean);
  return c ? { ...c, lastUpdateTime: c.lastTransitionTime } : undefined;
}

/**
 * requeueStuckDeployment schedules the next deadline check: at lastUpdateTime + deadline + 1s.
 * Example: last progress 18:49:00, deadline 60s, now 18:49:30 → check at 18:50:01.
 * Returns the wait in ms, or −1 when no check is needed (no deadline, complete, already timed out).
 */
export function requeueStuckDeployment(ctx: ControllerContext, d: KubeObject, next: DeploymentStatus): number {
  const cond = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !cond) return -1;
  if (deploymentComplete(d, next) || cond.reason === Reasons.TimedOut) return -1;
  const key = keyOf('Deployment', d.metadata.namespace, d.metadata.name);
  const after = parseRFC3339(cond.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 - ctx.now();
  if (after < 1000) {
    // Upstream re-queues "now" with rate limiting; a few milliseconds of virtual time stand in for that.
    ctx.requeueAt('deployment', key, ctx.now() + Math.max(5, after + 1));
    return 0;
  }
  ctx.requeueAt('deployment', key, ctx.now() + after + 1000);
  return after;
}

/** checkPausedConditions sets Progressing=Unknown DeploymentPaused/DeploymentResumed, never over ProgressDeadlineExceeded. */
export function checkPausedConditions(ctx: ControllerContext, d: KubeObject): void {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === Reasons.TimedOut) return;
  const pausedExists = cond?.reason === Reasons.Paused;
  d.status ??= {};
  if (d.spec.paused && !pausedExists) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused', ctx.nowStr()));
  } else if (!d.spec.paused && pausedExists) {
    setCondition(d.status, newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed', ctx.nowStr()));
  } else {
    return;
  }
  writeStatus(ctx, d);
}
