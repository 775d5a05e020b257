/**
 * Golden traces of the DaemonSet controller on the default 3 simulated nodes, worked out by hand
 * from upstream's rules (daemon_controller.go manage, update.go rollingUpdate) before being run.
 * Pods become Ready 10 s after creation and are gone at once when deleted. Offsets are seconds.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { daemonSetRolloutStatus } from '../../src/cluster/rollout-status.js';
import type { Simulation } from '../../src/cluster/sim/sim.js';
import { T0, apply } from './helpers.js';
import { type DsOpts, dsManifest, image, livePods, newSim, ready } from './workloads.js';

const HORIZON = 3_600_000;
const NODES = ['mflux-sim-node', 'mflux-sim-node2', 'mflux-sim-node3'];

const agent = (sim: Simulation): KubeObject => sim.api.get('DaemonSet', 'default', 'agent')!;
/** byNode maps each node to the names of the agent pods on it. */
const byNode = (sim: Simulation): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const p of livePods(sim, 'agent')) (out[p.spec!.nodeName] ??= []).push(p.metadata.name);
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => x.localeCompare(y)));
};

/** follow runs until kubectl's viewer says done, recording each new status line; `check` runs at every instant. */
async function follow(sim: Simulation, from: number, check?: () => void): Promise<[number, string][]> {
  const lines: [number, string][] = [];
  const look = () => {
    const s = daemonSetRolloutStatus(agent(sim));
    if (lines.at(-1)?.[1] !== s.message) lines.push([(sim.clock.now() - from) / 1000, s.message]);
    check?.();
    return s.done;
  };
  expect(await sim.runUntil(look, from + HORIZON, () => look())).toBe(true);
  return lines;
}

async function deployed(o: DsOpts): Promise<ReturnType<typeof newSim> & { old: Record<string, string> }> {
  const s = newSim();
  apply(s.sim, dsManifest(o));
  if (o.strategy === 'OnDelete') await s.sim.advanceBy(10_000);
  else {
    const lines = await follow(s.sim, T0);
    expect(lines).toEqual([
      [0, 'Waiting for daemon set "agent" rollout to finish: 0 of 3 updated pods are available...'],
      [10, 'daemon set "agent" successfully rolled out'],
    ]);
  }
  expect(s.sim.api.get('DaemonSet', 'default', 'agent')!.status).toMatchObject({ desiredNumberScheduled: 3, numberAvailable: 3, updatedNumberScheduled: 3 });
  const old: Record<string, string> = {};
  for (const [n, [p]] of Object.entries(byNode(s.sim))) old[n] = p!;
  return { ...s, old };
}

describe('DaemonSet: one pod per node', () => {
  it('creates a pod on each of the 3 nodes at once, pinned by node affinity, with the daemon tolerations', async () => {
    const { sim, tr, old } = await deployed({});
    expect(Object.keys(old)).toEqual(NODES);
    expect(tr.of('DaemonSet', 'agent', T0)).toEqual(NODES.map((n) => [0, `Created pod: ${old[n]}`]));
    const ds = agent(sim);
    expect(ds.status).toEqual({ currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, observedGeneration: 1, updatedNumberScheduled: 3, numberAvailable: 3 });
    const [rev] = sim.api.list('ControllerRevision', 'default');
    expect(rev!.revision).toBe(1);
    const hash = rev!.metadata.labels!['controller-revision-hash']!;
    expect(rev!.metadata.name).toBe(`agent-${hash}`);
    const pod = sim.api.get('Pod', 'default', old['mflux-sim-node2']!)!;
    expect(pod.metadata.labels).toEqual({ app: 'agent', 'controller-revision-hash': hash });
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['mflux-sim-node2'] }] }]);
    expect(pod.spec.tolerations.map((t: any) => `${t.key}:${t.effect}`)).toContain('node.kubernetes.io/unschedulable:NoSchedule');
    expect(pod.status.hostIP).toBe('172.18.0.3');
  });

  it('nodeSelector and taints decide the eligible nodes; a new matching label brings a pod', async () => {
    const { sim, clock } = newSim();
    const node3 = sim.api.get('Node', undefined, 'mflux-sim-node3')!;
    sim.api.writeDirect({ ...node3, spec: { ...node3.spec, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    apply(sim, dsManifest({ nodeSelector: { 'kubernetes.io/os': 'linux' } }));
    await sim.advanceBy(10_000);
    expect(Object.keys(byNode(sim))).toEqual(['mflux-sim-node', 'mflux-sim-node2']);
    expect(agent(sim).status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2 });
    // Tolerating the taint makes node3 eligible too.
    apply(sim, dsManifest({ nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
    await sim.advanceBy(60_000);
    expect(Object.keys(byNode(sim))).toEqual(NODES);
    // A selector no node matches yet: nothing runs; labelling node2 brings one pod there.
    apply(sim, dsManifest({ nodeSelector: { disk: 'ssd' } }));
    await sim.advanceBy(1_000);
    expect(byNode(sim)).toEqual({});
    expect(agent(sim).status).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0 });
    const node2 = sim.api.get('Node', undefined, 'mflux-sim-node2')!;
    sim.api.writeDirect({ ...node2, metadata: { ...node2.metadata, labels: { ...node2.metadata.labels, disk: 'ssd' } } });
    const t = clock.now();
    await sim.advanceBy(10_000);
    expect(Object.keys(byNode(sim))).toEqual(['mflux-sim-node2']);
    expect(daemonSetRolloutStatus(agent(sim)).message).toBe('daemon set "agent" successfully rolled out');
    expect(clock.now()).toBe(t + 10_000);
  });
});

describe('DaemonSet RollingUpdate on 3 nodes', () => {
  it('maxUnavailable 1 (the default): node by node, delete then create, never fewer than 2 available', async () => {
    const { sim, clock, tr, old } = await deployed({});
    const t1 = clock.now();
    const mark = tr.mark();
    apply(sim, dsManifest({ image: 'agent:2.0' }));
    let minAvailable = Infinity;
    let maxPerNode = 0;
    const lines = await follow(sim, t1, () => {
      minAvailable = Math.min(minAvailable, livePods(sim, 'agent').filter(ready).length);
      maxPerNode = Math.max(maxPerNode, ...Object.values(byNode(sim)).map((l) => l.length));
    });
    const fresh = Object.fromEntries(Object.entries(byNode(sim)).map(([n, [p]]) => [n, p!]));
    const [a, b, c] = NODES as [string, string, string];
    expect(tr.of('DaemonSet', 'agent', t1, mark)).toEqual([
      [0, `Deleted pod: ${old[a]}`],
      [0, `Created pod: ${fresh[a]}`],
      [10, `Deleted pod: ${old[b]}`],
      [10, `Created pod: ${fresh[b]}`],
      [20, `Deleted pod: ${old[c]}`],
      [20, `Created pod: ${fresh[c]}`],
    ]);
    expect(lines).toEqual([
      [0, 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...'],
      [10, 'Waiting for daemon set "agent" rollout to finish: 2 out of 3 new pods have been updated...'],
      [20, 'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...'],
      [30, 'daemon set "agent" successfully rolled out'],
    ]);
    expect(clock.now()).toBe(t1 + 30_000);
    expect(minAvailable).toBe(2);
    expect(maxPerNode).toBe(1);
    expect(livePods(sim, 'agent').map(image)).toEqual(['agent:2.0', 'agent:2.0', 'agent:2.0']);
    expect(sim.api.list('ControllerRevision', 'default').map((r) => r.revision).sort()).toEqual([1, 2]);
  });

  it('maxSurge 1, maxUnavailable 0: the new pod starts beside the old one, which goes once the new one is available', async () => {
    const o: DsOpts = { strategy: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 };
    const { sim, clock, tr, old } = await deployed(o);
    const t1 = clock.now();
    const mark = tr.mark();
    apply(sim, dsManifest({ ...o, image: 'agent:2.0' }));
    let minAvailable = Infinity;
    let maxPods = 0;
    const lines = await follow(sim, t1, () => {
      minAvailable = Math.min(minAvailable, livePods(sim, 'agent').filter(ready).length);
      maxPods = Math.max(maxPods, livePods(sim, 'agent').length);
    });
    const fresh = Object.fromEntries(Object.entries(byNode(sim)).map(([n, [p]]) => [n, p!]));
    const [a, b, c] = NODES as [string, string, string];
    expect(tr.of('DaemonSet', 'agent', t1, mark)).toEqual([
      [0, `Created pod: ${fresh[a]}`],
      [10, `Deleted pod: ${old[a]}`],
      [10, `Created pod: ${fresh[b]}`],
      [20, `Deleted pod: ${old[b]}`],
      [20, `Created pod: ${fresh[c]}`],
      [30, `Deleted pod: ${old[c]}`],
    ]);
    // The oldest pod on a node decides "updated", so a surged pod counts once its old neighbour is gone.
    expect(lines).toEqual([
      [0, 'Waiting for daemon set "agent" rollout to finish: 0 out of 3 new pods have been updated...'],
      [10, 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...'],
      [20, 'Waiting for daemon set "agent" rollout to finish: 2 out of 3 new pods have been updated...'],
      [30, 'daemon set "agent" successfully rolled out'],
    ]);
    expect(minAvailable).toBe(3);
    expect(maxPods).toBe(4);
  });

  it('OnDelete: nothing is replaced until a pod is deleted; its replacement has the new template', async () => {
    const o: DsOpts = { strategy: 'OnDelete' };
    const { sim, clock, tr, old } = await deployed(o);
    apply(sim, dsManifest({ ...o, image: 'agent:2.0' }));
    const mark = tr.mark();
    await sim.advanceBy(60_000);
    expect(tr.of('DaemonSet', 'agent', clock.now(), mark)).toEqual([]);
    expect(agent(sim).status.numberAvailable).toBe(3);
    // updatedNumberScheduled is 0, so the API omits it.
    expect(agent(sim).status).not.toHaveProperty('updatedNumberScheduled');
    expect(daemonSetRolloutStatus(agent(sim))).toMatchObject({ failed: true, message: 'rollout status is only available for RollingUpdate strategy type' });
    const t2 = clock.now();
    sim.api.delete('Pod', 'default', old['mflux-sim-node2']!);
    await sim.advanceBy(10_000);
    const fresh = byNode(sim)['mflux-sim-node2']![0]!;
    expect(tr.of('DaemonSet', 'agent', t2, mark)).toEqual([[0, `Created pod: ${fresh}`]]);
    expect(livePods(sim, 'agent').filter((p) => image(p) === 'agent:2.0').map((p) => p.metadata.name)).toEqual([fresh]);
    expect(agent(sim).status).toMatchObject({ updatedNumberScheduled: 1, numberAvailable: 3 });
  });
});

describe('the nodes knob', () => {
  it('nodes: 5 makes five Ready nodes and five daemon pods', async () => {
    const { sim } = newSim({ nodes: 5 });
    apply(sim, dsManifest({}));
    await sim.advanceBy(10_000);
    expect(sim.api.list('Node').map((n) => n.metadata.name)).toEqual([...NODES, 'mflux-sim-node4', 'mflux-sim-node5']);
    expect(agent(sim).status).toMatchObject({ desiredNumberScheduled: 5, numberReady: 5 });
    expect(sim.api.get('Node', undefined, 'mflux-sim-node5')!.status.addresses[0]).toEqual({ type: 'InternalIP', address: '172.18.0.6' });
  });
});
