/**
 * Rollback through Git and trace, end to end on real repositories through the CLI in-process:
 * v1 → v2 → rollback (a commit) → reconcile (revision 3 reusing revision 1's ReplicaSet, the
 * ledger marks the rollback); the file's other documents stay byte for byte; every refusal writes
 * nothing; --dry-run, --branch and --push; trace after each step, and drift after `apply -f`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { StateStore } from '../../src/store/index.js';
import { mflux, writeManifest } from '../cli/helpers.js';
import { commit, git, initRepo, makeRemote, startGitServer, tempDirs } from '../source/helpers.js';

const newDir = tempDirs();

function deployment(image: string, opts: { app?: string } = {}): string {
  const app = opts.app ?? 'front';
  return `# the web front end
apiVersion: apps/v1
kind: Deployment
metadata:
  name: front
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
    spec:
      containers:
      - name: web
        image: ${image}   # pinned
`;
}

const configMap = (v: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: front-config
data:
  greeting: "${v}"
`;

/** app.yaml: a ConfigMap, the Deployment, then a Service — three documents. */
const appFile = (cm: string, image: string) =>
  `${configMap(cm)}---
${deployment(image)}---
apiVersion: v1
kind: Service
metadata:
  name: front
spec:
  selector:
    app: front
  ports:
  - port: 80
`;

const json = (s: string) => JSON.parse(s);

describe('rollback through Git, on the current branch', () => {
  const root = newDir();
  const state = path.join(root, 'state');
  const repo = initRepo(path.join(root, 'repo'));
  const file = path.join(repo, 'deploy/app.yaml');
  let v1 = '';
  let v2 = '';
  let rs1 = '';
  const reconcile = () => mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
  const head = () => git(repo, 'rev-parse', 'HEAD');
  const trace = async () => {
    const r = await mflux(state, 'trace', 'deployment/front', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    return json(r.stdout);
  };

  beforeAll(async () => {
    v1 = commit(repo, 'front: v1', { 'deploy/app.yaml': appFile('hello', 'nginx:1.0') });
    let r = await reconcile();
    expect(json(r.stdout).rollouts[0]).toMatchObject({ revision: 1, ok: true });
    rs1 = json(r.stdout).rollouts[0].replicaSet;
    v2 = commit(repo, 'front: v2', { 'deploy/app.yaml': appFile('bonjour', 'nginx:1.1') });
    r = await reconcile();
    expect(json(r.stdout).rollouts[0]).toMatchObject({ revision: 2, ok: true });
  });

  test('trace after v2: commit, revision, file:line, not drifted', async () => {
    const t = await trace();
    expect(t).toMatchObject({ object: 'Deployment/default/front', path: 'deploy/app.yaml', line: 9, revision: 2, outcome: 'Applied', drifted: false, patch: [], rollbackTo: null });
    expect(t.commit).toMatchObject({ sha: v2, subject: 'front: v2', author: 'Ada Author' });
    expect(t.commit.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(t.source.url).toBe(repo);
    const text = await mflux(state, 'trace', 'deployment/front');
    expect(text.stdout).toMatch(/^Path:\s+deploy\/app\.yaml:9$/m);
    expect(text.stdout).toMatch(/^Drifted:\s+false$/m);
  });

  test('--dry-run prints the diff and changes nothing', async () => {
    const before = fs.readFileSync(file);
    const h = head();
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('-        image: nginx:1.1   # pinned');
    expect(r.stdout).toContain('+        image: nginx:1.0   # pinned');
    expect(r.stdout).not.toContain('greeting');
    expect(head()).toBe(h);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  test('an unknown revision is refused and nothing is written', async () => {
    const h = head();
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo, '--to-revision', '9');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[RevisionNotFound]');
    expect(r.stderr).toContain('unable to find specified revision 9');
    expect(head()).toBe(h);
  });

  test('uncommitted changes to the file are refused and left alone', async () => {
    const h = head();
    const dirty = `${fs.readFileSync(file, 'utf8')}# local edit\n`;
    fs.writeFileSync(file, dirty);
    try {
      const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('[DirtyWorkingTree]');
      expect(head()).toBe(h);
      expect(fs.readFileSync(file, 'utf8')).toBe(dirty);
    } finally {
      git(repo, 'checkout', '--', 'deploy/app.yaml');
    }
  });

  test('rollback (default: the previous revision) commits revision 1’s document; the other documents stay byte for byte', async () => {
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo);
    expect(r.code, r.stderr).toBe(0);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe(`Roll back deployment/front to revision 1 (${v1.slice(0, 7)})`);
    expect(git(repo, 'rev-parse', 'HEAD^')).toBe(v2);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'diff', '--name-only', 'HEAD^', 'HEAD')).toBe('deploy/app.yaml');
    // ConfigMap and Service as at v2, the Deployment as at v1 (comments included).
    expect(fs.readFileSync(file, 'utf8')).toBe(appFile('bonjour', 'nginx:1.0'));
    expect(git(repo, 'show', 'HEAD:deploy/app.yaml')).toBe(appFile('bonjour', 'nginx:1.0').trimEnd());
  });

  test('the next reconcile is a rolling update to revision 3 on revision 1’s ReplicaSet, marked as a rollback', async () => {
    const r = await reconcile();
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).rollouts[0]).toMatchObject({ object: 'Deployment/default/front', revision: 3, replicaSet: rs1, ok: true });
    const h = json((await mflux(state, 'history', 'deployment/front', '-o', 'json')).stdout).items;
    expect(h.map((i: any) => [i.revision, i.rollbackTo])).toEqual([
      [1, null],
      [2, null],
      [3, 1],
    ]);
    expect((await mflux(state, 'history', 'deployment/front')).stdout).toContain('Applied (rollback to 1)');
    expect((await mflux(state, 'history')).stdout).toContain('Applied (rollback to 1)');
    const passes = json((await mflux(state, 'history', '-o', 'json')).stdout).items;
    expect(passes[passes.length - 1].rollbackTo).toBe(1);
    const t = await trace();
    expect(t).toMatchObject({ revision: 3, replicaSet: rs1, rollbackTo: 1, drifted: false, line: 9 });
    expect(t.commit.sha).toBe(head());
  });

  test('rolling back to the template already running is skipped (exit 0, kubectl’s message, nothing written)', async () => {
    const h = head();
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo, '--to-revision', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('skipped rollback (current template already matches revision 1)');
    expect(head()).toBe(h);
  });

  test('--branch commits on a new branch and leaves the checkout alone', async () => {
    const h = head();
    const before = fs.readFileSync(file);
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo, '--branch', 'rollback-front');
    expect(r.code, r.stderr).toBe(0);
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(head()).toBe(h);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'log', '-1', '--format=%s', 'rollback-front')).toBe(`Roll back deployment/front to revision 2 (${v2.slice(0, 7)})`);
    expect(git(repo, 'rev-parse', 'rollback-front^')).toBe(h);
    expect(git(repo, 'show', 'rollback-front:deploy/app.yaml')).toContain('image: nginx:1.1');
  });

  test('a live change outside Git shows as drift with its patch', async () => {
    const dir = newDir();
    const f = writeManifest(dir, 'front.yaml', deployment('nginx:9.9'));
    const a = await mflux(state, 'apply', '-f', f);
    expect(a.code, a.stderr).toBe(0);
    const t = await trace();
    expect(t.drifted).toBe(true);
    expect(t.patch).toContainEqual({ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.0' });
    expect((await mflux(state, 'trace', 'deployment/front')).stdout).toMatch(/^Drifted:\s+true$/m);
  });

  test('a revision the guard would now block (the live selector changed since) is refused', async () => {
    const store = StateStore.open(state, 'write');
    try {
      const d = store.loadObjects().find((o) => o.kind === 'Deployment' && o.metadata.name === 'front')!;
      d.spec.selector = { matchLabels: { app: 'front2' } };
      d.spec.template.metadata.labels = { app: 'front2' };
      store.commit({ upserts: [d], deletes: [], events: [], meta: {} });
    } finally {
      store.close();
    }
    const h = head();
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo, '--to-revision', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[RollbackBlocked]');
    expect(r.stderr).toContain('spec.selector');
    expect(head()).toBe(h);
  });
});

describe('rollback --push', () => {
  test('pushes the rollback commit to origin over smart HTTP', async () => {
    const root = newDir();
    const state = path.join(root, 'state');
    const { bare, work } = makeRemote(root);
    git(bare, 'config', 'http.receivepack', 'true');
    const server = await startGitServer(root);
    try {
      git(work, 'remote', 'set-url', 'origin', `${server.url}/repo.git`);
      const v1 = commit(work, 'front: v1', { 'front.yaml': deployment('nginx:1.0') });
      expect((await mflux(state, 'reconcile', '--repo', work)).code).toBe(0);
      commit(work, 'front: v2', { 'front.yaml': deployment('nginx:1.1') });
      expect((await mflux(state, 'reconcile', '--repo', work)).code).toBe(0);
      const r = await mflux(state, 'rollback', 'deployment/front', '--repo', work, '--push');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`pushed main to ${server.url}/repo.git`);
      expect(git(bare, 'log', '-1', '--format=%s', 'main')).toBe(`Roll back deployment/front to revision 1 (${v1.slice(0, 7)})`);
      expect(git(bare, 'rev-parse', 'main')).toBe(git(work, 'rev-parse', 'HEAD'));
      expect(git(bare, 'show', 'main:front.yaml')).toContain('image: nginx:1.0');
      expect(server.requests.some((q) => q.method === 'POST' && q.url.includes('git-receive-pack'))).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('rollback picks the latest commit of revision N and writes where the Deployment lives now', () => {
  test('a replicas-only commit shares revision 1; the Deployment moved into a multi-document file since', async () => {
    const root = newDir();
    const state = path.join(root, 'state');
    const repo = initRepo(path.join(root, 'repo'));
    const reconcile = async () => {
      const r = await mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
      expect(r.code, r.stderr).toBe(0);
      return json(r.stdout);
    };
    commit(repo, 'front: v1', { 'front.yaml': deployment('nginx:1.0') });
    await reconcile();
    const scaled = commit(repo, 'front: 3 replicas', { 'front.yaml': deployment('nginx:1.0').replace('replicas: 2', 'replicas: 3') });
    expect((await reconcile()).rollouts[0]).toMatchObject({ revision: 1 });
    commit(repo, 'front: v2, moved into app.yaml', { 'front.yaml': null, 'app.yaml': appFile('hi', 'nginx:1.1') });
    expect((await reconcile()).rollouts[0]).toMatchObject({ revision: 2 });
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo, '--to-revision', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe(`Roll back deployment/front to revision 1 (${scaled.slice(0, 7)})`);
    expect(fs.existsSync(path.join(repo, 'front.yaml'))).toBe(false);
    expect(fs.readFileSync(path.join(repo, 'app.yaml'), 'utf8')).toBe(appFile('hi', 'nginx:1.0').replace('replicas: 2', 'replicas: 3'));
    expect((await reconcile()).rollouts[0]).toMatchObject({ revision: 3 });
    const d = json((await mflux(state, 'get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.annotations['kubernetes.io/change-cause']).toContain('Roll back deployment/front to revision 1');
  });

  test('a Deployment the ledger never changed has nothing to roll back or trace', async () => {
    const root = newDir();
    const state = path.join(root, 'state');
    const repo = initRepo(path.join(root, 'repo'));
    commit(repo, 'front: v1', { 'front.yaml': deployment('nginx:1.0') });
    const r = await mflux(state, 'rollback', 'deployment/front', '--repo', repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[RevisionNotFound]');
    const t = await mflux(state, 'trace', 'deployment/front');
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('[NotFound]');
  });
});

describe('rollback --push with credentials', () => {
  test('uses $MFLUX_GIT_USERNAME/$MFLUX_GIT_PASSWORD and never prints them; without them the push fails with AuthFailed', async () => {
    const root = newDir();
    const state = path.join(root, 'state');
    const { work } = makeRemote(root);
    const server = await startGitServer(root, { auth: { basic: { username: 'robot', password: 's3cret-pw' } } });
    const saved = { u: process.env.MFLUX_GIT_USERNAME, p: process.env.MFLUX_GIT_PASSWORD };
    try {
      git(work, 'remote', 'set-url', 'origin', `${server.url}/repo.git`);
      commit(work, 'front: v1', { 'front.yaml': deployment('nginx:1.0') });
      expect((await mflux(state, 'reconcile', '--repo', work)).code).toBe(0);
      commit(work, 'front: v2', { 'front.yaml': deployment('nginx:1.1') });
      expect((await mflux(state, 'reconcile', '--repo', work)).code).toBe(0);
      delete process.env.MFLUX_GIT_USERNAME;
      delete process.env.MFLUX_GIT_PASSWORD;
      const denied = await mflux(state, 'rollback', 'deployment/front', '--repo', work, '--branch', 'rb1', '--push');
      expect(denied.code).toBe(2);
      expect(denied.stderr).toContain('[AuthFailed]');
      process.env.MFLUX_GIT_USERNAME = 'robot';
      process.env.MFLUX_GIT_PASSWORD = 's3cret-pw';
      const r = await mflux(state, 'rollback', 'deployment/front', '--repo', work, '--branch', 'rb2', '--push');
      expect(r.code, r.stderr).toBe(0);
      expect(`${r.stdout}${r.stderr}${denied.stdout}${denied.stderr}`).not.toContain('s3cret-pw');
      expect(git(path.join(root, 'repo.git'), 'log', '-1', '--format=%s', 'rb2')).toMatch(/^Roll back deployment\/front to revision 1 /);
    } finally {
      if (saved.u === undefined) delete process.env.MFLUX_GIT_USERNAME;
      else process.env.MFLUX_GIT_USERNAME = saved.u;
      if (saved.p === undefined) delete process.env.MFLUX_GIT_PASSWORD;
      else process.env.MFLUX_GIT_PASSWORD = saved.p;
      await server.close();
    }
  });
});
