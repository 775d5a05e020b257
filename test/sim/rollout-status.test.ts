/** kubectl's StatefulSet and DaemonSet status viewers, branch by branch (rollout_status.go), on hand-written objects. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { daemonSetRolloutStatus, statefulSetRolloutStatus, workloadRolloutStatus } from '../../src/cluster/rollout-status.js';

const sts = (spec: any, status: any, generation = 2): KubeObject => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', generation }, spec: { replicas: 5, ...spec }, status });
const ds = (spec: any, status: any, generation = 2): KubeObject => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', generation }, spec, status });

const RU = { type: 'RollingUpdate' };
const PART = (partition: number) => ({ type: 'RollingUpdate', rollingUpdate: { partition } });

describe('statefulSetRolloutStatus', () => {
  it.each([
    ['OnDelete is refused', { updateStrategy: { type: 'OnDelete' } }, { observedGeneration: 2 }, 'rollout status is only available for RollingUpdate strategy type', false, true],
    ['observedGeneration 0', { updateStrategy: RU }, { observedGeneration: 0 }, 'Waiting for statefulset spec update to be observed...', false, false],
    ['older generation observed', { updateStrategy: RU }, { observedGeneration: 1, readyReplicas: 5 }, 'Waiting for statefulset spec update to be observed...', false, false],
    ['2 of 5 ready', { updateStrategy: PART(0) }, { observedGeneration: 2, readyReplicas: 3 }, 'Waiting for 2 pods to be ready...', false, false],
    ['partition 2, 1 of 3 updated', { updateStrategy: PART(2) }, { observedGeneration: 2, readyReplicas: 5, updatedReplicas: 1 }, 'Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...', false, false],
    ['partition 2, 3 updated', { updateStrategy: PART(2) }, { observedGeneration: 2, readyReplicas: 5, updatedReplicas: 3 }, 'partitioned roll out complete: 3 new pods have been updated...', true, false],
    ['no rollingUpdate, revisions differ', { updateStrategy: RU }, { observedGeneration: 2, readyReplicas: 5, updatedReplicas: 4, currentRevision: 'web-a', updateRevision: 'web-b' }, 'waiting for statefulset rolling update to complete 4 pods at revision web-b...', false, false],
    ['no rollingUpdate, revisions equal', { updateStrategy: RU }, { observedGeneration: 2, readyReplicas: 5, currentReplicas: 5, currentRevision: 'web-b', updateRevision: 'web-b' }, 'statefulset rolling update complete 5 pods at revision web-b...', true, false],
  ])('%s', (_name, spec, status, message, done, failed) => {
    expect(statefulSetRolloutStatus(sts(spec, status))).toEqual({ message, done, failed });
  });
});

describe('daemonSetRolloutStatus', () => {
  it.each([
    ['OnDelete is refused', { updateStrategy: { type: 'OnDelete' } }, { observedGeneration: 2 }, 'rollout status is only available for RollingUpdate strategy type', false, true],
    ['not observed', { updateStrategy: RU }, { observedGeneration: 1 }, 'Waiting for daemon set spec update to be observed...', false, false],
    ['1 of 3 updated', { updateStrategy: RU }, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 1 }, 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...', false, false],
    ['2 of 3 available', { updateStrategy: RU }, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 }, 'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...', false, false],
    ['done', { updateStrategy: RU }, { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }, 'daemon set "agent" successfully rolled out', true, false],
    ['no nodes to run on is done', { updateStrategy: RU }, { observedGeneration: 2, desiredNumberScheduled: 0 }, 'daemon set "agent" successfully rolled out', true, false],
  ])('%s', (_name, spec, status, message, done, failed) => {
    expect(daemonSetRolloutStatus(ds(spec, status))).toEqual({ message, done, failed });
  });

  it('workloadRolloutStatus dispatches by kind and has nothing for other kinds', () => {
    expect(workloadRolloutStatus(ds({ updateStrategy: RU }, { observedGeneration: 2 }))?.done).toBe(true);
    expect(workloadRolloutStatus({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toBeUndefined();
  });
});
