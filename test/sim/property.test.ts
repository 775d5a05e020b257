/**
 * Property tests: random Deployments (seeded PRNG, reproducible) are created, rolled out, then
 * given a new image. At every simulated instant the pod count stays within replicas + maxSurge
 * and, once the first rollout has completed, availability stays at or above
 * replicas − maxUnavailable; every rollout (no failing images) completes before its deadline.
 * Half of the cases change the image again in the middle of the second rollout (a rollover with
 * several old ReplicaSets).
 * maxSurge/maxUnavailable are resolved here independently of the controller code (spec §1.2–1.3).
 */
import { describe, expect, it } from 'vitest';
import { InvalidObjectError, type KubeObject, VirtualClock } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { T0, apply, condition, deploymentManifest, rolledOut } from './helpers.js';

const SEED = 0x5eed2021;
const CASES = 200;
const HORIZON = 3_600_000;

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its index. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type IOS = number | string | undefined;

interface Case {
  index: number;
  replicas: number;
  maxSurge: IOS;
  maxUnavailable: IOS;
  minReadySeconds: number;
  podReadyJitterMs: number;
  podTerminateAfterMs: number;
  /** rolloverAfterMs: when set, a third image is applied this long into the second rollout. */
  rolloverAfterMs: number | undefined;
}

function genCases(): Case[] {
  const rnd = prng(SEED);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const ios = (maxPct: number): IOS => {
    const k = rnd();
    if (k < 0.1) return undefined; // defaulted to 25%
    if (k < 0.5) return int(0, 10);
    return `${int(0, maxPct)}%`;
  };
  const cases: Case[] = [];
  for (let index = 0; index < CASES; index++) {
    cases.push({
      index,
      replicas: int(0, 50),
      maxSurge: ios(150),
      maxUnavailable: ios(110),
      minReadySeconds: rnd() < 0.8 ? 0 : int(1, 3),
      podReadyJitterMs: rnd() < 0.5 ? 0 : int(1, 5_000),
      podTerminateAfterMs: rnd() < 0.6 ? 0 : int(1, 8_000),
      rolloverAfterMs: rnd() < 0.5 ? undefined : int(0, 60_000),
    });
  }
  return cases;
}

/** resolve is spec §1.2: ints as-is, "N%" of total rounded up (surge) or down (unavailable). */
function resolve(v: IOS, total: number, up: boolean): number {
  const x = v ?? '25%';
  if (typeof x === 'number') return x;
  const raw = (Number.parseInt(x, 10) * total) / 100;
  return up ? Math.ceil(raw) : Math.floor(raw);
}

/** bounds is spec §1.3: (surge, unavailable) with the fencepost fix and the clamp to replicas. */
function bounds(c: Case): { surge: number; unavailable: number } {
  const surge = resolve(c.maxSurge, c.replicas, true);
  let unavailable = resolve(c.maxUnavailable, c.replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, c.replicas) };
}

/** rejected is spec §1.4 for the generated values: both zero (raw numbers) or maxUnavailable over 100%. */
function rejected(c: Case): boolean {
  const raw = (v: IOS, dflt: number) => (v === undefined ? dflt : typeof v === 'number' ? v : Number.parseInt(v, 10));
  const mu = raw(c.maxUnavailable, 25);
  const ms = raw(c.maxSurge, 25);
  return (mu === 0 && ms === 0) || (typeof c.maxUnavailable === 'string' && mu > 100);
}

function isReady(p: KubeObject): boolean {
  return p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** available counts pods Ready for longer than minReadySeconds, straight from the pods (spec §2.12). */
function availablePods(pods: KubeObject[], minReadySeconds: number, now: number): number {
  return pods.filter((p) => {
    if (!isReady(p)) return false;
    if (minReadySeconds === 0) return true;
    const since = Date.parse(p.status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime);
    return since + minReadySeconds * 1000 < now;
  }).length;
}

describe(`random rollouts (seed ${SEED.toString(16)}, ${CASES} cases)`, () => {
  const cases = genCases();

  it('the generator covers the interesting corners', () => {
    const b = cases.map((c) => ({ c, rej: rejected(c) }));
    expect(b.filter((x) => x.rej).length).toBeGreaterThan(0);
    expect(b.filter((x) => !x.rej && x.c.replicas === 0).length).toBeGreaterThan(0);
    expect(b.filter((x) => !x.rej && bounds(x.c).surge === 0).length).toBeGreaterThan(0);
    expect(b.filter((x) => !x.rej && resolve(x.c.maxSurge, x.c.replicas, true) === 0 && resolve(x.c.maxUnavailable, x.c.replicas, false) === 0).length).toBeGreaterThan(0);
    expect(b.filter((x) => !x.rej && x.c.podTerminateAfterMs > 0).length).toBeGreaterThan(10);
    expect(b.filter((x) => !x.rej && x.c.rolloverAfterMs !== undefined && x.c.replicas > 5).length).toBeGreaterThan(20);
  });

  it.each(cases.map((c) => [c.index, c] as const))('case %i', async (_i, c) => {
    const clock = new VirtualClock(T0);
    const sim = new Simulation(clock, { podReadyAfterMs: 10_000, podReadyJitterMs: c.podReadyJitterMs, podTerminateAfterMs: c.podTerminateAfterMs, failImages: ['*:broken'], eventWording: 'v1.28' });
    const manifest = (image: string) =>
      deploymentManifest({ replicas: c.replicas, maxSurge: c.maxSurge, maxUnavailable: c.maxUnavailable, minReadySeconds: c.minReadySeconds, image });

    if (rejected(c)) {
      const rv = sim.api.resourceVersion;
      expect(() => apply(sim, manifest('app:v1'))).toThrow(InvalidObjectError);
      expect(sim.api.get('Deployment', 'default', 'front')).toBeUndefined();
      expect(sim.api.resourceVersion).toBe(rv);
      return;
    }

    const { surge, unavailable } = bounds(c);
    const maxPods = c.replicas + surge;
    const minAvailable = c.replicas - unavailable;
    const pods = () => sim.api.list('Pod', 'default').filter((p) => !p.metadata.deletionTimestamp);
    let phase: 'create' | 'update' = 'create';
    const violations: string[] = [];
    const sample = () => {
      const live = pods();
      if (live.length > maxPods) violations.push(`${phase} t+${(clock.now() - T0) / 1000}s: ${live.length} pods > ${maxPods}`);
      if (phase === 'update') {
        const av = availablePods(live, c.minReadySeconds, clock.now());
        if (av < minAvailable) violations.push(`t+${(clock.now() - T0) / 1000}s: ${av} available < ${minAvailable}`);
      }
      if (condition(sim.api.get('Deployment', 'default', 'front'), 'Progressing')?.reason === 'ProgressDeadlineExceeded') violations.push(`${phase}: deadline exceeded`);
    };

    apply(sim, manifest('app:v1'));
    expect(await sim.runUntil(() => rolledOut(sim), clock.now() + HORIZON, sample), `first rollout of ${JSON.stringify(c)}`).toBe(true);
    expect(violations, JSON.stringify(c)).toEqual([]);

    phase = 'update';
    const started = clock.now();
    apply(sim, manifest('app:v2'));
    let final = 'app:v2';
    if (c.rolloverAfterMs !== undefined) {
      await sim.runUntil(() => false, started + c.rolloverAfterMs, sample);
      final = 'app:v3';
      apply(sim, manifest(final));
    }
    expect(await sim.runUntil(() => rolledOut(sim), clock.now() + HORIZON, sample), `second rollout of ${JSON.stringify(c)}`).toBe(true);
    expect(violations, JSON.stringify(c)).toEqual([]);
    expect(clock.now() - started).toBeLessThan(600_000 + c.replicas * 20_000);

    const d = sim.api.get('Deployment', 'default', 'front')!;
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True' });
    expect([d.status.updatedReplicas ?? 0, d.status.availableReplicas ?? 0, d.status.replicas ?? 0]).toEqual([c.replicas, c.replicas, c.replicas]);
    const images = final === 'app:v3' ? ['app:v1', 'app:v2', 'app:v3'] : ['app:v1', 'app:v2'];
    expect(d.metadata.annotations!['deployment.kubernetes.io/revision']).toBe(String(images.length));
    const rss = sim.api.list('ReplicaSet', 'default');
    expect(rss.map((rs) => rs.spec.template.spec.containers[0].image).sort()).toEqual(images);
    for (const rs of rss) expect(rs.spec.replicas).toBe(rs.spec.template.spec.containers[0].image === final ? c.replicas : 0);
    expect(pods().every((p) => p.spec.containers[0].image === final)).toBe(true);
    expect(pods()).toHaveLength(c.replicas);
  });
});
