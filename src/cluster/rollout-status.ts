/** kubectl's rollout status rules for a Deployment (polymorphichelpers/rollout_status.go), as a pure function. */
import type { KubeObject } from '../core/index.js';

/** RolloutState is what one look at a Deployment says about its rollout. */
export interface RolloutState {
  /** message is the line kubectl prints (without the trailing newline). */
  message: string;
  /** done: the rollout finished successfully. */
  done: boolean;
  /** failed: the progress deadline was exceeded (kubectl exits 1). */
  failed: boolean;
}

/**
 * rolloutStatus evaluates kubectl's checks in order: spec not yet observed, deadline exceeded,
 * replicas not yet updated, old replicas pending termination, updated replicas not yet available,
 * success. Example: 3 replicas, 2 updated → `Waiting for deployment "front" rollout to finish: 2 out of 3 new replicas have been updated...`.
 */
export function rolloutStatus(d: KubeObject): RolloutState {
  const name = d.metadata.name;
  const st = d.status ?? {};
  const wait = (m: string): RolloutState => ({ message: `Waiting for deployment "${name}" rollout to finish: ${m}`, done: false, failed: false });
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false, failed: false };
  }
  const progressing = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { message: `deployment "${name}" exceeded its progress deadline`, done: false, failed: true };
  }
  const replicas = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < replicas) return wait(`${updated} out of ${replicas} new replicas have been updated...`);
  if (total > updated) return wait(`${total - updated} old replicas are pending termination...`);
  if (available < updated) return wait(`${available} of ${updated} updated replicas are available...`);
  return { message: `deployment "${name}" successfully rolled out`, done: true, failed: false };
}

/** JobState is what one look at a Job says: still running, complete, or failed, with the line to print. */
export interface JobState {
  state: 'running' | 'complete' | 'failed';
  message: string;
}

/**
 * jobStatus reads a Job's terminal conditions (Complete / Failed, set by the Job controller once its
 * pods are gone). Example: `job "batch" completed: 5/5 pods succeeded`, or
 * `job "batch" failed: BackoffLimitExceeded: Job has reached the specified backoff limit`.
 */
export function jobStatus(job: KubeObject): JobState {
  const name = job.metadata.name;
  const st = job.status ?? {};
  const cond = (type: string) => (st.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
  const failed = cond('Failed');
  if (failed) return { state: 'failed', message: `job "${name}" failed: ${failed.reason}: ${failed.message}` };
  const want = job.spec?.completions;
  const done = `${st.succeeded ?? 0}/${want ?? 1}`;
  if (cond('Complete')) return { state: 'complete', message: `job "${name}" completed: ${done} pods succeeded` };
  return { state: 'running', message: `Waiting for job "${name}" to complete: ${done} pods succeeded, ${st.active ?? 0} active, ${st.failed ?? 0} failed...` };
}
