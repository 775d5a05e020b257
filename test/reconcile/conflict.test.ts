/**
 * The patch shown is the patch applied, and a write never overwrites someone else's: the live
 * object changing between plan and apply fails the write's preconditions (Conflict), the pass plans
 * again once, and gives up (retryable) if it keeps changing.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { type KubeObject, VirtualClock, isMfluxError } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { Ledger } from '../../src/ledger/index.js';
import { type ProgressEvent, newSourceMemo, reconcileOnce } from '../../src/reconcile/index.js';
import { openSource } from '../../src/source/index.js';
import { StateStore } from '../../src/store/index.js';
import { TestRepo, removeTestRepos } from '../cli/helpers.js';

afterAll(removeTestRepos);

const deployment = (image: string, replicas = 2) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: ${image}}]}\n`;

/** world builds a repository, a simulated cluster, a ledger and a pass runner with an interferer hooked on 'planned'. */
function world(interfere: (client: SimClient, n: number) => void) {
  return setup(interfere);
}

async function setup(interfere: (client: SimClient, n: number) => void) {
  const repo = new TestRepo('mflux-conflict-');
  repo.write({ 'web.yaml': deployment('nginx:1') }).commit('web v1');
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const sim = new Simulation(clock);
  const client = new SimClient(sim);
  const store = StateStore.open(repo.state, 'write');
  const ledger = new Ledger(store);
  const git = await openSource({ repo: repo.dir, stateDir: repo.state });
  const memo = newSourceMemo();
  const events: ProgressEvent[] = [];
  let arm = false;
  let planned = 0;
  const pass = () =>
    reconcileOnce({
      world: { client, clock, ledger, wallNow: () => 0 },
      source: { git, name: 'app', url: repo.dir, memo },
      rules: { timeoutMs: 0 },
      hooks: {
        onProgress: (e) => {
          events.push(e);
          // Another writer slips in after the plan was made and before it is applied.
          if (e.type === 'planned' && arm) interfere(client, ++planned);
        },
      },
    });
  return { repo, sim, client, store, pass, events, armed: () => (arm = true) };
}

/** scaleByHand is another writer (kubectl scale, say), synchronous so it lands between plan and apply. */
function scaleByHand(client: SimClient, replicas: number): KubeObject {
  const live = client.sim.api.get('Deployment', 'default', 'web')!;
  return client.applySync({ ...live, spec: { ...live.spec, replicas } }).object;
}

describe('Conflict: the live object changes between plan and apply', () => {
  test('the pass plans again against the new object and applies; nothing of the other write is overwritten blindly', async () => {
    const w = await world((client, n) => {
      if (n === 1) scaleByHand(client, 7);
    });
    try {
      expect((await w.pass()).outcome).toBe('Applied');
      w.armed();
      w.repo.write({ 'web.yaml': deployment('nginx:2') }).commit('web v2');
      const r = await w.pass();
      expect(r.outcome).toBe('Applied');
      const replanned = w.events.filter((e) => e.type === 'replanned');
      expect(replanned).toHaveLength(1);
      expect((replanned[0] as { reason: string }).reason).toContain('Operation cannot be fulfilled on deployments.apps "web": the object has been modified');
      const live = w.sim.api.get('Deployment', 'default', 'web')!;
      expect(live.spec.template.spec.containers[0].image).toBe('nginx:2');
      // Git says 2 replicas: the second plan saw 7 and put Git's value back, as a patch it showed.
      expect(live.spec.replicas).toBe(2);
      const patch = r.changes.find((c) => c.object === 'Deployment/default/web')!.patch;
      expect(patch).toContainEqual({ op: 'replace', path: '/spec/replicas', value: 2 });
      expect(patch).toContainEqual({ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:2' });
    } finally {
      w.store.close();
    }
  });

  test('an object that keeps changing ends the pass Conflict (retryable), and the other writer’s version stands', async () => {
    const w = await world((client, n) => {
      scaleByHand(client, 10 + n);
    });
    try {
      expect((await w.pass()).outcome).toBe('Applied');
      w.armed();
      w.repo.write({ 'web.yaml': deployment('nginx:3') }).commit('web v3');
      const r = await w.pass();
      expect(r.outcome).toBe('Conflict');
      expect(r.retryable).toBe(true);
      expect(r.reasons).toEqual([expect.objectContaining({ code: 'Conflict', object: 'Deployment/default/web' })]);
      const live = w.sim.api.get('Deployment', 'default', 'web')!;
      // Nothing of the pass's own patch reached the object: the image is the old one, the replicas the other writer's.
      expect(live.spec.template.spec.containers[0].image).toBe('nginx:1');
      expect(live.spec.replicas).toBe(12);
    } finally {
      w.store.close();
    }
  });

  test('a create whose object appeared meanwhile is a Conflict too, not a silent update', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const client = new SimClient(new Simulation(clock));
    await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } });
    const err = await client
      .patch('ConfigMap', 'default', 'c', [
        { op: 'test', path: '', value: {} },
        { op: 'add', path: '', value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '2' } } },
      ])
      .catch((e: unknown) => e);
    expect(isMfluxError(err, 'Conflict')).toBe(true);
    expect((await client.get('ConfigMap', 'default', 'c'))!.data).toEqual({ a: '1' });
  });
});
