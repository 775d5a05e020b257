/**
 * The ReplicaSet controller's burst limit, and pods sharing their ReplicaSet's template spec.
 * A sync creates or deletes at most BURST_REPLICAS pods; the changes a sync makes itself do not
 * wake it again (they would find nothing to do), so a sync cut short by the limit must run again
 * at the same instant on its own. Worked example: 1,200 replicas → syncs creating 500, 500, 200,
 * all at T0; scaled to 100 → syncs deleting 500, 500, 100, all at once.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock, toRFC3339 } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { BURST_REPLICAS, podChangeWakesReplicaSet } from '../../src/cluster/sim/controllers/replicaset.js';
import type { KubeObject } from '../../src/core/index.js';
import { applyDefaults } from '../../src/manifests/index.js';
import { T0, deploymentManifest } from './helpers.js';

function cluster() {
  const clock = new VirtualClock(T0);
  const sim = new Simulation(clock, { podReadyAfterMs: 10_000 });
  return { clock, sim, client: new SimClient(sim) };
}

const active = (sim: Simulation) => sim.api.list('Pod').filter((p) => !p.metadata.deletionTimestamp);

describe('ReplicaSet controller: burst limit and shared pod parts', () => {
  it(`creates 1,200 pods at one instant in syncs of at most ${BURST_REPLICAS}, and deletes 1,100 of them the same way`, async () => {
    expect(BURST_REPLICAS).toBe(500);
    const { clock, sim, client } = cluster();
    client.applySync(deploymentManifest({ name: 'big', replicas: 1200 }));
    const pods = active(sim);
    expect(pods).toHaveLength(1200);
    expect(pods.every((p) => p.metadata.creationTimestamp === toRFC3339(T0))).toBe(true);
    const creates = sim.listEvents().filter((e) => e.reason === 'SuccessfulCreate');
    expect(creates.map((e) => e.count).reduce((a, b) => a + b, 0)).toBe(1200);
    const [rs] = sim.api.list('ReplicaSet');
    expect(rs!.status).toMatchObject({ replicas: 1200, observedGeneration: 1 });

    await sim.advanceBy(10_000);
    expect(sim.api.get('Deployment', 'default', 'big')!.status).toMatchObject({ replicas: 1200, readyReplicas: 1200, availableReplicas: 1200 });

    const at = clock.now();
    client.applySync(deploymentManifest({ name: 'big', replicas: 100 }));
    expect(clock.now()).toBe(at);
    expect(active(sim)).toHaveLength(100);
    const deletes = sim.listEvents().filter((e) => e.reason === 'SuccessfulDelete');
    expect(deletes.map((e) => e.count).reduce((a, b) => a + b, 0)).toBe(1100);
    expect(sim.api.list('ReplicaSet')[0]!.status).toMatchObject({ replicas: 100, readyReplicas: 100, availableReplicas: 100 });
  });

  it("pods of one ReplicaSet share its template's spec, frozen, and a pod bound to a node carries its own nodeName", () => {
    const { sim, client } = cluster();
    client.applySync(deploymentManifest({ name: 'web', replicas: 3 }));
    const [a, b, c] = active(sim);
    expect(a!.spec.containers).toBe(b!.spec.containers);
    expect(b!.spec.containers).toBe(c!.spec.containers);
    expect(Object.isFrozen(a!.spec.containers[0])).toBe(true);
    expect(() => {
      'use strict';
      a!.spec.containers[0].image = 'changed';
    }).toThrow(TypeError);
    expect(a!.spec.containers[0]).toMatchObject({ image: 'nginx:1.20', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    expect(a!.spec.nodeName).toBeTruthy();
    // Bound at one instant: one frozen conditions array and one container-status array between them.
    expect(a!.status.conditions).toBe(c!.status.conditions);
    expect(a!.status.containerStatuses).toBe(c!.status.containerStatuses);
    expect(Object.isFrozen(a!.status.conditions)).toBe(true);
    expect(a!.status.podIP).not.toBe(c!.status.podIP);
  });

  it('pods of one ReplicaSet share its labels and owner reference, frozen; a pod created by hand keeps its own', () => {
    const { sim, client } = cluster();
    client.applySync(deploymentManifest({ name: 'web', replicas: 3 }));
    const [a, b, c] = active(sim);
    const [rs] = sim.api.list('ReplicaSet');
    expect(a!.metadata.labels).toBe(c!.metadata.labels);
    expect(a!.metadata.ownerReferences).toBe(b!.metadata.ownerReferences);
    expect(a!.metadata.labels).toEqual(rs!.spec.template.metadata.labels);
    expect(a!.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs!.metadata.name, uid: rs!.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(Object.isFrozen(a!.metadata.labels) && Object.isFrozen(a!.metadata.ownerReferences![0])).toBe(true);
    // Each pod still has its own metadata (name, uid, resourceVersion).
    expect(a!.metadata).not.toBe(b!.metadata);
    expect(new Set([a, b, c].map((p) => p!.metadata.uid)).size).toBe(3);
    // What a caller hands the API server unfrozen is copied, not kept.
    const labels = { app: 'solo' };
    const created = sim.api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
    expect(created.metadata.labels).toEqual(labels);
    expect(created.metadata.labels).not.toBe(labels);
  });

  it('a pod update wakes its ReplicaSet only when a sync could do or report something new', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true }] },
      spec: { containers: [{ name: 'c', image: 'x:1' }] },
      status: { phase: 'Pending' },
    };
    const ready = (status: string, at: string) => ({ ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status, lastTransitionTime: at }] } });
    const [t0, t1, t2, t3] = [0, 10, 20, 30].map((s) => toRFC3339(T0 + s * 1000));
    const bound = { ...pod, spec: { ...pod.spec, nodeName: 'n1' }, status: { phase: 'Pending', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: t0 }] } };
    // A bind, a new IP, a restart count: nothing a sync reads.
    expect(podChangeWakesReplicaSet(pod, bound)).toBe(false);
    expect(podChangeWakesReplicaSet(ready('True', t1!), { ...ready('True', t1!), status: { ...ready('True', t1!).status, containerStatuses: [{ restartCount: 1 }] } })).toBe(false);
    // Ready, and since when (availability after minReadySeconds).
    expect(podChangeWakesReplicaSet(bound, ready('True', t1!))).toBe(true);
    expect(podChangeWakesReplicaSet(ready('True', t1!), ready('True', t2!))).toBe(true);
    // No longer active: terminating, or finished.
    expect(podChangeWakesReplicaSet(pod, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: t3 } })).toBe(true);
    expect(podChangeWakesReplicaSet(pod, { ...pod, status: { phase: 'Failed' } })).toBe(true);
    // Labels (fully labeled replicas) and ownership, by value.
    expect(podChangeWakesReplicaSet(pod, { ...pod, metadata: { ...pod.metadata, labels: { app: 'web' } } })).toBe(false);
    expect(podChangeWakesReplicaSet(pod, { ...pod, metadata: { ...pod.metadata, labels: { app: 'other' } } })).toBe(true);
    expect(podChangeWakesReplicaSet(pod, { ...pod, metadata: { ...pod.metadata, ownerReferences: [] } })).toBe(true);
  });

  it('pods started at one instant share their started conditions and running container statuses', async () => {
    const { sim, client } = cluster();
    client.applySync(deploymentManifest({ name: 'web', replicas: 2 }));
    await sim.advanceBy(10_000);
    const [a, b] = active(sim);
    expect(a!.status.phase).toBe('Running');
    expect(a!.status.conditions).toBe(b!.status.conditions);
    expect(a!.status.containerStatuses).toBe(b!.status.containerStatuses);
    expect(a!.status.conditions.find((x: any) => x.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: toRFC3339(T0 + 10_000) });
  });

  it("a Pod's defaults are all in its spec, so the API server may default a shared spec once and copy the rest", () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] }, status: { phase: 'Pending' } };
    const { spec, ...rest } = applyDefaults(pod);
    const { spec: given, ...givenRest } = pod;
    expect(rest).toEqual(givenRest);
    expect(spec).not.toEqual(given);
    expect(spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent' });
  });
});
