/** kubectl's rollout status rules for a Deployment, StatefulSet and DaemonSet, and its Job wait (polymorphichelpers/rollout_status.go), as pure functions. */
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

/**
 * statefulSetRolloutStatus is kubectl's StatefulSetStatusViewer: only RollingUpdate has a status
 * (OnDelete fails with kubectl's error), then spec observed, then `Waiting for N pods to be
 * ready...`, then — when rollingUpdate is set, as the API server defaults it for an unset type —
 * the partition lines, else the revision lines. Example: 5 replicas, partition 2, 3 updated →
 * `partitioned roll out complete: 3 new pods have been updated...`.
 */
export function statefulSetRolloutStatus(sts: KubeObject): RolloutState {
  const st = sts.status ?? {};
  const strategy = sts.spec?.updateStrategy ?? {};
  if ((strategy.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return { message: 'rollout status is only available for RollingUpdate strategy type', done: false, failed: true };
  }
  const wait = (message: string): RolloutState => ({ message, done: false, failed: false });
  if (!st.observedGeneration || (sts.metadata.generation ?? 0) > st.observedGeneration) return wait('Waiting for statefulset spec update to be observed...');
  const replicas: number | undefined = sts.spec?.replicas;
  if (replicas !== undefined && (st.readyReplicas ?? 0) < replicas) return wait(`Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...`);
  const ru = strategy.rollingUpdate;
  if (ru) {
    const partition: number | undefined = ru.partition;
    if (replicas !== undefined && partition !== undefined && (st.updatedReplicas ?? 0) < replicas - partition) {
      return wait(`Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${replicas - partition} new pods have been updated...`);
    }
    return { message: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...`, done: true, failed: false };
  }
  if (st.updateRevision !== st.currentRevision) {
    return wait(`waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...`);
  }
  return { message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}...`, done: true, failed: false };
}

/**
 * daemonSetRolloutStatus is kubectl's DaemonSetStatusViewer: RollingUpdate only, spec observed,
 * then every desired node updated, then every one available. Example: 3 nodes, 1 updated →
 * `Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...`.
 */
export function daemonSetRolloutStatus(ds: KubeObject): RolloutState {
  const st = ds.status ?? {};
  const name = ds.metadata.name;
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return { message: 'rollout status is only available for RollingUpdate strategy type', done: false, failed: true };
  }
  if ((ds.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) return { message: 'Waiting for daemon set spec update to be observed...', done: false, failed: false };
  const desired = st.desiredNumberScheduled ?? 0;
  const wait = (m: string): RolloutState => ({ message: `Waiting for daemon set "${name}" rollout to finish: ${m}`, done: false, failed: false });
  if ((st.updatedNumberScheduled ?? 0) < desired) return wait(`${st.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...`);
  if ((st.numberAvailable ?? 0) < desired) return wait(`${st.numberAvailable ?? 0} of ${desired} updated pods are available...`);
  return { message: `daemon set "${name}" successfully rolled out`, done: true, failed: false };
}

/** workloadRolloutStatus dispatches on kind: Deployment, StatefulSet or DaemonSet (undefined for other kinds). */
export function workloadRolloutStatus(obj: KubeObject): RolloutState | undefined {
  switch (obj.kind) {
    case 'Deployment':
      return rolloutStatus(obj);
    case 'StatefulSet':
      return statefulSetRolloutStatus(obj);
    case 'DaemonSet':
      return daemonSetRolloutStatus(obj);
    default:
      return undefined;
  }
}

/** HealthStatus is kstatus's reading of an object: Current (reconciled and healthy), InProgress, or Failed. */
export type HealthStatus = 'Current' | 'InProgress' | 'Failed';

/** Health is one look at an object's health, with the line to show. */
export interface Health {
  status: HealthStatus;
  message: string;
  /** reason names a failure: ProgressDeadlineExceeded, BackoffLimitExceeded, … */
  reason?: string;
}

const current = (message: string): Health => ({ status: 'Current', message });
const inProgress = (message: string): Health => ({ status: 'InProgress', message });

/**
 * objectHealth is the one health rule of every kind (kstatus-like), for reconcile's wait, rollout
 * status, the daemon and the check: workloads by kubectl's rollout status (an OnDelete workload
 * has no rollout to wait for), ReplicaSets by ready replicas, Pods by Ready (or Succeeded), Jobs by
 * their Complete/Failed conditions, claims by Bound, custom resources by a Ready condition or
 * else observedGeneration. Everything else is Current as soon as it is stored.
 */
export function objectHealth(obj: KubeObject): Health {
  const name = `${obj.kind}/${obj.metadata.name}`;
  const st = obj.status ?? {};
  switch (obj.kind) {
    case 'Deployment': {
      const s = rolloutStatus(obj);
      return { status: s.done ? 'Current' : s.failed ? 'Failed' : 'InProgress', message: s.message, ...(s.failed ? { reason: 'ProgressDeadlineExceeded' } : {}) };
    }
    case 'StatefulSet':
    case 'DaemonSet': {
      if ((obj.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'OnDelete') {
        return (obj.metadata.generation ?? 0) > (st.observedGeneration ?? 0) ? inProgress(`Waiting for ${obj.kind.toLowerCase()} spec update to be observed...`) : current(`${name}: OnDelete: pods take the new template when they are deleted`);
      }
      const s = workloadRolloutStatus(obj)!;
      return { status: s.done ? 'Current' : 'InProgress', message: s.message };
    }
    case 'ReplicaSet': {
      const want = obj.spec?.replicas ?? 1;
      if ((obj.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) return inProgress(`${name}: waiting for the spec to be observed`);
      return (st.readyReplicas ?? 0) >= want ? current(`${name}: ${want} replicas ready`) : inProgress(`${name}: ${st.readyReplicas ?? 0} of ${want} replicas ready`);
    }
    case 'Pod': {
      if (st.phase === 'Succeeded') return current(`${name}: succeeded`);
      if (st.phase === 'Failed') return { status: 'Failed', message: `${name}: failed`, reason: 'PodFailed' };
      const ready = (st.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
      return ready ? current(`${name}: ready`) : inProgress(`${name}: not ready (${st.phase ?? 'Pending'})`);
    }
    case 'Job': {
      const s = jobStatus(obj);
      if (s.state === 'failed') {
        const failed = (st.conditions ?? []).find((c: any) => c.type === 'Failed' && c.status === 'True');
        return { status: 'Failed', message: s.message, reason: failed?.reason ?? 'JobFailed' };
      }
      return { status: s.state === 'complete' ? 'Current' : 'InProgress', message: s.message };
    }
    case 'PersistentVolumeClaim':
      return st.phase === 'Bound' ? current(`${name}: bound`) : inProgress(`${name}: ${st.phase ?? 'Pending'}, waiting to be bound`);
    default: {
      if (!obj.status) return current(`${name}: stored`);
      const ready = (st.conditions ?? []).find((c: any) => c.type === 'Ready');
      if (ready) return ready.status === 'True' ? current(`${name}: Ready`) : ready.reason === 'Failed' || ready.status === 'False' && /fail/i.test(String(ready.reason ?? '')) ? { status: 'Failed', message: `${name}: ${ready.reason}: ${ready.message ?? ''}`, reason: String(ready.reason) } : inProgress(`${name}: not Ready${ready.reason ? ` (${ready.reason})` : ''}`);
      if (st.observedGeneration !== undefined && (obj.metadata.generation ?? 0) > st.observedGeneration) return inProgress(`${name}: waiting for generation ${obj.metadata.generation} to be observed`);
      return current(`${name}: stored`);
    }
  }
}

/**
 * AWAITED_KINDS are the kinds whose health a pass waits for after applying them. A claim is
 * reported (objectHealth) but not awaited: one with no StorageClass, or a WaitForFirstConsumer
 * class, stays Pending until a pod uses it, and that is not a failed commit.
 */
export const AWAITED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod', 'Job']);
