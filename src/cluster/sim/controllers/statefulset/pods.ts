/**
 * A StatefulSet's pods and claims (upstream stateful_set_utils.go + stateful_pod_control.go):
 * stable names `<set>-<ordinal>`, the identity labels, a volume per volumeClaimTemplate pointing
 * at `<template>-<set>-<ordinal>`, and the claims themselves, created before their pod and never
 * owned by it, so they outlive it.
 */
import { type KubeObject, cloneObject } from '../../../../core/index.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history/revisions.js';
import { isPodAvailable, isPodReady } from '../replicaset.js';

/** POD_NAME_LABEL names the pod on itself (apps.StatefulSetPodNameLabel), for a per-pod Service. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** POD_INDEX_LABEL carries the ordinal (PodIndexLabel, on by default since 1.28). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** podOrdinal parses `<set>-<n>` into n; -1 when the name is not one of the set's (getParentNameAndOrdinal). */
export function podOrdinal(set: KubeObject, pod: KubeObject): number {
  const m = /^(.*)-(\d+)$/.exec(pod.metadata.name);
  if (!m || m[1] !== set.metadata.name) return -1;
  const n = Number(m[2]);
  return Number.isSafeInteger(n) ? n : -1;
}

/** podRevision is the revision a pod was made from: its controller-revision-hash label (the revision's name, for a StatefulSet). */
export function podRevision(pod: KubeObject): string {
  return pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

/** isRunningAndReady: phase Running and the Ready condition True. */
export function isRunningAndReady(pod: KubeObject): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** isRunningAndAvailable: running, ready, and ready for longer than minReadySeconds. */
export function isRunningAndAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

/** isTerminating: the pod has a deletionTimestamp. */
export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** isHealthy: running, ready and not terminating (the rolling update waits for this). */
export function isHealthy(pod: KubeObject): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** isFinished: Succeeded or Failed — a StatefulSet replaces such a pod. */
export function isFinished(pod: KubeObject): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

/** claimName is `<template>-<set>-<ordinal>`. Example: template www, pod web-0 → www-web-0. */
export function claimName(template: any, podName: string): string {
  return `${template.metadata?.name ?? ''}-${podName}`;
}

/** templateOf reads the pod template back out of a revision's patch. */
export function templateOf(revision: KubeObject): any {
  const { $patch: _p, ...template } = (revision.data as any)?.spec?.template ?? {};
  return template;
}

/**
 * newStatefulPod is newStatefulSetPod + setPodRevision + updateStorage: the pod for `ordinal` from
 * the template of `revision`. Example: set web, ordinal 0, claim template www → pod web-0 with
 * hostname web-0, subdomain = serviceName, and volume www → claim www-web-0.
 */
export function newStatefulPod(set: KubeObject, ordinal: number, revision: KubeObject): KubeObject {
  const name = `${set.metadata.name}-${ordinal}`;
  const t = templateOf(revision);
  const spec = cloneObject(t.spec ?? {});
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const templates: any[] = set.spec?.volumeClaimTemplates ?? [];
  if (templates.length > 0) {
    const byName = new Set(templates.map((c) => c.metadata?.name));
    spec.volumes = [
      ...((spec.volumes ?? []) as any[]).filter((v) => !byName.has(v.name)),
      ...templates.map((c) => ({ name: c.metadata?.name, persistentVolumeClaim: { claimName: claimName(c, name) } })),
    ];
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...(t.metadata?.labels ?? {}),
        [CONTROLLER_REVISION_HASH_LABEL]: revision.metadata.name,
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
      },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/**
 * newClaims is getPersistentVolumeClaims: one claim per template for the pod, labelled with the
 * template's labels plus the set's selector labels. With the retention policy `whenDeleted:
 * Delete` the claim is owned by the set (so it goes when the set goes); by default (Retain) it is
 * owned by nothing and outlives pod and set.
 */
export function newClaims(set: KubeObject, podName: string): KubeObject[] {
  const owned = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return ((set.spec?.volumeClaimTemplates ?? []) as any[]).map((c) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(c, podName),
      namespace: set.metadata.namespace,
      labels: { ...(c.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
      ...(c.metadata?.annotations ? { annotations: { ...c.metadata.annotations } } : {}),
      ...(owned ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: cloneObject(c.spec ?? {}),
  }));
}
