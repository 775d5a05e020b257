/** API-server defaulting (apps/v1 and core/v1 pod templates), so that desired and live objects compare equal. */
import { type KubeObject, cloneObject } from '../core/index.js';

/** MAX_INT32 is the sentinel upstream uses for "no limit" (history, deadline). */
export const MAX_INT32 = 2147483647;

function defaultContainer(c: any): void {
  if (!c || typeof c !== 'object') return;
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    // The API server pulls ":latest" (or untagged) images Always and pinned tags IfNotPresent.
    const ref = c.image.split('@')[0] as string;
    const lastSlash = ref.lastIndexOf('/');
    const colon = ref.indexOf(':', lastSlash + 1);
    const tag = colon >= 0 ? ref.slice(colon + 1) : '';
    c.imagePullPolicy = c.image.includes('@') ? 'IfNotPresent' : tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
}

/** defaultPodSpec fills the core/v1 PodSpec defaults the API server adds (mutates). */
export function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
}

/**
 * applyDefaults returns a copy of obj with the defaults the API server would add on create
 * (apps/v1 Deployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600; pod templates; Service type ClusterIP; namespace "default").
 */
export function applyDefaults(input: KubeObject): KubeObject {
  const obj = cloneObject(input);
  const kind = obj.kind;
  if (kind === 'Deployment' && obj.apiVersion === 'apps/v1') {
    const spec = (obj.spec ??= {});
    spec.replicas ??= 1;
    spec.strategy ??= {};
    spec.strategy.type ??= 'RollingUpdate';
    if (spec.strategy.type === 'RollingUpdate') {
      spec.strategy.rollingUpdate ??= {};
      spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      spec.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultPodSpec(spec.template?.spec);
  } else if (kind === 'ReplicaSet' && obj.apiVersion === 'apps/v1') {
    const spec = (obj.spec ??= {});
    spec.replicas ??= 1;
    defaultPodSpec(spec.template?.spec);
  } else if (kind === 'Pod' && obj.apiVersion === 'v1') {
    defaultPodSpec((obj.spec ??= {}));
  } else if (kind === 'StatefulSet' && obj.apiVersion === 'apps/v1') {
    defaultStatefulSet((obj.spec ??= {}));
  } else if (kind === 'DaemonSet' && obj.apiVersion === 'apps/v1') {
    defaultDaemonSet((obj.spec ??= {}));
  } else if ((kind === 'StatefulSet' || kind === 'DaemonSet' || kind === 'Job') && obj.spec?.template?.spec) {
    defaultPodSpec(obj.spec.template.spec);
  } else if (kind === 'Service' && obj.apiVersion === 'v1') {
    const spec = (obj.spec ??= {});
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    for (const p of spec.ports ?? []) {
      if (p && typeof p === 'object') {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
    }
  }
  if (kind === 'Job' && obj.apiVersion === 'batch/v1') defaultJobSpec((obj.spec ??= {}));
  if (kind === 'HorizontalPodAutoscaler' && obj.apiVersion === 'autoscaling/v2') defaultHPASpec((obj.spec ??= {}));
  if (kind === 'CronJob' && obj.apiVersion === 'batch/v1') {
    const spec = (obj.spec ??= {});
    spec.concurrencyPolicy ??= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    if (spec.jobTemplate?.spec) {
      defaultJobSpec(spec.jobTemplate.spec);
      defaultPodSpec(spec.jobTemplate.spec.template?.spec);
    }
  }
  return obj;
}

/**
 * defaultHPASpec fills autoscaling/v2 HPA defaults (SetDefaults_HorizontalPodAutoscaler): minReplicas
 * 1, a CPU 80% utilisation metric when there is none, and — only when behavior is given — every unset
 * rule: scale up with no window, Max of 4 pods or 100% per 15 s; scale down Max of 100% per 15 s
 * (its window stays unset: the controller's 300 s applies). Mutates.
 */
export function defaultHPASpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  const b = spec.behavior;
  if (!b || typeof b !== 'object') return;
  b.scaleUp ??= {};
  b.scaleUp.stabilizationWindowSeconds ??= 0;
  b.scaleUp.selectPolicy ??= 'Max';
  b.scaleUp.policies ??= [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ];
  b.scaleDown ??= {};
  b.scaleDown.selectPolicy ??= 'Max';
  b.scaleDown.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
}

/** defaultJobSpec fills batch/v1 JobSpec defaults: completions and parallelism 1 when both unset, backoffLimit 6, NonIndexed, not suspended, TerminatingOrFailed (mutates). */
export function defaultJobSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
}

/**
 * defaultStatefulSet is SetDefaults_StatefulSet (apps/v1, 1.31, MaxUnavailableStatefulSet off):
 * an unset updateStrategy type becomes RollingUpdate *with* `rollingUpdate: {partition: 0}` — so
 * kubectl's status viewer reports "partitioned roll out complete" — while an explicit
 * `type: RollingUpdate` without rollingUpdate stays without it. Mutates.
 */
export function defaultStatefulSet(spec: any): void {
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  spec.updateStrategy ??= {};
  if (!spec.updateStrategy.type) {
    spec.updateStrategy.type = 'RollingUpdate';
    spec.updateStrategy.rollingUpdate ??= {};
  }
  if (spec.updateStrategy.type === 'RollingUpdate' && spec.updateStrategy.rollingUpdate) spec.updateStrategy.rollingUpdate.partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
  for (const t of spec.volumeClaimTemplates ?? []) {
    if (!t || typeof t !== 'object') continue;
    t.apiVersion ??= 'v1';
    t.kind ??= 'PersistentVolumeClaim';
    t.spec ??= {};
    t.spec.volumeMode ??= 'Filesystem';
    t.status ??= { phase: 'Pending' };
  }
  defaultPodSpec(spec.template?.spec);
}

/** defaultDaemonSet is SetDefaults_DaemonSet (apps/v1): RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10. Mutates. */
export function defaultDaemonSet(spec: any): void {
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodSpec(spec.template?.spec);
}
