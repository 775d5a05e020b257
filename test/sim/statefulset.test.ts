/**
 * Golden traces of the StatefulSet controller, each worked out by hand from upstream's rules
 * (stateful_set_control.go) before it was run. Pods become Ready 10 s after creation; deleted pods
 * are gone at once unless a case sets podTerminateAfter. Offsets are seconds from the change.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { statefulSetRolloutStatus } from '../../src/cluster/rollout-status.js';
import type { Simulation } from '../../src/cluster/sim/sim.js';
import { T0, apply } from './helpers.js';
import { image, livePods, newSim, ready, stsManifest } from './workloads.js';

const HORIZON = 3_600_000;

const web = (sim: Simulation): KubeObject => sim.api.get('StatefulSet', 'default', 'web')!;
const revisions = (sim: Simulation): [string, number][] =>
  sim.api
    .list('ControllerRevision', 'default')
    .map((r) => [r.metadata.name, r.revision as number] as [string, number])
    .sort((a, b) => a[1] - b[1]);
const podView = (sim: Simulation): [string, string, string, boolean][] =>
  livePods(sim, 'web').map((p) => [p.metadata.name, image(p), p.metadata.labels!['controller-revision-hash']!, ready(p)]);

/** follow runs until the rollout status says done, recording each new status line as [seconds from `from`, line]. */
async function follow(sim: Simulation, from: number, check?: () => void): Promise<[number, string][]> {
  const lines: [number, string][] = [];
  const look = () => {
    const s = statefulSetRolloutStatus(web(sim));
    if (lines.at(-1)?.[1] !== s.message) lines.push([(sim.clock.now() - from) / 1000, s.message]);
    check?.();
    return s.done;
  };
  expect(await sim.runUntil(look, from + HORIZON, () => look())).toBe(true);
  return lines;
}

/** OrderedReady invariant: pod N+1 exists only while pods 0..N are Running and Ready. */
function assertOrdered(sim: Simulation): void {
  const pods = new Map(livePods(sim, 'web').map((p) => [Number(p.metadata.name.split('-')[1]), p]));
  for (const [n] of pods) for (let k = 0; k < n; k++) expect(pods.get(k) && ready(pods.get(k)!), `web-${n} exists before web-${k} is ready`).toBe(true);
}

describe('StatefulSet OrderedReady: creation in ordinal order, claims first, scale-down from the highest ordinal', () => {
  it('web: 3 replicas with a www claim template and a default StorageClass', async () => {
    const { sim, clock, tr } = newSim({ podTerminateAfterMs: 5_000 });
    apply(sim, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete' });
    apply(sim, stsManifest({ replicas: 3, claims: true }));
    // Each pod waits for the one before it to be Running and Ready (10 s each).
    const lines = await follow(sim, T0, () => assertOrdered(sim));
    expect(clock.now()).toBe(T0 + 30_000);
    expect(lines).toEqual([
      [0, 'Waiting for 3 pods to be ready...'],
      [10, 'Waiting for 2 pods to be ready...'],
      [20, 'Waiting for 1 pods to be ready...'],
      // An unset updateStrategy is defaulted to RollingUpdate with partition 0, so kubectl takes the partition branch.
      [30, 'partitioned roll out complete: 3 new pods have been updated...'],
    ]);
    expect(tr.of('StatefulSet', 'web', T0)).toEqual([
      [0, 'create Claim www-web-0 Pod web-0 in StatefulSet web success'],
      [0, 'create Pod web-0 in StatefulSet web successful'],
      [10, 'create Claim www-web-1 Pod web-1 in StatefulSet web success'],
      [10, 'create Pod web-1 in StatefulSet web successful'],
      [20, 'create Claim www-web-2 Pod web-2 in StatefulSet web success'],
      [20, 'create Pod web-2 in StatefulSet web successful'],
    ]);
    expect(sim.listEvents({ kind: 'StatefulSet', namespace: 'default', name: 'web' }).every((e) => e.reason === 'SuccessfulCreate' && e.source.component === 'statefulset-controller')).toBe(true);

    const [[rev1, n1]] = revisions(sim) as [[string, number]];
    expect(n1).toBe(1);
    expect(rev1).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(web(sim).status).toEqual({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: rev1,
      updateRevision: rev1,
      collisionCount: 0,
      availableReplicas: 3,
    });
    const pods = livePods(sim, 'web');
    expect(pods.map((p) => p.metadata.name)).toEqual(['web-0', 'web-1', 'web-2']);
    // The scheduler spreads them, one per node; each pod carries its identity and its claim.
    expect(pods.map((p) => p.spec!.nodeName)).toEqual(['mflux-sim-node', 'mflux-sim-node2', 'mflux-sim-node3']);
    expect(pods[1]!.metadata.labels).toEqual({ app: 'web', 'controller-revision-hash': rev1, 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
    expect(pods[1]!.spec).toMatchObject({ hostname: 'web-1', subdomain: 'nginx', volumes: [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }] });
    const claims = sim.api.list('PersistentVolumeClaim', 'default');
    expect(claims.map((c) => [c.metadata.name, c.status!.phase, c.spec.storageClassName, c.status!.capacity?.storage, c.metadata.labels])).toEqual([
      ['www-web-0', 'Bound', 'standard', '1Gi', { app: 'web' }],
      ['www-web-1', 'Bound', 'standard', '1Gi', { app: 'web' }],
      ['www-web-2', 'Bound', 'standard', '1Gi', { app: 'web' }],
    ]);
    expect(claims.every((c) => c.spec.volumeName === `pvc-${c.metadata.uid}` && sim.api.get('PersistentVolume', undefined, c.spec.volumeName))).toBe(true);

    // Scale 3 → 1 with 5 s graceful termination: web-2 goes first, web-1 only once web-2 is gone.
    const sim2 = sim;
    const t1 = clock.now();
    const mark = tr.mark();
    apply(sim2, stsManifest({ replicas: 1, claims: true }));
    expect(await sim2.runUntil(() => sim2.api.list('Pod', 'default').length === 1 && (web(sim2).status.replicas === 1), t1 + HORIZON)).toBe(true);
    expect(clock.now()).toBe(t1 + 10_000);
    expect(tr.of('StatefulSet', 'web', t1, mark)).toEqual([
      [0, 'delete Pod web-2 in StatefulSet web successful'],
      [5, 'delete Pod web-1 in StatefulSet web successful'],
    ]);
    // The claims outlive their pods (retention policy Retain, the default).
    expect(sim2.api.list('PersistentVolumeClaim', 'default').map((c) => c.metadata.name)).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
    expect(statefulSetRolloutStatus(web(sim2)).message).toBe('partitioned roll out complete: 1 new pods have been updated...');
  });

  it('a claim without a StorageClass stays Pending until a default class appears, then binds', async () => {
    const { sim, clock } = newSim();
    apply(sim, stsManifest({ replicas: 1, claims: true }));
    await sim.advanceBy(10_000);
    const claim = () => sim.api.get('PersistentVolumeClaim', 'default', 'www-web-0')!;
    expect(claim().status).toEqual({ phase: 'Pending' });
    expect(claim().spec.storageClassName).toBeUndefined();
    apply(sim, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'x.example/fast' });
    sim.fireDue();
    expect(claim().spec.storageClassName).toBe('fast');
    expect(claim().status).toMatchObject({ phase: 'Bound', capacity: { storage: '1Gi' } });
    expect(clock.now()).toBe(T0 + 10_000);
  });
});

describe('StatefulSet RollingUpdate: highest ordinal first, one at a time, with a partition', () => {
  it('5 replicas, partition 2: web-4, web-3, web-2 are replaced; then partition 0 finishes web-1, web-0', async () => {
    const { sim, clock, tr } = newSim();
    apply(sim, stsManifest({ replicas: 5, strategy: 'RollingUpdate', partition: 2 }));
    await follow(sim, T0);
    expect(clock.now()).toBe(T0 + 50_000);
    const [[rev1]] = revisions(sim) as [[string, number]];

    const t1 = clock.now();
    const mark = tr.mark();
    apply(sim, stsManifest({ replicas: 5, strategy: 'RollingUpdate', partition: 2, image: 'nginx:1.21' }));
    sim.settle();
    const rev2 = revisions(sim).at(-1)![0];
    expect(revisions(sim)).toEqual([
      [rev1, 1],
      [rev2, 2],
    ]);
    const lines = await follow(sim, t1);
    // Each ordinal: deleted, re-created at once from the update revision, Ready 10 s later.
    expect(tr.of('StatefulSet', 'web', t1, mark)).toEqual([
      [0, 'delete Pod web-4 in StatefulSet web successful'],
      [0, 'create Pod web-4 in StatefulSet web successful'],
      [10, 'delete Pod web-3 in StatefulSet web successful'],
      [10, 'create Pod web-3 in StatefulSet web successful'],
      [20, 'delete Pod web-2 in StatefulSet web successful'],
      [20, 'create Pod web-2 in StatefulSet web successful'],
    ]);
    expect(lines).toEqual([
      [0, 'Waiting for 1 pods to be ready...'],
      [30, 'partitioned roll out complete: 3 new pods have been updated...'],
    ]);
    expect(clock.now()).toBe(t1 + 30_000);
    expect(podView(sim)).toEqual([
      ['web-0', 'nginx:1.20', rev1, true],
      ['web-1', 'nginx:1.20', rev1, true],
      ['web-2', 'nginx:1.21', rev2, true],
      ['web-3', 'nginx:1.21', rev2, true],
      ['web-4', 'nginx:1.21', rev2, true],
    ]);
    // Not every pod is updated, so the current revision stays (completeRollingUpdate).
    expect(web(sim).status).toMatchObject({ currentRevision: rev1, updateRevision: rev2, currentReplicas: 2, updatedReplicas: 3, readyReplicas: 5 });

    const t2 = clock.now();
    const mark2 = tr.mark();
    apply(sim, stsManifest({ replicas: 5, strategy: 'RollingUpdate', partition: 0, image: 'nginx:1.21' }));
    sim.settle();
    expect(revisions(sim)).toHaveLength(2);
    const lines2 = await follow(sim, t2);
    expect(tr.of('StatefulSet', 'web', t2, mark2)).toEqual([
      [0, 'delete Pod web-1 in StatefulSet web successful'],
      [0, 'create Pod web-1 in StatefulSet web successful'],
      [10, 'delete Pod web-0 in StatefulSet web successful'],
      [10, 'create Pod web-0 in StatefulSet web successful'],
    ]);
    expect(lines2).toEqual([
      [0, 'Waiting for 1 pods to be ready...'],
      [20, 'partitioned roll out complete: 5 new pods have been updated...'],
    ]);
    expect(web(sim).status).toMatchObject({ currentRevision: rev2, updateRevision: rev2, currentReplicas: 5, updatedReplicas: 5 });
  });

  it('type RollingUpdate without rollingUpdate: kubectl reports revisions; v1 → v2 → v1 renumbers the old revision to 3', async () => {
    const { sim, clock } = newSim();
    apply(sim, stsManifest({ replicas: 3, strategy: 'RollingUpdate' }));
    const first = await follow(sim, T0);
    const [[rev1]] = revisions(sim) as [[string, number]];
    expect(first.at(-1)).toEqual([30, `statefulset rolling update complete 3 pods at revision ${rev1}...`]);

    const t1 = clock.now();
    apply(sim, stsManifest({ replicas: 3, strategy: 'RollingUpdate', image: 'nginx:1.21' }));
    sim.settle();
    const rev2 = revisions(sim).at(-1)![0];
    const lines = await follow(sim, t1);
    // Pods terminate at once, so at every settled instant one re-created pod is still starting.
    expect(lines).toEqual([
      [0, 'Waiting for 1 pods to be ready...'],
      [30, `statefulset rolling update complete 3 pods at revision ${rev2}...`],
    ]);

    const t2 = clock.now();
    apply(sim, stsManifest({ replicas: 3, strategy: 'RollingUpdate', image: 'nginx:1.20' }));
    await follow(sim, t2);
    expect(revisions(sim)).toEqual([
      [rev2, 2],
      [rev1, 3],
    ]);
    expect(web(sim).status).toMatchObject({ currentRevision: rev1, updateRevision: rev1 });
    expect(podView(sim).map((p) => p[2])).toEqual([rev1, rev1, rev1]);
  });

  it('revisionHistoryLimit 1 keeps one old revision besides the live one', async () => {
    const { sim, clock } = newSim();
    for (const tag of ['1.20', '1.21', '1.22']) {
      apply(sim, stsManifest({ replicas: 2, revisionHistoryLimit: 1, image: `nginx:${tag}` }));
      await follow(sim, clock.now());
    }
    expect(revisions(sim).map((r) => r[1])).toEqual([2, 3]);
    expect(web(sim).status.currentRevision).toBe(revisions(sim)[1]![0]);
  });
});

describe('StatefulSet OnDelete and Parallel', () => {
  it('OnDelete: a template change replaces nothing; a pod the user deletes comes back at the update revision', async () => {
    const { sim, clock, tr } = newSim();
    apply(sim, stsManifest({ replicas: 3, strategy: 'OnDelete' }));
    await sim.advanceBy(30_000);
    const [[rev1]] = revisions(sim) as [[string, number]];
    const t1 = clock.now();
    const mark = tr.mark();
    apply(sim, stsManifest({ replicas: 3, strategy: 'OnDelete', image: 'nginx:1.21' }));
    await sim.advanceBy(60_000);
    const rev2 = revisions(sim).at(-1)![0];
    expect(tr.of('StatefulSet', 'web', t1, mark)).toEqual([]);
    expect(podView(sim).map((p) => p[1])).toEqual(['nginx:1.20', 'nginx:1.20', 'nginx:1.20']);
    expect(web(sim).status).toMatchObject({ currentRevision: rev1, updateRevision: rev2, currentReplicas: 3 });
    expect(web(sim).status.updatedReplicas).toBeUndefined();
    // kubectl has no status for OnDelete.
    expect(statefulSetRolloutStatus(web(sim))).toEqual({ message: 'rollout status is only available for RollingUpdate strategy type', done: false, failed: true });

    const t2 = clock.now();
    sim.api.delete('Pod', 'default', 'web-1');
    await sim.advanceBy(10_000);
    expect(tr.of('StatefulSet', 'web', t2, mark)).toEqual([[0, 'create Pod web-1 in StatefulSet web successful']]);
    expect(podView(sim)).toEqual([
      ['web-0', 'nginx:1.20', rev1, true],
      ['web-1', 'nginx:1.21', rev2, true],
      ['web-2', 'nginx:1.20', rev1, true],
    ]);
    // Upstream only moves currentRevision under RollingUpdate, so under OnDelete it stays.
    expect(web(sim).status).toMatchObject({ currentRevision: rev1, updateRevision: rev2, currentReplicas: 2, updatedReplicas: 1 });
  });

  it('Parallel: all pods at once, scale-down all at once; maxUnavailable 2 replaces two pods at a time', async () => {
    const { sim, clock, tr } = newSim({ podTerminateAfterMs: 5_000 });
    apply(sim, stsManifest({ replicas: 3, policy: 'Parallel', strategy: 'RollingUpdate', maxUnavailable: 2 }));
    const lines = await follow(sim, T0);
    expect(lines).toEqual([
      [0, 'Waiting for 3 pods to be ready...'],
      [10, 'partitioned roll out complete: 3 new pods have been updated...'],
    ]);
    expect(tr.of('StatefulSet', 'web', T0)).toEqual([
      [0, 'create Pod web-0 in StatefulSet web successful'],
      [0, 'create Pod web-1 in StatefulSet web successful'],
      [0, 'create Pod web-2 in StatefulSet web successful'],
    ]);

    // Rolling update: web-2 and web-1 terminate together (5 s), come back together, Ready 10 s later; then web-0.
    const t1 = clock.now();
    let mark = tr.mark();
    apply(sim, stsManifest({ replicas: 3, policy: 'Parallel', strategy: 'RollingUpdate', maxUnavailable: 2, image: 'nginx:1.21' }));
    let minReady = Infinity;
    await follow(sim, t1, () => (minReady = Math.min(minReady, livePods(sim, 'web').filter(ready).length)));
    expect(tr.of('StatefulSet', 'web', t1, mark)).toEqual([
      [0, 'delete Pod web-2 in StatefulSet web successful'],
      [0, 'delete Pod web-1 in StatefulSet web successful'],
      [5, 'create Pod web-1 in StatefulSet web successful'],
      [5, 'create Pod web-2 in StatefulSet web successful'],
      [15, 'delete Pod web-0 in StatefulSet web successful'],
      [20, 'create Pod web-0 in StatefulSet web successful'],
    ]);
    expect(clock.now()).toBe(t1 + 30_000);
    expect(minReady).toBe(1);

    const t2 = clock.now();
    mark = tr.mark();
    apply(sim, stsManifest({ replicas: 1, policy: 'Parallel', strategy: 'RollingUpdate', maxUnavailable: 2, image: 'nginx:1.21' }));
    await sim.advanceBy(10_000);
    expect(tr.of('StatefulSet', 'web', t2, mark)).toEqual([
      [0, 'delete Pod web-2 in StatefulSet web successful'],
      [0, 'delete Pod web-1 in StatefulSet web successful'],
    ]);
    expect(sim.api.list('Pod', 'default').map((p) => p.metadata.name)).toEqual(['web-0']);
  });
});
