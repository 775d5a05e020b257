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
import { BURST_REPLICAS } from '../../src/cluster/sim/controllers/replicaset.js';
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
