import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { LabelIndex, desiredEndpoints, endpointConditions, endpointCounts, podTemplateOf, resolveTargetPort, selectsLabels, selectsTemplate, serviceEndpoints, serviceSelector } from '../../src/cluster/serving.js';

const svc = (spec: any, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace }, spec });

function pod(name: string, o: { labels?: Record<string, string>; ready?: boolean; ip?: string | null; phase?: string; deleting?: boolean; ports?: any[]; namespace?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', labels: o.labels ?? { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:30Z' } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === null ? {} : { podIP: o.ip ?? '10.244.0.5' }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

describe('which pods a Service selects', () => {
  it('has no selector when spec.selector is absent; {} selects everything', () => {
    expect(serviceSelector(svc({ ports: [{ port: 80 }] }))).toBeUndefined();
    expect(serviceEndpoints(svc({ ports: [{ port: 80 }] }), [pod('a')])).toEqual([]);
    expect(selectsLabels({}, { anything: 'x' })).toBe(true);
    expect(serviceEndpoints(svc({ selector: {}, ports: [{ port: 80 }] }), [pod('a', { labels: { other: 'x' } })])).toHaveLength(1);
  });

  it('needs every selector label with the same value, in the Service namespace', () => {
    expect(selectsLabels({ app: 'web', tier: 'front' }, { app: 'web' })).toBe(false);
    expect(selectsLabels({ app: 'web' }, { app: 'web', version: 'v2' })).toBe(true);
    const s = svc({ selector: { app: 'web' }, ports: [{ port: 80 }] });
    const eps = serviceEndpoints(s, [pod('a'), pod('b', { labels: { app: 'api' } }), pod('c', { namespace: 'other' })]);
    expect(eps.map((e) => e.pod.metadata.name)).toEqual(['a']);
  });
});

describe('targetPort resolution', () => {
  const spec = { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }] };
  it('takes a number as is, declared or not, and defaults to port', () => {
    expect(resolveTargetPort({ port: 80, targetPort: 9090 }, spec)).toBe(9090);
    expect(resolveTargetPort({ port: 80 }, spec)).toBe(80);
  });
  it('looks a name up among the container ports with the same protocol', () => {
    expect(resolveTargetPort({ port: 80, targetPort: 'http' }, spec)).toBe(8080);
    expect(resolveTargetPort({ port: 80, targetPort: 'https' }, spec)).toBeUndefined();
    expect(resolveTargetPort({ port: 53, targetPort: 'dns' }, spec)).toBeUndefined();
    expect(resolveTargetPort({ port: 53, targetPort: 'dns', protocol: 'UDP' }, spec)).toBe(53);
  });
  it('finds a named port on a sidecar init container but not on a plain init container', () => {
    const withInit = (restartPolicy?: string) => ({ containers: [{ name: 'app' }], initContainers: [{ name: 'proxy', restartPolicy, ports: [{ name: 'metrics', containerPort: 9901 }] }] });
    expect(resolveTargetPort({ port: 80, targetPort: 'metrics' }, withInit('Always'))).toBe(9901);
    expect(resolveTargetPort({ port: 80, targetPort: 'metrics' }, withInit())).toBeUndefined();
  });
});

describe('endpoint conditions', () => {
  const s = svc({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
  it('ready and serving follow the Ready condition', () => {
    expect(endpointConditions(s, pod('a'))).toEqual({ ready: true, serving: true, terminating: false });
    expect(endpointConditions(s, pod('a', { ready: false }))).toEqual({ ready: false, serving: false, terminating: false });
  });
  it('a terminating pod is never ready but still serving while its Ready condition holds', () => {
    expect(endpointConditions(s, pod('a', { deleting: true }))).toEqual({ ready: false, serving: true, terminating: true });
  });
  it('publishNotReadyAddresses makes every endpoint ready', () => {
    const p = svc({ ...s.spec, publishNotReadyAddresses: true });
    expect(endpointConditions(p, pod('a', { ready: false, deleting: true }))).toEqual({ ready: true, serving: true, terminating: true });
  });
  it('pods without an IP or finished are not endpoints; one without the named port is listed without ports', () => {
    const eps = serviceEndpoints(s, [pod('noip', { ip: null }), pod('done', { phase: 'Succeeded' }), pod('noport', { ports: [] }), pod('ok')]);
    expect(eps.map((e) => [e.pod.metadata.name, e.ports])).toEqual([
      ['noport', []],
      ['ok', [{ name: 'http', port: 8080, protocol: 'TCP' }]],
    ]);
  });
  it("a Service port's appProtocol is carried onto the resolved port (EndpointSlice and Endpoints ports copy it)", () => {
    const h2 = svc({ selector: { app: 'web' }, ports: [{ name: 'grpc', port: 81, targetPort: 8080, appProtocol: 'kubernetes.io/h2c' }, { name: 'http', port: 80 }] });
    expect(serviceEndpoints(h2, [pod('a')])[0]!.ports).toEqual([
      { name: 'grpc', port: 8080, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      { name: 'http', port: 80, protocol: 'TCP' },
    ]);
  });
  it('endpointCounts counts as ready the ready pods that serve a port: 4 pods, one unready, one terminating, one without the port → 1', () => {
    expect(endpointCounts(s, [pod('a'), pod('b', { ready: false }), pod('c', { deleting: true }), pod('d', { ports: [] })]).ready).toBe(1);
  });
});

describe('what a Service should serve: the templates it selects and their replicas', () => {
  const workload = (kind: string, o: { replicas?: number; labels?: Record<string, string>; namespace?: string; owned?: boolean; status?: any } = {}): KubeObject => {
    const template = { metadata: { labels: o.labels ?? { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
    const meta = { name: kind.toLowerCase(), namespace: o.namespace ?? 'default', ...(o.owned ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'u', controller: true }] } : {}) };
    if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: { ...meta, labels: o.labels ?? { app: 'web' } }, spec: template.spec };
    if (kind === 'CronJob') return { apiVersion: 'batch/v1', kind, metadata: meta, spec: { jobTemplate: { spec: { template } } } };
    return { apiVersion: 'apps/v1', kind, metadata: meta, spec: { ...(o.replicas !== undefined ? { replicas: o.replicas } : {}), template }, ...(o.status ? { status: o.status } : {}) };
  };

  it('reads each kind\'s template; replicas default to 1, Jobs want none, a DaemonSet what the cluster scheduled', () => {
    expect(podTemplateOf(workload('Deployment', { replicas: 4 }))).toMatchObject({ namespace: 'default', labels: { app: 'web' }, replicas: 4 });
    expect(podTemplateOf(workload('StatefulSet'))!.replicas).toBe(1);
    expect(podTemplateOf(workload('DaemonSet'))!.replicas).toBeUndefined();
    expect(podTemplateOf(workload('DaemonSet', { status: { desiredNumberScheduled: 3 } }))!.replicas).toBe(3);
    expect(podTemplateOf(workload('Job'))!.replicas).toBe(0);
    expect(podTemplateOf(workload('CronJob'))).toMatchObject({ labels: { app: 'web' }, replicas: 0 });
    expect(podTemplateOf(workload('Pod'))).toMatchObject({ labels: { app: 'web' }, replicas: 1 });
    expect(podTemplateOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toBeUndefined();
  });

  it('selects templates of its namespace only; a Service without a selector selects none', () => {
    const t = podTemplateOf(workload('Deployment'))!;
    expect(selectsTemplate(svc({ selector: { app: 'web' } }), t)).toBe(true);
    expect(selectsTemplate(svc({ selector: { app: 'web' } }, 'other'), t)).toBe(false);
    expect(selectsTemplate(svc({ selector: { app: 'web', track: 'canary' } }), t)).toBe(false);
    expect(selectsTemplate(svc({ ports: [{ port: 80 }] }), t)).toBe(false);
  });

  it('desired: Deployments of 4 and 2 plus a bare Pod = 7; owned ReplicaSets and Pods are their Deployment\'s', () => {
    const s = svc({ selector: { app: 'web' } });
    const all = [
      workload('Deployment', { replicas: 4 }),
      { ...workload('Deployment', { replicas: 2, labels: { app: 'web', track: 'canary' } }), metadata: { name: 'canary', namespace: 'default' } },
      workload('ReplicaSet', { replicas: 4, owned: true }),
      workload('Pod', { owned: true }),
      workload('Pod'),
      workload('Deployment', { replicas: 9, namespace: 'other' }),
      workload('Deployment', { replicas: 9, labels: { app: 'api' } }),
    ];
    expect(desiredEndpoints(s, all)).toBe(7);
  });

  it('endpointCounts: every endpoint listed, and the ready ones that serve a port', () => {
    const s = svc({ selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] });
    const pods = [pod('a'), pod('b', { ready: false }), pod('c', { ports: [] }), pod('d', { deleting: true }), pod('e', { ip: null })];
    expect(endpointCounts(s, pods)).toEqual({ ready: 1, total: 4 });
  });
});

describe('hostile shapes (the store may hold what validation does not inspect)', () => {
  it('never throws, and counts only what is well formed', () => {
    const weird = [
      svc({ selector: { app: 'web' }, ports: [null, 5, 'x', { port: '80' }, { port: 80, name: 7, protocol: 6, targetPort: { a: 1 } }] }),
      svc({ selector: ['app'], ports: [{ port: 80 }] }),
      svc({ selector: { app: 'web' }, ports: 'nope' }),
    ];
    const pods = [pod('a'), { ...pod('b'), spec: { containers: 5, initContainers: 'x' } } as KubeObject, { ...pod('c'), spec: { containers: [{ ports: 'x' }, null] } } as KubeObject];
    for (const s of weird) expect(() => serviceEndpoints(s, pods)).not.toThrow();
    expect(serviceEndpoints(weird[1]!, pods)).toEqual([]);
    expect(serviceEndpoints(weird[0]!, pods).map((e) => e.ports)).toEqual([[], [], []]);
  });
});

describe('LabelIndex', () => {
  const items = [
    { n: 'a', l: { app: 'web', tier: 'front' } },
    { n: 'b', l: { app: 'web', tier: 'back' } },
    { n: 'c', l: { app: 'api', tier: 'front' } },
    { n: 'd', l: undefined },
  ];
  const idx = new LabelIndex(items, (i) => i.l);
  const names = (sel: Record<string, string>) => idx.candidates(sel).map((i) => i.n);
  it('gives the rarest pair\'s items, a superset of the matches, in the original order', () => {
    expect(names({ app: 'web' })).toEqual(['a', 'b']);
    expect(names({ app: 'web', tier: 'back' })).toEqual(['b']);
    expect(names({ app: 'web', tier: 'nope' })).toEqual([]);
    // An empty selector selects everything, unlabelled items included.
    expect(names({})).toEqual(['a', 'b', 'c', 'd']);
  });
  it('counts the same endpoints through the index as over every pod', () => {
    const s = svc({ selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] });
    const pods = [pod('a'), pod('b', { labels: { app: 'api' } }), pod('c', { ready: false }), pod('d')];
    const byLabels = new LabelIndex(pods, (p) => p.metadata.labels);
    expect(endpointCounts(s, byLabels.candidates({ app: 'web' }))).toEqual(endpointCounts(s, pods));
    expect(endpointCounts(s, pods).ready).toBe(2);
  });
});
