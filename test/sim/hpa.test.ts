/**
 * The HorizontalPodAutoscaler: its arithmetic as worked examples (upstream horizontal.go and
 * replica_calculator.go), then whole timelines on the simulator worked out by hand before they ran.
 * Offsets are seconds from T0; the controller syncs every 15 s while something can still change.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { applyDefaults } from '../../src/manifests/index.js';
import type { Simulation } from '../../src/cluster/sim/sim.js';
import {
  behaviorOf,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  cpuMillis,
  milliQuantity,
  replicasForRatio,
  scaleDownLimitWithRules,
  scaleUpLimit,
  scaleUpLimitWithRules,
  stabilize,
  stabilizeWithBehaviors,
} from '../../src/cluster/sim/controllers/hpa/replicas.js';
import { T0, apply } from './helpers.js';
import { newSim } from './workloads.js';

const S = 1000;

function deployment(replicas: number, cpu: string | null = '100m'): KubeObject {
  const resources = cpu ? { requests: { cpu } } : {};
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'front', namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: 'front' } }, template: { metadata: { labels: { app: 'front' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.20', resources }] } } },
  };
}

function hpa(o: { min?: number; max: number; target?: number; behavior?: any }): KubeObject {
  const spec: any = {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'front' },
    maxReplicas: o.max,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: o.target ?? 50 } } }],
  };
  if (o.min !== undefined) spec.minReplicas = o.min;
  if (o.behavior) spec.behavior = o.behavior;
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'front', namespace: 'default' }, spec };
}

const live = (sim: Simulation) => sim.api.get('HorizontalPodAutoscaler', 'default', 'front')!;
const cond = (sim: Simulation, type: string) => {
  const c = live(sim).status?.conditions?.find((x: any) => x.type === type);
  return c ? [c.status, c.reason, c.message] : undefined;
};
/** expectQuiet: once the Deployment's own progress-deadline timer (600 s) has passed, nothing is scheduled: an HPA at rest sets no timer, so virtual-clock waits end. */
async function expectQuiet(sim: Simulation): Promise<void> {
  const before = rescales(sim).length;
  await sim.advanceBy(700 * S);
  expect(sim.nextTimerAt()).toBeUndefined();
  expect(rescales(sim)).toHaveLength(before);
}

const rescales = (sim: Simulation): [number, string][] =>
  sim
    .listEvents({ kind: 'HorizontalPodAutoscaler', namespace: 'default', name: 'front' })
    .filter((e) => e.reason === 'SuccessfulRescale')
    .map((e) => [(Date.parse(e.lastTimestamp!) - T0) / S, e.message]);

describe('HPA arithmetic (worked examples)', () => {
  it('desired = ceil(current × utilisation / target), unless the ratio is within the 0.1 tolerance', () => {
    expect(replicasForRatio(3, 90 / 50)).toBe(6); // 5.4 → 6
    expect(replicasForRatio(3, 54 / 50)).toBe(3); // 1.08: within tolerance
    expect(replicasForRatio(3, 56 / 50)).toBe(4); // 1.12 → ceil(3.36)
    expect(replicasForRatio(4, 20 / 50)).toBe(2); // 1.6 → 2
    expect(replicasForRatio(10, 46 / 50)).toBe(10); // 0.92: within tolerance
    expect(replicasForRatio(10, 44 / 50)).toBe(9); // 0.88 → ceil(8.8)
  });

  it('without behavior: clamps to min/max and to one doubling (at least 4) per step', () => {
    expect(scaleUpLimit(1)).toBe(4);
    expect(scaleUpLimit(3)).toBe(6);
    expect(convertDesiredReplicasWithRules(2, 10, 1, 10)).toMatchObject({ replicas: 4, reason: 'ScaleUpLimit' });
    expect(convertDesiredReplicasWithRules(6, 10, 1, 8)).toMatchObject({ replicas: 8, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    expect(convertDesiredReplicasWithRules(4, 1, 2, 8)).toMatchObject({ replicas: 2, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
    expect(convertDesiredReplicasWithRules(4, 5, 2, 8)).toMatchObject({ replicas: 5, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  });

  it('scale-down stabilisation: the highest recommendation of the last 300 s wins; scale-up is immediate', () => {
    const now = T0 + 1000 * S;
    const recs = [
      { replicas: 4, at: now - 200 * S },
      { replicas: 3, at: now - 100 * S },
    ];
    expect(stabilize(recs, 2, now).replicas).toBe(4);
    expect(stabilize(recs, 6, now).replicas).toBe(6);
    // 101 s later the 4 is older than the window: it no longer counts, and its slot takes the new sample.
    const later = stabilize(recs, 2, now + 101 * S);
    expect(later.replicas).toBe(3);
    expect(later.recs).toEqual([
      { replicas: 2, at: now + 101 * S },
      { replicas: 3, at: now - 100 * S },
    ]);
  });

  it('behavior defaults and rate policies', () => {
    const b = behaviorOf({ behavior: {} })!;
    expect(b.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(b.scaleDown).toEqual({ stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(behaviorOf({})).toBeUndefined();
    const now = T0;
    // 4 pods now after +2 in the last 15 s: the period started at 2 → max(2 + 4, ceil(2 × 2)) = 6.
    expect(scaleUpLimitWithRules(4, [{ change: 2, at: now - 10 * S }], [], b.scaleUp, now)).toBe(6);
    // The same event 16 s ago is outside the period: max(4 + 4, 8) = 8.
    expect(scaleUpLimitWithRules(4, [{ change: 2, at: now - 16 * S }], [], b.scaleUp, now)).toBe(8);
    const tenPercent = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 10, periodSeconds: 60 }] };
    expect(scaleDownLimitWithRules(10, [], [], tenPercent, now)).toBe(9); // trunc(10 × 0.9)
    expect(scaleDownLimitWithRules(9, [], [{ change: 1, at: now - 30 * S }], tenPercent, now)).toBe(9); // period started at 10
    // current 2, desired 20, max 10: limit max(2 + 4, 2 × 2) = 6.
    expect(convertDesiredReplicasWithBehaviorRate(2, 20, 1, 10, b, [], [], now)).toMatchObject({ replicas: 6, reason: 'ScaleUpLimit' });
    expect(convertDesiredReplicasWithBehaviorRate(8, 20, 1, 10, b, [], [], now)).toMatchObject({ replicas: 10, reason: 'TooManyReplicas' });
    expect(convertDesiredReplicasWithBehaviorRate(8, 1, 3, 10, b, [], [], now)).toMatchObject({ replicas: 3, reason: 'TooFewReplicas' });
    // current 5, recent recommendations 6 and 4, now 3: the down window's highest (6) caps nothing below 5 → stays 5.
    const st = stabilizeWithBehaviors([{ replicas: 6, at: now - 100 * S }, { replicas: 4, at: now - 50 * S }], 5, 3, b, now);
    expect(st).toMatchObject({ replicas: 5, reason: 'ScaleDownStabilized' });
  });

  it('reads CPU quantities and prints milli-quantities as Kubernetes does', () => {
    expect([cpuMillis('250m'), cpuMillis('0.5'), cpuMillis('2'), cpuMillis(1), cpuMillis('x')]).toEqual([250, 500, 2000, 1000, undefined]);
    expect([milliQuantity(50), milliQuantity(1000), milliQuantity(1500)]).toEqual(['50m', '1', '1500m']);
  });
});

describe('HPA controller on the simulator', () => {
  it('knob unset: reads its own target, stays still, and leaves no timer behind', async () => {
    const { sim } = newSim();
    apply(sim, deployment(2));
    apply(sim, hpa({ min: 1, max: 10 }));
    await sim.advanceBy(60 * S);
    expect(sim.api.get('Deployment', 'default', 'front')!.spec.replicas).toBe(2);
    const st = live(sim).status;
    expect(st).toMatchObject({ currentReplicas: 2, desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '50m' } } }] });
    expect(st.lastScaleTime).toBeUndefined();
    expect(cond(sim, 'AbleToScale')).toEqual(['True', 'ReadyForNewScale', 'recommended size matches current size']);
    expect(cond(sim, 'ScalingActive')).toEqual(['True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)']);
    expect(cond(sim, 'ScalingLimited')).toEqual(['False', 'DesiredWithinRange', 'the desired count is within the acceptable range']);
    expect(rescales(sim)).toEqual([]);
    await expectQuiet(sim);
  });

  it('cpu 100% of a 50% target: doubles every 15 s up to maxReplicas, then rests', async () => {
    const { sim } = newSim({ cpuUtilization: 100 });
    apply(sim, deployment(2));
    apply(sim, hpa({ min: 1, max: 10 }));
    // 0 s: ceil(2 × 2) = 4; 15 s: 8; 30 s: 16, capped at max 10; 45 s: 20 → 10 = current, nothing to do.
    await sim.advanceBy(120 * S);
    expect(rescales(sim)).toEqual([
      [0, 'New size: 4; reason: cpu resource utilization (percentage of request) above target'],
      [15, 'New size: 8; reason: cpu resource utilization (percentage of request) above target'],
      [30, 'New size: 10; reason: cpu resource utilization (percentage of request) above target'],
    ]);
    expect(sim.api.get('Deployment', 'default', 'front')!.spec.replicas).toBe(10);
    expect(live(sim).status).toMatchObject({ currentReplicas: 10, desiredReplicas: 10, lastScaleTime: '2021-10-10T00:03:04Z' });
    expect(cond(sim, 'ScalingLimited')).toEqual(['True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count']);
    await expectQuiet(sim);
  });

  it('cpu 25% of a 50% target: scale-down waits out the 300 s window each step, down to minReplicas', async () => {
    const { sim } = newSim({ cpuUtilization: 25 });
    apply(sim, deployment(8));
    apply(sim, hpa({ min: 2, max: 10 }));
    // The first recommendation is the current 8 (recorded at 0 s): it holds until it is older than
    // the window (315 s, the first sync after 300 s). Then 4's recommendations (made from 0 s to
    // 315 s) hold 4 until the last of them, 315 s, has left the window: 630 s.
    await sim.advanceBy(20 * S);
    expect(cond(sim, 'AbleToScale')).toEqual(['True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation']);
    await sim.advanceBy(1000 * S);
    expect(rescales(sim)).toEqual([
      [315, 'New size: 4; reason: All metrics below target'],
      [630, 'New size: 2; reason: All metrics below target'],
    ]);
    expect(sim.api.get('Deployment', 'default', 'front')!.spec.replicas).toBe(2);
    await expectQuiet(sim);
  });

  it('behavior: a 60 s scale-down window and 1 pod per 30 s', async () => {
    const { sim } = newSim({ cpuUtilization: 25 });
    apply(sim, deployment(8));
    apply(sim, hpa({ min: 2, max: 10, behavior: { scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } } }));
    // 60 s: the 8 recorded at 0 s leaves the window, recommendations say 4, the policy allows 8 − 1.
    // From then on one pod per 30 s; at 195 s the 3s recommended at 135 and 150 s still hold 3.
    await sim.advanceBy(600 * S);
    expect(rescales(sim)).toEqual([
      [60, 'New size: 7; reason: All metrics below target'],
      [90, 'New size: 6; reason: All metrics below target'],
      [120, 'New size: 5; reason: All metrics below target'],
      [150, 'New size: 4; reason: All metrics below target'],
      [180, 'New size: 3; reason: All metrics below target'],
      [210, 'New size: 2; reason: All metrics below target'],
    ]);
    await expectQuiet(sim);
  });

  it('below minReplicas: scales up at once, with upstream reason', async () => {
    const { sim } = newSim();
    apply(sim, deployment(1));
    apply(sim, hpa({ min: 3, max: 5 }));
    await sim.advanceBy(30 * S);
    expect(rescales(sim)).toEqual([[0, 'New size: 3; reason: Current number of replicas below Spec.MinReplicas']]);
    await expectQuiet(sim);
  });

  it('someone scaling the target outside the range is corrected at the next resync (15 s)', async () => {
    const { sim } = newSim();
    apply(sim, deployment(3));
    apply(sim, hpa({ min: 2, max: 5 }));
    await sim.advanceBy(30 * S);
    apply(sim, deployment(9));
    await sim.advanceBy(60 * S);
    expect(rescales(sim)).toEqual([[45, 'New size: 5; reason: Current number of replicas above Spec.MaxReplicas']]);
    await expectQuiet(sim);
  });

  it('a target without CPU requests: ScalingActive False FailedGetResourceMetric, and no scaling', async () => {
    const { sim } = newSim({ cpuUtilization: 90 });
    apply(sim, deployment(2, null));
    apply(sim, hpa({ min: 1, max: 10 }));
    await sim.advanceBy(30 * S);
    const pod = sim.api.list('Pod', 'default').map((p) => p.metadata.name).sort()[0];
    expect(cond(sim, 'ScalingActive')).toEqual(['False', 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod ${pod}`]);
    const reasons = sim.listEvents({ kind: 'HorizontalPodAutoscaler', namespace: 'default', name: 'front' }).map((e) => [e.reason, e.message]);
    expect(reasons).toContainEqual(['FailedComputeMetricsReplicas', `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod ${pod}`]);
    expect(sim.api.get('Deployment', 'default', 'front')!.spec.replicas).toBe(2);
  });

  it('autoscaling/v1: targetCPUUtilizationPercentage, and the CPU reading in currentCPUUtilizationPercentage', async () => {
    const { sim } = newSim({ cpuUtilization: 75 });
    apply(sim, deployment(2));
    apply(sim, { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'front', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'front' }, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 50 } });
    // 75% of 50%: ceil(2 × 1.5) = 3; then ceil(3 × 1.5) = 5 at 15 s; ceil(7.5) = 8 at 30 s; 12 → 10 at 45 s.
    await sim.advanceBy(100 * S);
    expect(rescales(sim).map(([t, m]) => [t, m.split(';')[0]])).toEqual([
      [0, 'New size: 3'],
      [15, 'New size: 5'],
      [30, 'New size: 8'],
      [45, 'New size: 10'],
    ]);
    const st = live(sim).status;
    expect(st).toEqual({ currentReplicas: 10, desiredReplicas: 10, currentCPUUtilizationPercentage: 75, lastScaleTime: '2021-10-10T00:03:19Z' });
  });

  it('a missing target: FailedGetScale', async () => {
    const { sim } = newSim();
    apply(sim, hpa({ min: 1, max: 3 }));
    sim.settle();
    expect(cond(sim, 'AbleToScale')).toEqual(['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: deployments.apps "front" not found`]);
    expect(sim.listEvents({ kind: 'HorizontalPodAutoscaler', namespace: 'default', name: 'front' }).map((e) => e.reason)).toEqual(['FailedGetScale']);
    // The target appearing is seen at the next resync.
    apply(sim, deployment(1));
    await sim.advanceBy(15 * S);
    expect(cond(sim, 'AbleToScale')?.[1]).toBe('ReadyForNewScale');
  });
});

describe('API-server defaults of an autoscaling/v2 HPA', () => {
  it('minReplicas 1, a CPU 80% metric, and the behavior rules only when behavior is given', () => {
    const bare = applyDefaults({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'front' }, maxReplicas: 5 } });
    expect(bare.spec).toEqual({
      scaleTargetRef: { kind: 'Deployment', name: 'front' },
      maxReplicas: 5,
      minReplicas: 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    });
    const withBehavior = applyDefaults({ ...bare, spec: { ...bare.spec, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
    expect(withBehavior.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });
});
