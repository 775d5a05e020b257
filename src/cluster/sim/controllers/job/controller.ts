/**
 * The Job controller (upstream pkg/controller/job/job_controller.go, NonIndexed completion mode):
 * keeps up to `parallelism` pods running until `completions` of them succeeded, counts finished
 * pods into status through the job-tracking finalizer, retries failures with exponential
 * back-off until `backoffLimit`, enforces `activeDeadlineSeconds`, honours `suspend`, and writes
 * the two-step terminal conditions of 1.31+ (SuccessCriteriaMet → Complete, FailureTarget → Failed).
 */
import { type KubeObject, isMfluxError } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { isPodReady } from '../replicaset.js';
import { COMPONENT, DEFAULT_BACKOFF_LIMIT, JOB_TRACKING_FINALIZER, REASONS, backoffRecord, isJobFinished, pastBackoffLimitOnFailure, remainingBackoffMs, trueCondition } from './util.js';
import { scheduleTTL } from './ttl.js';

/** CREATE_RETRY_MS is how long the controller waits before retrying after a pod create failed. */
const CREATE_RETRY_MS = 1000;

const isFinishedPod = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** jobPodLabels are the labels the Job controller's API strategy puts on every pod of a Job. */
export function jobPodLabels(job: KubeObject): Record<string, string> {
  const uid = job.metadata.uid!;
  const name = job.metadata.name;
  return { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
}

/** podFromJob builds a pod for a Job (generateName "<job>-", controller owner reference, tracking finalizer). */
export function podFromJob(job: KubeObject): KubeObject {
  const t = job.spec?.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName: `${job.metadata.name}-`,
      namespace: job.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...jobPodLabels(job) },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}

function setCondition(conds: any[], type: string, status: string, reason: string, message: string, now: string): any[] {
  const i = conds.findIndex((c) => c.type === type);
  const c = { type, status, lastProbeTime: now, lastTransitionTime: now, reason, message };
  if (i < 0) return [...conds, c];
  if (conds[i].status === status && conds[i].reason === reason) return conds;
  return conds.map((x, j) => (j === i ? c : x));
}

/**
 * syncJob reconciles one Job at the current instant. `podGraceMs` is how long a deleted pod
 * takes to terminate; a Job only becomes Failed once the pods it deleted are gone.
 */
export function syncJob(ctx: ControllerContext, namespace: string, name: string, podGraceMs: number): void {
  let job = ctx.api.get('Job', namespace, name);
  if (!job || job.metadata.deletionTimestamp) return;
  const key = `Job/${namespace}/${name}`;
  if (isJobFinished(job)) {
    scheduleTTL(ctx, job);
    return;
  }
  const spec = job.spec ?? {};
  const uid = job.metadata.uid!;
  const now = ctx.now();
  const nowStr = ctx.nowStr();
  const owned = () => ctx.api.ownedBy(uid, 'Pod').filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid));
  const status: any = structuredClone(job.status ?? {});
  let conds: any[] = status.conditions ?? [];
  let succeeded: number = status.succeeded ?? 0;
  let failed: number = status.failed ?? 0;

  // Count every newly finished pod once, then drop its finalizer (trackJobStatusAndRemoveFinalizers).
  for (const p of owned()) {
    const podFinalizers = (p.metadata.finalizers ?? []) as string[];
    if (!isFinishedPod(p) || !podFinalizers.includes(JOB_TRACKING_FINALIZER)) continue;
    if (p.status.phase === 'Succeeded') succeeded++;
    else failed++;
    const finalizers = podFinalizers.filter((f) => f !== JOB_TRACKING_FINALIZER);
    const meta: KubeObject['metadata'] = { ...p.metadata, finalizers };
    if (finalizers.length === 0) delete meta.finalizers;
    ctx.api.writeDirect({ ...p, metadata: meta });
  }

  let pods = owned();
  let active = pods.filter((p) => !isFinishedPod(p) && !p.metadata.deletionTimestamp);
  let terminating = pods.filter((p) => !isFinishedPod(p) && p.metadata.deletionTimestamp).length;
  const suspended = spec.suspend === true;
  if (!suspended && !status.startTime) status.startTime = nowStr;

  const deleteActive = (list: KubeObject[]): number => {
    for (const p of list) {
      ctx.api.delete('Pod', namespace, p.metadata.name, podGraceMs);
      ctx.record(job!, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
      if (podGraceMs > 0) terminating++;
    }
    return list.length;
  };

  const limit: number = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  const target = trueCondition(job, 'FailureTarget');
  let failure: readonly [string, string] | undefined = target ? [target.reason, target.message] : undefined;
  if (!failure && (failed > limit || pastBackoffLimitOnFailure(job, active))) failure = REASONS.backoffLimitExceeded;
  const ads: number | undefined = spec.activeDeadlineSeconds;
  const startedAt = status.startTime ? Date.parse(status.startTime) : undefined;
  if (!failure && !suspended && ads !== undefined && startedAt !== undefined && now - startedAt >= ads * 1000) failure = REASONS.deadlineExceeded;

  const completions: number | undefined = spec.completions;
  let finished: 'Complete' | 'Failed' | undefined;
  if (failure) {
    // Pods the controller deletes because the Job failed count as failed (upstream counts them once they terminate).
    failed += deleteActive(active);
    active = [];
    conds = setCondition(conds, 'FailureTarget', 'True', failure[0], failure[1], nowStr);
    if (terminating === 0) {
      conds = setCondition(conds, 'Failed', 'True', failure[0], failure[1], nowStr);
      finished = 'Failed';
    }
  } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
    deleteActive(active);
    active = [];
    conds = setCondition(conds, 'SuccessCriteriaMet', 'True', REASONS.completionsReached[0], REASONS.completionsReached[1], nowStr);
    if (terminating === 0) {
      conds = setCondition(conds, 'Complete', 'True', REASONS.completionsReached[0], REASONS.completionsReached[1], nowStr);
      status.completionTime = nowStr;
      finished = 'Complete';
    }
  } else if (suspended) {
    deleteActive(active);
    active = [];
    if (!trueCondition(job, 'Suspended')) {
      conds = setCondition(conds, 'Suspended', 'True', 'JobSuspended', 'Job suspended', nowStr);
      ctx.record(job, 'Normal', 'Suspended', 'Job suspended', COMPONENT);
    }
  } else {
    if (trueCondition(job, 'Suspended')) {
      conds = setCondition(conds, 'Suspended', 'False', 'JobResumed', 'Job resumed', nowStr);
      status.startTime = nowStr;
      ctx.record(job, 'Normal', 'Resumed', 'Job resumed', COMPONENT);
    }
    const parallelism: number = spec.parallelism ?? 1;
    const want = completions === undefined ? (succeeded > 0 ? active.length : parallelism) : Math.min(parallelism, completions - succeeded);
    if (active.length < want) {
      const wait = remainingBackoffMs(backoffRecord(pods), now);
      if (wait > 0) ctx.requeueAt('job', key, now + wait);
      else {
        for (let i = active.length; i < want; i++) {
          let pod: KubeObject;
          try {
            pod = ctx.api.create(podFromJob(job));
          } catch (err) {
            if (!isMfluxError(err)) throw err;
            ctx.record(job, 'Warning', 'FailedCreate', `Error creating: ${err.message}`, COMPONENT);
            ctx.requeueAt('job', key, now + CREATE_RETRY_MS);
            break;
          }
          ctx.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
          active.push(pod);
        }
      }
    } else if (active.length > want) {
      // Newest first, as upstream's activePods ordering deletes the least progressed pods.
      const extra = [...active].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '')).slice(0, active.length - want);
      deleteActive(extra);
      active = active.filter((p) => !extra.includes(p));
    }
    if (ads !== undefined && status.startTime) ctx.requeueAt('job', key, Date.parse(status.startTime) + ads * 1000);
  }

  status.active = active.length;
  status.ready = active.filter(isPodReady).length;
  status.terminating = terminating;
  if (succeeded > 0) status.succeeded = succeeded;
  if (failed > 0) status.failed = failed;
  status.uncountedTerminatedPods = {};
  if (!status.active) delete status.active;
  if (conds.length > 0) status.conditions = conds;
  job = ctx.api.updateStatus('Job', namespace, name, status);
  if (finished === 'Complete') ctx.record(job, 'Normal', 'Completed', 'Job completed', COMPONENT);
  else if (finished === 'Failed') ctx.record(job, 'Warning', failure![0], failure![1], COMPONENT);
  if (finished) scheduleTTL(ctx, job);
}
