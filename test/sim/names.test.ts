/** Generated names: a collision draws another name (as upstream's API server does), and a create that still fails is retried by the ReplicaSet controller. */
import { describe, expect, it } from 'vitest';
import { type KubeObject, VirtualClock, isMfluxError, toRFC3339 } from '../../src/core/index.js';
import { ApiServer, GENERATE_NAME_ATTEMPTS } from '../../src/cluster/sim/apiserver.js';
import type { ControllerContext } from '../../src/cluster/sim/controllers/context.js';
import { CREATE_RETRY_MS, syncReplicaSet } from '../../src/cluster/sim/controllers/replicaset.js';
import { IdSource } from '../../src/cluster/sim/ids.js';
import { T0 } from './helpers.js';

function pod(name: { name?: string; generateName?: string }): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: name.name ?? '', generateName: name.generateName, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } };
}

/** upcoming predicts the names the generator hands out after `squatters` objects have been created (each takes one uid). */
function upcoming(ids: IdSource, squatters: number, names: number): string[] {
  const peek = new IdSource(ids.save());
  for (let i = 0; i < squatters; i++) peek.uid();
  return Array.from({ length: names }, () => peek.nameSuffix());
}

describe('generateName', () => {
  it('draws another name when the generated one is taken', () => {
    const ids = new IdSource();
    const api = new ApiServer(new VirtualClock(T0), ids);
    const [first, second] = upcoming(ids, 1, 2);
    api.create(pod({ name: `web-${first}` }));
    const made = api.create(pod({ generateName: 'web-' }));
    expect(made.metadata.name).toBe(`web-${second}`);
    expect(api.list('Pod').map((p) => p.metadata.name).sort()).toEqual([`web-${first}`, `web-${second}`].sort());
  });

  it(`fails with AlreadyExists after ${GENERATE_NAME_ATTEMPTS} taken names, and stores nothing`, () => {
    const ids = new IdSource();
    const api = new ApiServer(new VirtualClock(T0), ids);
    const names = upcoming(ids, GENERATE_NAME_ATTEMPTS, GENERATE_NAME_ATTEMPTS);
    for (const n of names) api.create(pod({ name: `web-${n}` }));
    let err: unknown;
    try {
      api.create(pod({ generateName: 'web-' }));
    } catch (e) {
      err = e;
    }
    expect(isMfluxError(err, 'AlreadyExists')).toBe(true);
    expect((err as Error).message).toMatch(/^Pod\/default\/web-[a-z0-9]{5}: pods "web-[a-z0-9]{5}" already exists \(generateName "web-": 8 generated names were all taken; try again\)$/);
    expect(api.list('Pod')).toHaveLength(GENERATE_NAME_ATTEMPTS);
  });

  it('a name given explicitly is never replaced', () => {
    const api = new ApiServer(new VirtualClock(T0), new IdSource());
    api.create(pod({ name: 'web-1' }));
    expect(() => api.create(pod({ name: 'web-1', generateName: 'web-' }))).toThrow(/pods "web-1" already exists$/);
  });
});

describe('ReplicaSet controller', () => {
  it('records FailedCreate and retries later when a pod cannot be created, keeping the pods it made', () => {
    const clock = new VirtualClock(T0);
    const ids = new IdSource();
    const api = new ApiServer(clock, ids);
    const events: { type: string; reason: string; message: string }[] = [];
    const requeues: { key: string; at: number }[] = [];
    const ctx: ControllerContext = {
      api,
      now: () => clock.now(),
      nowStr: () => toRFC3339(clock.now()),
      record: (_obj, type, reason, message) => events.push({ type, reason, message }),
      requeueAt: (_c, key, at) => requeues.push({ key, at }),
      eventWording: 'v1.28',
    };
    const labels = { app: 'web' };
    const rs = api.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-abc', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
    });
    // Take every name the first create will draw: the first pod fails, the controller backs off.
    for (const n of upcoming(ids, GENERATE_NAME_ATTEMPTS, GENERATE_NAME_ATTEMPTS)) api.create(pod({ name: `web-abc-${n}` }));
    syncReplicaSet(ctx, 'default', 'web-abc', 0);
    const owned = () => api.ownedBy(rs.metadata.uid!, 'Pod');
    expect(owned()).toHaveLength(0);
    expect(events).toEqual([{ type: 'Warning', reason: 'FailedCreate', message: expect.stringMatching(/^Error creating: Pod\/default\/web-abc-[a-z0-9]{5}: pods "web-abc-[a-z0-9]{5}" already exists/) }]);
    expect(requeues).toEqual([{ key: 'ReplicaSet/default/web-abc', at: T0 + CREATE_RETRY_MS }]);
    expect(api.get('ReplicaSet', 'default', 'web-abc')!.status.replicas).toBe(0);

    clock.advanceBy(CREATE_RETRY_MS);
    syncReplicaSet(ctx, 'default', 'web-abc', 0);
    expect(owned()).toHaveLength(2);
    expect(events.slice(1).map((e) => e.reason)).toEqual(['SuccessfulCreate', 'SuccessfulCreate']);
  });
});
