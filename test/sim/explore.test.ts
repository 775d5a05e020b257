import { it } from 'vitest';
import { VirtualClock } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { T0, apply, deploymentManifest, rolledOut, scalingEvents } from './helpers.js';

it('explore', async () => {
  const clock = new VirtualClock(T0);
  const sim = new Simulation(clock, { podReadyAfterMs: 10_000, failImages: ['*:broken'], podTerminateAfterMs: 0, eventWording: 'v1.28' });
  apply(sim, deploymentManifest({ replicas: 10, maxSurge: '30%', maxUnavailable: '10%', image: 'nginx:v1' }));
  await sim.runUntil(() => rolledOut(sim), clock.now() + 900_000);
  const t1 = clock.now();
  apply(sim, deploymentManifest({ replicas: 10, maxSurge: '30%', maxUnavailable: '10%', image: 'nginx:v2' }));
  let peak = 0; let minAv = 99;
  await sim.runUntil(() => rolledOut(sim), clock.now() + 900_000, () => {
    const pods = sim.api.list('Pod').filter(p => !p.metadata.deletionTimestamp);
    peak = Math.max(peak, pods.length);
    minAv = Math.min(minAv, sim.api.get('Deployment','default','front')!.status.availableReplicas ?? 0);
  });
  console.log(scalingEvents(sim, t1), peak, minAv, (clock.now()-t1)/1000);
});
