/**
 * Readiness from the pod spec: readiness and startup probes, successThreshold, --fail-probes,
 * minReadySeconds and terminating pods, through the whole simulator on a virtual clock. Every
 * number is worked out by hand from the kubelet's prober (pkg/kubelet/prober): a probe worker's
 * ticker starts when the pod is bound and ticks every periodSeconds; ticks before
 * initialDelaySeconds of container run time are skipped; the kubelet also probes readiness at once
 * when the container starts or its startup probe succeeds.
 */
import { describe, expect, it } from 'vitest';
import { type KubeObject, VirtualClock, toRFC3339 } from '../../src/core/index.js';
import { containerTimeline } from '../../src/cluster/sim/controllers/kubelet.js';
import { computeHash } from '../../src/cluster/sim/controllers/deployment/util.js';
import { type SimKnobs, Simulation } from '../../src/cluster/sim/sim.js';
import { podSummary } from '../../src/cli/format/get.js';
import { endpointConditions } from '../../src/cluster/serving.js';
import { T0, apply, condition, deploymentManifest, type DeploymentOpts, isReady, rolledOut, scalingEvents, eventMark } from './helpers.js';

const HORIZON = 3_600_000;

/** SVC selects the test Deployment's pods (for the endpoint conditions its pods would get). */
const SVC: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'front', namespace: 'default' }, spec: { selector: { app: 'front' }, ports: [{ port: 80 }] } };

function newSim(knobs: Partial<SimKnobs> = {}): { sim: Simulation; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  const sim = new Simulation(clock, { podReadyAfterMs: 10_000, podTerminateAfterMs: 0, eventWording: 'v1.28', ...knobs });
  return { sim, clock };
}

/** probed is a Deployment manifest whose container carries the given probe fields. */
function probed(o: DeploymentOpts, container: Record<string, unknown>): KubeObject {
  const m = deploymentManifest(o);
  Object.assign(m.spec.template.spec.containers[0], container);
  return m;
}

function front(sim: Simulation): KubeObject {
  return sim.api.get('Deployment', 'default', 'front')!;
}

function pods(sim: Simulation): KubeObject[] {
  return sim.api.list('Pod', 'default').filter((p) => p.metadata.labels?.app === 'front');
}

function onlyPod(sim: Simulation): KubeObject {
  const all = pods(sim);
  expect(all).toHaveLength(1);
  return all[0]!;
}

function podCondition(p: KubeObject, type: string): any {
  return p.status?.conditions?.find((c: any) => c.type === type);
}

/** readyAt runs a one-replica Deployment with the given container fields and returns when its pod became Ready (seconds after creation). */
async function readyAfter(knobs: Partial<SimKnobs>, container: Record<string, unknown>): Promise<number> {
  const { sim, clock } = newSim(knobs);
  apply(sim, probed({ replicas: 1 }, container));
  expect(await sim.runUntil(() => pods(sim).some(isReady), T0 + HORIZON)).toBe(true);
  expect(podCondition(onlyPod(sim), 'Ready').lastTransitionTime).toBe(toRFC3339(clock.now()));
  return (clock.now() - T0) / 1000;
}

describe('when a readiness probe first succeeds', () => {
  it('no probe: Ready when the containers start, as before', async () => {
    expect(await readyAfter({}, {})).toBe(10);
  });

  it('initialDelaySeconds 0: the kubelet probes at once when the container starts', async () => {
    // Bound at 0, started at 15; the start makes the kubelet trigger a readiness probe at 15.
    expect(await readyAfter({ podReadyAfterMs: 15_000 }, { readinessProbe: { httpGet: { path: '/', port: 80 } } })).toBe(15);
  });

  it('initialDelaySeconds 30: the first period tick with 30 s of run time, counted from the bind', async () => {
    // podReadyAfter 10: started at 10, ticks 0, 10, 20, 30, 40 → 40 is the first with 30 s run: Ready at 40 = start + 30.
    expect(await readyAfter({}, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 30 } })).toBe(40);
    // podReadyAfter 15: started at 15, start + 30 = 45 falls between ticks 40 and 50: Ready at 50, not 45.
    expect(await readyAfter({ podReadyAfterMs: 15_000 }, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 30 } })).toBe(50);
    // periodSeconds 4 with podReadyAfter 15: ticks 0, 4, …, 44, 48 → 48 (the first ≥ 45).
    expect(await readyAfter({ podReadyAfterMs: 15_000 }, { readinessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 30, periodSeconds: 4 } })).toBe(48);
  });

  it('successThreshold > 1: Ready at the n-th consecutive success', async () => {
    // Started at 10: probes at 10 (at once), ticks 15, 20 → the third success at 20.
    expect(await readyAfter({}, { readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5, successThreshold: 3 } })).toBe(20);
    // Started at 12: probes at 12 (at once), then ticks 15, 20 → 20 again (the manual probe is off the grid).
    expect(await readyAfter({ podReadyAfterMs: 12_000 }, { readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5, successThreshold: 3 } })).toBe(20);
    // Started at 10 = a tick: the at-once probe and the tick are one probe. Probes 10, 20 → 20 with successThreshold 2.
    expect(await readyAfter({}, { readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } })).toBe(20);
    // With an initial delay: started at 10, delay 30 → first probe at tick 40, then 45, 50, 55 → the fourth at 55.
    expect(await readyAfter({}, { readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 30, periodSeconds: 5, successThreshold: 4 } })).toBe(55);
  });

  it('startupProbe: readiness waits for it; started turns true at its success', async () => {
    // Started at 15; startup ticks 0, 10, 20 → it succeeds at 20; that sync probes readiness at once: Ready at 20.
    expect(await readyAfter({ podReadyAfterMs: 15_000 }, { startupProbe: { httpGet: { path: '/', port: 80 } }, readinessProbe: { httpGet: { path: '/', port: 80 } } })).toBe(20);
    // No readiness probe: ready as soon as started.
    expect(await readyAfter({ podReadyAfterMs: 15_000 }, { startupProbe: { httpGet: { path: '/', port: 80 } } })).toBe(20);
    // Startup delay 25 s, period 10: started at 10, first startup tick with 25 s run is 40. Readiness
    // (delay 5, period 3) was held back until then; its delay is long over, so the at-once probe at 40 passes.
    expect(await readyAfter({}, { startupProbe: { exec: { command: ['true'] }, initialDelaySeconds: 25 }, readinessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 5, periodSeconds: 3 } })).toBe(40);
    // The readiness delay counts from the container's start, not from the startup probe's success:
    // started at 10, startup succeeds at tick 10, readiness delay 30 → tick 40.
    expect(await readyAfter({}, { startupProbe: { exec: { command: ['true'] } }, readinessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 30 } })).toBe(40);
  });

  it('the pod between start and Ready: Running, 0/1, started, not ready, ContainersNotReady as the kubelet writes it', async () => {
    const { sim, clock } = newSim();
    apply(sim, probed({ replicas: 1 }, { startupProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 15 }, readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 30 } }));
    await sim.advanceBy(12_000);
    // Started at 10; the startup probe's first tick with 15 s run is 30.
    let p = onlyPod(sim);
    expect(p.status.phase).toBe('Running');
    expect(p.status.containerStatuses).toEqual([expect.objectContaining({ name: 'app', ready: false, started: false, state: { running: { startedAt: toRFC3339(T0 + 10_000) } } })]);
    const notReady = { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: toRFC3339(T0) };
    expect(podCondition(p, 'Ready')).toMatchObject(notReady);
    expect(podCondition(p, 'ContainersReady')).toMatchObject(notReady);
    expect(podCondition(p, 'PodReadyToStartContainers')).toMatchObject({ status: 'True', lastTransitionTime: toRFC3339(T0 + 10_000) });
    expect(podSummary(p, clock.now())).toMatchObject({ ready: '0/1', status: 'Running' });

    await sim.advanceBy(20_000); // 32: started (30), readiness delay 30 from 10 → tick 40 still ahead.
    p = onlyPod(sim);
    expect(p.status.containerStatuses[0]).toMatchObject({ ready: false, started: true });
    expect(podSummary(p, clock.now()).ready).toBe('0/1');
    expect(front(sim).status.readyReplicas ?? 0).toBe(0);

    await sim.advanceBy(8_000); // 40
    p = onlyPod(sim);
    expect(p.status.containerStatuses[0]).toMatchObject({ ready: true, started: true, state: { running: { startedAt: toRFC3339(T0 + 10_000) } } });
    const ready = podCondition(p, 'Ready');
    expect(ready).toMatchObject({ status: 'True', lastTransitionTime: toRFC3339(T0 + 40_000) });
    expect(ready.reason).toBeUndefined();
    expect(ready.message).toBeUndefined();
    expect(podSummary(p, clock.now())).toMatchObject({ ready: '1/1', status: 'Running' });
    expect(rolledOut(sim)).toBe(true);
    // Nothing more to probe: the pod is not written again.
    const rv = p.metadata.resourceVersion;
    await sim.advanceBy(3_600_000);
    expect(onlyPod(sim).metadata.resourceVersion).toBe(rv);
  });

  it('several containers: the pod is Ready when the last one is; the message lists the unready ones', async () => {
    const { sim } = newSim();
    const m = probed({ replicas: 1 }, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 20 } });
    m.spec.template.spec.containers.push({ name: 'side', image: 'envoy:1', readinessProbe: { tcpSocket: { port: 9901 }, initialDelaySeconds: 40 } });
    m.spec.template.spec.containers.push({ name: 'log', image: 'fluent:1' });
    apply(sim, m);
    await sim.advanceBy(30_000); // app ready at 30 (tick 30), side at 50, log at 10
    let p = onlyPod(sim);
    expect(p.status.containerStatuses.map((c: any) => [c.name, c.ready])).toEqual([['app', true], ['side', false], ['log', true]]);
    expect(podCondition(p, 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [side]' });
    expect(podSummary(p, T0 + 30_000).ready).toBe('2/3');
    await sim.advanceBy(20_000);
    p = onlyPod(sim);
    expect(podCondition(p, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: toRFC3339(T0 + 50_000) });
  });

  it('the pure timeline: the same numbers without a cluster', () => {
    const c = { readinessProbe: { initialDelaySeconds: 30 } };
    expect(containerTimeline(c, 0, 15_000, false)).toEqual({ startedAt: 15_000, readyAt: 50_000 });
    expect(containerTimeline(c, 0, 15_000, true)).toEqual({ startedAt: 15_000, failedProbeAt: 50_000 });
    expect(containerTimeline({}, 0, 15_000, true)).toEqual({ startedAt: 15_000 });
    // periodSeconds 0 and successThreshold 0 are the API server's defaults (10, 1), as SetDefaults_Probe has it.
    expect(containerTimeline({ readinessProbe: { initialDelaySeconds: 30, periodSeconds: 0, successThreshold: 0 } }, 0, 15_000, false)).toEqual({ startedAt: 15_000, readyAt: 50_000 });
  });
});

describe('a 3-replica rolling update with a 30 s readiness delay', () => {
  it('takes 3 × 40 s: each new pod is Ready 40 s after it is created', async () => {
    // Default strategy for 3 replicas: surge ceil(0.75) = 1, unavailable floor(0.75) = 0 → one new pod at a time.
    // A pod created at c starts at c + 10 (podReadyAfter), ticks at c, c + 10, …; the first with 30 s run is c + 40.
    // The first rollout: all 3 pods created at 0, Ready at 40.
    // The update at t1: N→1 at 0; its pod Ready at 40 → O→2, N→2; that pod Ready at 80 → O→1, N→3; Ready at 120 → O→0.
    const { sim, clock } = newSim();
    const probe = { readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 30 } };
    apply(sim, probed({ replicas: 3, image: 'nginx:1.20' }, probe));
    expect(await sim.runUntil(() => rolledOut(sim), T0 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(T0 + 40_000);
    const a = `front-${computeHash(front(sim).spec.template)}`;

    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, probed({ replicas: 3, image: 'nginx:1.21' }, probe));
    const b = `front-${computeHash(front(sim).spec.template)}`;
    let minAvailable = Infinity;
    let maxPods = 0;
    expect(
      await sim.runUntil(
        () => rolledOut(sim),
        t1 + HORIZON,
        () => {
          minAvailable = Math.min(minAvailable, front(sim).status.availableReplicas ?? 0);
          maxPods = Math.max(maxPods, pods(sim).length);
        },
      ),
    ).toBe(true);
    expect(clock.now()).toBe(t1 + 120_000);
    expect(scalingEvents(sim, t1, m1)).toEqual([
      [0, `Scaled up replica set ${b} to 1`],
      [40, `Scaled down replica set ${a} to 2 from 3`],
      [40, `Scaled up replica set ${b} to 2 from 1`],
      [80, `Scaled down replica set ${a} to 1 from 2`],
      [80, `Scaled up replica set ${b} to 3 from 2`],
      [120, `Scaled down replica set ${a} to 0 from 1`],
    ]);
    expect(minAvailable).toBe(3);
    expect(maxPods).toBe(4);
    // Each new pod: Running 10 s after creation, Ready 30 s after that.
    const readyTimes = pods(sim)
      .map((p) => (Date.parse(podCondition(p, 'Ready').lastTransitionTime) - t1) / 1000)
      .sort((x, y) => x - y);
    expect(readyTimes).toEqual([40, 80, 120]);
  });

  it('minReadySeconds counts from the Ready transition the probe made', async () => {
    // Ready at 40; available once Ready for more than 5 s: the ReplicaSet looks again at 40 + 5 + 1 = 46.
    const { sim, clock } = newSim();
    apply(sim, probed({ replicas: 1, minReadySeconds: 5 }, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 30 } }));
    await sim.advanceBy(45_000);
    const rs = () => sim.api.list('ReplicaSet', 'default')[0]!;
    expect(rs().status).toMatchObject({ readyReplicas: 1 });
    expect(rs().status.availableReplicas).toBeUndefined();
    expect(await sim.runUntil(() => rolledOut(sim), T0 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(T0 + 46_000);
    expect(rs().status).toMatchObject({ readyReplicas: 1, availableReplicas: 1 });
  });
});

describe('--fail-probes', () => {
  it('the container runs but never becomes ready: the rollout is stuck until ProgressDeadlineExceeded, the old pods serving', async () => {
    const { sim, clock } = newSim({ failProbes: ['*:unready'] });
    const probe = { readinessProbe: { httpGet: { path: '/healthz', port: 8080 } } };
    apply(sim, probed({ replicas: 3, image: 'nginx:1.20' }, probe));
    expect(await sim.runUntil(() => rolledOut(sim), T0 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(T0 + 10_000);
    const t1 = clock.now();
    const m1 = eventMark(sim);
    apply(sim, probed({ replicas: 3, image: 'nginx:unready' }, probe));
    const b = `front-${computeHash(front(sim).spec.template)}`;
    let firstTimedOut: number | undefined;
    let minReady = Infinity;
    await sim.runUntil(
      () => condition(front(sim), 'Progressing')?.reason === 'ProgressDeadlineExceeded',
      t1 + HORIZON,
      () => {
        minReady = Math.min(minReady, pods(sim).filter(isReady).length);
        if (condition(front(sim), 'Progressing')?.reason === 'ProgressDeadlineExceeded') firstTimedOut ??= clock.now();
      },
    );
    // Surge 1, unavailable 0: one new pod, then nothing until the 600 s deadline (+1 s resync), as with --fail-images.
    expect(scalingEvents(sim, t1, m1)).toEqual([[0, `Scaled up replica set ${b} to 1`]]);
    expect(firstTimedOut).toBe(t1 + 601_000);
    expect(condition(front(sim), 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${b}" has timed out progressing.` });
    expect(minReady).toBe(3);

    // Unlike --fail-images the container is running: Running, 0/1, Ready False with the kubelet's reason.
    const p = pods(sim).find((x) => x.metadata.name.startsWith(`${b}-`))!;
    expect(p.status.phase).toBe('Running');
    expect(p.status.containerStatuses[0]).toMatchObject({ ready: false, started: true, state: { running: { startedAt: toRFC3339(t1 + 10_000) } } });
    expect(podCondition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    expect(podSummary(p, clock.now())).toMatchObject({ ready: '0/1', status: 'Running' });
    expect(endpointConditions(SVC, p)).toEqual({ ready: false, serving: false, terminating: false });
    // The kubelet's Unhealthy event at the first failed probe (at once, at the start).
    const evs = sim.listEvents({ kind: 'Pod', namespace: 'default', name: p.metadata.name }).filter((e) => e.reason === 'Unhealthy');
    expect(evs).toEqual([expect.objectContaining({ type: 'Warning', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', source: { component: 'kubelet' }, firstTimestamp: toRFC3339(t1 + 10_000) })]);

    // Stuck for good, and no timer keeps the simulation busy.
    const rv = sim.api.resourceVersion;
    await sim.advanceBy(1_800_000);
    expect(sim.api.resourceVersion).toBe(rv);
  });

  it('a container without a readiness probe whose image matches never becomes ready either (no probe, no event); others are unaffected', async () => {
    const { sim, clock } = newSim({ failProbes: ['envoy:*'] });
    const m = probed({ replicas: 1 }, {});
    m.spec.template.spec.containers.push({ name: 'side', image: 'envoy:1', ports: [{ name: 'admin', containerPort: 9901 }] });
    apply(sim, m);
    await sim.advanceBy(60_000);
    const p = onlyPod(sim);
    expect(p.status.containerStatuses.map((c: any) => [c.name, c.ready, c.started])).toEqual([['app', true, true], ['side', false, true]]);
    expect(podCondition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
    expect(podSummary(p, clock.now()).ready).toBe('1/2');
    expect(sim.listEvents({ kind: 'Pod', namespace: 'default', name: p.metadata.name }).filter((e) => e.reason === 'Unhealthy')).toEqual([]);
  });

  it('a tcpSocket probe fails the way the kubelet words it, a named port resolved', async () => {
    const { sim } = newSim({ failProbes: ['*:unready'] });
    apply(sim, probed({ replicas: 1, image: 'db:unready' }, { ports: [{ name: 'sql', containerPort: 5432 }], readinessProbe: { tcpSocket: { port: 'sql' }, initialDelaySeconds: 5 } }));
    await sim.advanceBy(30_000);
    const p = onlyPod(sim);
    // Started at 10, delay 5 → first tick at or after 15 is 20.
    const evs = sim.listEvents({ kind: 'Pod', namespace: 'default', name: p.metadata.name }).filter((e) => e.reason === 'Unhealthy');
    expect(evs.map((e) => [e.firstTimestamp, e.message])).toEqual([[toRFC3339(T0 + 20_000), `Readiness probe failed: dial tcp ${p.status.podIP}:5432: connect: connection refused`]]);
  });
});

describe('terminating pods', () => {
  it('keep their status while terminating: Running and Ready, as the kubelet keeps probing readiness', async () => {
    const { sim, clock } = newSim({ podTerminateAfterMs: 30_000 });
    apply(sim, probed({ replicas: 1 }, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 20 } }));
    await sim.advanceBy(40_000); // Ready at 30
    const name = onlyPod(sim).metadata.name;
    sim.api.delete('Pod', 'default', name, 30_000);
    await sim.advanceBy(10_000);
    const p = sim.api.get('Pod', 'default', name)!;
    expect(p.metadata.deletionTimestamp).toBe(toRFC3339(T0 + 70_000));
    expect(p.status.phase).toBe('Running');
    expect(podCondition(p, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: toRFC3339(T0 + 30_000) });
    expect(p.status.containerStatuses[0]).toMatchObject({ ready: true, started: true });
    expect(podSummary(p, clock.now())).toMatchObject({ ready: '1/1', status: 'Terminating' });
    // So an EndpointSlice keeps it as serving while it drains: ready false, serving true, terminating true.
    expect(endpointConditions(SVC, p)).toEqual({ ready: false, serving: true, terminating: true });
    await sim.advanceBy(20_000);
    expect(sim.api.get('Pod', 'default', name)).toBeUndefined();
  });

  it('a pod deleted before its first successful probe still becomes Ready during its grace period', async () => {
    // Started at 10, delay 20 → Ready at tick 30; deleted at 15 with 30 s grace (gone at 45).
    const { sim } = newSim({ podTerminateAfterMs: 30_000 });
    apply(sim, probed({ replicas: 1 }, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 20 } }));
    await sim.advanceBy(15_000);
    const name = onlyPod(sim).metadata.name;
    sim.api.delete('Pod', 'default', name, 30_000);
    await sim.advanceBy(10_000); // 25
    expect(podCondition(sim.api.get('Pod', 'default', name)!, 'Ready').status).toBe('False');
    await sim.advanceBy(5_000); // 30
    expect(podCondition(sim.api.get('Pod', 'default', name)!, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: toRFC3339(T0 + 30_000) });
  });
});

describe('saved and loaded mid-probe', () => {
  it('a probe timer survives a restart of the simulation (the next command continues the timeline)', async () => {
    const knobs: Partial<SimKnobs> = { podReadyAfterMs: 15_000 };
    const { sim, clock } = newSim(knobs);
    apply(sim, probed({ replicas: 1 }, { readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 30 } }));
    await sim.advanceBy(20_000); // started at 15; Ready due at 50
    const saved = sim.drainChanges();
    const again = new Simulation(clock, knobs, { objects: saved.upserts, events: [], meta: saved.meta });
    expect(await again.runUntil(() => again.api.list('Pod', 'default').some(isReady), T0 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(T0 + 50_000);
  });
});

describe('probe validation, as the API server does it', () => {
  const P = 'Deployment/default/front: The Deployment "front" is invalid: ';
  const C = 'spec.template.spec.containers[0]';
  const create = (container: Record<string, unknown>) => {
    const { sim } = newSim();
    try {
      sim.api.create(probed({ replicas: 1 }, container));
      return undefined;
    } catch (err) {
      expect(sim.api.get('Deployment', 'default', 'front')).toBeUndefined();
      return err as any;
    }
  };

  it('accepts every handler kind and the defaults', () => {
    for (const h of [{ httpGet: { port: 80 } }, { tcpSocket: { port: 80 } }, { exec: { command: ['true'] } }, { grpc: { port: 9090 } }]) {
      expect(create({ readinessProbe: h, startupProbe: h, livenessProbe: h })).toBeUndefined();
    }
  });

  it('rejects what the API server rejects, with its messages; nothing is stored', () => {
    const err = create({ readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: -1 } });
    expect(err.code).toBe('Invalid');
    expect(err.message).toBe(`${P}${C}.readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0`);
    expect(create({ readinessProbe: { periodSeconds: 5 } }).message).toBe(`${P}${C}.readinessProbe: Required value: must specify a handler type`);
    expect(create({ readinessProbe: { httpGet: { port: 80 }, tcpSocket: { port: 80 } } }).message).toBe(`${P}${C}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`);
    expect(create({ startupProbe: { httpGet: { port: 80 }, successThreshold: 2 } }).message).toBe(`${P}${C}.startupProbe.successThreshold: Invalid value: 2: must be 1`);
    expect(create({ livenessProbe: { httpGet: { port: 80 }, successThreshold: 3 } }).message).toBe(`${P}${C}.livenessProbe.successThreshold: Invalid value: 3: must be 1`);
    // successThreshold > 1 is fine for readiness.
    expect(create({ readinessProbe: { httpGet: { port: 80 }, successThreshold: 3 } })).toBeUndefined();
  });
});
