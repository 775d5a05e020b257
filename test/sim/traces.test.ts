/**
 * Golden traces through the whole simulator (API server + Deployment/ReplicaSet controllers +
 * kubelet): exact event texts and timestamps (offsets in seconds from the change), end states,
 * and invariants sampled at every simulated instant.
 */
import { describe, expect, it } from 'vitest';
import { type KubeObject, VirtualClock, toRFC3339 } from '../../src/core/index.js';
import type { EventWording } from '../../src/cluster/sim/controllers/context.js';
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, computeHash } from '../../src/cluster/sim/controllers/deployment/util.js';
import { type SimKnobs, Simulation } from '../../src/cluster/sim/sim.js';
import { type DeploymentOpts, T0, apply, condition, deploymentManifest, eventMark, isReady, replicaSets, rolledOut, scalingEvents } from './helpers.js';

const HORIZON = 3_600_000;

function newSim(knobs: Partial<SimKnobs> = {}): { sim: Simulation; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  const sim = new Simulation(clock, { podReadyAfterMs: 10_000, failImages: ['*:broken'], podTerminateAfterMs: 0, eventWording: 'article', ...knobs });
  return { sim, clock };
}

function front(sim: Simulation): KubeObject {
  return sim.api.get('Deployment', 'default', 'front')!;
}

/** rsName is the ReplicaSet name the controller derives from the stored Deployment's template. */
function rsName(sim: Simulation): string {
  return `front-${computeHash(front(sim).spec.template)}`;
}

/** livePods counts non-terminating pods of the Deployment. */
function livePods(sim: Simulation): KubeObject[] {
  return sim.api.list('Pod', 'default').filter((p) => p.metadata.labels?.app === 'front' && !p.metadata.deletionTimestamp);
}

/** deployAndSettle creates the Deployment and runs until its first rollout completed; returns the first ReplicaSet's name. */
async function deployAndSettle(sim: Simulation, clock: VirtualClock, o: DeploymentOpts): Promise<string> {
  apply(sim, deploymentManifest(o));
  const name = rsName(sim);
  expect(await sim.runUntil(() => rolledOut(sim), clock.now() + HORIZON)).toBe(true);
  return name;
}

// ---------------------------------------------------------------------------------------------
describe('seed article: 3 replicas, maxSurge 30%, maxUnavailable 10%, v1 → v2', () => {
  const opts: DeploymentOpts = { replicas: 3, maxSurge: '30%', maxUnavailable: '10%' };

  it('events, end state, describe counts and conditions', async () => {
    const { sim, clock } = newSim();
    const a = await deployAndSettle(sim, clock, { ...opts, image: 'nginx:1.20' });
    expect(a).toMatch(/^front-[456789bcdf]{1,10}$/);
    expect(clock.now()).toBe(T0 + 10_000);
    expect(scalingEvents(sim, T0)).toEqual([[0, `Scaled up replica set ${a} to 3`]]);

    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ ...opts, image: 'nginx:1.21' }));
    const b = rsName(sim);
    expect(b).not.toBe(a);
    expect(await sim.runUntil(() => rolledOut(sim), t1 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(t1 + 30_000);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${b} to 1`],
      [10, `Scaled down replica set ${a} to 2`],
      [10, `Scaled up replica set ${b} to 2`],
      [20, `Scaled down replica set ${a} to 1`],
      [20, `Scaled up replica set ${b} to 3`],
      [30, `Scaled down replica set ${a} to 0`],
    ]);
    const evs = sim.listEvents({ kind: 'Deployment', namespace: 'default', name: 'front' });
    expect(evs.at(-1)).toMatchObject({ type: 'Normal', reason: 'ScalingReplicaSet', source: { component: 'deployment-controller' }, lastTimestamp: toRFC3339(t1 + 30_000), count: 1 });

    // kubectl get rs: NAME DESIRED CURRENT READY
    const rss = replicaSets(sim).map((rs) => [rs.metadata.name, rs.spec.replicas, rs.status.replicas ?? 0, rs.status.readyReplicas ?? 0]);
    expect(rss).toEqual([
      [a, 0, 0, 0],
      [b, 3, 3, 3],
    ]);
    expect(replicaSets(sim).map((rs) => rs.metadata.annotations![REVISION_ANNOTATION])).toEqual(['1', '2']);

    const d = front(sim);
    expect(d.metadata.annotations![REVISION_ANNOTATION]).toBe('2');
    // describe: "Replicas: 3 desired | 3 updated | 3 total | 3 available | 0 unavailable"
    const s = d.status;
    expect([d.spec.replicas, s.updatedReplicas, s.replicas, s.availableReplicas, s.unavailableReplicas ?? 0]).toEqual([3, 3, 3, 3, 0]);
    expect(s.observedGeneration).toBe(d.metadata.generation);
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${b}" has successfully progressed.` });
    expect(livePods(sim).every((p) => p.metadata.name.startsWith(`${b}-`) && isReady(p))).toBe(true);
    expect(livePods(sim)).toHaveLength(3);
  });

  it.each([
    ['v1.28', (rs: string, to: number) => `Scaled up replica set ${rs} to ${to}`, (op: string, rs: string, from: number, to: number) => `Scaled ${op} replica set ${rs} to ${to} from ${from}`],
    ['v1.32', (rs: string, to: number) => `Scaled up replica set ${rs} from 0 to ${to}`, (op: string, rs: string, from: number, to: number) => `Scaled ${op} replica set ${rs} from ${from} to ${to}`],
  ] as [EventWording, (rs: string, to: number) => string, (op: string, rs: string, from: number, to: number) => string][])('§5.1 wording %s', async (wording, created, scaled) => {
    const { sim, clock } = newSim({ eventWording: wording });
    const a = await deployAndSettle(sim, clock, { ...opts, image: 'nginx:1.20' });
    const t1 = clock.now();
    apply(sim, deploymentManifest({ ...opts, image: 'nginx:1.21' }));
    const b = rsName(sim);
    expect(await sim.runUntil(() => rolledOut(sim), t1 + HORIZON)).toBe(true);
    expect(scalingEvents(sim, T0)).toEqual([
      [0, created(a, 3)],
      [10, created(b, 1)],
      [20, scaled('down', a, 3, 2)],
      [20, scaled('up', b, 1, 2)],
      [30, scaled('down', a, 2, 1)],
      [30, scaled('up', b, 2, 3)],
      [40, scaled('down', a, 1, 0)],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§7.1 + §7.5: default 25%/25%, 3 replicas, v1 → v2 → v1 (undo)', () => {
  it('ends at revision 3 with two ReplicaSets, the first reused with revision-history "1"', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const a = await deployAndSettle(sim, clock, { replicas: 3, image: 'nginx:1.20' });

    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 3, image: 'nginx:1.21' }));
    const b = rsName(sim);
    expect(await sim.runUntil(() => rolledOut(sim), t1 + HORIZON)).toBe(true);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${b} to 1`],
      [10, `Scaled down replica set ${a} to 2 from 3`],
      [10, `Scaled up replica set ${b} to 2 from 1`],
      [20, `Scaled down replica set ${a} to 1 from 2`],
      [20, `Scaled up replica set ${b} to 3 from 2`],
      [30, `Scaled down replica set ${a} to 0 from 1`],
    ]);
    expect(front(sim).metadata.annotations![REVISION_ANNOTATION]).toBe('2');

    const t2 = clock.now();
    const m2 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 3, image: 'nginx:1.20' }));
    expect(rsName(sim)).toBe(a);
    expect(await sim.runUntil(() => rolledOut(sim), t2 + HORIZON)).toBe(true);
    // An existing ReplicaSet is scaled, so even its first step uses the "from" form.
    expect(scalingEvents(sim, t2, m2)).toEqual([
      [0, `Scaled up replica set ${a} to 1 from 0`],
      [10, `Scaled down replica set ${b} to 2 from 3`],
      [10, `Scaled up replica set ${a} to 2 from 1`],
      [20, `Scaled down replica set ${b} to 1 from 2`],
      [20, `Scaled up replica set ${a} to 3 from 2`],
      [30, `Scaled down replica set ${b} to 0 from 1`],
    ]);
    const rss = replicaSets(sim);
    expect(rss.map((rs) => rs.metadata.name)).toEqual([a, b]);
    expect(rss.map((rs) => [rs.spec.replicas, rs.metadata.annotations![REVISION_ANNOTATION], rs.metadata.annotations![REVISION_HISTORY_ANNOTATION]])).toEqual([
      [3, '3', '1'],
      [0, '2', undefined],
    ]);
    expect(front(sim).metadata.annotations![REVISION_ANNOTATION]).toBe('3');
    expect(condition(front(sim), 'Progressing')).toMatchObject({ reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${a}" has successfully progressed.` });
  });
});

// ---------------------------------------------------------------------------------------------
describe('§7.2: 10 replicas, maxSurge 30%, maxUnavailable 10%', () => {
  it('8 events, peak 13 pods, never fewer than 9 available', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const opts: DeploymentOpts = { replicas: 10, maxSurge: '30%', maxUnavailable: '10%' };
    const o = await deployAndSettle(sim, clock, { ...opts, image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ ...opts, image: 'nginx:1.21' }));
    const n = rsName(sim);
    let peak = 0;
    let minReady = Infinity;
    let minAvailableStatus = Infinity;
    const done = await sim.runUntil(
      () => rolledOut(sim),
      t1 + HORIZON,
      () => {
        const pods = livePods(sim);
        peak = Math.max(peak, pods.length);
        minReady = Math.min(minReady, pods.filter(isReady).length);
        minAvailableStatus = Math.min(minAvailableStatus, front(sim).status.availableReplicas ?? 0);
      },
    );
    expect(done).toBe(true);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${n} to 3`],
      [0, `Scaled down replica set ${o} to 9 from 10`],
      [0, `Scaled up replica set ${n} to 4 from 3`],
      [10, `Scaled down replica set ${o} to 5 from 9`],
      [10, `Scaled up replica set ${n} to 8 from 4`],
      [20, `Scaled down replica set ${o} to 1 from 5`],
      [20, `Scaled up replica set ${n} to 10 from 8`],
      [30, `Scaled down replica set ${o} to 0 from 1`],
    ]);
    expect(peak).toBe(13);
    expect(minReady).toBe(9);
    expect(minAvailableStatus).toBe(9);
  });
});

// ---------------------------------------------------------------------------------------------
describe('rollover: a new template while the previous rollout is half done (10 replicas, 25%/25%)', () => {
  it("cleans up the intermediate ReplicaSet's not-ready pods first and never drops below 8 Ready", async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const v1 = await deployAndSettle(sim, clock, { replicas: 10, image: 'nginx:v1' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 10, image: 'nginx:v2' }));
    const v2 = rsName(sim);
    await sim.runUntil(() => false, t1 + 10_000);
    // v2 has 10 pods, 5 of them not Ready yet; v1 is down to 3.
    expect(replicaSets(sim).map((rs) => [rs.spec.replicas, rs.status.availableReplicas ?? 0])).toEqual([
      [3, 3],
      [10, 5],
    ]);
    apply(sim, deploymentManifest({ replicas: 10, image: 'nginx:v3' }));
    const v3 = rsName(sim);
    let minReady = Infinity;
    let peak = 0;
    expect(
      await sim.runUntil(
        () => rolledOut(sim),
        t1 + HORIZON,
        () => {
          minReady = Math.min(minReady, livePods(sim).filter(isReady).length);
          peak = Math.max(peak, livePods(sim).length);
        },
      ),
    ).toBe(true);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${v2} to 3`],
      [0, `Scaled down replica set ${v1} to 8 from 10`],
      [0, `Scaled up replica set ${v2} to 5 from 3`],
      [10, `Scaled down replica set ${v1} to 3 from 8`],
      [10, `Scaled up replica set ${v2} to 10 from 5`],
      // v3 is created with 0 replicas (13 pods already), so no creation event; the 5 unavailable
      // v2 pods are cleaned up first, which makes room for v3.
      [10, `Scaled down replica set ${v2} to 5 from 10`],
      [10, `Scaled up replica set ${v3} to 5 from 0`],
      [20, `Scaled down replica set ${v1} to 0 from 3`],
      [20, `Scaled down replica set ${v2} to 3 from 5`],
      [20, `Scaled up replica set ${v3} to 10 from 5`],
      [30, `Scaled down replica set ${v2} to 0 from 3`],
    ]);
    expect(minReady).toBe(8);
    expect(peak).toBe(13);
    expect(replicaSets(sim).map((rs) => [rs.metadata.name, rs.spec.replicas, rs.metadata.annotations![REVISION_ANNOTATION]])).toEqual([
      [v1, 0, '1'],
      [v2, 0, '2'],
      [v3, 10, '3'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§7.3 blue/green: maxSurge 100%, maxUnavailable 0', () => {
  it.each([3, 10])('%i replicas: every new pod is Ready before any old pod goes', async (replicas) => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const opts: DeploymentOpts = { replicas, maxSurge: '100%', maxUnavailable: 0 };
    const o = await deployAndSettle(sim, clock, { ...opts, image: 'nginx:blue' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ ...opts, image: 'nginx:green' }));
    const n = rsName(sim);
    let peak = 0;
    let checked = 0;
    const done = await sim.runUntil(
      () => rolledOut(sim),
      t1 + HORIZON,
      () => {
        const byRS = (name: string) => livePods(sim).filter((p) => p.metadata.name.startsWith(`${name}-`));
        const oldPods = byRS(o);
        const newPods = byRS(n);
        peak = Math.max(peak, oldPods.length + newPods.length);
        if (oldPods.length < replicas) {
          checked++;
          expect(newPods.filter(isReady)).toHaveLength(replicas);
        }
        expect(oldPods.filter(isReady).length + newPods.filter(isReady).length).toBeGreaterThanOrEqual(replicas);
      },
    );
    expect(done).toBe(true);
    expect(checked).toBeGreaterThan(0);
    expect(peak).toBe(2 * replicas);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${n} to ${replicas}`],
      [10, `Scaled down replica set ${o} to 0 from ${replicas}`],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§7.4 Recreate, 3 replicas, pods take 5s to terminate', () => {
  it('creates the new ReplicaSet only after every old pod is gone; Available=False in between', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28', podTerminateAfterMs: 5_000 });
    const o = await deployAndSettle(sim, clock, { replicas: 3, strategy: 'Recreate', image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 3, strategy: 'Recreate', image: 'nginx:1.21' }));
    const n = rsName(sim);
    const available: [number, string][] = [];
    let sawTerminating = false;
    const done = await sim.runUntil(
      () => rolledOut(sim),
      t1 + HORIZON,
      () => {
        const allPods = sim.api.list('Pod', 'default');
        const oldPods = allPods.filter((p) => p.metadata.name.startsWith(`${o}-`));
        if (oldPods.some((p) => p.metadata.deletionTimestamp)) sawTerminating = true;
        if (sim.api.get('ReplicaSet', 'default', n)) expect(oldPods).toEqual([]);
        expect(allPods.filter((p) => !p.metadata.deletionTimestamp).length).toBeLessThanOrEqual(3);
        const c = condition(front(sim), 'Available');
        if (available.at(-1)?.[1] !== c.status) available.push([(clock.now() - t1) / 1000, c.status]);
      },
    );
    expect(done).toBe(true);
    expect(sawTerminating).toBe(true);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled down replica set ${o} to 0 from 3`],
      [5, `Scaled up replica set ${n} to 3`],
    ]);
    // False from the change until the new pods are Ready (created at +5s, Ready 10s later).
    expect(available).toEqual([
      [0, 'False'],
      [15, 'True'],
    ]);
    expect(condition(front(sim), 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(replicaSets(sim).map((rs) => [rs.metadata.name, rs.spec.replicas])).toEqual([
      [o, 0],
      [n, 3],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('replicas-only change', () => {
  it('3 → 5 keeps the revision, creates no ReplicaSet, one event', async () => {
    const { sim, clock } = newSim();
    const a = await deployAndSettle(sim, clock, { replicas: 3, image: 'nginx:1.20' });
    const gen = front(sim).metadata.generation!;
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 5, image: 'nginx:1.20' }));
    expect(front(sim).metadata.generation).toBe(gen + 1);
    expect(await sim.runUntil(() => rolledOut(sim), t1 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(t1 + 10_000);
    expect(scalingEvents(sim, t1, m1)).toEqual([[0, `Scaled up replica set ${a} to 5`]]);
    const rss = replicaSets(sim);
    expect(rss.map((rs) => rs.metadata.name)).toEqual([a]);
    expect(rss[0]!.metadata.annotations).toMatchObject({
      [REVISION_ANNOTATION]: '1',
      'deployment.kubernetes.io/desired-replicas': '5',
      'deployment.kubernetes.io/max-replicas': '7',
    });
    expect(front(sim).metadata.annotations![REVISION_ANNOTATION]).toBe('1');
    expect(front(sim).status.observedGeneration).toBe(gen + 1);
    expect(livePods(sim).filter(isReady)).toHaveLength(5);
  });
});

// ---------------------------------------------------------------------------------------------
describe('a failing image', () => {
  it('is stuck until ProgressDeadlineExceeded at last progress + 600s (+1s requeue), keeping minimum availability', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const o = await deployAndSettle(sim, clock, { replicas: 10, image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 10, image: 'nginx:broken' }));
    const n = rsName(sim);
    let minReady = Infinity;
    let firstTimedOut: number | undefined;
    let lastProgress: string | undefined;
    let maxPods = 0;
    await sim.runUntil(
      () => condition(front(sim), 'Progressing')?.reason === 'ProgressDeadlineExceeded',
      t1 + HORIZON,
      () => {
        minReady = Math.min(minReady, livePods(sim).filter(isReady).length);
        maxPods = Math.max(maxPods, livePods(sim).length);
        const c = condition(front(sim), 'Progressing');
        if (c.reason === 'ProgressDeadlineExceeded') firstTimedOut ??= clock.now();
        else lastProgress = c.lastUpdateTime;
      },
    );
    // 25%/25% of 10: surge 3, unavailable 2.
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${n} to 3`],
      [0, `Scaled down replica set ${o} to 8 from 10`],
      [0, `Scaled up replica set ${n} to 5 from 3`],
    ]);
    expect(lastProgress).toBe(toRFC3339(t1));
    expect(firstTimedOut).toBe(t1 + 601_000);
    const c = condition(front(sim), 'Progressing');
    expect(c).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${n}" has timed out progressing.`, lastUpdateTime: toRFC3339(t1 + 601_000), lastTransitionTime: toRFC3339(t1 + 601_000) });
    expect(minReady).toBe(8);
    expect(maxPods).toBe(13);
    expect(condition(front(sim), 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });

    // Stuck for good: nothing else happens, and no timer keeps the simulation busy.
    const rv = sim.api.resourceVersion;
    await sim.advanceBy(1_800_000);
    expect(scalingEvents(sim, t1, m1)).toHaveLength(3);
    expect(sim.api.resourceVersion).toBe(rv);
    expect(sim.nextTimerAt()).toBeUndefined();
    const s = front(sim).status;
    expect([s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas, s.unavailableReplicas]).toEqual([13, 5, 8, 8, 5]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('minReadySeconds', () => {
  it('pods count as available only once Ready for longer than minReadySeconds', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    apply(sim, deploymentManifest({ replicas: 3, minReadySeconds: 5, image: 'nginx:1.20' }));
    const samples: [number, number, number][] = [];
    expect(
      await sim.runUntil(
        () => rolledOut(sim),
        T0 + HORIZON,
        () => samples.push([(clock.now() - T0) / 1000, front(sim).status.readyReplicas ?? 0, front(sim).status.availableReplicas ?? 0]),
      ),
    ).toBe(true);
    const firstReady = samples.find(([, r]) => r === 3)![0];
    const firstAvailable = samples.find(([, , a]) => a === 3)![0];
    expect(firstReady).toBe(10);
    expect(samples.filter(([t]) => t <= 15).every(([, , a]) => a === 0)).toBe(true);
    expect(firstAvailable).toBeGreaterThan(15);
    expect(firstAvailable).toBeLessThanOrEqual(16);
  });

  it('slows each rollout step by minReadySeconds', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const a = await deployAndSettle(sim, clock, { replicas: 3, minReadySeconds: 5, image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 3, minReadySeconds: 5, image: 'nginx:1.21' }));
    const b = rsName(sim);
    expect(await sim.runUntil(() => rolledOut(sim), t1 + HORIZON)).toBe(true);
    const evs = scalingEvents(sim, t1, m1);
    expect(evs.map(([, m]) => m)).toEqual([
      `Scaled up replica set ${b} to 1`,
      `Scaled down replica set ${a} to 2 from 3`,
      `Scaled up replica set ${b} to 2 from 1`,
      `Scaled down replica set ${a} to 1 from 2`,
      `Scaled up replica set ${b} to 3 from 2`,
      `Scaled down replica set ${a} to 0 from 1`,
    ]);
    // Without minReadySeconds these steps are 10s apart; now each waits Ready (10s) + more than 5s.
    const steps = [evs[0]![0], evs[1]![0], evs[3]![0], evs[5]![0]];
    expect(steps[0]).toBe(0);
    for (let i = 1; i < steps.length; i++) {
      expect(steps[i]! - steps[i - 1]!).toBeGreaterThan(15);
      expect(steps[i]! - steps[i - 1]!).toBeLessThanOrEqual(16);
    }
    expect(sim.api.get('ReplicaSet', 'default', b)!.spec.minReadySeconds).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------------
describe('paused', () => {
  it('creates no new ReplicaSet until resumed', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const a = await deployAndSettle(sim, clock, { replicas: 3, image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 3, image: 'nginx:1.21', paused: true }));
    await sim.advanceBy(300_000);
    expect(replicaSets(sim).map((rs) => rs.metadata.name)).toEqual([a]);
    expect(scalingEvents(sim, t1, m1)).toEqual([]);
    const d = front(sim);
    expect(d.status.observedGeneration).toBe(d.metadata.generation);
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: toRFC3339(t1) });
    expect(d.metadata.annotations![REVISION_ANNOTATION]).toBe('1');

    const t2 = clock.now();
    const m2 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 3, image: 'nginx:1.21', paused: false }));
    const b = rsName(sim);
    expect(b).not.toBe(a);
    expect(await sim.runUntil(() => rolledOut(sim), t2 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(t2 + 30_000);
    expect(scalingEvents(sim, t2, m2)[0]).toEqual([0, `Scaled up replica set ${b} to 1`]);
    expect(scalingEvents(sim, t2, m2)).toHaveLength(6);
    expect(front(sim).metadata.annotations![REVISION_ANNOTATION]).toBe('2');
  });

  it('a paused Deployment is still scaled proportionally', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const a = await deployAndSettle(sim, clock, { replicas: 3, image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 5, image: 'nginx:1.21', paused: true }));
    await sim.advanceBy(60_000);
    expect(replicaSets(sim).map((rs) => [rs.metadata.name, rs.spec.replicas])).toEqual([[a, 5]]);
    expect(scalingEvents(sim, t1, m1)).toEqual([[0, `Scaled up replica set ${a} to 5 from 3`]]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('revisionHistoryLimit', () => {
  it('limit 1 after three template changes keeps one old ReplicaSet', async () => {
    const { sim, clock } = newSim();
    const names = [await deployAndSettle(sim, clock, { replicas: 2, revisionHistoryLimit: 1, image: 'nginx:v1' })];
    for (const v of ['v2', 'v3', 'v4']) {
      apply(sim, deploymentManifest({ replicas: 2, revisionHistoryLimit: 1, image: `nginx:${v}` }));
      names.push(rsName(sim));
      expect(await sim.runUntil(() => rolledOut(sim), clock.now() + HORIZON)).toBe(true);
      // The oldest surplus revision is deleted once the rollout is complete.
      expect(replicaSets(sim).map((rs) => rs.metadata.name)).toEqual(names.slice(-2));
    }
    const rss = replicaSets(sim);
    expect(rss.map((rs) => [rs.metadata.name, rs.spec.replicas, rs.metadata.annotations![REVISION_ANNOTATION]])).toEqual([
      [names[2], 0, '3'],
      [names[3], 2, '4'],
    ]);
    expect(front(sim).metadata.annotations![REVISION_ANNOTATION]).toBe('4');
    // Their pods went with them.
    expect(sim.api.list('Pod', 'default').every((p) => p.metadata.name.startsWith(`${names[3]}-`))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§2.9 size and template changed together', () => {
  it('10 → 20 replicas with a new image: the old ReplicaSet is resized first, then the rollout runs at the new size', async () => {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const a = await deployAndSettle(sim, clock, { replicas: 10, image: 'nginx:1.20' });
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 20, image: 'nginx:1.21' }));
    const b = rsName(sim);
    let peak = 0;
    let minReady = Infinity;
    expect(
      await sim.runUntil(
        () => rolledOut(sim),
        t1 + HORIZON,
        () => {
          peak = Math.max(peak, livePods(sim).length);
          minReady = Math.min(minReady, livePods(sim).filter(isReady).length);
        },
      ),
    ).toBe(true);
    // 20 replicas at 25%: surge 5, unavailable 5, minAvailable 15, max 25 pods.
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${a} to 20 from 10`], // scaling event: the only active RS takes the new size
      [0, `Scaled up replica set ${b} to 5`], // rollout: min(25 − 20, 20)
      [0, `Scaled down replica set ${a} to 15 from 20`], // cleanup of its 10 not-yet-ready pods, capped at 25 − 15 − 5 = 5
      [0, `Scaled up replica set ${b} to 10 from 5`],
      [10, `Scaled down replica set ${a} to 5 from 15`],
      [10, `Scaled up replica set ${b} to 20 from 10`],
      [20, `Scaled down replica set ${a} to 0 from 5`],
    ]);
    expect(peak).toBe(25);
    expect(minReady).toBe(10); // the 10 pods added to the old RS were not Ready yet
  });
});

// ---------------------------------------------------------------------------------------------
describe('§2.9 proportional scaling mid-rollout (new image broken, 25%/25%)', () => {
  async function stuckRollout() {
    const { sim, clock } = newSim({ eventWording: 'v1.28' });
    const o = await deployAndSettle(sim, clock, { replicas: 10, image: 'nginx:1.20' });
    apply(sim, deploymentManifest({ replicas: 10, image: 'nginx:broken' }));
    const n = rsName(sim);
    await sim.advanceBy(30_000);
    expect(replicaSets(sim).map((rs) => [rs.metadata.name, rs.spec.replicas])).toEqual([
      [o, 8],
      [n, 5],
    ]);
    return { sim, clock, o, n };
  }

  it('10 → 20: allowed 25, toAdd 12; old round(8·25/13)=15, new round(5·25/13)=10', async () => {
    const { sim, clock, o, n } = await stuckRollout();
    const t2 = clock.now();
    const m2 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 20, image: 'nginx:broken' }));
    await sim.advanceBy(60_000);
    expect(scalingEvents(sim, t2, m2)).toEqual([
      [0, `Scaled up replica set ${o} to 15 from 8`],
      [0, `Scaled up replica set ${n} to 10 from 5`],
    ]);
    const rss = replicaSets(sim);
    expect(rss.map((rs) => [rs.spec.replicas, rs.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], rs.metadata.annotations!['deployment.kubernetes.io/max-replicas']])).toEqual([
      [15, '20', '25'],
      [10, '20', '25'],
    ]);
    expect(livePods(sim)).toHaveLength(25);
    expect(livePods(sim).filter(isReady)).toHaveLength(15);
  });

  it('10 → 5: allowed 7, toAdd −6; old round(8·7/13)=4, new round(5·7/13)=3', async () => {
    const { sim, clock, o, n } = await stuckRollout();
    const t2 = clock.now();
    const m2 = eventMark(sim);
    apply(sim, deploymentManifest({ replicas: 5, image: 'nginx:broken' }));
    await sim.advanceBy(60_000);
    expect(scalingEvents(sim, t2, m2)).toEqual([
      [0, `Scaled down replica set ${o} to 4 from 8`],
      [0, `Scaled down replica set ${n} to 3 from 5`],
    ]);
    expect(replicaSets(sim).map((rs) => rs.spec.replicas)).toEqual([4, 3]);
    // 5 replicas at 25%: maxUnavailable 1 → 4 available is enough.
    expect(condition(front(sim), 'Available')).toMatchObject({ status: 'True' });
  });

  it('a fixed image resumes the rollout from the scaled sizes', async () => {
    const { sim, clock, o } = await stuckRollout();
    apply(sim, deploymentManifest({ replicas: 20, image: 'nginx:broken' }));
    await sim.advanceBy(20_000);
    const t3 = clock.now();
    apply(sim, deploymentManifest({ replicas: 20, image: 'nginx:1.22' }));
    const fixed = rsName(sim);
    let minReady = Infinity;
    let peak = 0;
    expect(
      await sim.runUntil(
        () => rolledOut(sim),
        t3 + HORIZON,
        () => {
          minReady = Math.min(minReady, livePods(sim).filter(isReady).length);
          peak = Math.max(peak, livePods(sim).length);
        },
      ),
    ).toBe(true);
    // 20 replicas at 25%: surge 5, unavailable 5.
    expect(minReady).toBeGreaterThanOrEqual(15);
    expect(peak).toBeLessThanOrEqual(25);
    expect(replicaSets(sim).map((rs) => [rs.metadata.name === fixed, rs.spec.replicas])).toEqual([
      [false, 0],
      [false, 0],
      [true, 20],
    ]);
    expect(replicaSets(sim)[0]!.metadata.name).toBe(o);
  });
});
