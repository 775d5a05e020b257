/**
 * The guard's rules as pure functions over hand-built plan entries: every rule's positive and
 * negative case, the prune limit arithmetic, quantities, impacts, policy, and how guardPlan marks a
 * whole plan (blocked entries, every reason, counts).
 */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import {
  DEFAULT_POLICY,
  ROLLING_ALTERNATIVE,
  type Plan,
  type PlanAction,
  type PlanEntry,
  forceRequests,
  guardPlan,
  immutableChanges,
  impactsOf,
  maxPruneFor,
  parseMaxPrune,
  parseQuantity,
  servingPrune,
} from '../../src/plan/index.js';

const API: Record<string, string> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
};

function obj(kind: string, name: string, body: Record<string, unknown> = {}, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: API[kind] ?? 'v1', kind, metadata: { name, namespace: 'default', ...meta }, ...body } as KubeObject;
}

function ref(o: KubeObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

const ORIGIN = { file: 'apps/web.yaml', line: 7 };

/** update: live → next, as computePlan would hand it to the guard (applied = next, manifest = next). */
function update(live: KubeObject, next: KubeObject): PlanEntry {
  return { ref: ref(next), kind: next.kind, namespace: next.metadata.namespace, name: next.metadata.name, action: 'update', origin: ORIGIN, patch: [], reasons: [], impact: [], manifest: next, applied: next, live };
}

function create(next: KubeObject, origin = ORIGIN): PlanEntry {
  return { ref: ref(next), kind: next.kind, namespace: next.metadata.namespace, name: next.metadata.name, action: 'create', origin, patch: [], reasons: [], impact: [], manifest: next, applied: next };
}

function prune(live: KubeObject): PlanEntry {
  return { ref: ref(live), kind: live.kind, namespace: live.metadata.namespace, name: live.metadata.name, action: 'prune', patch: [], reasons: [], impact: [], live };
}

function unchanged(o: KubeObject): PlanEntry {
  return { ref: ref(o), kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, action: 'unchanged', origin: ORIGIN, patch: [], reasons: [], impact: [], manifest: o, applied: o, live: o };
}

function plan(...entries: PlanEntry[]): Plan {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, prune: 0, blocked: 0 };
  for (const e of entries) counts[e.action]++;
  return { entries, counts };
}

function deployment(name: string, o: { replicas?: number; image?: string; labels?: Record<string, string>; strategy?: unknown; ready?: number } = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return obj(
    'Deployment',
    name,
    {
      spec: {
        replicas: o.replicas ?? 3,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: o.image ?? 'web:1' }] } },
        strategy: o.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      },
      ...(o.ready !== undefined ? { status: { replicas: o.ready, readyReplicas: o.ready, availableReplicas: o.ready } } : {}),
    },
    { generation: 4, resourceVersion: '17', uid: 'u-1' },
  );
}

const codes = (rs: { code: string }[]) => rs.map((r) => r.code);
const fields = (rs: { field?: string }[]) => rs.map((r) => r.field);

describe('maxPruneFor / parseMaxPrune', () => {
  test.each([
    ['20%', 12, 2], // floor(2.4)
    ['20%', 10, 2],
    ['20%', 3, 1], // floor(0.6) = 0 → at least 1
    ['20%', 0, 1],
    ['50%', 10, 5],
    ['100%', 7, 7],
    [' 30% ', 10, 3],
    [5, 100, 5],
    [5, 2, 5], // a count is not capped by the inventory
    [0, 10, 1], // never below 1
    [2.9, 10, 2],
    ['3', 10, 3],
    ['oops', 10, 1],
  ] as [number | string, number, number][])('maxPruneFor(%j, %i) = %i', (max, inv, want) => {
    expect(maxPruneFor(max, inv)).toBe(want);
  });

  test('the default policy prunes 20% of the inventory', () => {
    expect(DEFAULT_POLICY).toEqual({ maxPrune: '20%', block: [] });
    expect(maxPruneFor(DEFAULT_POLICY.maxPrune, 25)).toBe(5);
  });

  test.each([
    ['20%', '20%'],
    [' 7% ', '7%'],
    ['5', 5],
    [' 12 ', 12],
    ['0', 0],
    ['abc', undefined],
    ['-1', undefined],
    ['5.5', undefined],
    ['20 %', undefined],
    ['', undefined],
  ] as [string, number | string | undefined][])('parseMaxPrune(%j) = %j', (v, want) => {
    expect(parseMaxPrune(v)).toBe(want);
  });
});

describe('parseQuantity', () => {
  test.each([
    ['10Gi', 10 * 1024 ** 3],
    ['1Gi', 1024 ** 3],
    ['1024Mi', 1024 ** 3],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['500M', 5e8],
    ['2k', 2000],
    ['3Ki', 3072],
    ['1Ti', 1024 ** 4],
    ['1Ei', 1024 ** 6],
    ['250m', 0.25],
    ['100', 100],
    ['1e3', 1000],
    ['2E6', 2e6],
    [' 5Gi ', 5 * 1024 ** 3],
    ['.5Ki', 512],
  ] as [string, number][])('%j → %d', (v, want) => {
    expect(parseQuantity(v)).toBeCloseTo(want, 6);
  });

  test.each([['abc'], ['10Xi'], ['1.2.3Gi'], ['Gi'], [''], ['.'], ['10 Gi'], ['1e'], [undefined], [null], [{}], [Number.NaN]])('%j is not a quantity', (v) => {
    expect(parseQuantity(v)).toBeUndefined();
  });

  test('numbers pass through; 1Gi and 1024Mi compare equal, 2Gi > 1500Mi', () => {
    expect(parseQuantity(42)).toBe(42);
    expect(parseQuantity('1Gi')).toBe(parseQuantity('1024Mi'));
    expect(parseQuantity('2Gi')!).toBeGreaterThan(parseQuantity('1500Mi')!);
  });
});

describe('immutableChanges', () => {
  test('a Deployment selector change is blocked with the field path, file:line and the rolling alternative', () => {
    const live = deployment('web');
    const next = deployment('web', { labels: { app: 'web', track: 'v2' } });
    const rs = immutableChanges(update(live, next));
    expect(rs).toEqual([
      {
        code: 'ImmutableFieldChange',
        object: 'Deployment/default/web',
        file: 'apps/web.yaml',
        line: 7,
        field: 'spec.selector',
        message: expect.stringContaining('apps/web.yaml:7: Deployment/default/web: spec.selector is immutable'),
      },
    ]);
    expect(rs[0]!.message).toContain(ROLLING_ALTERNATIVE);
  });

  test('a Deployment image, replicas or strategy change is not an immutable change', () => {
    const live = deployment('web');
    expect(immutableChanges(update(live, deployment('web', { image: 'web:2', replicas: 5, strategy: { type: 'Recreate' } })))).toEqual([]);
  });

  test.each(['ReplicaSet', 'StatefulSet', 'DaemonSet'])('%s spec.selector is immutable, its template is not', (kind) => {
    const mk = (labels: Record<string, string>, image: string) =>
      obj(kind, 'x', { spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image }] } } } });
    const live = mk({ app: 'x' }, 'a:1');
    expect(fields(immutableChanges(update(live, mk({ app: 'x', v: '2' }, 'a:1'))))).toEqual(['spec.selector']);
    expect(immutableChanges(update(live, mk({ app: 'x' }, 'a:2')))).toEqual([]);
  });

  test('only status and server metadata differing is no change (normalised away)', () => {
    const live = deployment('web', { ready: 3 });
    const next = deployment('web');
    next.metadata = { name: 'web', namespace: 'default', annotations: { 'deployment.kubernetes.io/revision': '9' } };
    expect(immutableChanges(update(live, next))).toEqual([]);
  });

  describe('Service clusterIP', () => {
    const svc = (spec: Record<string, unknown>) => obj('Service', 'web', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } });

    test('a Service with no clusterIP yet may get one', () => {
      expect(immutableChanges(update(svc({}), svc({ clusterIP: '10.96.0.10' })))).toEqual([]);
      expect(immutableChanges(update(svc({ clusterIP: '' }), svc({ clusterIP: '10.96.0.10' })))).toEqual([]);
    });

    test('changing an allocated clusterIP / clusterIPs is blocked', () => {
      const live = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
      expect(fields(immutableChanges(update(live, svc({ clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.10'] }))))).toEqual(['spec.clusterIP']);
      expect(fields(immutableChanges(update(live, svc({ clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] }))))).toEqual(['spec.clusterIP', 'spec.clusterIPs']);
      expect(fields(immutableChanges(update(live, svc({ clusterIP: 'None', clusterIPs: ['10.96.0.10'] }))))).toEqual(['spec.clusterIP']);
    });

    test('leaving clusterIP out keeps the allocated one (not a change); ports may change', () => {
      const live = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
      expect(immutableChanges(update(live, svc({})))).toEqual([]);
      expect(immutableChanges(update(live, svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 8080 }] })))).toEqual([]);
    });
  });

  test('Job selector and template are immutable; parallelism is not', () => {
    const job = (image: string, sel: Record<string, string>, parallelism = 1) =>
      obj('Job', 'migrate', { spec: { parallelism, selector: { matchLabels: sel }, template: { metadata: { labels: sel }, spec: { restartPolicy: 'Never', containers: [{ name: 'm', image }] } } } });
    const live = job('m:1', { job: 'm' });
    expect(fields(immutableChanges(update(live, job('m:2', { job: 'm' }))))).toEqual(['spec.template']);
    expect(fields(immutableChanges(update(live, job('m:1', { job: 'n' }))))).toEqual(['spec.selector', 'spec.template']);
    expect(immutableChanges(update(live, job('m:1', { job: 'm' }, 4)))).toEqual([]);
  });

  test('StatefulSet volumeClaimTemplates, serviceName and podManagementPolicy are immutable; replicas and image are not', () => {
    const sts = (o: { vct?: string; svc?: string; pmp?: string; replicas?: number; image?: string } = {}) =>
      obj('StatefulSet', 'db', {
        spec: {
          replicas: o.replicas ?? 3,
          serviceName: o.svc ?? 'db',
          podManagementPolicy: o.pmp ?? 'OrderedReady',
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: o.image ?? 'pg:15' }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.vct ?? '1Gi' } } } }],
        },
      });
    const live = sts();
    expect(fields(immutableChanges(update(live, sts({ vct: '2Gi' }))))).toEqual(['spec.volumeClaimTemplates']);
    expect(fields(immutableChanges(update(live, sts({ svc: 'db-headless' }))))).toEqual(['spec.serviceName']);
    expect(fields(immutableChanges(update(live, sts({ pmp: 'Parallel' }))))).toEqual(['spec.podManagementPolicy']);
    expect(immutableChanges(update(live, sts({ replicas: 5, image: 'pg:16' })))).toEqual([]);
  });

  describe('PersistentVolumeClaim', () => {
    const pvc = (storage: string, o: { sc?: string; modes?: string[] } = {}) =>
      obj('PersistentVolumeClaim', 'data', { spec: { accessModes: o.modes ?? ['ReadWriteOnce'], storageClassName: o.sc ?? 'standard', resources: { requests: { storage } } } });

    test('growing the storage request is allowed (also across units)', () => {
      expect(immutableChanges(update(pvc('1Gi'), pvc('2Gi')))).toEqual([]);
      expect(immutableChanges(update(pvc('1Gi'), pvc('1024Mi')))).toEqual([]);
      expect(immutableChanges(update(pvc('500Mi'), pvc('1Gi')))).toEqual([]);
    });

    test('shrinking it is blocked at spec.resources.requests.storage', () => {
      const rs = immutableChanges(update(pvc('2Gi'), pvc('1Gi')));
      expect(codes(rs)).toEqual(['ImmutableFieldChange']);
      expect(fields(rs)).toEqual(['spec.resources.requests.storage']);
      expect(rs[0]!.message).toContain('shrinking a volume claim');
    });

    test('any other spec change is blocked at spec', () => {
      expect(fields(immutableChanges(update(pvc('1Gi'), pvc('1Gi', { sc: 'fast' }))))).toEqual(['spec']);
      expect(fields(immutableChanges(update(pvc('1Gi'), pvc('1Gi', { modes: ['ReadWriteMany'] }))))).toEqual(['spec']);
      expect(fields(immutableChanges(update(pvc('2Gi'), pvc('1Gi', { sc: 'fast' }))))).toEqual(['spec', 'spec.resources.requests.storage']);
    });
  });

  describe('ConfigMap / Secret immutable', () => {
    const cm = (data: Record<string, string>, immutable?: boolean, extra: Record<string, unknown> = {}) =>
      obj('ConfigMap', 'cfg', { data, ...(immutable !== undefined ? { immutable } : {}), ...extra });

    test('data may change when the ConfigMap is not immutable (absent or false)', () => {
      expect(immutableChanges(update(cm({ a: '1' }), cm({ a: '2' })))).toEqual([]);
      expect(immutableChanges(update(cm({ a: '1' }, false), cm({ a: '2' }, false)))).toEqual([]);
      // Making it immutable in the same change is fine: it was mutable until now.
      expect(immutableChanges(update(cm({ a: '1' }), cm({ a: '2' }, true)))).toEqual([]);
    });

    test('data and binaryData of an immutable ConfigMap are blocked', () => {
      expect(fields(immutableChanges(update(cm({ a: '1' }, true), cm({ a: '2' }, true))))).toEqual(['data']);
      expect(fields(immutableChanges(update(cm({ a: '1' }, true), cm({ a: '1', b: '2' }, true))))).toEqual(['data']);
      expect(fields(immutableChanges(update(cm({ a: '1' }, true, { binaryData: { b: 'AA==' } }), cm({ a: '1' }, true, { binaryData: { b: 'AQ==' } }))))).toEqual(['binaryData']);
    });

    test('turning immutable off (false or removed) is blocked; labels may still change', () => {
      expect(fields(immutableChanges(update(cm({ a: '1' }, true), cm({ a: '1' }, false))))).toEqual(['immutable']);
      expect(fields(immutableChanges(update(cm({ a: '1' }, true), cm({ a: '1' }))))).toEqual(['immutable']);
      const relabelled = cm({ a: '1' }, true);
      relabelled.metadata.labels = { team: 'x' };
      expect(immutableChanges(update(cm({ a: '1' }, true), relabelled))).toEqual([]);
    });

    test('an immutable Secret: data and stringData changes are blocked, equal values are not', () => {
      const secret = (k: 'data' | 'stringData', v: string, immutable = true) => obj('Secret', 'creds', { type: 'Opaque', immutable, [k]: { password: v } });
      expect(fields(immutableChanges(update(secret('data', 'aGk='), secret('data', 'aG8='))))).toEqual(['data']);
      expect(fields(immutableChanges(update(secret('stringData', 'old'), secret('stringData', 'new'))))).toEqual(['stringData']);
      expect(immutableChanges(update(secret('stringData', 'same'), secret('stringData', 'same')))).toEqual([]);
      expect(immutableChanges(update(secret('stringData', 'old', false), secret('stringData', 'new', false)))).toEqual([]);
    });
  });

  test('creates, prunes and unchanged entries have no immutable changes', () => {
    const d = deployment('web');
    expect(immutableChanges(create(d))).toEqual([]);
    expect(immutableChanges(prune(d))).toEqual([]);
    expect(immutableChanges(unchanged(d))).toEqual([]);
  });
});

describe('forceRequests', () => {
  const withAnn = (annotations: Record<string, unknown>) => create(obj('ConfigMap', 'cfg', { data: {} }, { annotations: annotations as Record<string, string> }));

  test('Flux force: enabled is refused, naming the annotation; disabled is fine', () => {
    const rs = forceRequests(withAnn({ 'kustomize.toolkit.fluxcd.io/force': 'enabled' }));
    expect(rs).toEqual([
      expect.objectContaining({ code: 'ForceReplaceRefused', object: 'ConfigMap/default/cfg', file: 'apps/web.yaml', line: 7, field: 'metadata.annotations["kustomize.toolkit.fluxcd.io/force"]' }),
    ]);
    expect(rs[0]!.message).toContain(ROLLING_ALTERNATIVE);
    expect(codes(forceRequests(withAnn({ 'kustomize.toolkit.fluxcd.io/force': 'Enabled' })))).toEqual(['ForceReplaceRefused']);
    expect(forceRequests(withAnn({ 'kustomize.toolkit.fluxcd.io/force': 'disabled' }))).toEqual([]);
  });

  test('Argo sync-options Replace=true / Force=true are refused, other options are not', () => {
    const argo = (v: string) => forceRequests(withAnn({ 'argocd.argoproj.io/sync-options': v }));
    expect(codes(argo('Replace=true'))).toEqual(['ForceReplaceRefused']);
    expect(codes(argo('ServerSideApply=true, Force=true'))).toEqual(['ForceReplaceRefused']);
    expect(argo('Replace=true,Force=true')).toHaveLength(2);
    expect(argo('Replace=true')[0]!.field).toBe('metadata.annotations["argocd.argoproj.io/sync-options"]');
    expect(argo('Replace=false')).toEqual([]);
    expect(argo('Prune=false,ServerSideApply=true')).toEqual([]);
  });

  test("mflux's own force/replace annotations are refused unless false/disabled", () => {
    expect(fields(forceRequests(withAnn({ 'mflux.dev/force': 'true' })))).toEqual(['metadata.annotations["mflux.dev/force"]']);
    expect(fields(forceRequests(withAnn({ 'mflux.dev/replace': 'yes' })))).toEqual(['metadata.annotations["mflux.dev/replace"]']);
    expect(forceRequests(withAnn({ 'mflux.dev/force': 'false', 'mflux.dev/replace': 'disabled' }))).toEqual([]);
    expect(forceRequests(withAnn({ 'mflux.dev/revision': 'sha1:abc' }))).toEqual([]);
  });

  test('YAML booleans (mflux.dev/force: true) are read as strings instead of crashing', () => {
    expect(codes(forceRequests(withAnn({ 'mflux.dev/force': true })))).toEqual(['ForceReplaceRefused']);
    expect(forceRequests(withAnn({ 'mflux.dev/force': false }))).toEqual([]);
  });

  test('no annotations, no reasons', () => {
    expect(forceRequests(create(obj('ConfigMap', 'cfg', { data: {} })))).toEqual([]);
  });
});

describe('servingPrune', () => {
  test('a Deployment with ready replicas is not pruned; the reason says how to remove it safely', () => {
    const rs = servingPrune(prune(deployment('web', { ready: 3 })));
    expect(rs).toEqual([expect.objectContaining({ code: 'ServingWorkloadPrune', object: 'Deployment/default/web' })]);
    expect(rs[0]!.message).toMatch(/3 replica\(s\) are ready/);
    expect(rs[0]!.message).toMatch(/scale it to 0 in one commit.*remove it in a later one/);
  });

  test('StatefulSet (readyReplicas) and DaemonSet (numberReady) count too', () => {
    expect(codes(servingPrune(prune(obj('StatefulSet', 'db', { spec: {}, status: { readyReplicas: 1 } }))))).toEqual(['ServingWorkloadPrune']);
    expect(codes(servingPrune(prune(obj('DaemonSet', 'agent', { spec: {}, status: { numberReady: 2 } }))))).toEqual(['ServingWorkloadPrune']);
  });

  test('a workload with no ready replicas, a non-workload, or a non-prune is fine', () => {
    expect(servingPrune(prune(deployment('web', { replicas: 0, ready: 0 })))).toEqual([]);
    expect(servingPrune(prune(deployment('web')))).toEqual([]); // no status at all
    expect(servingPrune(prune(obj('ReplicaSet', 'web-1', { spec: {}, status: { readyReplicas: 3 } })))).toEqual([]);
    expect(servingPrune(prune(obj('Service', 'web', { spec: {} })))).toEqual([]);
    expect(servingPrune(update(deployment('web', { ready: 3 }), deployment('web', { replicas: 0 })))).toEqual([]);
  });
});

describe('impactsOf', () => {
  const change = (o: Parameters<typeof deployment>[1]) => update(deployment('web', { ...o, image: 'web:1' }), deployment('web', { ...o, image: 'web:2' }));

  test('Recreate with a template change: RecreateDowntime', () => {
    const im = impactsOf(change({ strategy: { type: 'Recreate' } }));
    expect(im).toEqual([{ code: 'RecreateDowntime', object: 'Deployment/default/web', detail: expect.stringContaining('stops all 3 pod(s)'), message: expect.stringMatching(/^Deployment\/default\/web: strategy Recreate/) }]);
  });

  test('Recreate without a template change (or scaled to 0) starts no rollout: no impact', () => {
    const live = deployment('web', { strategy: { type: 'Recreate' } });
    expect(impactsOf(update(live, deployment('web', { strategy: { type: 'Recreate' }, replicas: 5 })))).toEqual([]);
    expect(impactsOf(change({ strategy: { type: 'Recreate' }, replicas: 0 }))).toEqual([]);
  });

  test('ZeroAvailability: 1 replica with maxUnavailable 1, or maxUnavailable 100%', () => {
    expect(codes(impactsOf(change({ replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } })))).toEqual(['ZeroAvailability']);
    expect(codes(impactsOf(change({ replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' } } })))).toEqual(['ZeroAvailability']);
    expect(codes(impactsOf(change({ replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } } })))).toEqual(['ZeroAvailability']);
  });

  test('DoubleCapacity: maxSurge 100% or a count ≥ replicas', () => {
    expect(codes(impactsOf(change({ replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } } })))).toEqual(['DoubleCapacity']);
    expect(codes(impactsOf(change({ replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 4, maxUnavailable: 0 } } })))).toEqual(['DoubleCapacity']);
    expect(impactsOf(change({ replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 0 } } }))).toEqual([]);
    expect(impactsOf(change({ replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '99%', maxUnavailable: 0 } } }))).toEqual([]);
  });

  test('the defaults (25%/25%) carry no impact, also for a single replica', () => {
    expect(impactsOf(change({ replicas: 3 }))).toEqual([]);
    expect(impactsOf(change({ replicas: 1 }))).toEqual([]);
    expect(impactsOf(change({ replicas: 10 }))).toEqual([]);
  });

  test('both at once: 2 replicas, maxSurge 100%, maxUnavailable 100%', () => {
    expect(codes(impactsOf(change({ replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: '100%' } } })))).toEqual(['ZeroAvailability', 'DoubleCapacity']);
  });

  test('only updates of Deployment templates have impacts', () => {
    const risky = { replicas: 1, strategy: { type: 'Recreate' } };
    expect(impactsOf(create(deployment('web', risky)))).toEqual([]);
    expect(impactsOf(update(deployment('web', risky), deployment('web', { ...risky, replicas: 2 })))).toEqual([]);
    const sts = (image: string) => obj('StatefulSet', 'db', { spec: { replicas: 1, template: { spec: { containers: [{ name: 'db', image }] } } } });
    expect(impactsOf(update(sts('a'), sts('b')))).toEqual([]);
  });
});

describe('guardPlan', () => {
  test('one blocked entry marks the plan blocked with every reason; other entries keep their action', () => {
    const sel = update(deployment('web'), deployment('web', { labels: { app: 'web', v: '2' } }));
    const force = create(obj('ConfigMap', 'cfg', { data: {} }, { annotations: { 'kustomize.toolkit.fluxcd.io/force': 'enabled', 'mflux.dev/replace': 'true' } }), { file: 'cfg.yaml', line: 1 });
    const ok = update(obj('ConfigMap', 'other', { data: { a: '1' } }), obj('ConfigMap', 'other', { data: { a: '2' } }));
    const input = plan(sel, force, ok);
    const frozen = structuredClone(input);
    const g = guardPlan(input, { inventorySize: 3 });
    // The plan it was given is a value: untouched.
    expect(input).toEqual(frozen);
    const [gSel, gForce, gOk] = g.plan.entries;
    expect(g.blocked).toBe(true);
    expect(g.reasons.map((r) => [r.code, r.object, r.field])).toEqual([
      ['ImmutableFieldChange', 'Deployment/default/web', 'spec.selector'],
      ['ForceReplaceRefused', 'ConfigMap/default/cfg', 'metadata.annotations["kustomize.toolkit.fluxcd.io/force"]'],
      ['ForceReplaceRefused', 'ConfigMap/default/cfg', 'metadata.annotations["mflux.dev/replace"]'],
    ]);
    expect(g.reasons[1]).toMatchObject({ file: 'cfg.yaml', line: 1 });
    expect(gSel).toMatchObject({ action: 'blocked', intended: 'update' });
    expect(gSel!.reasons).toHaveLength(1);
    expect(gForce).toMatchObject({ action: 'blocked', intended: 'create' });
    expect(gForce!.reasons).toHaveLength(2);
    expect(gOk!.action).toBe('update');
    expect(gOk!.intended).toBeUndefined();
    expect(g.plan.counts).toEqual({ create: 0, update: 1, unchanged: 0, prune: 0, blocked: 2 });
    expect(g.verdicts.map((v) => [v.ref, v.reasons.length])).toEqual([
      ['Deployment/default/web', 1],
      ['ConfigMap/default/cfg', 2],
      ['ConfigMap/default/other', 0],
    ]);
  });

  test('a clean plan is not blocked and carries no reasons', () => {
    const g = guardPlan(plan(update(deployment('web'), deployment('web', { image: 'web:2' })), create(obj('ConfigMap', 'c', { data: {} }))), { inventorySize: 1 });
    expect(g).toMatchObject({ blocked: false, reasons: [], impacts: [] });
    expect(g.plan.counts).toMatchObject({ update: 1, create: 1, blocked: 0 });
  });

  test('impacts are reported and tagged on the entry, and block only when the policy says so', () => {
    const mk = () => update(deployment('web', { strategy: { type: 'Recreate' } }), deployment('web', { strategy: { type: 'Recreate' }, image: 'web:2' }));
    const warn = mk();
    let g = guardPlan(plan(warn), { inventorySize: 1 });
    expect(g.blocked).toBe(false);
    expect(codes(g.impacts)).toEqual(['RecreateDowntime']);
    expect(g.plan.entries[0]!.impact).toEqual(['RecreateDowntime']);
    expect(g.verdicts[0]!.impacts.map((i) => i.code)).toEqual(['RecreateDowntime']);
    expect(g.plan.entries[0]!.action).toBe('update');

    const other = mk();
    g = guardPlan(plan(other), { inventorySize: 1, policy: { maxPrune: '20%', block: ['ZeroAvailability'] } });
    expect(g.blocked).toBe(false);

    const block = mk();
    g = guardPlan(plan(block), { inventorySize: 1, policy: { maxPrune: '20%', block: ['RecreateDowntime'] } });
    expect(g.blocked).toBe(true);
    expect(g.reasons).toEqual([expect.objectContaining({ code: 'RecreateDowntime', object: 'Deployment/default/web', file: 'apps/web.yaml', line: 7, message: expect.stringContaining('(blocked by policy)') })]);
    expect(g.plan.entries[0]).toMatchObject({ action: 'blocked', intended: 'update', impact: ['RecreateDowntime'] });
  });

  test('OwnedByAnotherSource: an object another source owns blocks its entry (create, update or unchanged) and counts as blocked', () => {
    const mine = create(obj('ConfigMap', 'mine', { data: {} }));
    const theirs = { ...unchanged(obj('ConfigMap', 'shared', { data: {} })), origin: { file: 'shared.yaml', line: 3 } };
    const g = guardPlan(plan(mine, theirs), { inventorySize: 1, owners: new Map([['ConfigMap/default/shared', 'other']]) });
    expect(g.blocked).toBe(true);
    expect(g.reasons).toEqual([
      { code: 'OwnedByAnotherSource', object: 'ConfigMap/default/shared', file: 'shared.yaml', line: 3, message: 'ConfigMap/default/shared: shared.yaml:3: already managed by source "other"; an object has one owner — remove it from one of the two sources' },
    ]);
    expect(g.plan.entries.map((e) => [e.action, e.intended])).toEqual([
      ['create', undefined],
      ['blocked', 'unchanged'],
    ]);
    expect(g.plan.counts).toMatchObject({ create: 1, blocked: 1, unchanged: 0 });
  });

  test('force requests are checked on unchanged entries too, never on prunes', () => {
    const ann = { 'mflux.dev/force': 'true' };
    const same = unchanged(obj('ConfigMap', 'c', { data: {} }, { annotations: ann }));
    expect(codes(guardPlan(plan(same), { inventorySize: 1 }).reasons)).toEqual(['ForceReplaceRefused']);
    const gone = prune(obj('ConfigMap', 'c', { data: {} }, { annotations: ann }));
    expect(guardPlan(plan(gone), { inventorySize: 10 }).blocked).toBe(false);
  });

  test('the same name moving to another kind within one commit blocks both sides at "kind"', () => {
    const from = prune(obj('ConfigMap', 'app', { data: {} }));
    const to = create(obj('Secret', 'app', { stringData: {} }));
    const g = guardPlan(plan(from, to), { inventorySize: 10 });
    expect(g.reasons.map((r) => [r.code, r.object, r.field])).toEqual([
      ['ImmutableFieldChange', 'ConfigMap/default/app', 'kind'],
      ['ImmutableFieldChange', 'Secret/default/app', 'kind'],
    ]);
    expect(g.reasons[1]!.message).toContain('kind ConfigMap → Secret');
    expect(g.reasons[1]!.message).toContain(ROLLING_ALTERNATIVE);
  });

  test('a Deployment becoming a StatefulSet under one name is a move; unrelated kinds sharing a name are not', () => {
    const dep = prune(obj('Deployment', 'web', { replicas: 0 }));
    const sts = create(obj('StatefulSet', 'web', { replicas: 1 }));
    expect(codes(guardPlan(plan(dep, sts), { inventorySize: 10 }).reasons)).toEqual(['ImmutableFieldChange', 'ImmutableFieldChange']);
    const cm = prune(obj('ConfigMap', 'web', { data: {} }));
    const hpa = create(obj('HorizontalPodAutoscaler', 'web', { maxReplicas: 3 }));
    expect(guardPlan(plan(cm, hpa), { inventorySize: 10 }).blocked).toBe(false);
    const other = create(obj('Secret', 'web', { data: {} }, { namespace: 'prod' }));
    expect(guardPlan(plan(prune(obj('ConfigMap', 'web', { data: {} })), other), { inventorySize: 10 }).blocked).toBe(false);
  });

  test('the same name moving to another namespace blocks at metadata.namespace', () => {
    const from = prune(obj('ConfigMap', 'app', { data: {} }));
    const to = create(obj('ConfigMap', 'app', { data: {} }, { namespace: 'prod' }));
    const g = guardPlan(plan(from, to), { inventorySize: 10 });
    expect(fields(g.reasons)).toEqual(['metadata.namespace', 'metadata.namespace']);
    expect(g.reasons[0]!.message).toContain('namespace default → prod');
  });

  test('removing one name and adding another is not a move', () => {
    const g = guardPlan(plan(prune(obj('ConfigMap', 'old', { data: {} })), create(obj('ConfigMap', 'new', { data: {} }))), { inventorySize: 10 });
    expect(g.blocked).toBe(false);
  });

  test('prune limit: 3 prunes out of 10 objects exceed 20% (2); all three are blocked', () => {
    const ps = ['a', 'b', 'c'].map((n) => prune(obj('ConfigMap', n, { data: {} })));
    const g = guardPlan(plan(...ps), { inventorySize: 10 });
    expect(g.reasons.map((r) => [r.code, r.object])).toEqual(ps.map((p) => ['PruneLimitExceeded', p.ref]));
    expect(g.reasons[0]!.message).toContain('prunes 3 objects, more than the limit of 2 per pass (maxPrune 20% of 10)');
    expect(g.plan.counts.blocked).toBe(3);
  });

  test('prune limit: 2 of 10 pass; a raised maxPrune lets 3 pass; 1 of 3 passes (at least 1)', () => {
    const mk = (...names: string[]) => plan(...names.map((n) => prune(obj('ConfigMap', n, { data: {} }))));
    expect(guardPlan(mk('a', 'b'), { inventorySize: 10 }).blocked).toBe(false);
    expect(guardPlan(mk('a', 'b', 'c'), { inventorySize: 10, policy: { maxPrune: 3, block: [] } }).blocked).toBe(false);
    expect(guardPlan(mk('a', 'b', 'c'), { inventorySize: 10, policy: { maxPrune: '30%', block: [] } }).blocked).toBe(false);
    expect(guardPlan(mk('a'), { inventorySize: 3 }).blocked).toBe(false);
    expect(guardPlan(mk('a', 'b'), { inventorySize: 3 }).blocked).toBe(true);
  });

  test('prunes already blocked for another reason do not count toward the limit', () => {
    const serving = prune(deployment('web', { ready: 2 }));
    const cm = prune(obj('ConfigMap', 'web-config', { data: {} }));
    const g = guardPlan(plan(serving, cm), { inventorySize: 5 }); // limit 1
    expect(codes(g.reasons)).toEqual(['ServingWorkloadPrune']);
    expect(g.plan.entries[1]!.action).toBe('prune');
    expect(g.plan.entries[0]).toMatchObject({ action: 'blocked', intended: 'prune' });
  });
});
