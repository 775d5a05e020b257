/**
 * The endpoint controllers on the virtual clock: EndpointSlices and Endpoints of a Service follow its
 * pods through a rolling update, with contents worked out by hand before the run from the
 * Deployment's rules (maxSurge/maxUnavailable) and upstream's endpoint rules. Pods become Ready 10 s
 * after creation; offsets are seconds from the image update.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { VirtualClock } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, TRIGGER_TIME_ANNOTATION } from '../../src/cluster/sim/controllers/endpointslice/controller.js';
import { ServiceIndex } from '../../src/cluster/sim/controllers/endpointslice/index.js';
import { endpointsSubsets } from '../../src/cluster/sim/controllers/endpointslice/endpoints.js';
import { serviceEndpoints } from '../../src/cluster/serving.js';
import { T0, apply } from './helpers.js';
import { newSim } from './workloads.js';

function service(o: { name?: string; selector?: Record<string, string> | null; ports?: any[]; publishNotReady?: boolean; labels?: Record<string, string> } = {}): KubeObject {
  const spec: any = { ports: o.ports ?? [{ name: 'http', port: 80, targetPort: 'http' }] };
  if (o.selector !== null) spec.selector = o.selector ?? { app: 'front' };
  if (o.publishNotReady) spec.publishNotReadyAddresses = true;
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: o.name ?? 'front', namespace: 'default', ...(o.labels ? { labels: o.labels } : {}) }, spec };
}

function deployment(o: { name?: string; replicas?: number; image?: string; containerPort?: number; labels?: Record<string, string> } = {}): KubeObject {
  const name = o.name ?? 'front';
  const labels = o.labels ?? { app: 'front' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: o.replicas ?? 4,
      selector: { matchLabels: { ...labels, deploy: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { ...labels, deploy: name } },
        spec: { containers: [{ name: 'app', image: o.image ?? 'nginx:1.20', ports: [{ name: 'http', containerPort: o.containerPort ?? 8080 }] }] },
      },
    },
  };
}

const slices = (sim: Simulation, svc = 'front'): KubeObject[] => sim.api.list('EndpointSlice', 'default').filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc);
const endpointsOf = (sim: Simulation, svc = 'front'): KubeObject | undefined => sim.api.get('Endpoints', 'default', svc);
const imageOf = (sim: Simulation, podName: string): string => sim.api.get('Pod', 'default', podName)?.spec.containers[0].image ?? '?';

/**
 * view is the Service's endpoints at one instant: per slice endpoint "<image tag>:<r><s><t>" (1/0 for
 * ready, serving, terminating; sorted), and the Endpoints object as [ready addresses, not-ready
 * addresses] by image tag. It also checks that both agree on the addresses and that every slice
 * port is 8080.
 */
function view(sim: Simulation, publishNotReady = false): { slice: string[]; endpoints: [string[], string[]] } {
  const eps = slices(sim).flatMap((s) => (s.endpoints as any[] | null) ?? []);
  for (const s of slices(sim)) if (s.endpoints) expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const tag = (podName: string) => imageOf(sim, podName).split(':')[1]!;
  const slice = eps.map((e) => `${tag(e.targetRef.name)}:${Number(e.conditions.ready)}${Number(e.conditions.serving)}${Number(e.conditions.terminating)}`).sort();
  const subsets: any[] = (endpointsOf(sim)?.subsets as any[] | undefined) ?? [];
  const ready = subsets.flatMap((s) => s.addresses ?? []);
  const notReady = subsets.flatMap((s) => s.notReadyAddresses ?? []);
  for (const s of subsets) expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  // Every non-terminating slice endpoint (every one, when not-ready addresses are published) is in the Endpoints object, under the same address.
  const live = eps.filter((e) => publishNotReady || !e.conditions.terminating);
  expect([...ready, ...notReady].map((a) => `${a.ip}/${a.targetRef.name}`).sort()).toEqual(live.map((e) => `${e.addresses[0]}/${e.targetRef.name}`).sort());
  return { slice, endpoints: [ready.map((a) => tag(a.targetRef.name)).sort(), notReady.map((a) => tag(a.targetRef.name)).sort()] };
}

/** trace runs the cluster until `until`, recording the view at every instant where it changed, as [seconds from `from`, view]. */
async function trace(sim: Simulation, from: number, until: number): Promise<[number, ReturnType<typeof view>][]> {
  const out: [number, ReturnType<typeof view>][] = [];
  await sim.runUntil(() => false, until, () => {
    const v = view(sim);
    if (JSON.stringify(out.at(-1)?.[1]) !== JSON.stringify(v)) out.push([(sim.clock.now() - from) / 1000, v]);
  });
  return out;
}

describe('EndpointSlices and Endpoints through a rolling update', () => {
  it('4 replicas, maxSurge 25% / maxUnavailable 25%: at most 5 endpoints, never fewer than 3 ready, at every write', async () => {
    const { sim } = newSim();
    apply(sim, service());
    apply(sim, deployment());
    // Rollout from nothing: 4 pods bound at once (not ready), ready at 10 s.
    expect(await trace(sim, T0, T0 + 20_000)).toEqual([
      [0, { slice: ['1.20:000', '1.20:000', '1.20:000', '1.20:000'], endpoints: [[], ['1.20', '1.20', '1.20', '1.20']] }],
      [10, { slice: ['1.20:110', '1.20:110', '1.20:110', '1.20:110'], endpoints: [['1.20', '1.20', '1.20', '1.20'], []] }],
    ]);
    const [slice] = slices(sim);
    const rv = slice!.metadata.resourceVersion;

    // Every write from now on: count what each EndpointSlice/Endpoints write publishes.
    const seen: { kind: string; at: number; total: number; ready: number }[] = [];
    const at = () => (sim.clock.now() - from) / 1000;
    sim.api.watch((type, obj) => {
      if (type === 'DELETED') return;
      if (obj.kind === 'EndpointSlice') {
        const eps = ((obj.endpoints as any[] | null) ?? []) as any[];
        seen.push({ kind: 'EndpointSlice', at: at(), total: eps.length, ready: eps.filter((e) => e.conditions.ready).length });
      } else if (obj.kind === 'Endpoints') {
        const subsets = (obj.subsets as any[] | undefined) ?? [];
        const ready = subsets.reduce((n, s) => n + (s.addresses ?? []).length, 0);
        seen.push({ kind: 'Endpoints', at: at(), total: ready + subsets.reduce((n, s) => n + (s.notReadyAddresses ?? []).length, 0), ready });
      }
    });
    // By hand (maxTotal 5, minAvailable 3, pods gone at once when deleted):
    //  0s  new RS → 1 (5 pods), old → 3, new → 2: 3 old ready + 2 new not ready.
    // 10s  2 new ready (5 ready); old → 1, new → 4: 1 old + 2 new ready, 2 new not ready.
    // 20s  2 new ready; old → 0: 4 new ready.
    // The endpoint controllers sync once each instant has settled, so each instant is one write of
    // each object, whatever order the pods were deleted, created and bound in within it.
    const from = sim.clock.now();
    apply(sim, deployment({ image: 'nginx:1.21' }));
    expect(await trace(sim, from, from + 60_000)).toEqual([
      [0, { slice: ['1.20:110', '1.20:110', '1.20:110', '1.21:000', '1.21:000'], endpoints: [['1.20', '1.20', '1.20'], ['1.21', '1.21']] }],
      [10, { slice: ['1.20:110', '1.21:000', '1.21:000', '1.21:110', '1.21:110'], endpoints: [['1.20', '1.21', '1.21'], ['1.21', '1.21']] }],
      [20, { slice: ['1.21:110', '1.21:110', '1.21:110', '1.21:110'], endpoints: [['1.21', '1.21', '1.21', '1.21'], []] }],
    ]);
    expect(seen.map((s) => `${s.at}s ${s.kind} ${s.ready}/${s.total}`)).toEqual([
      '0s EndpointSlice 3/5',
      '0s Endpoints 3/5',
      '10s EndpointSlice 3/5',
      '10s Endpoints 3/5',
      '20s EndpointSlice 4/4',
      '20s Endpoints 4/4',
    ]);
    for (const s of seen) {
      expect(s.total, JSON.stringify(s)).toBeLessThanOrEqual(5);
      expect(s.ready, JSON.stringify(s)).toBeGreaterThanOrEqual(3);
    }
    // One slice all along, updated in place.
    expect(slices(sim).map((s) => s.metadata.name)).toEqual([slice!.metadata.name]);
    expect(slices(sim)[0]!.metadata.resourceVersion).not.toBe(rv);
  });

  it('terminating pods stay in the slice (terminating, not ready, serving while Ready) and leave Endpoints', async () => {
    const { sim } = newSim({ podTerminateAfterMs: 5_000 });
    apply(sim, service());
    apply(sim, deployment({ replicas: 2 }));
    await sim.advanceBy(10_000);
    const from = sim.clock.now();
    apply(sim, deployment({ replicas: 1 }));
    // The deleted pod is terminating for 5 s: in the slice as terminating (serving, its Ready condition still holds), gone from Endpoints.
    expect(await trace(sim, from, from + 10_000)).toEqual([
      [0, { slice: ['1.20:011', '1.20:110'], endpoints: [['1.20'], []] }],
      [5, { slice: ['1.20:110'], endpoints: [['1.20'], []] }],
    ]);
  });

  it('publishNotReadyAddresses: not-ready and terminating pods are ready addresses in both', async () => {
    const { sim } = newSim({ podTerminateAfterMs: 5_000 });
    apply(sim, service({ publishNotReady: true }));
    apply(sim, deployment({ replicas: 2 }));
    sim.fireDue();
    expect(view(sim, true)).toEqual({ slice: ['1.20:110', '1.20:110'], endpoints: [['1.20', '1.20'], []] });
    await sim.advanceBy(10_000);
    apply(sim, deployment({ replicas: 1 }));
    await sim.advanceBy(1_000);
    expect(view(sim, true)).toEqual({ slice: ['1.20:110', '1.20:111'], endpoints: [['1.20', '1.20'], []] });
  });
});

describe('what the controllers publish', () => {
  it('a slice and an Endpoints object as upstream writes them', async () => {
    const { sim } = newSim();
    const svc = apply(sim, service({ labels: { tier: 'web' } }));
    apply(sim, deployment({ replicas: 1 }));
    await sim.advanceBy(10_000);
    const [s] = slices(sim);
    const pod = sim.api.list('Pod', 'default')[0]!;
    expect(s!.metadata.name).toMatch(/^front-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(s).toMatchObject({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      addressType: 'IPv4',
      metadata: {
        generateName: 'front-',
        namespace: 'default',
        labels: { tier: 'web', [SERVICE_NAME_LABEL]: 'front', [MANAGED_BY_LABEL]: MANAGED_BY },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'front', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      endpoints: [
        {
          addresses: [pod.status.podIP],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: pod.spec.nodeName,
          targetRef: { kind: 'Pod', namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const ep = endpointsOf(sim)!;
    expect(ep.metadata.labels).toEqual({ tier: 'web' });
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: pod.status.podIP, nodeName: pod.spec.nodeName, targetRef: { kind: 'Pod', namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    // The trigger time is when the pod became Ready (its Ready condition's transition).
    expect(ep.metadata.annotations?.[TRIGGER_TIME_ANNOTATION]).toBe('2021-10-10T00:02:44Z');
  });

  it('nothing changes, nothing is written: a re-applied Service, an unrelated pod, a restarted controller', async () => {
    const { sim, clock } = newSim();
    apply(sim, service());
    apply(sim, deployment({ replicas: 2 }));
    await sim.advanceBy(10_000);
    const rvs = () => [...slices(sim), endpointsOf(sim)!].map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`);
    const before = rvs();
    apply(sim, service());
    apply(sim, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'default', labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await sim.advanceBy(10_000);
    expect(rvs()).toEqual(before);
    // A new controller manager over the same objects resyncs every Service and finds nothing to do.
    const objects = sim.api.kinds().flatMap((k) => sim.api.list(k));
    const saved = sim.drainChanges();
    const again = new Simulation(new VirtualClock(clock.now()), {}, { objects, events: [], meta: saved.meta as Record<string, string> });
    const rv = again.api.resourceVersion;
    again.fireDue();
    expect(again.api.resourceVersion).toBe(rv);
  });

  it('targetPort by number or by name; pods resolving different ports get different slices', async () => {
    const { sim } = newSim();
    apply(sim, service({ ports: [{ name: 'http', port: 80, targetPort: 'http' }] }));
    apply(sim, service({ name: 'num', ports: [{ port: 80, targetPort: 9090 }] }));
    apply(sim, deployment({ name: 'a', replicas: 1, containerPort: 8080 }));
    apply(sim, deployment({ name: 'b', replicas: 1, containerPort: 8081 }));
    await sim.advanceBy(10_000);
    const ports = (svc: string) => slices(sim, svc).map((s) => [(s.endpoints as any[]).map((e) => e.targetRef.name.split('-')[0]), s.ports]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(ports('front')).toEqual([
      [['a'], [{ name: 'http', port: 8080, protocol: 'TCP' }]],
      [['b'], [{ name: 'http', port: 8081, protocol: 'TCP' }]],
    ]);
    // A numeric targetPort is used as is; an unnamed port is published with name "".
    expect(ports('num')).toEqual([[['a', 'b'], [{ name: '', port: 9090, protocol: 'TCP' }]]]);
    // Endpoints: one subset per port, the unnamed port without a name.
    expect((endpointsOf(sim, 'front')!.subsets as any[]).map((s: any) => s.ports[0].port).sort()).toEqual([8080, 8081]);
    expect(endpointsOf(sim, 'num')!.subsets).toHaveLength(1);
    expect((endpointsOf(sim, 'num')!.subsets as any[])[0].ports).toEqual([{ port: 9090, protocol: 'TCP' }]);
  });

  it('at most 100 endpoints a slice: 101 pods make two slices; scaling to 0 leaves one empty placeholder', async () => {
    const { sim } = newSim();
    apply(sim, service());
    apply(sim, deployment({ replicas: 101 }));
    await sim.advanceBy(10_000);
    expect(slices(sim).map((s) => (s.endpoints as any[]).length).sort((a, b) => a - b)).toEqual([1, 100]);
    expect((endpointsOf(sim)!.subsets as any[])[0].addresses).toHaveLength(101);
    apply(sim, deployment({ replicas: 0 }));
    await sim.advanceBy(1_000);
    const left = slices(sim);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ endpoints: null, ports: null, addressType: 'IPv4' });
    expect(endpointsOf(sim)!.subsets).toBeUndefined();
  });

  it('a Service selecting no pods gets a placeholder slice and an Endpoints object without subsets', () => {
    const { sim } = newSim();
    apply(sim, service());
    sim.fireDue();
    expect(slices(sim).map((s) => [s.endpoints, s.ports])).toEqual([[null, null]]);
    const ep = endpointsOf(sim)!;
    expect(ep.subsets).toBeUndefined();
    expect(ep.metadata.annotations?.[TRIGGER_TIME_ANNOTATION]).toBe('2021-10-10T00:02:34Z');
  });

  it('the placeholder becomes the first slice when pods appear, and a slice emptied becomes the placeholder (upstream finalize: reuse, not delete and create)', async () => {
    const { sim } = newSim();
    apply(sim, service());
    sim.fireDue();
    const [placeholder] = slices(sim);
    const deleted: string[] = [];
    sim.api.watch((type, obj) => {
      if (type === 'DELETED' && obj.kind === 'EndpointSlice') deleted.push(obj.metadata.name);
    });
    apply(sim, deployment({ replicas: 2 }));
    sim.fireDue();
    expect(slices(sim).map((s) => [s.metadata.name, ((s.endpoints as any[] | null) ?? []).length])).toEqual([[placeholder!.metadata.name, 2]]);
    apply(sim, deployment({ replicas: 0 }));
    await sim.advanceBy(1_000);
    expect(slices(sim).map((s) => [s.metadata.name, s.endpoints])).toEqual([[placeholder!.metadata.name, null]]);
    expect(deleted).toEqual([]);
  });

  it('a Service without a selector is left alone: its hand-written Endpoints stay, no slice appears', async () => {
    const { sim } = newSim();
    apply(sim, service({ selector: null }));
    const mine = apply(sim, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'front', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.168.1.10' }], ports: [{ port: 5432 }] }] });
    apply(sim, deployment({ replicas: 1 }));
    await sim.advanceBy(10_000);
    expect(slices(sim)).toEqual([]);
    expect(endpointsOf(sim)!.metadata.resourceVersion).toBe(mine.metadata.resourceVersion);
  });

  it('a deleted Service takes its slices and Endpoints along; deleted Endpoints are published again', async () => {
    const { sim } = newSim();
    apply(sim, service());
    apply(sim, deployment({ replicas: 1 }));
    await sim.advanceBy(10_000);
    sim.api.delete('Endpoints', 'default', 'front');
    sim.fireDue();
    expect((endpointsOf(sim)!.subsets as any[])[0].addresses).toHaveLength(1);
    sim.api.delete('Service', 'default', 'front');
    sim.fireDue();
    expect(slices(sim)).toEqual([]);
    expect(endpointsOf(sim)).toBeUndefined();
  });

  it('a selector change moves the endpoints; a relabelled pod leaves the Service', async () => {
    const { sim } = newSim();
    apply(sim, service());
    apply(sim, deployment({ name: 'a', replicas: 1 }));
    apply(sim, deployment({ name: 'b', replicas: 1, labels: { app: 'back' } }));
    await sim.advanceBy(10_000);
    const names = () => slices(sim).flatMap((s) => ((s.endpoints as any[] | null) ?? []).map((e) => e.targetRef.name.split('-')[0]));
    expect(names()).toEqual(['a']);
    apply(sim, service({ selector: { app: 'back' } }));
    sim.fireDue();
    expect(names()).toEqual(['b']);
    const pod = sim.api.list('Pod', 'default').find((p) => p.metadata.name.startsWith('b-'))!;
    sim.api.writeDirect({ ...pod, metadata: { ...pod.metadata, labels: { app: 'elsewhere' } } });
    sim.fireDue();
    expect(names()).toEqual([]);
  });
});

describe('ServiceIndex', () => {
  it('a pod change wakes only the Services whose selector matches its old or new labels', () => {
    const idx = new ServiceIndex();
    const spec = {};
    const pod = (labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels }, spec, status: { podIP: '10.244.0.9' } });
    for (let i = 0; i < 1000; i++) idx.onService('ADDED', service({ name: `s${i}`, selector: { app: `a${i}` } }), () => []);
    idx.onService('ADDED', service({ name: 'all', selector: {} }), () => []);
    idx.onService('ADDED', service({ name: 'two', selector: { app: 'a7', tier: 'web' } }), () => []);
    idx.onService('ADDED', service({ name: 'none', selector: null }), () => []);
    expect([...idx.onPod('ADDED', pod({ app: 'a7' }), undefined)].sort()).toEqual(['Service/default/all', 'Service/default/s7']);
    expect([...idx.onPod('MODIFIED', pod({ app: 'a7', tier: 'web' }), pod({ app: 'a7' }))].sort()).toEqual(['Service/default/all', 'Service/default/s7', 'Service/default/two']);
    expect([...idx.podNames('default', 'two')]).toEqual(['p']);
    expect([...idx.onPod('MODIFIED', pod({ app: 'a9' }), pod({ app: 'a7', tier: 'web' }))].sort()).toEqual(['Service/default/all', 'Service/default/s7', 'Service/default/s9', 'Service/default/two']);
    expect([...idx.podNames('default', 'two')]).toEqual([]);
    expect([...idx.podNames('default', 's9')]).toEqual(['p']);
    expect([...idx.onPod('DELETED', pod({ app: 'a9' }), pod({ app: 'a9' }))].sort()).toEqual(['Service/default/all', 'Service/default/s9']);
    expect([...idx.podNames('default', 'all')]).toEqual([]);
  });

  it('a pod change that moves no endpoint wakes no Service, but still counts for membership (upstream podEndpointsChanged)', () => {
    const idx = new ServiceIndex();
    idx.onService('ADDED', service({ name: 'web', selector: { app: 'web' } }), () => []);
    const spec = { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] };
    const ready = (status: string, at: string) => [{ type: 'Ready', status, lastTransitionTime: at }];
    const pod = (status: Record<string, unknown> | undefined, extra: Partial<KubeObject['metadata']> = {}, podSpec: object = spec): KubeObject =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { app: 'web' }, ...extra }, spec: podSpec, ...(status ? { status } : {}) }) as KubeObject;
    // As the ReplicaSet controller creates it: no IP, no Ready condition — no endpoint, nothing to sync, but the Service selects it.
    const created = pod(undefined);
    expect(idx.onPod('ADDED', created, undefined)).toEqual([]);
    expect([...idx.podNames('default', 'web')]).toEqual(['p']);
    const bound = pod({ phase: 'Pending', podIP: '10.244.0.9', conditions: ready('False', 'T0') });
    expect(idx.onPod('MODIFIED', bound, created)).toEqual(['Service/default/web']);
    // Container statuses and other conditions change, the Ready condition does not: nothing moves.
    const creating = pod({ ...bound.status, containerStatuses: [{ name: 'c', ready: false }], conditions: [...ready('False', 'T0'), { type: 'PodScheduled', status: 'True' }] });
    expect(idx.onPod('MODIFIED', creating, bound)).toEqual([]);
    expect([...idx.podNames('default', 'web')]).toEqual(['p']);
    // Each of these moves something an endpoint shows.
    const moved: [string, KubeObject][] = [
      ['Ready', pod({ ...creating.status, conditions: ready('True', 'T1') })],
      ['Ready transition time', pod({ ...creating.status, conditions: ready('False', 'T1') })],
      ['IP', pod({ ...creating.status, podIP: '10.244.0.10' })],
      ['terminal phase', pod({ ...creating.status, phase: 'Failed' })],
      ['deletion', pod(creating.status, { deletionTimestamp: 'T2' })],
      ['spec', pod(creating.status, {}, { ...spec, nodeName: 'n1' })],
      ['labels', pod(creating.status, { labels: { app: 'web', tier: 'x' } })],
    ];
    for (const [what, next] of moved) expect(idx.onPod('MODIFIED', next, creating), what).toEqual(['Service/default/web']);
    expect(idx.onPod('DELETED', creating, creating)).toEqual(['Service/default/web']);
  });
});

describe('endpointsSubsets (RepackSubsets)', () => {
  it('ports served by the same addresses share a subset; others get their own', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9100, targetPort: 'metrics' }] });
    const pod = (name: string, ip: string, ready: boolean, metrics: boolean): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'front' } },
      spec: { nodeName: 'n1', containers: [{ name: 'c', ports: metrics ? [{ name: 'metrics', containerPort: 9100 }] : [] }] },
      status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    const addr = (name: string, ip: string) => ({ ip, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` } });
    const subsets = endpointsSubsets(svc, serviceEndpoints(svc, [pod('a', '10.244.0.5', true, true), pod('b', '10.244.0.6', false, false), pod('c', '10.244.0.10', true, true)]));
    // "10.244.0.10" sorts before "10.244.0.5" (byte order, as upstream compares addresses).
    expect(subsets).toEqual([
      { addresses: [addr('c', '10.244.0.10'), addr('a', '10.244.0.5')], notReadyAddresses: [addr('b', '10.244.0.6')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { addresses: [addr('c', '10.244.0.10'), addr('a', '10.244.0.5')], ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }] },
    ]);
  });
});
