import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MfluxError, deepFreeze, refOf, type KubeObject } from '../../src/core/index.js';
import { MIGRATIONS, SCHEMA_VERSION, StateStore, forceUnlock, processStart, resolveStateDir, sqliteError, type SnapshotChanges, type StoredEvent } from '../../src/store/index.js';
import { partId } from '../../src/store/parts.js';
import { REPO_ROOT } from '../cli/helpers.js';
import { ensureBuilt } from '../daemon/helpers.js';

let tmp: string;
let stateDir: string;
const open: StateStore[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-store-'));
  stateDir = path.join(tmp, '.mflux');
});

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function openStore(dir: string, mode: 'read' | 'write'): StateStore {
  const s = StateStore.open(dir, mode);
  open.push(s);
  return s;
}

function changes(c: Partial<SnapshotChanges>): SnapshotChanges {
  return { upserts: [], deletes: [], events: [], meta: {}, ...c };
}

function deployment(name: string, image: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image }] } } },
  };
}

function namespaceObj(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function event(n: number, reason = 'ScalingReplicaSet'): StoredEvent {
  return {
    seq: n,
    name: `front.${n}`,
    namespace: 'default',
    involvedObject: { kind: 'Deployment', namespace: 'default', name: 'front', uid: `uid-${n}`, apiVersion: 'apps/v1', resourceVersion: String(100 + n) },
    type: 'Normal',
    reason,
    message: `Scaled up replica set front-abc to ${n}`,
    component: 'deployment-controller',
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: `2024-01-01T00:00:0${n % 10}Z`,
    count: n,
  };
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function caught(fn: () => unknown): MfluxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MfluxError);
    return err as MfluxError;
  }
  throw new Error('expected an MfluxError, nothing was thrown');
}

function byRef(objs: KubeObject[]): Record<string, KubeObject> {
  return Object.fromEntries(objs.map((o) => [refOf(o), o]));
}

describe('resolveStateDir', () => {
  it('prefers the flag, then $MFLUX_STATE, then ./.mflux, always absolute', () => {
    expect(resolveStateDir('/x/flag', { MFLUX_STATE: '/x/env' })).toBe('/x/flag');
    expect(resolveStateDir(undefined, { MFLUX_STATE: '/x/env' })).toBe('/x/env');
    expect(resolveStateDir(undefined, {})).toBe(path.resolve('.mflux'));
    expect(resolveStateDir('rel/dir', {})).toBe(path.resolve('rel/dir'));
    expect(resolveStateDir('', { MFLUX_STATE: '' })).toBe(path.resolve('.mflux'));
  });
});

describe('StateStore round trip', () => {
  it('stores objects, events and meta and reads them back after reopening', () => {
    const w = openStore(stateDir, 'write');
    expect(w.dir).toBe(stateDir);
    expect(w.mode).toBe('write');
    const front = deployment('front', 'nginx:1.25');
    const back = deployment('back', 'api:1', 'prod');
    const ns = namespaceObj('prod');
    w.commit(
      changes({
        upserts: [front, back, ns],
        events: [
          event(2),
          event(1),
          event(10),
        ],
        meta: { clockNow: '1700000000000', lastRevision: 'main@sha1:abc' },
      }),
    );
    w.close();

    const r = openStore(stateDir, 'read');
    expect(r.mode).toBe('read');
    const objs = byRef(r.loadObjects());
    expect(Object.keys(objs).sort()).toEqual(['Deployment/default/front', 'Deployment/prod/back', 'Namespace/prod']);
    expect(objs['Deployment/default/front']).toEqual(front);
    expect(objs['Deployment/prod/back']).toEqual(back);
    expect(objs['Namespace/prod']).toEqual(ns);
    expect(r.loadEvents().map((e) => e.seq)).toEqual([1, 2, 10]);
    expect(r.loadEvents()[2]).toEqual(event(10));
    // Field by field and key by key: an event reads back exactly as written (its JSON too).
    expect(JSON.stringify(r.loadEvents()[0])).toBe(JSON.stringify(event(1)));
    expect(r.getMeta('clockNow')).toBe('1700000000000');
    expect(r.getMeta('lastRevision')).toBe('main@sha1:abc');
    expect(r.getMeta('missing')).toBeUndefined();
  });

  it('keys cluster-scoped objects by an empty namespace and defaults a missing namespace like refOf', () => {
    const w = openStore(stateDir, 'write');
    const noNs: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } };
    // A stray namespace on a cluster-scoped object must not create a second key for the same object.
    const nsWithStray: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod', namespace: 'x' } };
    w.commit(changes({ upserts: [noNs, namespaceObj('prod')] }));
    w.commit(changes({ upserts: [nsWithStray] }));
    expect(w.loadObjects()).toHaveLength(2);

    const raw = new Database(path.join(stateDir, 'state.db'), { readonly: true });
    const rows = raw.prepare('SELECT kind, namespace, name FROM objects ORDER BY kind').all();
    raw.close();
    expect(rows).toEqual([
      { kind: 'ConfigMap', namespace: 'default', name: 'cfg' },
      { kind: 'Namespace', namespace: '', name: 'prod' },
    ]);

    w.commit(changes({ deletes: [refOf(noNs), refOf(nsWithStray)] }));
    expect(w.loadObjects()).toEqual([]);
  });

  it('upsert replaces an object, an event and a meta value', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [deployment('front', 'nginx:1.25')], events: [event(1)], meta: { k: 'v1' } }));
    w.commit(
      changes({
        upserts: [deployment('front', 'nginx:1.26')],
        events: [event(1, 'Replaced')],
        meta: { k: 'v2' },
      }),
    );
    const objs = w.loadObjects();
    expect(objs).toHaveLength(1);
    expect(objs[0]!.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    expect(w.loadEvents()).toEqual([event(1, 'Replaced')]);
    expect(w.getMeta('k')).toBe('v2');
  });

  it('delete removes exactly the named objects (namespaced and cluster-scoped)', () => {
    const w = openStore(stateDir, 'write');
    const a = deployment('a', 'x:1');
    const b = deployment('b', 'x:1');
    const ns = namespaceObj('prod');
    w.commit(changes({ upserts: [a, b, ns] }));
    w.commit(changes({ deletes: ['Deployment/default/a', 'Namespace/prod', 'Deployment/default/never-existed'] }));
    expect(w.loadObjects()).toEqual([b]);
  });

  it('rejects a malformed delete key without changing anything', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [deployment('a', 'x:1')] }));
    const err = caught(() => w.commit(changes({ upserts: [deployment('b', 'x:1')], deletes: ['nonsense'] })));
    expect(err.code).toBe('Invalid');
    expect(w.loadObjects().map(refOf)).toEqual(['Deployment/default/a']);
  });
});

describe('StateStore commit atomicity', () => {
  it('a commit that fails half-way (BigInt in a later object) leaves the previous state intact', () => {
    const w = openStore(stateDir, 'write');
    const front = deployment('front', 'nginx:1.25');
    w.commit(changes({ upserts: [front], events: [event(1)], meta: { k: 'before' } }));

    const bad = deployment('bad', 'x:1');
    bad.spec.replicas = 3n;
    const err = caught(() =>
      w.commit(
        changes({
          // The first upsert and the delete run before the bad object is reached; all must roll back.
          upserts: [deployment('front', 'nginx:9.9'), deployment('new', 'x:1'), bad],
          deletes: ['Deployment/default/front'],
          events: [event(2)],
          meta: { k: 'after' },
        }),
      ),
    );
    expect(err.code).toBe('Invalid');
    expect(err.message).toContain('Deployment/default/bad');

    for (const s of [w, openStore(stateDir, 'read')]) {
      expect(s.loadObjects()).toEqual([front]);
      expect(s.loadEvents()).toEqual([event(1)]);
      expect(s.getMeta('k')).toBe('before');
    }
    // The store stays usable after a failed commit.
    w.commit(changes({ meta: { k: 'later' } }));
    expect(w.getMeta('k')).toBe('later');
  });

  it('a non-integer event seq aborts the whole commit', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ events: [event(1)] }));
    const err = caught(() =>
      w.commit(changes({ upserts: [deployment('x', 'x:1')], events: [event(2), { ...event(3), seq: 2.5 }] })),
    );
    expect(err.code).toBe('Invalid');
    expect(w.loadObjects()).toEqual([]);
    expect(w.loadEvents().map((e) => e.seq)).toEqual([1]);
  });

  it('refuses to commit through a read-mode store', () => {
    openStore(stateDir, 'write').close();
    const r = openStore(stateDir, 'read');
    expect(() => r.commit(changes({ meta: { k: 'v' } }))).toThrow(MfluxError);
    expect(r.getMeta('k')).toBeUndefined();
  });
});

describe('StateStore shared parts', () => {
  function pod(name: string, spec: object, conditions: unknown[]): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'web' } },
      spec,
      status: { phase: 'Running', conditions, podIP: `10.0.0.${name.length}`, containerStatuses: [{ name: 'app', ready: true }] },
    } as KubeObject;
  }
  const rows = (sql: string) => {
    const raw = new Database(path.join(stateDir, 'state.db'), { readonly: true });
    try {
      return raw.prepare(sql).all();
    } finally {
      raw.close();
    }
  };

  it('a frozen value many objects hold is stored once and read back as one shared, frozen value, the objects unchanged', () => {
    const spec = deepFreeze({ containers: [{ name: 'app', image: 'web:1' }], restartPolicy: 'Always' });
    const conditions = deepFreeze([{ type: 'Ready', status: 'True' }]);
    const pods = ['web-a', 'web-b', 'web-c'].map((n) => pod(n, spec, conditions));
    // Not frozen: a value the writer could still change is never shared, so it stays in its row.
    const own = pod('own', { containers: [{ name: 'app', image: 'own:1' }] }, [{ type: 'Ready', status: 'False' }]);
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [...pods, own] }));
    w.close();
    // Two parts (the spec and the conditions); the container statuses, not frozen, stay inline.
    expect(rows('SELECT count(*) AS n FROM object_parts')).toEqual([{ n: 2 }]);
    const stored = rows("SELECT name, json, parts FROM objects WHERE kind = 'Pod' ORDER BY name") as { name: string; json: string; parts: string | null }[];
    expect(stored.map((r) => [r.name, r.parts === null ? null : Object.keys(JSON.parse(r.parts))])).toEqual([
      ['own', null],
      ['web-a', ['spec', 'status.conditions']],
      ['web-b', ['spec', 'status.conditions']],
      ['web-c', ['spec', 'status.conditions']],
    ]);
    expect(JSON.parse(stored[1]!.json).spec).toBeNull();

    const loaded = byRef(openStore(stateDir, 'read').loadObjects());
    for (const p of [...pods, own]) {
      const back = loaded[refOf(p)]!;
      // Key by key: a part goes back where it was, so the object prints as it did.
      expect(JSON.stringify(back)).toBe(JSON.stringify(p));
    }
    const a = loaded['Pod/default/web-a']!;
    const b = loaded['Pod/default/web-b']!;
    expect(a.spec).toBe(b.spec);
    expect(a.status.conditions).toBe(b.status.conditions);
    expect(Object.isFrozen(a.spec.containers[0])).toBe(true);
    expect(Object.isFrozen(loaded['Pod/default/own']!.spec)).toBe(false);
  });

  it('distinct frozen values with equal JSON are one part', () => {
    // As the simulator has them: every pod of one image bound to one node holds an equal spec, frozen once per ReplicaSet.
    const specs = [1, 2, 3].map(() => deepFreeze({ containers: [{ name: 'app', image: 'web:1' }] }));
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: specs.map((spec, i) => pod(`web-${i}`, spec, [])) }));
    w.close();
    expect(rows('SELECT id FROM object_parts')).toEqual([{ id: partId(JSON.stringify(specs[0])) }]);
    const refs = (rows("SELECT parts FROM objects WHERE kind = 'Pod'") as { parts: string }[]).map((r) => JSON.parse(r.parts).spec);
    expect(refs).toEqual([1, 2, 3].map(() => partId(JSON.stringify(specs[0]))));
  });

  it('a part id already naming other JSON (a digest collision) keeps the value inline, for every value with that JSON', () => {
    const spec = deepFreeze({ containers: [{ name: 'app', image: 'web:1' }] });
    const twin = deepFreeze({ containers: [{ name: 'app', image: 'web:1' }] });
    const w = openStore(stateDir, 'write');
    w.commit(changes({ meta: { k: 'v' } }));
    w.database()!.prepare('INSERT INTO object_parts (id, json) VALUES (?, ?)').run(partId(JSON.stringify(spec)), '{"containers":[]}');
    w.commit(changes({ upserts: [pod('web-a', spec, []), pod('web-b', twin, [])] }));
    expect(rows("SELECT name, parts FROM objects WHERE kind = 'Pod' ORDER BY name")).toEqual([
      { name: 'web-a', parts: null },
      { name: 'web-b', parts: null },
    ]);
    for (const o of w.loadObjects()) expect(o.spec).toEqual(spec);
  });

  it('a row naming a part that is not there is StateCorrupt, naming the object', () => {
    const spec = deepFreeze({ containers: [{ name: 'app', image: 'web:1' }] });
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [pod('web-a', spec, [])] }));
    w.database()!.exec('DELETE FROM object_parts');
    const err = caught(() => w.loadObjects());
    expect(err.code).toBe('StateCorrupt');
    expect(err.message).toMatch(/Pod\/default\/web-a: shared part [0-9a-f]{16} \(spec\) is missing/);
  });

  it('parts no object holds any more are swept once they outnumber the objects by 1,000; held ones stay', () => {
    const w = openStore(stateDir, 'write');
    const generation = (image: string) => Array.from({ length: 600 }, (_, i) => pod(`p-${i}`, deepFreeze({ containers: [{ name: 'app', image: `${image}-${i}` }] }), []));
    w.commit(changes({ upserts: generation('v1') }));
    expect(rows('SELECT count(*) AS n FROM object_parts')).toEqual([{ n: 600 }]);
    // Each pod's spec replaced: 1,200 parts for 600 objects is within the slack, so nothing is swept yet.
    w.commit(changes({ upserts: generation('v2') }));
    expect(rows('SELECT count(*) AS n FROM object_parts')).toEqual([{ n: 1200 }]);
    // 1,800 > 600 + 1,000: the 1,200 no pod holds are swept, the 600 in use are not.
    const v3 = generation('v3');
    w.commit(changes({ upserts: v3 }));
    expect(rows('SELECT count(*) AS n FROM object_parts')).toEqual([{ n: 600 }]);
    expect(w.loadObjects().map((o) => o.spec.containers[0].image).sort()).toEqual(v3.map((o) => o.spec.containers[0].image).sort());
  });
});

describe('StateStore database file', () => {
  it('uses WAL, records the schema version and creates the cluster and ledger tables', () => {
    const w = openStore(stateDir, 'write');
    // A new database takes its first commit in rollback-journal mode (written once, into the file), then goes to WAL.
    expect(w.database()!.pragma('journal_mode', { simple: true })).toBe('delete');
    w.commit(changes({ meta: { k: 'v' } }));
    expect(w.database()!.pragma('journal_mode', { simple: true })).toBe('wal');
    const raw = new Database(path.join(stateDir, 'state.db'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    raw.close();
    expect(tables).toEqual(['event_rows', 'event_shapes', 'inventory', 'meta', 'object_parts', 'objects', 'pass_deployments', 'pass_services', 'passes', 'sources', 'sqlite_sequence']);
    expect(SCHEMA_VERSION).toBe(10);
  });

  it('a new database closed before any commit is left in WAL mode, and one left in rollback-journal mode (a crash before the switch) is put in WAL mode by the next writer, data intact', () => {
    openStore(stateDir, 'write').close();
    const mode = () => {
      const raw = new Database(path.join(stateDir, 'state.db'), { readonly: true });
      try {
        return raw.pragma('journal_mode', { simple: true });
      } finally {
        raw.close();
      }
    };
    expect(mode()).toBe('wal');
    fs.rmSync(stateDir, { recursive: true, force: true });
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [deployment('front', 'nginx:1')], events: [event(1)] }));
    w.database()!.pragma('journal_mode = DELETE');
    w.close();
    expect(mode()).toBe('delete');
    const again = openStore(stateDir, 'write');
    expect(again.database()!.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(again.loadObjects().map(refOf)).toEqual(['Deployment/default/front']);
    expect(again.loadEvents()).toStrictEqual([event(1)]);
  });

  it('an event about a cluster-scoped object (no namespace, uid, apiVersion or version) reads back without those keys', () => {
    const w = openStore(stateDir, 'write');
    const e: StoredEvent = { ...event(4), involvedObject: { kind: 'Node', name: 'node-1' }, type: 'Warning', reason: 'NodeNotReady' };
    w.commit(changes({ events: [e] }));
    w.close();
    const [back] = openStore(stateDir, 'read').loadEvents();
    expect(JSON.stringify(back)).toBe(JSON.stringify(e));
  });

  // Events as schema 9 kept them and as schema 10 must give them back: a pod's (name "<object>.<suffix>",
  // seen 7 times), a Node's (no namespace, uid, apiVersion or version; seen once), and one whose name
  // is not of the event log's form (it only starts like its object's name).
  const nine: StoredEvent[] = [
    {
      seq: 3,
      name: 'web-0.17f0a1b2c3d4e5f6',
      namespace: 'prod',
      involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-0', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42' },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off pulling image "x:1"',
      component: 'kubelet',
      firstTimestamp: '2026-01-01T00:00:10Z',
      lastTimestamp: '2026-01-01T00:05:10Z',
      count: 7,
    },
    { seq: 9, name: 'n1.00', namespace: 'default', involvedObject: { kind: 'Node', name: 'n1' }, type: 'Normal', reason: 'Starting', message: 'Starting kubelet.', component: 'kubelet', firstTimestamp: '2026-01-01T00:00:10Z', lastTimestamp: '2026-01-01T00:00:10Z', count: 1 },
    {
      seq: 11,
      name: 'web-0x.5',
      namespace: 'prod',
      involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-0', uid: 'u-1', apiVersion: 'v1', resourceVersion: '43' },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off pulling image "x:2"',
      component: 'kubelet',
      firstTimestamp: '2026-01-01T00:06:00Z',
      lastTimestamp: '2026-01-01T00:06:00Z',
      count: 1,
    },
  ];

  it('a version-8 database has its JSON events split into columns (migration 9), each as it was', () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const raw = new Database(path.join(stateDir, 'state.db'));
    for (let v = 0; v < 8; v++) raw.exec(MIGRATIONS[v]!);
    // As the event log wrote them before: a namespaced object's event, and a Node's (no namespace, uid or version).
    const pod = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-0.17f0a1b2c3d4e5f6', namespace: 'prod', creationTimestamp: '2026-01-01T00:00:10Z' },
      involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-0', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42' },
      reason: 'BackOff',
      message: 'Back-off pulling image "x:1"',
      type: 'Warning',
      source: { component: 'kubelet' },
      firstTimestamp: '2026-01-01T00:00:10Z',
      lastTimestamp: '2026-01-01T00:05:10Z',
      count: 7,
      reportingComponent: 'kubelet',
    };
    const node = { ...pod, metadata: { name: 'n1.00', namespace: 'default', creationTimestamp: pod.firstTimestamp }, involvedObject: { kind: 'Node', name: 'n1' }, type: 'Normal', reason: 'Starting', message: 'Starting kubelet.', count: 1 };
    raw.prepare('INSERT INTO events (seq, json) VALUES (?, ?)').run(3, JSON.stringify(pod));
    raw.prepare('INSERT INTO events (seq, json) VALUES (?, ?)').run(9, JSON.stringify(node));
    raw.pragma('user_version = 8');
    raw.close();
    const want: StoredEvent[] = [
      nine[0]!,
      // The Node's JSON row was the pod's with a few keys replaced: it kept the pod's last timestamp.
      { seq: 9, name: 'n1.00', namespace: 'default', involvedObject: { kind: 'Node', name: 'n1' }, type: 'Normal', reason: 'Starting', message: 'Starting kubelet.', component: 'kubelet', firstTimestamp: '2026-01-01T00:00:10Z', lastTimestamp: '2026-01-01T00:05:10Z', count: 1 },
    ];
    // A reader (which never migrates) reads the JSON rows as they are; a writer migrates them.
    const r = openStore(stateDir, 'read');
    expect(r.loadEvents()).toStrictEqual(want);
    r.close();
    const w = openStore(stateDir, 'write');
    expect(w.database()!.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(w.loadEvents()).toStrictEqual(want);
    // A new event gets the next seq after the migrated ones, and both kinds of row live side by side.
    w.commit(changes({ events: [{ ...event(1), seq: 10 }] }));
    expect(w.loadEvents().map((e) => e.seq)).toEqual([3, 9, 10]);
    w.close();
  });

  it('a version-9 database has its events split into shapes and rows (migration 10), each as it was', () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const raw = new Database(path.join(stateDir, 'state.db'));
    for (let v = 0; v < 9; v++) raw.exec(MIGRATIONS[v]!);
    const insert = raw.prepare('INSERT INTO event_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const e of nine) {
      const io = e.involvedObject;
      insert.run(e.seq, e.namespace, e.name, io.kind, io.namespace ?? null, io.name, io.uid ?? null, io.apiVersion ?? null, io.resourceVersion ?? null, e.type, e.reason, e.message, e.component, e.firstTimestamp, e.lastTimestamp, e.count);
    }
    raw.pragma('user_version = 9');
    raw.close();
    // A reader (which never migrates) reads the columns as they are; a writer migrates them.
    const r = openStore(stateDir, 'read');
    expect(r.loadEvents()).toStrictEqual(nine);
    r.close();
    const w = openStore(stateDir, 'write');
    expect(w.database()!.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(w.loadEvents()).toStrictEqual(nine);
    // Two shapes (the pod's events share one); the suffix kept where the name has the log's form; last_timestamp only where it differs.
    expect(w.database()!.prepare('SELECT count(*) FROM event_shapes').pluck().get()).toBe(2);
    expect(w.database()!.prepare('SELECT seq, name_suffix, name, last_timestamp FROM event_rows ORDER BY seq').all()).toEqual([
      { seq: 3, name_suffix: '17f0a1b2c3d4e5f6', name: null, last_timestamp: '2026-01-01T00:05:10Z' },
      { seq: 9, name_suffix: '00', name: null, last_timestamp: null },
      { seq: 11, name_suffix: null, name: 'web-0x.5', last_timestamp: null },
    ]);
    // A new event of a known shape names it; one of a new shape adds it.
    w.commit(changes({ events: [{ ...nine[0]!, seq: 12, count: 1 }, { ...event(1), seq: 13 }] }));
    expect(w.loadEvents().map((e) => e.seq)).toEqual([3, 9, 11, 12, 13]);
    expect(w.database()!.prepare('SELECT count(*) FROM event_shapes').pluck().get()).toBe(3);
    w.close();
  });

  it('events are written as shapes and rows and read back exactly, shapes whose fields hold NUL kept apart', () => {
    // Joined with NUL these two shapes look alike ("a", NUL, "b" and "a", NUL, "b"): they must not share a row.
    const tricky: StoredEvent[] = [
      { ...event(1), reason: 'a\u0000b', component: 'c' },
      { ...event(2), reason: 'a', component: 'b\u0000c' },
    ];
    const w = openStore(stateDir, 'write');
    w.commit(changes({ events: [...nine, ...tricky.map((e, i) => ({ ...e, seq: 20 + i }))] }));
    w.close();
    const back = openStore(stateDir, 'read').loadEvents();
    expect(back).toStrictEqual([...nine, ...tricky.map((e, i) => ({ ...e, seq: 20 + i }))]);
    const raw = new Database(path.join(stateDir, 'state.db'), { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM event_shapes').pluck().get()).toBe(4);
    raw.close();
  });

  it('an event whose shape is missing is StateCorrupt, naming the event', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ events: [event(5)] }));
    w.database()!.exec('DELETE FROM event_shapes');
    const err = caught(() => w.loadEvents());
    expect(err.code).toBe('StateCorrupt');
    expect(err.message).toContain('event 5: its shape is missing from event_shapes');
  });

  it('a version-1 database is migrated to the current schema and keeps its data', () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const raw = new Database(path.join(stateDir, 'state.db'));
    raw.exec(MIGRATIONS[0]!);
    raw.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('clock.now', '42');
    raw.pragma('user_version = 1');
    raw.close();
    const w = openStore(stateDir, 'write');
    expect(w.getMeta('clock.now')).toBe('42');
    expect(w.database()!.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(w.database()!.prepare('SELECT count(*) FROM passes').pluck().get()).toBe(0);
    w.close();
  });

  it('a version-2 database gains the rollback_to column (migration 3) and keeps its ledger', () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const raw = new Database(path.join(stateDir, 'state.db'));
    raw.exec(MIGRATIONS[0]!);
    raw.exec(MIGRATIONS[1]!);
    raw.prepare("INSERT INTO passes (source, ref, revision, commit_sha, subject, author, started_wall, started_cluster) VALUES ('s', 'main', 'main@sha1:x', 'x', 'v1', 'a', 1, 1)").run();
    raw.prepare("INSERT INTO pass_deployments (pass_id, namespace, name, action, revision) VALUES (1, 'default', 'front', 'create', 1)").run();
    raw.pragma('user_version = 2');
    raw.close();
    const w = openStore(stateDir, 'write');
    const db = w.database()!;
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT revision, rollback_to FROM pass_deployments').all()).toEqual([{ revision: 1, rollback_to: null }]);
    w.close();
  });

  it('a version-6 database gains pass_services (migration 7) and keeps its ledger', () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const raw = new Database(path.join(stateDir, 'state.db'));
    for (let v = 0; v < 6; v++) raw.exec(MIGRATIONS[v]!);
    raw.prepare("INSERT INTO passes (source, ref, revision, commit_sha, subject, author, started_wall, started_cluster) VALUES ('s', 'main', 'main@sha1:x', 'x', 'v1', 'a', 1, 1)").run();
    raw.pragma('user_version = 6');
    raw.close();
    const w = openStore(stateDir, 'write');
    const db = w.database()!;
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT subject FROM passes').pluck().all()).toEqual(['v1']);
    db.prepare("INSERT INTO pass_services (pass_id, namespace, name, ready_before, min_ready, ready_after, desired, zero_ms) VALUES (1, 'default', 'web', 3, 0, 3, 3, 10000)").run();
    expect(db.prepare('SELECT min_ready, zero_ms FROM pass_services').all()).toEqual([{ min_ready: 0, zero_ms: 10000 }]);
    w.close();
  });

  it('a version-7 database gains the origin columns (migration 8): old passes have no path, old records no origin', () => {
    fs.mkdirSync(stateDir, { recursive: true });
    const raw = new Database(path.join(stateDir, 'state.db'));
    for (let v = 0; v < 7; v++) raw.exec(MIGRATIONS[v]!);
    raw.prepare("INSERT INTO passes (source, ref, revision, commit_sha, subject, author, started_wall, started_cluster) VALUES ('s', 'main', 'main@sha1:x', 'x', 'v1', 'a', 1, 1)").run();
    raw.prepare("INSERT INTO pass_deployments (pass_id, namespace, name, action, revision) VALUES (1, 'default', 'front', 'create', 1)").run();
    raw.pragma('user_version = 7');
    raw.close();
    const w = openStore(stateDir, 'write');
    const db = w.database()!;
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT path FROM passes').all()).toEqual([{ path: null }]);
    expect(db.prepare('SELECT revision, origin FROM pass_deployments').all()).toEqual([{ revision: 1, origin: null }]);
    w.close();
  });

  it('reopening a current database runs no migration again and keeps the data', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [deployment('front', 'nginx:1')] }));
    w.close();
    const again = openStore(stateDir, 'write');
    expect(again.loadObjects().map(refOf)).toEqual(['Deployment/default/front']);
  });

  it('read mode on a missing dir creates nothing and reads as empty', () => {
    const r = openStore(stateDir, 'read');
    expect(r.loadObjects()).toEqual([]);
    expect(r.loadEvents()).toEqual([]);
    expect(r.getMeta('anything')).toBeUndefined();
    r.close();
    expect(fs.existsSync(stateDir)).toBe(false);
  });

  it('read mode on an existing dir without a database creates nothing', () => {
    fs.mkdirSync(stateDir);
    const r = openStore(stateDir, 'read');
    expect(r.loadObjects()).toEqual([]);
    r.close();
    expect(fs.readdirSync(stateDir)).toEqual([]);
  });

  it('close is idempotent and releases the lock', () => {
    const w = openStore(stateDir, 'write');
    expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(true);
    w.close();
    w.close();
    expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(false);
    expect(() => w.loadObjects()).toThrow(MfluxError);
  });
});

describe('StateStore writer lock', () => {
  it('records our pid in the lock file', () => {
    openStore(stateDir, 'write');
    const info = JSON.parse(fs.readFileSync(path.join(stateDir, 'state.lock'), 'utf8'));
    expect(info.pid).toBe(process.pid);
    expect(info.hostname).toBe(os.hostname());
  });

  it('refuses a second writer (same process) with StateLocked naming our pid, and leaves the holder working', () => {
    const w = openStore(stateDir, 'write');
    const err = caught(() => openStore(stateDir, 'write'));
    expect(err.code).toBe('StateLocked');
    expect(err.subject).toBe(stateDir);
    expect(err.message).toContain(stateDir);
    expect(err.message).toContain(`is locked by pid ${process.pid}`);
    expect(err.message).toContain('another mflux command is writing it');
    // The refused open must not have removed the holder's lock.
    expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'state.lock'), 'utf8')).pid).toBe(process.pid);
    w.commit(changes({ meta: { still: 'mine' } }));
    expect(w.getMeta('still')).toBe('mine');
    w.close();
    const next = openStore(stateDir, 'write');
    expect(next.getMeta('still')).toBe('mine');
  });

  it('refuses a writer while a different live process holds the lock', async () => {
    fs.mkdirSync(stateDir);
    const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(()=>{},20000)'], { stdio: 'ignore' });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
      const pid = child.pid!;
      fs.writeFileSync(path.join(stateDir, 'state.lock'), JSON.stringify({ pid, hostname: os.hostname(), token: 't' }));
      const err = caught(() => StateStore.open(stateDir, 'write'));
      expect(err.code).toBe('StateLocked');
      expect(err.message).toContain(`pid ${pid}`);
      expect(err.details.pid).toBe(pid);
      expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'state.lock'), 'utf8')).pid).toBe(pid);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('takes over a stale lock whose pid is dead', () => {
    fs.mkdirSync(stateDir);
    const lockPath = path.join(stateDir, 'state.lock');
    fs.writeFileSync(lockPath, JSON.stringify({ pid: 2147483646, hostname: os.hostname(), token: 'dead' }));
    const w = openStore(stateDir, 'write');
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    w.commit(changes({ meta: { k: 'v' } }));
    w.close();
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('treats an unreadable lock file as held and says how to clear it', () => {
    fs.mkdirSync(stateDir);
    fs.writeFileSync(path.join(stateDir, 'state.lock'), '');
    const err = caught(() => StateStore.open(stateDir, 'write'));
    expect(err.code).toBe('StateLocked');
    expect(err.message).toContain('state.lock');
  });

  it('a reader works while a writer holds the lock and sees committed data', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [deployment('front', 'nginx:1')], events: [event(1)], meta: { k: 'v1' } }));
    const r = openStore(stateDir, 'read');
    expect(r.loadObjects().map(refOf)).toEqual(['Deployment/default/front']);
    expect(r.loadEvents().map((e) => e.seq)).toEqual([1]);
    expect(r.getMeta('k')).toBe('v1');
    // A later commit by the still-open writer is visible to the open reader's next query.
    w.commit(changes({ upserts: [deployment('back', 'api:1')], meta: { k: 'v2' } }));
    expect(r.loadObjects().map(refOf).sort()).toEqual(['Deployment/default/back', 'Deployment/default/front']);
    expect(r.getMeta('k')).toBe('v2');
    r.close();
    expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(true);
  });
});

describe('StateStore refuses damaged or foreign state', () => {
  it('a schema newer than ours → StateSchemaTooNew, file untouched, lock released', () => {
    openStore(stateDir, 'write').close();
    const dbPath = path.join(stateDir, 'state.db');
    const raw = new Database(dbPath);
    raw.pragma('user_version = 999');
    raw.close();
    const before = sha256(dbPath);
    const filesBefore = fs.readdirSync(stateDir).sort();

    for (const mode of ['write', 'read'] as const) {
      const err = caught(() => StateStore.open(stateDir, mode));
      expect(err.code).toBe('StateSchemaTooNew');
      expect(err.message).toContain(dbPath);
      expect(err.message).toContain('999');
      expect(err.message).toContain(`(${SCHEMA_VERSION})`);
      expect(err.message).toMatch(/upgrade mflux/);
      expect(sha256(dbPath)).toBe(before);
      expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(false);
    }
    const check = new Database(dbPath, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(999);
    check.close();
    expect(fs.readdirSync(stateDir).filter((f) => f !== 'state.db-wal' && f !== 'state.db-shm').sort()).toEqual(
      filesBefore.filter((f) => f !== 'state.db-wal' && f !== 'state.db-shm'),
    );
  });

  it('a newer schema left in an un-checkpointed WAL (crashed newer writer) is refused without folding the WAL in', () => {
    openStore(stateDir, 'write').close();
    const dbPath = path.join(stateDir, 'state.db');
    const raw = new Database(dbPath);
    raw.pragma('wal_autocheckpoint = 0');
    raw.exec("INSERT INTO meta (key, value) VALUES ('from', 'newer mflux')");
    raw.pragma('user_version = 999');
    // Copy the files while the handle is open: that is what a crash leaves behind (close would checkpoint).
    const crashed = path.join(tmp, 'crashed');
    fs.mkdirSync(crashed);
    for (const f of ['state.db', 'state.db-wal']) fs.copyFileSync(path.join(stateDir, f), path.join(crashed, f));
    raw.close();
    const crashedDb = path.join(crashed, 'state.db');
    expect(fs.statSync(path.join(crashed, 'state.db-wal')).size).toBeGreaterThan(0);
    const before = sha256(crashedDb);
    const walBefore = sha256(path.join(crashed, 'state.db-wal'));

    const err = caught(() => StateStore.open(crashed, 'write'));
    expect(err.code).toBe('StateSchemaTooNew');
    expect(sha256(crashedDb)).toBe(before);
    expect(sha256(path.join(crashed, 'state.db-wal'))).toBe(walBefore);
    expect(fs.existsSync(path.join(crashed, 'state.lock'))).toBe(false);
  });

  it('a non-SQLite file → StateCorrupt in both modes, bytes unchanged, no lock left behind', () => {
    fs.mkdirSync(stateDir);
    const dbPath = path.join(stateDir, 'state.db');
    fs.writeFileSync(dbPath, 'this is not sqlite'.repeat(100));
    const before = sha256(dbPath);
    const size = fs.statSync(dbPath).size;

    for (const mode of ['write', 'read'] as const) {
      const err = caught(() => StateStore.open(stateDir, mode));
      expect(err.code).toBe('StateCorrupt');
      expect(err.subject).toBe(dbPath);
      expect(err.message).toContain(dbPath);
      expect(sha256(dbPath)).toBe(before);
      expect(fs.statSync(dbPath).size).toBe(size);
      expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(false);
    }
    expect(fs.readdirSync(stateDir)).toEqual(['state.db']);
  });

  it('a state dir under a regular file → StateUnwritable naming the path and the OS reason', () => {
    const file = path.join(tmp, 'plain-file');
    fs.writeFileSync(file, 'x');
    const dir = path.join(file, '.mflux');
    const err = caught(() => StateStore.open(dir, 'write'));
    expect(err.code).toBe('StateUnwritable');
    expect(err.message).toContain(dir);
    expect(err.message).toContain('ENOTDIR');
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('a state dir path that is a regular file → StateUnwritable (EEXIST)', () => {
    fs.writeFileSync(stateDir, 'x');
    const err = caught(() => StateStore.open(stateDir, 'write'));
    expect(err.code).toBe('StateUnwritable');
    expect(err.message).toContain(stateDir);
    expect(err.message).toContain('EEXIST');
  });
});

// Issue 12: SQLite failures are coded errors naming the file, never stack traces or an empty cluster.
describe('StateStore SQLite failures', () => {
  function bigConfigMap(name: string, bytes: number): KubeObject {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { blob: 'x'.repeat(bytes) } };
  }

  it('a full database (max_page_count reached: SQLITE_FULL) → DiskFull naming the file, nothing of the commit saved, and the same commit lands once there is room', () => {
    const w = openStore(stateDir, 'write');
    w.commit(changes({ upserts: [deployment('front', 'nginx:1')], meta: { k: 'v1' } }));
    const db = w.database()!;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // The real limit on the writer's own connection: SQLite refuses to grow the file past it — by 64 KiB (whatever the page size), not the 300 KB below.
    db.pragma(`max_page_count = ${pages + Math.max(1, Math.floor(65_536 / pageSize))}`);
    const big = changes({ upserts: [bigConfigMap('big', 300_000)], deletes: ['Deployment/default/front'], meta: { k: 'v2' } });
    const err = caught(() => w.commit(big));
    expect(err.code).toBe('DiskFull');
    expect(err.subject).toBe(path.join(stateDir, 'state.db'));
    expect(err.message).toMatch(/^\/.*state\.db: no space left to write state \(database or disk is full\)/);
    expect(err.details.retryable).toBe(true);
    // All or nothing: neither the upsert nor the delete nor the meta happened.
    const r = openStore(stateDir, 'read');
    expect(r.loadObjects().map(refOf)).toEqual(['Deployment/default/front']);
    expect(r.getMeta('k')).toBe('v1');
    db.pragma('max_page_count = 1073741823');
    w.commit(big);
    expect(r.loadObjects().map(refOf)).toEqual(['ConfigMap/default/big']);
    expect(r.getMeta('k')).toBe('v2');
  });

  it('a ledger transaction on a full database is DiskFull too', () => {
    const w = openStore(stateDir, 'write');
    const db = w.database()!;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const err = caught(() => w.transaction((d) => d.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('big', 'y'.repeat(200_000))));
    expect(err.code).toBe('DiskFull');
  });

  it('SQLITE_READONLY from SQLite itself → StateUnwritable naming the file, no stack', () => {
    openStore(stateDir, 'write').close();
    const dbPath = path.join(stateDir, 'state.db');
    const ro = new Database(dbPath, { readonly: true });
    let raw: unknown;
    try {
      ro.prepare("INSERT INTO meta (key, value) VALUES ('a', 'b')").run();
    } catch (e) {
      raw = e;
    } finally {
      ro.close();
    }
    expect((raw as { code: string }).code).toBe('SQLITE_READONLY');
    const err = sqliteError(dbPath, raw);
    expect(err.code).toBe('StateUnwritable');
    expect(err.message).toBe(`${dbPath}: cannot write state (SQLITE_READONLY: attempt to write a readonly database); check the file's and the dir's permissions and the filesystem`);
  });

  it('a writer refuses a state.db it may not write at open (before anything runs), naming the file', () => {
    ensureBuilt();
    openStore(stateDir, 'write').close();
    const dbPath = path.join(stateDir, 'state.db');
    // root writes any file regardless of its mode: run the writer as nobody then.
    const asRoot = process.getuid?.() === 0;
    fs.chmodSync(tmp, 0o755);
    fs.chmodSync(dbPath, 0o444);
    if (asRoot) fs.chownSync(stateDir, 65534, 65534);
    const code = `const { StateStore } = require(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/store/index.js'))});
      try { StateStore.open(${JSON.stringify(stateDir)}, 'write'); console.log('opened'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', code], { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    const res = JSON.parse(out.trim());
    expect(res.code).toBe('StateUnwritable');
    expect(res.message).toContain(`${dbPath}: cannot create or write state: EACCES`);
    expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(false);
  });
});

describe('StateStore schema versions', () => {
  function setVersion(v: number): string {
    openStore(stateDir, 'write').close();
    const dbPath = path.join(stateDir, 'state.db');
    const raw = new Database(dbPath);
    raw.pragma(`user_version = ${v}`);
    raw.close();
    return dbPath;
  }

  for (const v of [-1, -2147483648]) {
    it(`user_version ${v} → StateCorrupt for writers and readers, file untouched`, () => {
      const dbPath = setVersion(v);
      const before = sha256(dbPath);
      for (const mode of ['write', 'read'] as const) {
        const err = caught(() => StateStore.open(stateDir, mode));
        expect(err.code).toBe('StateCorrupt');
        expect(err.message).toContain(`${dbPath}: PRAGMA user_version is ${v}`);
        expect(sha256(dbPath)).toBe(before);
        expect(fs.existsSync(path.join(stateDir, 'state.lock'))).toBe(false);
      }
    });
  }

  it(`a current schema labelled as an older user_version (2) → StateCorrupt in both modes (migrating would fail half-way), file untouched`, () => {
    const dbPath = setVersion(2);
    const before = sha256(dbPath);
    for (const mode of ['write', 'read'] as const) {
      const err = caught(() => StateStore.open(stateDir, mode));
      expect(err.code).toBe('StateCorrupt');
      expect(err.message).toMatch(/schema does not match its user_version 2 \(/);
      expect(sha256(dbPath)).toBe(before);
    }
  });

  it('user_version 0 with tables (a schema nobody wrote) → StateCorrupt for a reader, not an empty cluster', () => {
    const dbPath = setVersion(0);
    const err = caught(() => StateStore.open(stateDir, 'read'));
    expect(err.code).toBe('StateCorrupt');
    expect(err.message).toContain(dbPath);
  });

  it('a genuinely older database (built by migrations 0..1) still opens and migrates', () => {
    fs.mkdirSync(stateDir);
    const raw = new Database(path.join(stateDir, 'state.db'));
    raw.exec(MIGRATIONS[0]!);
    raw.pragma('user_version = 1');
    raw.close();
    expect(openStore(stateDir, 'read').loadObjects()).toEqual([]);
    expect(openStore(stateDir, 'read').loadEvents()).toEqual([]);
    const w = openStore(stateDir, 'write');
    expect(w.database()!.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });
});

// Issue 12: a lock is stale when its holder is gone, is an earlier process with our pid, or is a
// different process under a reused pid; a lock from another host needs `mflux force-unlock`.
describe('StateStore stale locks', () => {
  const lockPath = () => path.join(stateDir, 'state.lock');
  const writeLock = (info: object) => {
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(lockPath(), JSON.stringify(info));
  };
  const holder = () => JSON.parse(fs.readFileSync(lockPath(), 'utf8'));

  async function withChild<T>(fn: (pid: number) => T | Promise<T>): Promise<T> {
    const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(()=>{},20000)'], { stdio: 'ignore' });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
      return await fn(child.pid!);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }

  it('records the process start (boot id / start ticks from /proc) in the lock', () => {
    openStore(stateDir, 'write');
    const started = processStart(process.pid);
    expect(started).toMatch(/^[0-9a-f-]{36}\/\d+$/);
    expect(holder().started).toBe(started);
  });

  it('a lock naming our own pid with a token this process never held (an earlier incarnation, e.g. pid 1 in a restarted container) is taken over', () => {
    writeLock({ pid: process.pid, hostname: os.hostname(), token: 'from-before-the-crash', started: 'other-boot/1' });
    const w = openStore(stateDir, 'write');
    expect(holder().token).not.toBe('from-before-the-crash');
    expect(holder().token).toBe(w.lockId);
  });

  it('but a lock this very process holds is not stale: a second open is refused', () => {
    const w = openStore(stateDir, 'write');
    const err = caught(() => StateStore.open(stateDir, 'write'));
    expect(err.code).toBe('StateLocked');
    expect(holder().token).toBe(w.lockId);
  });

  it('a live pid whose start time differs from the lock\'s (the pid was reused) is stale', async () => {
    await withChild((pid) => {
      writeLock({ pid, hostname: os.hostname(), token: 'reused', started: `${processStart(pid)!.split('/')[0]}/1` });
      const w = openStore(stateDir, 'write');
      expect(holder().pid).toBe(process.pid);
      w.close();
    });
  });

  it('a live pid with the same start time holds the lock', async () => {
    await withChild((pid) => {
      writeLock({ pid, hostname: os.hostname(), token: 'alive', started: processStart(pid) });
      const err = caught(() => StateStore.open(stateDir, 'write'));
      expect(err.code).toBe('StateLocked');
      expect(err.message).toBe(`${stateDir}: state dir is locked by pid ${pid} (lock ID alive; another mflux command is writing it)`);
      // force-unlock refuses a holder that is running here: stop it instead.
      const refused = caught(() => forceUnlock(stateDir, 'alive'));
      expect(refused.code).toBe('StateLocked');
      expect(refused.message).toContain(`pid ${pid} on this host still holds the lock and is running`);
      expect(holder().token).toBe('alive');
    });
  });

  it('a dead pid is stale', () => {
    writeLock({ pid: 2147483646, hostname: os.hostname(), token: 'dead', started: 'x/1' });
    openStore(stateDir, 'write');
    expect(holder().pid).toBe(process.pid);
  });

  it('a lock from another host is never judged here: StateLocked naming the host, the lock ID and force-unlock, which removes it', async () => {
    writeLock({ pid: 1, hostname: 'elsewhere.example', token: 'abc-123' });
    const err = caught(() => StateStore.open(stateDir, 'write'));
    expect(err.code).toBe('StateLocked');
    expect(err.message).toBe(
      `${stateDir}: state dir is locked by pid 1 on host elsewhere.example (lock ID abc-123; mflux cannot tell from here whether it still runs; if it does not, run \`mflux force-unlock abc-123 --state ${stateDir}\`)`,
    );
    expect(err.details.lockId).toBe('abc-123');
    const { mflux } = await import('../cli/helpers.js');
    const wrong = await mflux(stateDir, 'force-unlock', 'not-the-id');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(`error: ${stateDir}: lock ID "not-the-id" does not match the lock held (lock ID abc-123, pid 1 on host elsewhere.example); nothing was removed [Usage]\n`);
    expect(holder().token).toBe('abc-123');
    const ok = await mflux(stateDir, 'force-unlock', 'abc-123');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${stateDir}: removed the lock of pid 1 on host elsewhere.example; the state dir can be written again\n`);
    expect(fs.existsSync(lockPath())).toBe(false);
    openStore(stateDir, 'write');
    const again = await mflux(stateDir, 'force-unlock', 'abc-123');
    expect(again.code).toBe(2);
  });

  it('an unreadable lock names force-unlock unreadable, which removes it', async () => {
    fs.mkdirSync(stateDir);
    fs.writeFileSync(lockPath(), '{garbage');
    const err = caught(() => StateStore.open(stateDir, 'write'));
    expect(err.message).toContain(`mflux force-unlock unreadable --state ${stateDir}`);
    forceUnlock(stateDir, 'unreadable');
    expect(fs.existsSync(lockPath())).toBe(false);
  });
});

describe('state readers and writers on a bad schema version (CLI)', () => {
  for (const v of [-1, 2]) {
    it(`user_version ${v}: get, history and apply exit 2 with StateCorrupt, no stack trace, never an empty cluster`, async () => {
      const { mflux, writeManifest } = await import('../cli/helpers.js');
      const file = writeManifest(tmp, 'cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n');
      expect((await mflux(stateDir, 'apply', '-f', file)).code).toBe(0);
      const raw = new Database(path.join(stateDir, 'state.db'));
      raw.pragma(`user_version = ${v}`);
      raw.close();
      for (const args of [['get', 'configmaps'], ['history'], ['apply', '-f', file]]) {
        const r = await mflux(stateDir, ...args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^error: ${path.join(stateDir, 'state.db').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .* \\[StateCorrupt\\]\\n$`));
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    });
  }
});
