/** Objects shaped like the simulator's, replaying the seed article's "front" rollout (v1 → v2). */

import { toRFC3339 } from '../../../src/core/clock.js';
import type { KubeEvent, KubeObject } from '../../../src/core/object.js';

/** T0 is the article's Deployment creation time: Sun, 10 Oct 2021 09:02:34 +0900. */
export const T0 = Date.parse('2021-10-10T00:02:34Z');
/** JST is the article's display zone. */
export const JST = 540;
/** at gives the RFC 3339 timestamp `s` seconds after T0. */
export const at = (s: number): string => toRFC3339(T0 + s * 1000);
/** after gives epoch ms `s` seconds after T0. */
export const after = (s: number): number => T0 + s * 1000;

/** V2_AT is when the v2 template was applied (derived from the article's ages). */
export const V2_AT = 159;

const OLD_HASH = '7876d7bd66';
const NEW_HASH = '7b95f674dc';

function template(image: string, hash?: string): any {
  return {
    metadata: { labels: hash ? { app: 'front', 'pod-template-hash': hash } : { app: 'front' } },
    spec: { containers: [{ name: 'front', image }] },
  };
}

/** frontDeployment is the article's Deployment at a given revision/image with a ready status. */
export function frontDeployment(opts: { revision: number; image: string; status?: any; annotations?: Record<string, string> }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'front',
      namespace: 'default',
      uid: 'uid-front',
      generation: opts.revision,
      creationTimestamp: at(0),
      labels: { app: 'front' },
      annotations: { 'deployment.kubernetes.io/revision': String(opts.revision), ...(opts.annotations ?? {}) },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'front' } },
      template: template(opts.image),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '30%', maxUnavailable: '10%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      minReadySeconds: 0,
    },
    status: opts.status ?? {
      observedGeneration: opts.revision,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: at(10), lastTransitionTime: at(10) },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "front-7876d7bd66" has successfully progressed.', lastUpdateTime: at(30), lastTransitionTime: at(0) },
      ],
    },
  };
}

/** replicaSet builds an RS owned by "front". */
export function replicaSet(opts: { hash: string; image: string; revision: number; created: number; spec: number; current?: number; ready?: number; annotations?: Record<string, string> }): KubeObject {
  const current = opts.current ?? opts.spec;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `front-${opts.hash}`,
      namespace: 'default',
      uid: `uid-${opts.hash}`,
      creationTimestamp: at(opts.created),
      labels: { app: 'front', 'pod-template-hash': opts.hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
        'deployment.kubernetes.io/revision': String(opts.revision),
        ...(opts.annotations ?? {}),
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'front', uid: 'uid-front', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: opts.spec,
      selector: { matchLabels: { app: 'front', 'pod-template-hash': opts.hash } },
      template: template(opts.image, opts.hash),
    },
    status: { replicas: current, readyReplicas: opts.ready ?? current, availableReplicas: opts.ready ?? current, observedGeneration: 1 },
  };
}

/** oldRS is v1's ReplicaSet (front-7876d7bd66). */
export const oldRS = (spec: number, revision = 1): KubeObject => replicaSet({ hash: OLD_HASH, image: 'xxx/frontend:v1.0.0', revision, created: 0, spec });
/** newRS is v2's ReplicaSet (front-7b95f674dc). */
export const newRS = (spec: number, revision = 2): KubeObject => replicaSet({ hash: NEW_HASH, image: 'xxx/frontend:v2.0.0', revision, created: V2_AT, spec });

/** scalingEvent is a deployment-controller ScalingReplicaSet event on "front". */
export function scalingEvent(seconds: number, message: string, opts: { count?: number; first?: number; name?: string } = {}): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: opts.name ?? `front.${seconds}`, namespace: 'default', creationTimestamp: at(opts.first ?? seconds) },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'front', uid: 'uid-front' },
    reason: 'ScalingReplicaSet',
    message,
    type: 'Normal',
    source: { component: 'deployment-controller' },
    firstTimestamp: at(opts.first ?? seconds),
    lastTimestamp: at(seconds),
    count: opts.count ?? 1,
  };
}

/** articleEvents is the article's v1 → v2 event sequence. */
export function articleEvents(): KubeEvent[] {
  return [
    scalingEvent(0, 'Scaled up replica set front-7876d7bd66 to 3'),
    scalingEvent(V2_AT, 'Scaled up replica set front-7b95f674dc to 1'),
    scalingEvent(V2_AT + 10, 'Scaled down replica set front-7876d7bd66 to 2'),
    scalingEvent(V2_AT + 10, 'Scaled up replica set front-7b95f674dc to 2'),
    scalingEvent(V2_AT + 21, 'Scaled down replica set front-7876d7bd66 to 1'),
    scalingEvent(V2_AT + 21, 'Scaled up replica set front-7b95f674dc to 3'),
    scalingEvent(V2_AT + 31, 'Scaled down replica set front-7876d7bd66 to 0'),
  ];
}

/** pod builds a Pod of the v2 ReplicaSet with the given status. */
export function pod(name: string, status: any, extra: { created?: number; deletionTimestamp?: string; spec?: any } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: at(extra.created ?? V2_AT),
      labels: { app: 'front', 'pod-template-hash': NEW_HASH },
      ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}),
    },
    spec: { containers: [{ name: 'front', image: 'xxx/frontend:v2.0.0' }], ...(extra.spec ?? {}) },
    status,
  };
}
