/** Pure helpers of the Job controller (upstream pkg/controller/job: backoff_utils.go, utils.go). */
import type { KubeObject } from '../../../../core/index.js';
import { podFinishedAt } from '../kubelet.js';

/** COMPONENT is the event source of the Job controller. */
export const COMPONENT = 'job-controller';
/** JOB_TRACKING_FINALIZER marks a pod the Job controller has not yet counted in status. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** DEFAULT_BACKOFF_MS is upstream's DefaultJobPodFailureBackOff (10s). */
export const DEFAULT_BACKOFF_MS = 10_000;
/** MAX_BACKOFF_MS is upstream's MaxJobPodFailureBackOff (10 minutes). */
export const MAX_BACKOFF_MS = 600_000;
/** DEFAULT_BACKOFF_LIMIT is the API server's default spec.backoffLimit. */
export const DEFAULT_BACKOFF_LIMIT = 6;

/** Upstream's condition reasons and messages (pkg/controller/job/job_controller.go, api/batch/v1). */
export const REASONS = {
  backoffLimitExceeded: ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  deadlineExceeded: ['DeadlineExceeded', 'Job was active longer than specified deadline'],
  completionsReached: ['CompletionsReached', 'Reached expected number of succeeded pods'],
} as const;

/** condition returns a Job's condition of `type` when it is True. */
export function trueCondition(job: KubeObject, type: string): any {
  return (job.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
}

/** isJobFinished: the Job has a True Complete or Failed condition. */
export function isJobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  if (trueCondition(job, 'Complete')) return 'Complete';
  if (trueCondition(job, 'Failed')) return 'Failed';
  return undefined;
}

/** jobFinishTime is when a finished Job got its terminal condition (epoch ms). */
export function jobFinishTime(job: KubeObject): number | undefined {
  const c = trueCondition(job, 'Complete') ?? trueCondition(job, 'Failed');
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : undefined;
}

/**
 * BackoffRecord is upstream's backoffRecord: failures since the last success and when the last
 * one happened. Upstream keeps it in memory and updates it from newly finished pods; the
 * simulator derives the same numbers from the Job's finished pods (they stay until the Job goes),
 * so a restarted process keeps the back-off.
 */
export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** backoffRecord counts the failed pods that finished after the last succeeded one. */
export function backoffRecord(pods: KubeObject[]): BackoffRecord {
  let lastSuccess = Number.NEGATIVE_INFINITY;
  for (const p of pods) if (p.status?.phase === 'Succeeded') lastSuccess = Math.max(lastSuccess, podFinishedAt(p) ?? 0);
  const rec: BackoffRecord = { failuresAfterLastSuccess: 0 };
  for (const p of pods) {
    if (p.status?.phase !== 'Failed') continue;
    const at = podFinishedAt(p) ?? 0;
    if (at <= lastSuccess) continue;
    rec.failuresAfterLastSuccess++;
    rec.lastFailureTime = Math.max(rec.lastFailureTime ?? 0, at);
  }
  return rec;
}

/**
 * remainingBackoffMs is upstream's getRemainingTimeForFailuresCount: 10s doubled per failure after
 * the first, capped at 10m, less the time since the last failure. Example: 3 failures, the last
 * 5s ago → 40s − 5s = 35s.
 */
export function remainingBackoffMs(rec: BackoffRecord, now: number): number {
  if (rec.failuresAfterLastSuccess === 0 || rec.lastFailureTime === undefined) return 0;
  let d = DEFAULT_BACKOFF_MS;
  for (let i = 1; i < rec.failuresAfterLastSuccess; i++) {
    d *= 2;
    if (d >= MAX_BACKOFF_MS) {
      d = MAX_BACKOFF_MS;
      break;
    }
  }
  const elapsed = now - rec.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}

/**
 * pastBackoffLimitOnFailure is upstream's rule for restartPolicy OnFailure: the container restarts
 * of the Job's running and pending pods, summed, reach backoffLimit (any restart when it is 0).
 */
export function pastBackoffLimitOnFailure(job: KubeObject, pods: KubeObject[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])] as any[]) restarts += c.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}
