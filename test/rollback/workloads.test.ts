/**
 * Rollback through Git and trace for StatefulSets and DaemonSets, end to end through the CLI
 * in-process on real repositories: v1 → v2 → `mflux rollback statefulset/NAME` (a commit of
 * revision 1's document) → reconcile. The StatefulSet controller then reuses revision 1's
 * ControllerRevision and gives it the next number, 3 (upstream's history rule, as
 * test/sim/statefulset.test.ts shows); the ledger records revision 3 on that ControllerRevision,
 * marked as the rollback to 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { mflux } from '../cli/helpers.js';
import { commit, git, initRepo, tempDirs } from '../source/helpers.js';

const newDir = tempDirs();
const json = (s: string) => JSON.parse(s);

const sts = (image: string) => `# the database
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: ${image}   # pinned
`;

const ds = (image: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: ${image}
`;

const service = `apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports:
  - port: 5432
`;

describe('rollback statefulset/NAME through Git', () => {
  const root = newDir();
  const state = path.join(root, 'state');
  const repo = initRepo(path.join(root, 'repo'));
  let v1 = '';
  let v2 = '';
  let history: any[] = [];
  const reconcile = async () => {
    const r = await mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    return json(r.stdout);
  };
  const head = () => git(repo, 'rev-parse', 'HEAD');
  const ledger = async () => {
    const r = await mflux(state, 'history', 'statefulset/db', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    return json(r.stdout).items;
  };

  beforeAll(async () => {
    v1 = commit(repo, 'db: v1', { 'db/db.yaml': `${sts('postgres:15')}---\n${service}` });
    expect((await reconcile()).outcome).toBe('Applied');
    v2 = commit(repo, 'db: v2', { 'db/db.yaml': `${sts('postgres:16')}---\n${service}` });
    expect((await reconcile()).outcome).toBe('Applied');
    history = await ledger();
  });

  test('the ledger has revisions 1 and 2, each on its own ControllerRevision', () => {
    expect(history.map((h: any) => [h.revision, h.commit, h.outcome])).toEqual([
      [1, v1, 'Applied'],
      [2, v2, 'Applied'],
    ]);
    expect(history[0].replicaSet).toMatch(/^db-[a-z0-9]+$/);
    expect(history[1].replicaSet).not.toBe(history[0].replicaSet);
  });

  test('trace: commit, revision 2, its ControllerRevision, file:line (the apiVersion line, after the comment), not drifted', async () => {
    const r = await mflux(state, 'trace', 'sts/db', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ object: 'StatefulSet/default/db', path: 'db/db.yaml', line: 2, revision: 2, replicaSet: null, controllerRevision: history[1].replicaSet, outcome: 'Applied', drifted: false, patch: [] });
    const text = await mflux(state, 'trace', 'statefulset/db');
    expect(text.stdout).toMatch(new RegExp(`^ControllerRevision:\\s+${history[1].replicaSet}$`, 'm'));
    expect(text.stdout).not.toMatch(/^ReplicaSet:/m);
  });

  test('an unknown revision is refused, naming the StatefulSet; nothing is written', async () => {
    const h = head();
    const r = await mflux(state, 'rollback', 'statefulset/db', '--repo', repo, '--to-revision', '7');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('statefulset/db: unable to find specified revision 7 in history (the ledger has 1, 2)');
    expect(r.stderr).toContain('[RevisionNotFound]');
    expect(head()).toBe(h);
  });

  test('--dry-run prints the diff of the StatefulSet document only', async () => {
    const h = head();
    const r = await mflux(state, 'rollback', 'statefulset/db', '--repo', repo, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('-        image: postgres:16   # pinned');
    expect(r.stdout).toContain('+        image: postgres:15   # pinned');
    expect(r.stdout).toContain(`statefulset.apps/db would be rolled back to revision 1 (dry run): Roll back statefulset/db to revision 1 (${v1.slice(0, 7)}) on main`);
    expect(head()).toBe(h);
  });

  test('rollback commits revision 1’s document; reconcile reuses its ControllerRevision as revision 3, marked as the rollback', async () => {
    const r = await mflux(state, 'rollback', 'statefulset/db', '--repo', repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`statefulset.apps/db rolled back in Git: ${head().slice(0, 7)} "Roll back statefulset/db to revision 1 (${v1.slice(0, 7)})" on main (db/db.yaml:2)`);
    expect(git(repo, 'rev-parse', 'HEAD^')).toBe(v2);
    // The StatefulSet's document is v1's, byte for byte; the Service after it is untouched.
    expect(fs.readFileSync(path.join(repo, 'db/db.yaml'), 'utf8')).toBe(`${sts('postgres:15')}---\n${service}`);

    const pass = await reconcile();
    expect(pass.outcome).toBe('Applied');
    expect(pass.rollouts).toEqual([expect.objectContaining({ object: 'StatefulSet/default/db', revision: 3, ok: true })]);
    const after = await ledger();
    expect(after.map((h: any) => [h.revision, h.rollbackTo])).toEqual([
      [1, null],
      [2, null],
      [3, 1],
    ]);
    // Upstream's rule: the equal old revision is reused and renumbered, not copied.
    expect(after[2].replicaSet).toBe(history[0].replicaSet);
    expect((await mflux(state, 'rollout', 'history', 'statefulset/db')).stdout).toBe('statefulset.apps/db \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
    const text = await mflux(state, 'history', 'statefulset/db');
    expect(text.stdout).toMatch(/rollback to 1/);

    const t = json((await mflux(state, 'trace', 'statefulset/db', '-o', 'json')).stdout);
    expect(t).toMatchObject({ revision: 3, rollbackTo: 1, controllerRevision: history[0].replicaSet, drifted: false });
    expect(t.commit.subject).toBe(`Roll back statefulset/db to revision 1 (${v1.slice(0, 7)})`);
  });

  test('rolling back to the template already running is skipped (nothing written)', async () => {
    const h = head();
    const r = await mflux(state, 'rollback', 'statefulset/db', '--repo', repo, '--to-revision', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('statefulset.apps/db skipped rollback (current template already matches revision 3)\n');
    expect(head()).toBe(h);
  });
});

describe('a StatefulSet revision whose claim templates differ from the live ones', () => {
  test('is refused (RollbackBlocked, volumeClaimTemplates) and nothing is written', async () => {
    // The only way to new claim templates is a new object: scale to 0, remove, add it back. The
    // ledger still holds the old object's revision 2 under the same name; restoring it in place
    // would change volumeClaimTemplates, which the guard blocks.
    const root = newDir();
    const state = path.join(root, 'state');
    const repo = initRepo(path.join(root, 'repo'));
    const storageClass = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
`;
    const withClaims = (image: string, size: string, replicas = 2) =>
      `${sts(image).replace('replicas: 2', `replicas: ${replicas}`)}  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: ${size}}}}\n`;
    const steps: [string, Record<string, string | null>][] = [
      ['db: v1', { 'sc.yaml': storageClass, 'db.yaml': withClaims('postgres:15', '1Gi') }],
      ['db: v2', { 'db.yaml': withClaims('postgres:16', '1Gi') }],
      ['db: scale to 0', { 'db.yaml': withClaims('postgres:16', '1Gi', 0) }],
      ['db: remove', { 'db.yaml': null }],
      ['db: back with 2Gi claims', { 'db.yaml': withClaims('postgres:17', '2Gi') }],
    ];
    for (const [subject, files] of steps) {
      commit(repo, subject, files);
      const r = await mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
      expect(r.code, `${subject}: ${r.stderr}`).toBe(0);
      expect(json(r.stdout).outcome, subject).toBe('Applied');
    }
    const h = git(repo, 'rev-parse', 'HEAD');
    const r = await mflux(state, 'rollback', 'statefulset/db', '--repo', repo, '--to-revision', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: statefulset\/db: revision 2 cannot be restored in place: .*volumeClaimTemplates/m);
    expect(r.stderr).toContain('[RollbackBlocked]');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(h);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });
});

describe('rollback daemonset/NAME through Git', () => {
  test('v1 → v2 → rollback --to-revision 1 → revision 3 on revision 1’s ControllerRevision', async () => {
    const root = newDir();
    const state = path.join(root, 'state');
    const repo = initRepo(path.join(root, 'repo'));
    const v1 = commit(repo, 'agent: v1', { 'agent.yaml': ds('agent:1') });
    expect((await mflux(state, 'reconcile', '--repo', repo)).code).toBe(0);
    commit(repo, 'agent: v2', { 'agent.yaml': ds('agent:2') });
    expect((await mflux(state, 'reconcile', '--repo', repo)).code).toBe(0);
    const before = json((await mflux(state, 'history', 'ds/agent', '-o', 'json')).stdout).items;
    expect(before.map((h: any) => h.revision)).toEqual([1, 2]);

    const r = await mflux(state, 'rollback', 'daemonset/agent', '--to-revision', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe(`Roll back daemonset/agent to revision 1 (${v1.slice(0, 7)})`);
    expect(git(repo, 'show', 'HEAD:agent.yaml')).toBe(ds('agent:1').trimEnd());

    const pass = await mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
    expect(pass.code, pass.stderr).toBe(0);
    expect(json(pass.stdout).rollouts).toEqual([expect.objectContaining({ object: 'DaemonSet/default/agent', revision: 3, ok: true })]);
    const after = json((await mflux(state, 'history', 'daemonset/agent', '-o', 'json')).stdout).items;
    expect(after.map((h: any) => [h.revision, h.rollbackTo, h.replicaSet])).toEqual([
      [1, null, before[0].replicaSet],
      [2, null, before[1].replicaSet],
      [3, 1, before[0].replicaSet],
    ]);
    const t = json((await mflux(state, 'trace', 'ds/agent', '-o', 'json')).stdout);
    expect(t).toMatchObject({ object: 'DaemonSet/default/agent', revision: 3, rollbackTo: 1, controllerRevision: before[0].replicaSet, path: 'agent.yaml', line: 1, drifted: false });
  });

  test('a kind without revisions is refused with a usage error', async () => {
    const root = newDir();
    const r = await mflux(path.join(root, 'state'), 'rollback', 'job/batch');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected deployment/NAME, statefulset/NAME or daemonset/NAME, got "job/batch"');
  });
});
