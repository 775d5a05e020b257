/**
 * spec.replicas of an HPA's target belongs to the autoscaler. Real commits in temp git repositories,
 * reconciled in process into a simulated cluster on a virtual clock: when Git omits replicas no pass
 * resets them (no fight across passes); when Git sets them the guard reports ReplicasManagedByHPA
 * at the manifest's file:line, naming the HPA, and the pass leaves the live value alone — or, under
 * --block-impact ReplicasManagedByHPA, blocks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Clock, VirtualClock } from '../../src/core/index.js';
import { Simulation, type SimKnobs } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { Ledger } from '../../src/ledger/index.js';
import { DEFAULT_POLICY, type Policy } from '../../src/plan/index.js';
import { newSourceMemo, reconcileOnce, type ReconcileResult } from '../../src/reconcile/index.js';
import { openSource } from '../../src/source/index.js';
import { StateStore } from '../../src/store/index.js';
import { TestRepo, removeTestRepos } from '../cli/helpers.js';

afterAll(removeTestRepos);

const S = 1000;

function deploy(replicas?: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
${replicas === undefined ? '' : `  replicas: ${replicas}\n`}  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: web:1
          resources:
            requests: {cpu: 100m}
`;
}

function hpa(min: number, max: number): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: ${min}
  maxReplicas: ${max}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 50}
`;
}

/** World is one repository reconciled pass after pass into one simulated cluster. */
async function world(knobs: Partial<SimKnobs> = {}) {
  const r = new TestRepo('mflux-hpa-');
  const simClock = new VirtualClock(Date.UTC(2026, 0, 1));
  const sim = new Simulation(simClock, knobs);
  const client = new SimClient(sim);
  const ledger = new Ledger(StateStore.open(r.state, 'write'));
  const clock: Clock = {
    virtual: true,
    now: () => simClock.now(),
    sleepUntil: async (at) => {
      await simClock.sleepUntil(at);
      sim.fireDue();
    },
  };
  const memo = newSourceMemo();
  const pass = async (policy: Policy = DEFAULT_POLICY): Promise<ReconcileResult> => {
    const source = await openSource({ repo: r.dir, ref: 'main', path: '', stateDir: r.state });
    return reconcileOnce({ world: { client, clock, ledger, wallNow: () => Date.now() }, source: { git: source, name: 'hpa', url: r.dir, memo }, rules: { timeoutMs: 600_000, policy } });
  };
  const replicas = () => sim.api.get('Deployment', 'default', 'web')!.spec.replicas as number;
  const rv = () => sim.api.get('Deployment', 'default', 'web')!.metadata.resourceVersion;
  return { r, sim, pass, replicas, rv };
}

describe('Git omits replicas: the HPA owns them', () => {
  it('creating both: the HPA scales, and later passes are NoChange with the HPA\'s count', async () => {
    const w = await world({ cpuUtilization: 100 });
    w.r.write({ 'web.yaml': deploy(), 'hpa.yaml': hpa(1, 5) }).commit('web with an HPA');
    const first = await w.pass();
    expect(first.outcome).toBe('Applied');
    // Created with the default 1; cpu 100% of 50%: 1 → 2 at once, 4 at 15 s, 8 capped at 5 at 30 s.
    await w.sim.advanceBy(120 * S);
    expect(w.replicas()).toBe(5);
    const second = await w.pass();
    expect([second.outcome, second.changes.filter((c) => c.action !== 'unchanged')]).toEqual(['NoChange', []]);
    expect(second.impacts).toEqual([]);
    const rv = w.rv();
    const third = await w.pass();
    expect(third.outcome).toBe('NoChange');
    expect([w.replicas(), w.rv()]).toEqual([5, rv]);
    // A new image rolls out at the HPA's count.
    w.r.write({ 'web.yaml': deploy().replace('web:1', 'web:2') }).commit('web:2');
    const fourth = await w.pass();
    expect(fourth.outcome).toBe('Applied');
    expect(fourth.changes.find((c) => c.object === 'Deployment/default/web')!.patch.filter((op: any) => op.path.includes('replicas'))).toEqual([]);
    expect(w.replicas()).toBe(5);
    expect(w.sim.api.get('Deployment', 'default', 'web')!.status).toMatchObject({ updatedReplicas: 5, availableReplicas: 5 });
  });

  it('taking replicas out of Git when adding the HPA does not reset them to 1', async () => {
    const w = await world();
    w.r.write({ 'web.yaml': deploy(4) }).commit('web, 4 replicas');
    expect((await w.pass()).outcome).toBe('Applied');
    expect(w.replicas()).toBe(4);
    // kubectl apply would drop the field it applied before and let the default (1) back in; the
    // autoscaler would then scale back up from 1: a dip to one pod. The plan keeps the live 4.
    w.r.write({ 'web.yaml': deploy(), 'hpa.yaml': hpa(2, 8) }).commit('autoscale web; replicas are the HPA\'s');
    const res = await w.pass();
    expect(res.outcome).toBe('Applied');
    expect(res.changes.map((c) => [c.object, c.action])).toEqual([['HorizontalPodAutoscaler/default/web', 'create']]);
    expect(w.replicas()).toBe(4);
    await w.sim.advanceBy(60 * S);
    expect(w.replicas()).toBe(4);
    expect((await w.pass()).outcome).toBe('NoChange');
  });
});

describe('Git sets replicas: ReplicasManagedByHPA', () => {
  it('warns, naming the HPA and the manifest, and leaves the HPA\'s count alone pass after pass', async () => {
    const w = await world();
    w.r.write({ 'web.yaml': deploy(2), 'hpa.yaml': hpa(3, 6) }).commit('web with replicas 2 and an HPA with min 3');
    const first = await w.pass();
    expect(first.outcome).toBe('Applied');
    expect(first.impacts!.map((i) => i.message)).toEqual([
      'web.yaml:1: Deployment/default/web: spec.replicas is set in Git (2) but HorizontalPodAutoscaler/default/web scales this Deployment; it starts at 2 and the autoscaler takes over — remove replicas from the manifest',
    ]);
    // Created at 2 (Git's), then the HPA raises it to its minimum.
    expect(w.replicas()).toBe(3);
    const rv = w.rv();
    // A commit that changes something else plans the Deployment again: unchanged, and reported.
    w.r.write({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: "1"}\n' }).commit('a ConfigMap');
    const second = await w.pass();
    expect(second.outcome).toBe('Applied');
    expect(second.changes.filter((c) => c.action !== 'unchanged').map((c) => c.object)).toEqual(['ConfigMap/default/settings']);
    const detail = 'spec.replicas is set in Git (2) but HorizontalPodAutoscaler/default/web scales this Deployment; the pass leaves the live value (3) to the autoscaler — remove replicas from the manifest';
    expect(second.impacts).toEqual([{ code: 'ReplicasManagedByHPA', object: 'Deployment/default/web', detail, message: `web.yaml:1: Deployment/default/web: ${detail}` }]);
    expect(second.warnings).toContain(`ReplicasManagedByHPA: web.yaml:1: Deployment/default/web: ${detail}`);
    expect([w.replicas(), w.rv()]).toEqual([3, rv]);
    const third = await w.pass();
    expect(third.outcome).toBe('NoChange');
    expect([w.replicas(), w.rv()]).toEqual([3, rv]);
  });

  it('a change beside replicas is applied without them', async () => {
    const w = await world();
    w.r.write({ 'web.yaml': deploy(2), 'hpa.yaml': hpa(3, 6) }).commit('v1');
    await w.pass();
    await w.sim.advanceBy(30 * S);
    w.r.write({ 'web.yaml': deploy(2).replace('web:1', 'web:2') }).commit('web:2');
    const res = await w.pass();
    expect(res.outcome).toBe('Applied');
    const patch = res.changes.find((c) => c.object === 'Deployment/default/web')!.patch;
    expect(patch.filter((op: any) => op.path.includes('replicas'))).toEqual([]);
    expect(w.replicas()).toBe(3);
    expect(w.sim.api.get('Deployment', 'default', 'web')!.spec.template.spec.containers[0].image).toBe('web:2');
  });

  it('--block-impact ReplicasManagedByHPA blocks the pass', async () => {
    const w = await world();
    w.r.write({ 'web.yaml': deploy(2), 'hpa.yaml': hpa(3, 6) }).commit('v1');
    expect((await w.pass()).outcome).toBe('Applied');
    await w.sim.advanceBy(30 * S);
    w.r.write({ 'web.yaml': deploy(2).replace('web:1', 'web:2') }).commit('web:2');
    const rv = w.rv();
    const res = await w.pass({ ...DEFAULT_POLICY, block: ['ReplicasManagedByHPA'] });
    expect(res.outcome).toBe('Blocked');
    expect(res.reasons.map((x) => [x.code, x.object, x.file, x.line])).toEqual([['ReplicasManagedByHPA', 'Deployment/default/web', 'web.yaml', 1]]);
    expect(res.reasons[0]!.message).toMatch(/^web\.yaml:1: Deployment\/default\/web: spec\.replicas is set in Git \(2\) but HorizontalPodAutoscaler\/default\/web scales this Deployment.*\(blocked by policy\)$/);
    expect(w.rv()).toBe(rv);
  });
});
