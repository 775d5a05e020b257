/**
 * Golden cases from the spec (§6, upstream unit tests restated; §1.3 derived table; §1.4 validation
 * texts) against the controller's pure functions and its writers on a real ApiServer, plus the
 * simulated API server's own rules (generation, resourceVersion, cascade, hashing).
 */
import { describe, expect, it } from 'vitest';
import { InvalidObjectError, type KubeObject, MfluxError, VirtualClock, toRFC3339 } from '../../src/core/index.js';
import { ApiServer } from '../../src/cluster/sim/apiserver.js';
import { IdSource, NAME_ALPHABET, fnv1a32, safeEncode } from '../../src/cluster/sim/ids.js';
import { cleanupDeployment } from '../../src/cluster/sim/controllers/deployment/history.js';
import { requeueStuckDeployment, syncRolloutStatus } from '../../src/cluster/sim/controllers/deployment/progress.js';
import { oldPodsRunning } from '../../src/cluster/sim/controllers/deployment/recreate.js';
import { podsToDelete } from '../../src/cluster/sim/controllers/replicaset.js';
import {
  cleanupUnhealthyReplicas,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  scaleDownOldReplicaSetsForRollingUpdate,
} from '../../src/cluster/sim/controllers/deployment/rolling.js';
import { getNewReplicaSet, sameStatus, scale, setNewReplicaSetAnnotations } from '../../src/cluster/sim/controllers/deployment/sync.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  type DeploymentStatus,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  maxSurge,
  maxUnavailable,
  minAvailable,
  newRSNewReplicas,
  replicaSetFraction,
  roundHalfAwayFromZero,
} from '../../src/cluster/sim/controllers/deployment/util.js';
import { MAX_INT32, applyDefaults, resolveFenceposts, scaledValue, validateDeployment } from '../../src/manifests/index.js';
import { Fixture, T0, deploymentManifest } from './helpers.js';

type IOS = number | string | undefined;

/** dep builds an in-memory (never stored) Deployment for the pure functions. */
function dep(replicas: number, ms: IOS, mu: IOS, type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate', extra: any = {}): KubeObject {
  const strategy: any = { type };
  if (type === 'RollingUpdate') {
    strategy.rollingUpdate = {};
    if (ms !== undefined) strategy.rollingUpdate.maxSurge = ms;
    if (mu !== undefined) strategy.rollingUpdate.maxUnavailable = mu;
  }
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'foo', namespace: 'default', generation: 1, ...(extra.metadata ?? {}) }, spec: { replicas, strategy, ...(extra.spec ?? {}) }, status: extra.status };
}

/** plainRS builds an in-memory ReplicaSet. */
function plainRS(name: string, replicas: number, extra: { annotations?: Record<string, string>; status?: any; uid?: string } = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid: extra.uid ?? `uid-${name}`, annotations: extra.annotations ?? {} }, spec: { replicas }, status: extra.status ?? {} };
}

// ---------------------------------------------------------------------------------------------
describe('§6.1 resolveFenceposts', () => {
  it.each([
    ['0%', '0%', 0, 0, 1],
    ['39%', '39%', 10, 4, 3],
    [undefined, '39%', 10, 0, 3],
    ['39%', undefined, 10, 4, 0],
    [undefined, undefined, 10, 0, 1],
  ] as [IOS, IOS, number, number, number][])('(%s, %s, %i) → surge %i, unavailable %i', (ms, mu, desired, surge, unavailable) => {
    expect(resolveFenceposts(ms, mu, desired)).toEqual({ surge, unavailable });
  });

  it.each([
    ['oops', '39%', 10],
    ['55%', 'urg', 10],
  ] as [IOS, IOS, number][])('(%s, %s, %i) → error', (ms, mu, desired) => {
    expect(() => resolveFenceposts(ms, mu, desired)).toThrow();
  });

  it('§1.2: ceil for surge, floor for unavailable, ints pass through unclamped', () => {
    expect(scaledValue('30%', 3, true)).toBe(1);
    expect(scaledValue('10%', 3, false)).toBe(0);
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(7, 3, true)).toBe(7);
    expect(() => scaledValue('25', 10, true)).toThrow(/not a percentage/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.2 MaxUnavailable / MinAvailable (maxSurge 1)', () => {
  it.each([
    [10, 5, 5],
    [10, 10, 10],
    [5, 10, 5],
    [0, 10, 0],
    [10, '50%', 5],
    [10, '100%', 10],
    [5, '100%', 5],
  ] as [number, IOS, number][])('MaxUnavailable(replicas %i, maxUnavailable %s) = %i', (replicas, mu, want) => {
    expect(maxUnavailable(dep(replicas, 1, mu))).toBe(want);
  });

  it.each([
    [10, 5, 5],
    [10, 10, 0],
    [5, 10, 0],
    [0, 10, 0],
    [10, '60%', 4],
    [10, '100%', 0],
    [5, '100%', 0],
  ] as [number, IOS, number][])('MinAvailable(replicas %i, maxUnavailable %s) = %i', (replicas, mu, want) => {
    expect(minAvailable(dep(replicas, 1, mu))).toBe(want);
  });

  it('Recreate: both 0, and MaxSurge 0', () => {
    const d = dep(10, undefined, undefined, 'Recreate');
    expect(maxUnavailable(d)).toBe(0);
    expect(minAvailable(d)).toBe(0);
    expect(maxSurge(d)).toBe(0);
  });
});

describe('§1.3 derived table, default 25%/25%', () => {
  const replicas = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20];
  const surge = [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 5];
  const unavail = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 5];
  const maxPods = [0, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 25];
  it.each(replicas.map((r, i) => [r, surge[i]!, unavail[i]!, maxPods[i]!]))('replicas %i → surge %i, unavailable %i, max pods %i', (r, s, u, m) => {
    // Defaults come from the API server's defaulting, as a user-written manifest would get them.
    const d = applyDefaults(deploymentManifest({ replicas: r }));
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' });
    expect(maxSurge(d)).toBe(s);
    expect(maxUnavailable(d)).toBe(u);
    expect(r + maxSurge(d)).toBe(m);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.3 NewRSNewReplicas (one other RS with 5 replicas, maxUnavailable 1)', () => {
  it.each([
    ['RollingUpdate', 1, 5, 1, 5],
    ['RollingUpdate', 6, 2, 10, 6],
    ['Recreate', 3, 1, 1, 3],
  ] as ['RollingUpdate' | 'Recreate', number, number, number, number][])('%s, replicas %i, newRS %i, maxSurge %i → %i', (type, replicas, newSize, ms, want) => {
    const d = dep(replicas, ms, 1, type);
    expect(newRSNewReplicas(d, [plainRS('other', 5)], plainRS('new', newSize))).toBe(want);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.4 reconcileNewReplicaSet (maxUnavailable 0; allRSs = new + one old)', () => {
  it.each([
    [10, 0, 10, 0, false, 0],
    [10, 2, 10, 0, true, 2],
    [10, 2, 5, 0, true, 7],
    [10, 2, 10, 2, false, 2],
    [10, 2, 2, 11, true, 10],
  ])('replicas %i, maxSurge %i, old %i, new %i → scaled %s, new %i', (replicas, ms, oldSize, newSize, scaled, want) => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas, maxSurge: ms, maxUnavailable: 1 }, (d) => (d.spec.strategy.rollingUpdate.maxUnavailable = 0));
    const oldRS = fx.rs(d, 'foo-old', oldSize);
    const newRS = fx.rs(d, 'foo-new', newSize);
    expect(reconcileNewReplicaSet(fx.ctx, [newRS, oldRS], newRS, d)).toBe(scaled);
    expect(fx.specOf('foo-new')).toBe(want);
    expect(fx.specOf('foo-old')).toBe(oldSize);
    if (scaled) {
      const op = want > newSize ? 'up' : 'down';
      expect(fx.events.map((e) => e.message)).toEqual([`Scaled ${op} replica set foo-new to ${want} from ${newSize}`]);
    } else {
      expect(fx.events).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.5 reconcileOldReplicaSets (maxSurge 0)', () => {
  it.each([
    [10, 0, 10, 0, 10, 0, true, 9],
    [10, 2, 10, 0, 10, 0, true, 8],
    [10, 2, 10, 0, 8, 0, true, 8],
    [10, 2, 10, 0, 9, 0, true, 8],
    [10, 2, 8, 2, 8, 0, false, 8],
  ])('replicas %i, maxUnavailable %i, old %i, new %i, old avail %i, new avail %i → scaled %s, old %i', (replicas, mu, oldSize, newSize, oldAvail, newAvail, scaled, want) => {
    const fx = new Fixture();
    // maxUnavailable 0 with maxSurge 0 is rejected by the API server; the row resolves it to 1 by the fencepost rule.
    const d = fx.deployment({ replicas, maxSurge: 0, maxUnavailable: mu || 1 }, (d) => (d.spec.strategy.rollingUpdate.maxUnavailable = mu));
    const oldRS = fx.rs(d, 'foo-old', oldSize, { available: oldAvail });
    const newRS = fx.rs(d, 'foo-new', newSize, { available: newAvail });
    expect(reconcileOldReplicaSets(fx.ctx, [oldRS, newRS], [oldRS], newRS, d)).toBe(scaled);
    expect(fx.specOf('foo-old')).toBe(want);
    expect(fx.specOf('foo-new')).toBe(newSize);
  });

  it('an old ReplicaSet whose status still shows more available pods than its spec is never scaled up (upstream returns an error)', () => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 10, maxSurge: 0, maxUnavailable: 2 });
    // Status lags the spec: spec 9 but 10 available (the RS controller has not caught up yet).
    const oldRS = fx.rs(d, 'foo-old', 9, { available: 10, statusReplicas: 10 });
    const newRS = fx.rs(d, 'foo-new', 1, { available: 1 });
    expect(reconcileOldReplicaSets(fx.ctx, [oldRS, newRS], [oldRS], newRS, d)).toBe(false);
    expect(fx.specOf('foo-old')).toBe(9);
    expect(fx.events).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.6 cleanupUnhealthyReplicas (one old RS, spec 10)', () => {
  it.each([
    [8, 1, 1],
    [8, 3, 2],
    [8, 0, 0],
    [10, 3, 0],
  ])('available %i, maxCleanup %i → cleaned %i', (available, maxCleanup, cleaned) => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 10, maxSurge: 0, maxUnavailable: 1 });
    const oldRS = fx.rs(d, 'foo-old', 10, { available });
    const res = cleanupUnhealthyReplicas(fx.ctx, [oldRS], d, maxCleanup);
    expect(res.cleaned).toBe(cleaned);
    expect(fx.specOf('foo-old')).toBe(10 - cleaned);
    expect(res.oldRSs[0]!.spec.replicas).toBe(10 - cleaned);
  });

  it('cleans the oldest ReplicaSet first', () => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 10, maxSurge: 0, maxUnavailable: 1 });
    const older = fx.rs(d, 'foo-1', 3, { available: 1 });
    const newer = fx.rs(d, 'foo-2', 3, { available: 1 });
    const res = cleanupUnhealthyReplicas(fx.ctx, [newer, older], d, 3);
    expect(res.cleaned).toBe(3);
    expect(fx.specOf('foo-1')).toBe(1);
    expect(fx.specOf('foo-2')).toBe(2);
  });

  it('refuses to scale up a ReplicaSet whose available count exceeds its spec', () => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 10, maxSurge: 0, maxUnavailable: 1 });
    const oldRS = fx.rs(d, 'foo-old', 8, { available: 10, statusReplicas: 10 });
    expect(() => cleanupUnhealthyReplicas(fx.ctx, [oldRS], d, 2)).toThrow(/invalid request to scale down/);
    expect(fx.specOf('foo-old')).toBe(8);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.7 scaleDownOldReplicaSetsForRollingUpdate (allRSs = [old], maxSurge 0)', () => {
  it.each([
    [10, 0, 10, 10, true, 9],
    [10, 2, 10, 10, true, 8],
    [10, 2, 8, 10, false, 10],
    [10, 2, 10, 0, false, 0],
    [10, 2, 1, 10, false, 10],
  ])('replicas %i, maxUnavailable %i, old avail %i, old spec %i → scaled %s, old %i', (replicas, mu, avail, spec, scaled, want) => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas, maxSurge: 0, maxUnavailable: mu || 1 }, (d) => (d.spec.strategy.rollingUpdate.maxUnavailable = mu));
    const oldRS = fx.rs(d, 'foo-old', spec, { available: avail, statusReplicas: Math.max(spec, avail) });
    const n = scaleDownOldReplicaSetsForRollingUpdate(fx.ctx, [oldRS], [oldRS], d);
    expect(n > 0).toBe(scaled);
    expect(n).toBe(spec - want);
    expect(fx.specOf('foo-old')).toBe(want);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.8 TestScale (proportional scaling)', () => {
  interface Row {
    name: string;
    from: number;
    to: number;
    surge?: number;
    fromSurge?: number;
    unavailable?: number;
    newRS?: [string, number];
    oldRSs: [string, number][];
    want: Record<string, number>;
    desiredOverride?: Record<string, number>;
    newAvailable?: number;
    events?: string[];
  }
  const rows: Row[] = [
    { name: 'normal scaling event: 10 -> 12', from: 10, to: 12, newRS: ['foo-v1', 10], oldRSs: [], want: { 'foo-v1': 12 }, events: ['Scaled up replica set foo-v1 to 12 from 10'] },
    { name: 'normal scaling event: 10 -> 5', from: 10, to: 5, newRS: ['foo-v1', 10], oldRSs: [], want: { 'foo-v1': 5 }, events: ['Scaled down replica set foo-v1 to 5 from 10'] },
    { name: 'proportional scaling: 5 -> 10', from: 5, to: 10, newRS: ['foo-v2', 2], oldRSs: [['foo-v1', 3]], want: { 'foo-v2': 4, 'foo-v1': 6 } },
    { name: 'proportional scaling: 5 -> 3', from: 5, to: 3, newRS: ['foo-v2', 2], oldRSs: [['foo-v1', 3]], want: { 'foo-v2': 1, 'foo-v1': 2 } },
    { name: 'proportional scaling: 9 -> 4', from: 9, to: 4, newRS: ['foo-v2', 8], oldRSs: [['foo-v1', 1]], want: { 'foo-v2': 4, 'foo-v1': 0 } },
    {
      name: 'proportional scaling: 7 -> 10',
      from: 7,
      to: 10,
      newRS: ['foo-v3', 2],
      oldRSs: [['foo-v2', 3], ['foo-v1', 2]],
      want: { 'foo-v3': 3, 'foo-v2': 4, 'foo-v1': 3 },
      // BySizeNewer order: v2 (3), then v3 and v1 (2 each, newer first).
      events: ['Scaled up replica set foo-v2 to 4 from 3', 'Scaled up replica set foo-v3 to 3 from 2', 'Scaled up replica set foo-v1 to 3 from 2'],
    },
    {
      name: 'proportional scaling: 13 -> 8',
      from: 13,
      to: 8,
      newRS: ['foo-v3', 2],
      oldRSs: [['foo-v2', 8], ['foo-v1', 3]],
      want: { 'foo-v3': 1, 'foo-v2': 5, 'foo-v1': 2 },
      events: ['Scaled down replica set foo-v2 to 5 from 8', 'Scaled down replica set foo-v1 to 2 from 3', 'Scaled down replica set foo-v3 to 1 from 2'],
    },
    { name: 'leftover distribution: 3 -> 4', from: 3, to: 4, newRS: ['foo-v3', 1], oldRSs: [['foo-v2', 1], ['foo-v1', 1]], want: { 'foo-v3': 2, 'foo-v2': 1, 'foo-v1': 1 } },
    { name: 'leftover distribution: 3 -> 2', from: 3, to: 2, newRS: ['foo-v3', 1], oldRSs: [['foo-v2', 1], ['foo-v1', 1]], want: { 'foo-v3': 1, 'foo-v2': 1, 'foo-v1': 0 } },
    { name: 'proportional scaling (no new rs): 4 -> 5', from: 4, to: 5, oldRSs: [['foo-v2', 2], ['foo-v1', 2]], want: { 'foo-v2': 3, 'foo-v1': 2 } },
    { name: 'proportional scaling: 6 -> 0', from: 6, to: 0, newRS: ['foo-v3', 3], oldRSs: [['foo-v2', 2], ['foo-v1', 1]], want: { 'foo-v3': 0, 'foo-v2': 0, 'foo-v1': 0 } },
    { name: 'proportional scaling: 0 -> 6', from: 6, to: 6, newRS: ['foo-v3', 0], oldRSs: [['foo-v2', 0], ['foo-v1', 0]], want: { 'foo-v3': 6, 'foo-v2': 0, 'foo-v1': 0 }, events: ['Scaled up replica set foo-v3 to 6 from 0'] },
    {
      name: 'failed rs update',
      from: 5,
      to: 5,
      newRS: ['foo-v3', 2],
      oldRSs: [['foo-v2', 1], ['foo-v1', 1]],
      desiredOverride: { 'foo-v2': 3 },
      want: { 'foo-v3': 2, 'foo-v2': 2, 'foo-v1': 1 },
    },
    { name: 'deployment with surge pods', from: 10, to: 20, surge: 2, newRS: ['foo-v2', 6], oldRSs: [['foo-v1', 6]], want: { 'foo-v2': 11, 'foo-v1': 11 } },
    { name: 'change both surge and size', from: 10, fromSurge: 3, to: 50, surge: 6, newRS: ['foo-v2', 5], oldRSs: [['foo-v1', 8]], want: { 'foo-v2': 22, 'foo-v1': 34 } },
    { name: 'change both size and template', from: 10, to: 14, oldRSs: [['foo-v2', 7], ['foo-v1', 3]], want: { 'foo-v2': 10, 'foo-v1': 4 } },
    {
      name: 'saturated but broken new replica set does not affect old pods',
      from: 2,
      to: 2,
      surge: 1,
      unavailable: 1,
      newRS: ['foo-v2', 2],
      newAvailable: 0,
      oldRSs: [['foo-v1', 1]],
      want: { 'foo-v2': 2, 'foo-v1': 1 },
      events: [],
    },
  ];

  it('has all 17 rows', () => expect(rows).toHaveLength(17));

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const fx = new Fixture();
    const surge = row.surge ?? 0;
    const d = fx.deployment({ replicas: row.to, maxSurge: surge, maxUnavailable: row.unavailable ?? 1 });
    const oldDeployment = dep(row.from, row.fromSurge ?? surge, row.unavailable ?? 1);
    const oldMaxSurge = maxSurge(oldDeployment);
    // Create oldest first: the input lists old RSs newest first (v2 before v1).
    const specs: [string, number][] = [...row.oldRSs].reverse();
    if (row.newRS) specs.push(row.newRS);
    const made = new Map<string, KubeObject>();
    for (const [name, size] of specs) {
      const desired = row.desiredOverride?.[name] ?? row.from;
      const available = name === row.newRS?.[0] && row.newAvailable !== undefined ? row.newAvailable : size;
      made.set(name, fx.rs(d, name, size, { desired, max: desired + oldMaxSurge, available }));
    }
    const newRS = row.newRS ? made.get(row.newRS[0]) : undefined;
    const oldRSs = row.oldRSs.map(([n]) => made.get(n)!);
    scale(fx.ctx, d, newRS, oldRSs);
    for (const [name, size] of Object.entries(row.want)) expect(fx.specOf(name), name).toBe(size);
    if (row.events) expect(fx.events.map((e) => e.message)).toEqual(row.events);
  });

  it('proportional writes stamp desired/max annotations on every active ReplicaSet', () => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 20, maxSurge: 2, maxUnavailable: 1 });
    const v1 = fx.rs(d, 'foo-v1', 6, { desired: 10, max: 12 });
    const v2 = fx.rs(d, 'foo-v2', 6, { desired: 10, max: 12 });
    scale(fx.ctx, d, v2, [v1]);
    for (const n of ['foo-v1', 'foo-v2']) {
      const ann = fx.api.get('ReplicaSet', 'default', n)!.metadata.annotations!;
      expect(ann[DESIRED_REPLICAS_ANNOTATION]).toBe('20');
      expect(ann[MAX_REPLICAS_ANNOTATION]).toBe('22');
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.9 replicaSetFraction (maxUnavailable 1)', () => {
  it.each([
    [0, undefined, 0, 10, undefined, -10],
    [10, 0, 0, 5, undefined, 0],
    [10, 0, 0, 5, '0', 0],
    [120, 100, 0, 50, undefined, 10],
    [120, 100, 0, 50, '0', 10],
    [120, undefined, 0, 50, '100', 10],
    [120, undefined, 10, 50, '110', 9],
    [10, undefined, 0, 6, '12', -1],
    [100, undefined, 10, 50, '130', -8],
  ] as [number, number | undefined, number, number, string | undefined, number][])('d %i (status %s), surge %i, rs %i, max-replicas %s → %i', (replicas, statusReplicas, ms, rsSize, ann, want) => {
    const d = dep(replicas, ms, 1, 'RollingUpdate', { status: statusReplicas === undefined ? {} : { replicas: statusReplicas } });
    const rs = plainRS('foo', rsSize, { annotations: ann === undefined ? {} : { [MAX_REPLICAS_ANNOTATION]: ann } });
    expect(replicaSetFraction(rs, d)).toBe(want);
  });
});

// ---------------------------------------------------------------------------------------------
describe('roundHalfAwayFromZero (Go math.Round)', () => {
  it.each([
    [2.5, 3],
    [-2.5, -3],
    [0.5, 1],
    [-0.5, -1],
    [1.49, 1],
    [-1.49, -1],
    [4.2, 4],
  ])('%d → %i', (x, want) => {
    expect(roundHalfAwayFromZero(x)).toBe(want);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.10 cleanupDeployment', () => {
  it.each([
    ['three empty, limit 1', [[0, 0], [0, 0], [0, 0]], 1, 2],
    ['only spec = status = 0 go, limit 0', [[0, 0], [0, 1], [1, 0], [1, 1]], 0, 1],
    ['two empty, limit 0', [[0, 0], [0, 0]], 0, 2],
    ['two busy, limit 0', [[1, 1], [1, 1]], 0, 0],
    ['unlimited history', [[0, 0], [0, 0], [0, 0]], MAX_INT32, 0],
  ] as [string, [number, number][], number, number][])('%s → %i deletions', (_n, specs, limit, deletions) => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 1, revisionHistoryLimit: limit });
    const rss = specs.map(([spec, status], i) => fx.rs(d, `foo-${i + 1}`, spec, { statusReplicas: status }));
    cleanupDeployment(fx.ctx, rss, d);
    const left = rss.filter((rs) => fx.api.get('ReplicaSet', 'default', rs.metadata.name)).length;
    expect(rss.length - left).toBe(deletions);
  });

  it('a ReplicaSet already being deleted is not deleted again (limit 0)', () => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 1, revisionHistoryLimit: 0 });
    fx.rs(d, 'foo-1', 0, { statusReplicas: 0 });
    fx.api.delete('ReplicaSet', 'default', 'foo-1', 30_000);
    const terminating = fx.api.get('ReplicaSet', 'default', 'foo-1')!;
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    const rv = fx.api.resourceVersion;
    cleanupDeployment(fx.ctx, [terminating], d);
    expect(fx.api.get('ReplicaSet', 'default', 'foo-1')).toBe(terminating);
    expect(fx.api.resourceVersion).toBe(rv);
  });

  it('a ReplicaSet whose generation is not yet observed is kept', () => {
    const fx = new Fixture();
    const d = fx.deployment({ replicas: 1, revisionHistoryLimit: 0 });
    const rs = fx.rs(d, 'foo-1', 0);
    const unobserved = fx.api.updateStatus('ReplicaSet', 'default', 'foo-1', { ...rs.status, observedGeneration: 0 });
    cleanupDeployment(fx.ctx, [unobserved], d);
    expect(fx.api.get('ReplicaSet', 'default', 'foo-1')).toBeDefined();
  });

  describe('Order (creation foo-1 < foo-2 < foo-3 < foo-4)', () => {
    it.each([
      [[[0, '1'], [0, '2']], 1, ['foo-1']],
      [[[0, '2'], [0, '1']], 1, ['foo-2']],
      [[[0, '1'], [0, undefined]], 1, ['foo-2']],
      [[[0, undefined], [0, '2']], 1, ['foo-1']],
      [[[1, '1'], [0, '2'], [0, '3']], 1, ['foo-2']],
      [[[1, '1'], [1, '2'], [0, '3']], 1, []],
      [[[0, '3'], [0, '1'], [0, '4'], [0, '2']], 2, ['foo-2', 'foo-4']],
    ] as [[number, string | undefined][], number, string[]][])('%j, limit %i → deletes %j', (specs, limit, deleted) => {
      const fx = new Fixture();
      const d = fx.deployment({ replicas: 1, revisionHistoryLimit: limit });
      const rss = specs.map(([replicas, revision], i) => fx.rs(d, `foo-${i + 1}`, replicas, { revision }));
      cleanupDeployment(fx.ctx, rss, d);
      const gone = rss.map((rs) => rs.metadata.name).filter((n) => !fx.api.get('ReplicaSet', 'default', n));
      expect(gone).toEqual(deleted);
      expect(fx.events).toEqual([]); // no event for history deletions
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.11 deploymentComplete', () => {
  it.each([
    [5, 5, 5, 4, 1, 0, false],
    [5, 5, 5, 3, 1, 0, false],
    [5, 5, 5, 5, 0, 0, true],
    [5, 5, 4, 5, 0, 0, false],
    [1, 2, 1, 1, 0, 1, false],
    [1, 1, 1, 0, 1, 1, false],
  ])('(desired %i, current %i, updated %i, available %i, maxUnavailable %i, maxSurge %i) → %s', (desired, current, updated, available, mu, ms, want) => {
    const d = dep(desired, ms, mu);
    expect(deploymentComplete(d, { replicas: current, updatedReplicas: updated, availableReplicas: available, observedGeneration: 1 })).toBe(want);
  });

  it('is false until the current generation is observed', () => {
    const d = dep(5, 0, 1, 'RollingUpdate', { metadata: { generation: 3 } });
    expect(deploymentComplete(d, { replicas: 5, updatedReplicas: 5, availableReplicas: 5, observedGeneration: 2 })).toBe(false);
    expect(deploymentComplete(d, { replicas: 5, updatedReplicas: 5, availableReplicas: 5, observedGeneration: 3 })).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.12 deploymentProgressing', () => {
  const st = ([replicas, updatedReplicas, readyReplicas, availableReplicas]: number[]) => ({ replicas, updatedReplicas, readyReplicas, availableReplicas });
  it.each([
    [[10, 4, 4, 4], [10, 6, 4, 4], true],
    [[10, 4, 4, 4], [10, 4, 4, 4], false],
    [[10, 4, 6, 6], [8, 4, 6, 6], true],
    [[10, 7, 3, 3], [10, 6, 3, 3], false],
    [[10, 4, 7, 7], [8, 8, 5, 5], true],
    [[10, 10, 9, 8], [10, 10, 10, 8], true],
    [[10, 10, 10, 9], [10, 10, 10, 10], true],
  ] as [number[], number[], boolean][])('%j → %j: %s', (old, next, want) => {
    const d = dep(10, 1, 1, 'RollingUpdate', { status: st(old) });
    expect(deploymentProgressing(d, st(next))).toBe(want);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.13 deploymentTimedOut', () => {
  const at = (min: number, sec: number) => Date.UTC(2016, 0, 1, 0, min, sec);
  const mk = (pds: number | undefined, lastUpdate: string, reason: string) =>
    dep(3, 1, 1, 'RollingUpdate', {
      spec: pds === undefined ? {} : { progressDeadlineSeconds: pds },
      status: { conditions: [{ type: 'Progressing', status: 'True', reason, message: '', lastUpdateTime: lastUpdate, lastTransitionTime: lastUpdate }] },
    });
  it.each([
    ['nil deadline', undefined, toRFC3339(at(1, 9)), at(1, 20), '', false],
    ['MaxInt32 deadline', MAX_INT32, toRFC3339(at(1, 9)), at(1, 20), '', false],
    ['10s, 11s since last update', 10, toRFC3339(at(1, 9)), at(1, 20), '', true],
    ['10s, 9s since last update', 10, toRFC3339(at(1, 11)), at(1, 20), '', false],
    ['previous status was a complete deployment', undefined, '0001-01-01T00:00:00Z', at(1, 20), 'NewReplicaSetAvailable', false],
    ['complete deployment with a deadline long passed', 10, toRFC3339(at(1, 0)), at(30, 0), 'NewReplicaSetAvailable', false],
    ['already timed out', 10, toRFC3339(at(1, 19)), at(1, 20), 'ProgressDeadlineExceeded', true],
  ] as [string, number | undefined, string, number, string, boolean][])('%s → %s', (_n, pds, last, now, reason, want) => {
    const d = mk(pds, last, reason);
    expect(deploymentTimedOut(d, d.status, now)).toBe(want);
  });

  it('exactly at lastUpdate + deadline is not yet timed out ("before", not "not after")', () => {
    const d = mk(10, toRFC3339(at(1, 10)), '');
    expect(deploymentTimedOut(d, d.status, at(1, 20))).toBe(false);
    expect(deploymentTimedOut(d, d.status, at(1, 20) + 1)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.14 requeueStuckDeployment (deadline 60s, Progressing lastUpdate 18:49:00)', () => {
  const base = Date.UTC(2017, 1, 15, 18, 49, 0);
  const stuck = [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: '', lastUpdateTime: toRFC3339(base), lastTransitionTime: toRFC3339(base) }];
  const failed = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: '', lastUpdateTime: toRFC3339(base), lastTransitionTime: toRFC3339(base) }];
  const current = (pds: number | undefined, replicas: number, statusReplicas: number, updated: number, available: number, conditions: any[] | undefined) =>
    dep(replicas, 1, 1, 'RollingUpdate', {
      spec: pds === undefined ? {} : { progressDeadlineSeconds: pds },
      status: { observedGeneration: 1, replicas: statusReplicas, updatedReplicas: updated, availableReplicas: available, readyReplicas: available, conditions },
    });
  const newStatus = (replicas: number, updated: number, available: number) => ({ observedGeneration: 1, replicas, updatedReplicas: updated, availableReplicas: available, readyReplicas: available });

  it.each([
    ['no deadline', current(undefined, 4, 3, 3, 2, stuck), newStatus(3, 3, 2), base + 30_000, -1],
    ['infinite deadline', current(MAX_INT32, 4, 3, 3, 2, stuck), newStatus(3, 3, 2), base + 30_000, -1],
    ['no Progressing condition', current(60, 4, 3, 3, 2, undefined), newStatus(3, 3, 2), base + 30_000, -1],
    ['complete', current(60, 3, 3, 3, 3, stuck), newStatus(3, 3, 3), base + 30_000, -1],
    ['already ProgressDeadlineExceeded', current(60, 3, 3, 3, 0, failed), newStatus(3, 3, 0), base + 30_000, -1],
    ['now 18:49:30', current(60, 3, 3, 3, 1, stuck), newStatus(3, 3, 1), base + 30_000, 30_000],
    ['now 18:49:59', current(60, 3, 3, 3, 1, stuck), newStatus(3, 3, 1), base + 59_000, 1_000],
    ['now 18:49:59 + 1ms', current(60, 3, 3, 3, 1, stuck), newStatus(3, 3, 1), base + 59_001, 0],
    ['now 18:50:00', current(60, 3, 3, 3, 1, stuck), newStatus(3, 3, 1), base + 60_000, 0],
    ['now 18:50:01', current(60, 3, 3, 3, 1, stuck), newStatus(3, 3, 1), base + 61_000, 0],
    ['now 18:51:00', current(60, 3, 3, 3, 1, stuck), newStatus(3, 3, 1), base + 120_000, 0],
  ] as [string, KubeObject, any, number, number][])('%s → %i ms', (_n, d, status, now, want) => {
    const fx = new Fixture(now);
    expect(requeueStuckDeployment(fx.ctx, d, status)).toBe(want);
    if (want < 0) expect(fx.requeues).toEqual([]);
    else if (want >= 1000) expect(fx.requeues).toEqual([{ controller: 'deployment', key: 'Deployment/default/foo', at: now + want + 1000 }]);
    else {
      // "Requeue now" (rate limited): soon, and not before the deadline has passed.
      expect(fx.requeues).toHaveLength(1);
      expect(fx.requeues[0]!.at).toBeGreaterThan(now);
      expect(fx.requeues[0]!.at).toBeGreaterThan(base + 60_000);
      expect(fx.requeues[0]!.at).toBeLessThanOrEqual(now + 1000);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.15 syncRolloutStatus (deadline 60s)', () => {
  const testTime = toRFC3339(Date.UTC(2017, 1, 15, 18, 49, 0));
  const now = Date.UTC(2017, 1, 15, 18, 52, 0);
  const cond = (status: string, reason: string) => ({ type: 'Progressing', status, reason, message: '', lastUpdateTime: testTime, lastTransitionTime: testTime });
  const replicaSetUpdated = cond('True', 'ReplicaSetUpdated');
  const newRSAvailable = cond('True', 'NewReplicaSetAvailable');
  const timedOut = cond('False', 'ProgressDeadlineExceeded');

  interface Row {
    name: string;
    pds?: number;
    d: [number, number, number, number];
    conditions: any[];
    others: [string, number, number, number][];
    newRS?: [string, number, number, number];
    want?: { status: string; reason: string; message?: string; lastUpdate?: 'kept' | 'now'; lastTransition?: 'kept' | 'now' };
  }
  const rows: Row[] = [
    { name: 'no deadline: condition removed', pds: MAX_INT32, d: [3, 2, 2, 2], conditions: [replicaSetUpdated], others: [['bar', 0, 1, 1]], newRS: ['foo', 3, 2, 2] },
    {
      name: 'only one active RS, already NewReplicaSetAvailable: nothing estimated',
      d: [3, 3, 3, 3],
      conditions: [newRSAvailable],
      others: [['bar', 3, 3, 3]],
      want: { status: 'True', reason: 'NewReplicaSetAvailable', lastUpdate: 'kept', lastTransition: 'kept' },
    },
    {
      name: 'progressing, previous ReplicaSetUpdated: lastTransition kept',
      d: [3, 2, 2, 2],
      conditions: [replicaSetUpdated],
      others: [['bar', 0, 1, 1]],
      newRS: ['foo', 3, 2, 2],
      want: { status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "foo" is progressing.', lastUpdate: 'now', lastTransition: 'kept' },
    },
    {
      name: 'progressing, previous ProgressDeadlineExceeded: all times new',
      d: [3, 2, 2, 2],
      conditions: [timedOut],
      others: [['bar', 0, 1, 1]],
      newRS: ['foo', 3, 2, 2],
      want: { status: 'True', reason: 'ReplicaSetUpdated', lastUpdate: 'now', lastTransition: 'now' },
    },
    { name: 'progressing, no condition', d: [3, 2, 2, 2], conditions: [], others: [['bar', 0, 1, 1]], newRS: ['foo', 3, 2, 2], want: { status: 'True', reason: 'ReplicaSetUpdated', lastUpdate: 'now', lastTransition: 'now' } },
    {
      name: 'complete, previous ReplicaSetUpdated: lastTransition kept',
      d: [3, 2, 2, 2],
      conditions: [replicaSetUpdated],
      others: [],
      newRS: ['foo', 3, 3, 3],
      want: { status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "foo" has successfully progressed.', lastUpdate: 'now', lastTransition: 'kept' },
    },
    { name: 'complete, previous TimedOut', d: [3, 2, 2, 2], conditions: [timedOut], others: [], newRS: ['foo', 3, 3, 3], want: { status: 'True', reason: 'NewReplicaSetAvailable', lastUpdate: 'now', lastTransition: 'now' } },
    { name: 'complete, no condition', d: [3, 2, 2, 2], conditions: [], others: [], newRS: ['foo', 3, 3, 3], want: { status: 'True', reason: 'NewReplicaSetAvailable', lastUpdate: 'now', lastTransition: 'now' } },
    {
      name: 'replicas 0 and no new RS',
      d: [0, 3, 3, 3],
      conditions: [replicaSetUpdated],
      others: [['foo-old', 0, 0, 0]],
      want: { status: 'True', reason: 'NewReplicaSetAvailable', message: 'Deployment "front" has successfully progressed.', lastTransition: 'kept' },
    },
    {
      name: 'no progress past the deadline',
      d: [3, 2, 2, 2],
      conditions: [replicaSetUpdated],
      others: [],
      newRS: ['foo', 3, 2, 2],
      want: { status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "foo" has timed out progressing.', lastUpdate: 'now', lastTransition: 'now' },
    },
    { name: 'already timed out: unchanged', d: [3, 2, 2, 2], conditions: [timedOut], others: [], newRS: ['foo', 3, 2, 2], want: { status: 'False', reason: 'ProgressDeadlineExceeded', lastUpdate: 'kept', lastTransition: 'kept' } },
  ];

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_n, row) => {
    const fx = new Fixture(now);
    const [replicas, statusReplicas, updated, available] = row.d;
    const stored = fx.deployment({ replicas, progressDeadlineSeconds: row.pds ?? 60 });
    const d = structuredClone(stored);
    d.status = { observedGeneration: 1, replicas: statusReplicas, updatedReplicas: updated, readyReplicas: available, availableReplicas: available, conditions: structuredClone(row.conditions) };
    fx.api.updateStatus('Deployment', 'default', 'front', structuredClone(d.status));
    const mk = ([name, spec, st, avail]: [string, number, number, number]) => fx.rs(d, name, spec, { statusReplicas: st, available: avail, ready: avail });
    const all = row.others.map(mk);
    const newRS = row.newRS ? mk(row.newRS) : undefined;
    fx.clock.advanceTo(now);
    syncRolloutStatus(fx.ctx, newRS ? [...all, newRS] : all, newRS, d);
    const got = fx.api.get('Deployment', 'default', 'front')!.status.conditions.find((c: any) => c.type === 'Progressing');
    if (!row.want) {
      expect(got).toBeUndefined();
      return;
    }
    expect(got).toMatchObject({ status: row.want.status, reason: row.want.reason });
    if (row.want.message) expect(got.message).toBe(row.want.message);
    const nowStr = toRFC3339(fx.clock.now());
    if (row.want.lastUpdate) expect(got.lastUpdateTime).toBe(row.want.lastUpdate === 'kept' ? testTime : nowStr);
    if (row.want.lastTransition) expect(got.lastTransitionTime).toBe(row.want.lastTransition === 'kept' ? testTime : nowStr);
  });

  it('writes Available from maxUnavailable on every status computation', () => {
    const fx = new Fixture(now);
    const d = fx.deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 1 });
    const rs = fx.rs(d, 'foo', 4, { available: 2 });
    syncRolloutStatus(fx.ctx, [rs], rs, d);
    const st = fx.api.get('Deployment', 'default', 'front')!.status;
    expect(st.conditions.find((c: any) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(st).toMatchObject({ replicas: 4, updatedReplicas: 4, availableReplicas: 2, unavailableReplicas: 2, observedGeneration: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.16 oldPodsRunning', () => {
  const pod = (phase: string | undefined) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${phase}`, namespace: 'default' }, status: phase ? { phase } : {} }) as KubeObject;
  it.each([
    ['no old RSs', [], {}, false],
    ['two old RSs with two running pods each', [[2, 2], [2, 2]], { 'uid-rs-0': ['Running', 'Running'], 'uid-rs-1': ['Running', 'Running'] }, true],
    ['old RS spec 0, status.replicas 1, no pods', [[0, 1]], {}, true],
    ['old RS 0/0, no pods', [[0, 0]], {}, false],
    ['0/0 with Failed and Succeeded pods', [[0, 0]], { 'uid-rs-0': ['Failed', 'Succeeded'] }, false],
    ['0/0 with an Unknown pod', [[0, 0]], { 'uid-rs-0': ['Unknown'] }, true],
    ['0/0 with a Pending pod', [[0, 0]], { 'uid-rs-0': ['Pending'] }, true],
    ['0/0 with a Running pod', [[0, 0]], { 'uid-rs-0': ['Running'] }, true],
    ['0/0, Failed+Succeeded in one RS, Pending in another', [[0, 0]], { 'uid-1': ['Failed', 'Succeeded'], 'uid-2': [], 'uid-3': ['Pending'] }, true],
  ] as [string, [number, number][], Record<string, string[]>, boolean][])('%s → %s', (_n, rss, pods, want) => {
    const oldRSs = rss.map(([spec, st], i) => plainRS(`rs-${i}`, spec, { status: { replicas: st } }));
    const map = new Map(Object.entries(pods).map(([uid, phases]) => [uid, phases.map(pod)]));
    expect(oldPodsRunning(undefined, oldRSs, map)).toBe(want);
  });

  it("ignores the new ReplicaSet's pods", () => {
    const newRS = plainRS('new', 3, { uid: 'uid-new' });
    const map = new Map([['uid-new', [pod('Running')]]]);
    expect(oldPodsRunning(newRS, [plainRS('old', 0, { status: { replicas: 0 } })], map)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('§6.17 revision history (5-char limit)', () => {
  it('keeps the newest revisions that fit', () => {
    const d = dep(1, 1, 1, 'RollingUpdate', {
      metadata: { annotations: { 'kubernetes.io/change-cause': 'v2', [REVISION_ANNOTATION]: '9', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    });
    const rs = plainRS('foo', 1);
    const seen: (string | undefined)[] = [];
    for (let r = 11; r <= 20; r++) {
      setNewReplicaSetAnnotations(d, rs, r, true, 5);
      expect(rs.metadata.annotations![REVISION_ANNOTATION]).toBe(String(r));
      if (r >= 13) expect(rs.metadata.annotations![REVISION_HISTORY_ANNOTATION]).toBe(`${r - 2},${r - 1}`);
      seen.push(rs.metadata.annotations![REVISION_HISTORY_ANNOTATION]);
    }
    expect(seen.slice(0, 4)).toEqual([undefined, '11', '11,12', '12,13']);
    // Only non-skip-listed annotations are copied.
    expect(rs.metadata.annotations!['kubernetes.io/change-cause']).toBe('v2');
    expect(rs.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
  });

  it('never lowers a revision and reports no change when nothing changed', () => {
    const d = dep(1, 1, 1);
    const rs = plainRS('foo', 1, { annotations: { [REVISION_ANNOTATION]: '7' } });
    expect(setNewReplicaSetAnnotations(d, rs, 5, true)).toBe(false);
    expect(rs.metadata.annotations![REVISION_ANNOTATION]).toBe('7');
    expect(rs.metadata.annotations![REVISION_HISTORY_ANNOTATION]).toBeUndefined();
  });

  it('a ReplicaSet being created gets desired/max annotations', () => {
    const d = dep(10, '30%', '10%');
    const rs = plainRS('foo', 3);
    expect(setNewReplicaSetAnnotations(d, rs, 1, false)).toBe(true);
    expect(rs.metadata.annotations).toMatchObject({ [REVISION_ANNOTATION]: '1', [DESIRED_REPLICAS_ANNOTATION]: '10', [MAX_REPLICAS_ANNOTATION]: '13' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('§2.12 ReplicaSet pod deletion order', () => {
  const now = T0 + 1_000_000;
  const pod = (name: string, o: { node?: boolean; phase?: string; ready?: boolean; readyAgo?: number; cost?: number; restarts?: number; createdAgo?: number } = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: toRFC3339(now - (o.createdAgo ?? 600) * 1000),
      ...(o.cost === undefined ? {} : { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } }),
    },
    spec: { containers: [{ name: 'a', image: 'x' }], ...(o.node === false ? {} : { nodeName: 'n' }) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: toRFC3339(now - (o.readyAgo ?? 300) * 1000) }],
      containerStatuses: [{ name: 'a', restartCount: o.restarts ?? 0 }],
    },
  });
  const first = (pods: KubeObject[]) => podsToDelete(pods, pods.length, now).map((p) => p.metadata.name);

  it('unscheduled before scheduled', () => expect(first([pod('b', { phase: 'Pending' }), pod('a', { node: false, phase: 'Pending' })])).toEqual(['a', 'b']));
  it('Pending < Unknown < Running', () => expect(first([pod('r'), pod('u', { phase: 'Unknown' }), pod('p', { phase: 'Pending' })])).toEqual(['p', 'u', 'r']));
  it('not Ready before Ready', () => expect(first([pod('ready', { ready: true }), pod('unready')])).toEqual(['unready', 'ready']));
  it('lower deletion cost first', () => expect(first([pod('hi', { ready: true, cost: 10 }), pod('lo', { ready: true, cost: -5 })])).toEqual(['lo', 'hi']));
  it('more recently Ready first', () => expect(first([pod('long', { ready: true, readyAgo: 500 }), pod('recent', { ready: true, readyAgo: 2 })])).toEqual(['recent', 'long']));
  it('more restarts first', () => expect(first([pod('calm', { ready: true }), pod('crashy', { ready: true, restarts: 3 })])).toEqual(['crashy', 'calm']));
  it('newer first', () => expect(first([pod('old', { createdAgo: 500 }), pod('new', { createdAgo: 5 })])).toEqual(['new', 'old']));
  it('returns only n pods', () => expect(podsToDelete([pod('a'), pod('b'), pod('c')], 2, now)).toHaveLength(2));
});

// ---------------------------------------------------------------------------------------------
describe('§1.4 validation messages', () => {
  const msg = (o: Parameters<typeof deploymentManifest>[0], edit?: (d: KubeObject) => void) => {
    const d = applyDefaults(deploymentManifest(o));
    edit?.(d);
    const errs = validateDeployment(d);
    return errs.length === 0 ? undefined : new InvalidObjectError('Deployment', d.metadata.name, errs).message;
  };
  const P = 'The Deployment "front" is invalid: ';
  const PERCENT = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

  it('maxSurge 0 and maxUnavailable 0', () => {
    expect(msg({ maxSurge: 0, maxUnavailable: 0 })).toBe(`${P}spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when \`maxSurge\` is 0`);
    expect(msg({ maxSurge: '0%', maxUnavailable: '0%' })).toBe(`${P}spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when \`maxSurge\` is 0`);
    expect(msg({ maxSurge: '0%', maxUnavailable: 0 })).toBe(`${P}spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when \`maxSurge\` is 0`);
  });

  it('the zero check compares raw numbers: maxSurge 0 with maxUnavailable 1% is accepted (fenceposted later)', () => {
    expect(msg({ maxSurge: 0, maxUnavailable: '1%' })).toBeUndefined();
    expect(maxUnavailable(applyDefaults(deploymentManifest({ replicas: 10, maxSurge: 0, maxUnavailable: '1%' })))).toBe(1);
  });

  it('maxUnavailable above 100%; maxSurge has no upper limit', () => {
    expect(msg({ maxUnavailable: '101%' })).toBe(`${P}spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "101%": must not be greater than 100%`);
    expect(msg({ maxSurge: '500%', maxUnavailable: '100%' })).toBeUndefined();
  });

  it('bad percent strings (note the double space)', () => {
    expect(msg({ maxSurge: '25' })).toBe(`${P}spec.strategy.rollingUpdate.maxSurge: Invalid value: "25": ${PERCENT}`);
    expect(msg({ maxUnavailable: 'oops' })).toBe(`${P}spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "oops": ${PERCENT}`);
  });

  it('a malformed string counts as 0 in the zero check, as IntOrString.IntValue does', () => {
    expect(msg({ maxSurge: 'oops', maxUnavailable: 0 })).toBe(
      `${P}[spec.strategy.rollingUpdate.maxSurge: Invalid value: "oops": ${PERCENT}, spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when \`maxSurge\` is 0]`,
    );
  });

  it('negative ints', () => {
    expect(msg({ maxSurge: -1 })).toBe(`${P}spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0`);
    expect(msg({ maxUnavailable: -2 })).toBe(`${P}spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -2: must be greater than or equal to 0`);
  });

  it('Recreate with rollingUpdate', () => {
    expect(msg({ strategy: 'Recreate' }, (d) => (d.spec.strategy.rollingUpdate = { maxSurge: 1 }))).toBe(`${P}spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy \`type\` is 'Recreate'`);
  });

  it('unknown strategy type is NotSupported on spec.strategy', () => {
    const m = msg({}, (d) => (d.spec.strategy = { type: 'BlueGreen' }))!;
    expect(m.startsWith(`${P}spec.strategy: Unsupported value: `)).toBe(true);
    expect(m.endsWith(': supported values: "Recreate", "RollingUpdate"')).toBe(true);
    expect(m).toContain('BlueGreen');
  });

  it.each(['replicas', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds'])('negative %s', (field) => {
    const m = msg({}, (d) => (d.spec[field] = -1));
    expect(m).toContain(`spec.${field}: Invalid value: -1: must be greater than or equal to 0`);
    if (field !== 'progressDeadlineSeconds') expect(m).toBe(`${P}spec.${field}: Invalid value: -1: must be greater than or equal to 0`);
  });

  it('progressDeadlineSeconds must exceed minReadySeconds', () => {
    expect(msg({ minReadySeconds: 10, progressDeadlineSeconds: 10 })).toBe(`${P}spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds`);
    expect(msg({ minReadySeconds: 10, progressDeadlineSeconds: 11 })).toBeUndefined();
  });

  it('empty selector', () => {
    const m = msg({}, (d) => (d.spec.selector = {}))!;
    expect(m.startsWith(`${P}spec.selector: Invalid value: `)).toBe(true);
    expect(m.endsWith(': empty selector is invalid for deployment')).toBe(true);
  });

  it('several causes are listed in brackets in upstream order', () => {
    expect(msg({ replicas: -1, minReadySeconds: -1 })).toBe(
      `${P}[spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0]`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('ApiServer', () => {
  const mk = () => {
    const clock = new VirtualClock(T0);
    return { clock, api: new ApiServer(clock, new IdSource()) };
  };

  it('rejects an invalid Deployment with InvalidObjectError and stores nothing', () => {
    const { api } = mk();
    const rv = api.resourceVersion;
    let err: unknown;
    try {
      api.create(deploymentManifest({ maxSurge: 0, maxUnavailable: 0 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidObjectError);
    expect((err as InvalidObjectError).code).toBe('Invalid');
    expect((err as Error).message).toContain('The Deployment "front" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0');
    expect(api.get('Deployment', 'default', 'front')).toBeUndefined();
    expect(api.list('Deployment')).toEqual([]);
    expect(api.resourceVersion).toBe(rv);
  });

  it('rejects an invalid update and keeps the stored object', () => {
    const { api } = mk();
    const stored = api.create(deploymentManifest({ replicas: 3 }));
    expect(() => api.update(deploymentManifest({ replicas: -3 }))).toThrow(InvalidObjectError);
    expect(api.get('Deployment', 'default', 'front')).toBe(stored);
  });

  it('unknown kinds fail with UnknownKind', () => {
    const { api } = mk();
    let err: unknown;
    try {
      api.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MfluxError);
    expect((err as MfluxError).code).toBe('UnknownKind');
    expect((err as Error).message).toContain('no matches for kind "Widget" in version "example.com/v1"');
    expect(api.list('Widget')).toEqual([]);
  });

  it('generation moves on spec and annotation changes only; resourceVersion grows and stays on no-ops', () => {
    const { api } = mk();
    const rvs: number[] = [];
    const rv = (o: KubeObject) => {
      rvs.push(Number(o.metadata.resourceVersion));
      return o;
    };
    const m = deploymentManifest({ replicas: 3 });
    let d = rv(api.create(m));
    expect(d.metadata.generation).toBe(1);

    const same = api.update(deploymentManifest({ replicas: 3 }));
    expect(same).toBe(d); // no-op: nothing written
    expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);

    d = rv(api.update(deploymentManifest({ replicas: 5 })));
    expect(d.metadata.generation).toBe(2);

    d = rv(api.update({ ...deploymentManifest({ replicas: 5 }), metadata: { name: 'front', namespace: 'default', labels: { team: 'a' } } }));
    expect(d.metadata.generation).toBe(2); // label only

    d = rv(api.update({ ...deploymentManifest({ replicas: 5 }), metadata: { name: 'front', namespace: 'default', labels: { team: 'a' }, annotations: { 'kubernetes.io/change-cause': 'x' } } }));
    expect(d.metadata.generation).toBe(3); // annotations count for Deployments

    d = rv(api.updateStatus('Deployment', 'default', 'front', { observedGeneration: 3, replicas: 5 }));
    expect(d.metadata.generation).toBe(3); // status never bumps generation
    const again = api.updateStatus('Deployment', 'default', 'front', { observedGeneration: 3, replicas: 5 });
    expect(again).toBe(d);

    d = rv(api.update({ ...deploymentManifest({ replicas: 5, image: 'nginx:1.21' }), metadata: { ...d.metadata } }));
    expect(d.metadata.generation).toBe(4);
    expect(d.status).toEqual({ observedGeneration: 3, replicas: 5 }); // status survives a spec update

    for (let i = 1; i < rvs.length; i++) expect(rvs[i]!).toBeGreaterThan(rvs[i - 1]!);
  });

  it('deleting an owner collects its dependents (cascade), but not dependents with another live owner', () => {
    const { api } = mk();
    const d = api.create(deploymentManifest({ replicas: 1 }));
    const owner = (o: KubeObject, kind: string) => ({ apiVersion: 'apps/v1', kind, name: o.metadata.name, uid: o.metadata.uid!, controller: true });
    const rs = api.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'front-1', namespace: 'default', ownerReferences: [owner(d, 'Deployment')] }, spec: { replicas: 1, selector: { matchLabels: { app: 'front' } }, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } });
    const pod = api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'front-1-abcde', namespace: 'default', ownerReferences: [owner(rs, 'ReplicaSet')] }, spec: { containers: [{ name: 'a', image: 'x' }] } });
    const cm = api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep', namespace: 'default', ownerReferences: [{ ...owner(d, 'Deployment'), controller: false }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'default' } }).metadata.uid!, controller: false }] } });
    expect(api.ownedBy(d.metadata.uid!)).toHaveLength(2);
    expect(api.delete('Deployment', 'default', 'front')).toBe(true);
    expect(api.get('Deployment', 'default', 'front')).toBeUndefined();
    expect(api.get('ReplicaSet', 'default', rs.metadata.name)).toBeUndefined();
    expect(api.get('Pod', 'default', pod.metadata.name)).toBeUndefined();
    expect(api.get('ConfigMap', 'default', cm.metadata.name)).toBeDefined();
    expect(api.delete('Deployment', 'default', 'front')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('hashing and names', () => {
  const template = (image: string) => ({ metadata: { labels: { app: 'front' } }, spec: { containers: [{ name: 'app', image }] } });

  it('computeHash is stable for equal templates and differs for different ones', () => {
    const a = computeHash(template('nginx:1.20'));
    expect(computeHash(template('nginx:1.20'))).toBe(a);
    // Key order and the pod-template-hash label do not matter.
    expect(computeHash({ spec: { containers: [{ image: 'nginx:1.20', name: 'app' }] }, metadata: { labels: { [POD_TEMPLATE_HASH_LABEL]: 'zzz', app: 'front' } } })).toBe(a);
    expect(computeHash(template('nginx:1.21'))).not.toBe(a);
    expect(computeHash({ ...template('nginx:1.20'), metadata: { labels: { app: 'front', tier: 'web' } } })).not.toBe(a);
    // A collision count changes the hash, and differently for each count.
    const c1 = computeHash(template('nginx:1.20'), 1);
    expect(c1).not.toBe(a);
    expect(computeHash(template('nginx:1.20'), 2)).not.toBe(c1);
    expect(computeHash(template('nginx:1.20'), 1)).toBe(c1);
    for (const h of [a, c1]) {
      expect(h).toMatch(/^[456789bcdf]{1,10}$/);
    }
  });

  it('safeEncode maps decimal digits 0→4 1→5 2→6 3→7 4→8 5→9 6→b 7→c 8→d 9→f', () => {
    expect(safeEncode('0123456789')).toBe('456789bcdf');
    expect([...'0123456789'].map((c) => safeEncode(c))).toEqual(['4', '5', '6', '7', '8', '9', 'b', 'c', 'd', 'f']);
    expect(fnv1a32('')).toBe(2166136261);
    expect(safeEncode(String(fnv1a32('')))).toBe('65bb57b6b5');
    expect(NAME_ALPHABET).toHaveLength(27);
  });
});

describe('sameStatus', () => {
  type Cond = NonNullable<DeploymentStatus['conditions']>[number];
  const cond = (over: Partial<Cond> = {}): Cond => ({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: 't1', lastTransitionTime: 't1', ...over });
  const base: DeploymentStatus = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [cond()] };
  it('treats absent counts as 0 and compares conditions field by field, in order', () => {
    expect(sameStatus(base, { ...base, conditions: [cond()] })).toBe(true);
    expect(sameStatus({ ...base, unavailableReplicas: 0 }, base)).toBe(true);
    expect(sameStatus(undefined, { conditions: [] })).toBe(true);
    expect(sameStatus(base, { ...base, readyReplicas: 2 })).toBe(false);
    expect(sameStatus(base, { ...base, conditions: [cond({ message: 'other' })] })).toBe(false);
    expect(sameStatus(base, { ...base, conditions: [cond({ lastUpdateTime: 't2' })] })).toBe(false);
    expect(sameStatus({ ...base, conditions: [cond(), cond({ type: 'Progressing' })] }, { ...base, conditions: [cond({ type: 'Progressing' }), cond()] })).toBe(false);
    expect(sameStatus(base, { ...base, conditions: [] })).toBe(false);
  });
  it('tells an absent collisionCount from 0', () => {
    expect(sameStatus(base, { ...base, collisionCount: 0 })).toBe(false);
    expect(sameStatus({ ...base, collisionCount: 1 }, { ...base, collisionCount: 1 })).toBe(true);
  });
});

describe('getNewReplicaSet: a ReplicaSet already in step', () => {
  it('is used as stored (no copy, no write); one that lacks an annotation the Deployment passes on is written', () => {
    const fx = new Fixture();
    const d = fx.deployment({ name: 'foo', replicas: 3 });
    const created = getNewReplicaSet(fx.ctx, d, [], [], true)!;
    expect(created.metadata.annotations![REVISION_ANNOTATION]).toBe('1');
    const stored = fx.api.get('ReplicaSet', 'default', created.metadata.name)!;
    const rv = fx.api.resourceVersion;
    // Revision 1 is at least the next revision when there are no old ReplicaSets (1), annotations and minReadySeconds agree.
    expect(getNewReplicaSet(fx.ctx, d, [stored], [], false)).toBe(stored);
    expect(fx.api.resourceVersion).toBe(rv);
    d.metadata.annotations = { ...d.metadata.annotations, 'example.com/owner': 'team-a' };
    const synced = getNewReplicaSet(fx.ctx, d, [stored], [], false)!;
    expect(synced).not.toBe(stored);
    expect(synced.metadata.annotations!['example.com/owner']).toBe('team-a');
    expect(fx.api.get('ReplicaSet', 'default', created.metadata.name)!.metadata.annotations!['example.com/owner']).toBe('team-a');
    // The stored object the sync started from is untouched (stored objects are read-only).
    expect(stored.metadata.annotations!['example.com/owner']).toBeUndefined();
  });
});
