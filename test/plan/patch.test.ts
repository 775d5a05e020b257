/**
 * The patch shown is the patch applied. Property test over generated objects: applying an entry's
 * write (its preconditions, then exactly its patch) to the live object gives exactly the object
 * the pass intended — for creates, updates, three-way field removals and Secrets (masked when
 * shown, written as keyed digests). Plus merge3's rules as worked examples.
 */
import fastJsonPatch from 'fast-json-patch';
import { describe, expect, test } from 'vitest';
import { type KubeObject, SecretDigester, VirtualClock, cloneObject } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { computePlan, merge3, refOfObject, type Stamp } from '../../src/plan/index.js';

/** rng is a small seeded generator (LCG), so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!, chance: (p: number) => next() < p };
}

type R = ReturnType<typeof rng>;

const KEYS = ['a', 'b', 'c', 'd', 'e'] as const;

function labels(r: R): Record<string, string> {
  return Object.fromEntries(KEYS.filter(() => r.chance(0.4)).map((k) => [`l-${k}`, `v${r.int(3)}`]));
}

function configMap(r: R, name: string): KubeObject {
  const data = Object.fromEntries(KEYS.filter(() => r.chance(0.6)).map((k) => [k, `value-${r.int(5)}`]));
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: labels(r) }, data };
}

function secret(r: R, name: string): KubeObject {
  const stringData = Object.fromEntries(KEYS.filter(() => r.chance(0.6)).map((k) => [k, `pw-${r.int(4)}`]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, type: 'Opaque', stringData };
}

function deployment(r: R, name: string): KubeObject {
  const containers = [{ name: 'app', image: `app:${r.int(4)}`, ...(r.chance(0.5) ? { args: KEYS.filter(() => r.chance(0.5)) } : {}), ...(r.chance(0.4) ? { env: [{ name: 'X', value: `${r.int(3)}` }] } : {}) }];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: labels(r), ...(r.chance(0.3) ? { annotations: { team: `t${r.int(2)}` } } : {}) },
    spec: {
      replicas: r.int(4),
      ...(r.chance(0.3) ? { minReadySeconds: r.int(5) } : {}),
      ...(r.chance(0.3) ? { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: r.pick([0, 1, '50%']), maxUnavailable: 1 } } } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
  };
}

const MAKERS = [configMap, secret, deployment];

const stamp: Stamp = (m) => (m.kind === 'Deployment' ? { 'kubernetes.io/change-cause': 'a commit (abcdef0)', 'mflux.dev/revision': 'main@sha1:abc' } : undefined);

function withoutStatus(o: KubeObject): KubeObject {
  const { status: _s, ...rest } = o;
  return rest as KubeObject;
}

describe('the patch shown is the patch applied (seeded property test)', () => {
  test('for 300 generated objects: write = preconditions + patch, and applying it to live gives exactly the intended object', () => {
    const seen: Record<string, number> = {};
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const sim = new Simulation(new VirtualClock(Date.UTC(2026, 0, 1)), {}, undefined, SecretDigester.ephemeral());
      const client = new SimClient(sim);
      const make = MAKERS[seed % MAKERS.length]!;
      const name = `o${seed}`;
      const first = make(r, name);
      const creating = r.chance(0.25);
      const inventory = new Map<string, KubeObject>();
      const live = new Map<string, KubeObject>();
      if (!creating) {
        client.applySync(first);
        const ref = refOfObject(first);
        inventory.set(ref, client.redact(first));
        live.set(ref, sim.api.get(first.kind, 'default', name)!);
        // Something else (a controller, kubectl) sets a field mflux never applied: three-way keeps it.
        if (first.kind === 'ConfigMap' && r.chance(0.5)) {
          const l = live.get(ref)!;
          live.set(ref, client.applySync({ ...l, metadata: { ...l.metadata, annotations: { 'someone.else/owns': 'this' } } }).object);
        }
      }
      const desired = creating ? first : make(r, name);
      const plan = computePlan({ desired: [{ object: desired }], live, inventory, redact: (o) => client.redact(o), stamp });
      const e = plan.entries[0]!;
      const ctx = `seed ${seed} (${e.kind}, ${e.action})`;
      seen[`${e.kind} ${e.action}`] = (seen[`${e.kind} ${e.action}`] ?? 0) + 1;
      if (e.action === 'unchanged') {
        expect(e.patch, ctx).toEqual([]);
        expect(e.write, ctx).toBeUndefined();
        continue;
      }
      const write = e.write!;
      const pre = creating ? 1 : 2;
      expect(write.slice(0, pre).every((op) => op.op === 'test'), ctx).toBe(true);
      const change = write.slice(pre);
      if (e.kind === 'Secret') {
        // Shown masked, written as digests: no value anywhere, and the shown ops are the written ones with values masked.
        expect(JSON.stringify(e.patch), ctx).not.toMatch(/pw-|hmac-sha256/);
        expect(JSON.stringify(write), ctx).not.toMatch(/pw-/);
        expect(e.patch.map((op) => [op.op, op.path]), ctx).toEqual(change.map((op) => [op.op, op.path]));
      } else {
        expect(e.patch, ctx).toEqual(change);
      }
      const base = creating ? {} : cloneObject(live.get(e.ref)!);
      const result = fastJsonPatch.applyPatch(base, cloneObject(write), true, false).newDocument as KubeObject;
      const extra = stamp(e.manifest!);
      const intended = extra ? { ...e.applied!, metadata: { ...e.applied!.metadata, annotations: { ...(e.applied!.metadata.annotations ?? {}), ...extra } } } : e.applied!;
      expect(withoutStatus(result), ctx).toEqual(intended);
      if (!creating) {
        // Three-way: a field Git had last time and dropped now is gone; one set by someone else stays.
        const before = inventory.get(e.ref)!;
        if (before.kind === 'ConfigMap') {
          for (const k of Object.keys(before.data ?? {})) if (!(k in ((desired.data ?? {}) as Record<string, unknown>))) expect((result.data as Record<string, unknown> | undefined)?.[k], `${ctx}: data.${k} removed`).toBeUndefined();
          if (live.get(e.ref)!.metadata.annotations?.['someone.else/owns']) expect(result.metadata.annotations?.['someone.else/owns'], ctx).toBe('this');
        }
      }
    }
    // The generator must really exercise every kind of write, not mostly no-ops.
    for (const k of ['ConfigMap', 'Secret', 'Deployment']) {
      expect(seen[`${k} create`] ?? 0, `${k} creates`).toBeGreaterThan(10);
      expect(seen[`${k} update`] ?? 0, `${k} updates`).toBeGreaterThan(30);
    }
  });

  test('the cluster stores exactly the patched object (the write goes through SimClient.patch)', async () => {
    const sim = new Simulation(new VirtualClock(Date.UTC(2026, 0, 1)), {}, undefined, SecretDigester.ephemeral());
    const client = new SimClient(sim);
    const r = rng(7);
    const d1 = deployment(r, 'web');
    client.applySync(d1);
    const live = sim.api.get('Deployment', 'default', 'web')!;
    const d2 = { ...d1, spec: { ...d1.spec, replicas: 9, template: { ...d1.spec.template, spec: { containers: [{ name: 'app', image: 'app:new' }] } } } };
    const e = computePlan({ desired: [{ object: d2 }], live: new Map([['Deployment/default/web', live]]), inventory: new Map([['Deployment/default/web', d1]]), redact: (o) => client.redact(o), stamp }).entries[0]!;
    const stored = (await client.patch('Deployment', 'default', 'web', e.write!)).object;
    expect(stored.spec.replicas).toBe(9);
    expect(stored.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'app', image: 'app:new' })]);
    expect(stored.metadata.annotations?.['kubernetes.io/change-cause']).toBe('a commit (abcdef0)');
    expect(Number(stored.metadata.generation)).toBe(Number(live.metadata.generation) + 1);
    // Replaying the same write now fails its preconditions: the resourceVersion moved.
    await expect(client.patch('Deployment', 'default', 'web', e.write!)).rejects.toMatchObject({ code: 'Conflict' });
  });
});

describe('merge3 (three-way merge of Git onto live)', () => {
  test('fields Git sets win; dropped ones Git applied before are removed; others stay', () => {
    expect(merge3({ replicas: 3, paused: true }, { replicas: 5 }, { replicas: 3, paused: true, revisionHistoryLimit: 10 })).toEqual({ replicas: 5, revisionHistoryLimit: 10 });
  });

  test('maps merge key by key, at every depth', () => {
    expect(merge3({ a: { x: 1, y: 2 } }, { a: { x: 1 } }, { a: { x: 1, y: 2, z: 3 }, b: 1 })).toEqual({ a: { x: 1, z: 3 }, b: 1 });
  });

  test('lists are replaced whole (no merge keys): a container list from Git replaces the live one', () => {
    expect(merge3({ c: [{ n: 'a' }] }, { c: [{ n: 'b' }] }, { c: [{ n: 'a', defaulted: true }] })).toEqual({ c: [{ n: 'b' }] });
  });

  test('with no last-applied (first apply over an existing object) nothing is removed', () => {
    expect(merge3(undefined, { a: 1 }, { a: 0, b: 2 })).toEqual({ a: 1, b: 2 });
  });

  test('a scalar or list where live has a map (or the reverse) takes Git’s value; inputs are not mutated', () => {
    const live = { a: { x: 1 } };
    const desired = { a: [1, 2] };
    const out = merge3({}, desired, live) as { a: number[] };
    expect(out).toEqual({ a: [1, 2] });
    out.a.push(3);
    expect(desired.a).toEqual([1, 2]);
    expect(live).toEqual({ a: { x: 1 } });
  });
});
