/**
 * Rollback and origins of a rendered Deployment (an overlay over a base), end to end through the
 * CLI on real repositories: (a) a base document changed → that document comes back from revision
 * N, the file's other documents stay; (b) an overlay's `images:` entry changed → that entry comes
 * back, the kustomization's other lines stay; (c) both changed → RollbackBlocked naming the files,
 * nothing written. Each rollback is then reconciled: revision max+1 on revision N's ReplicaSet.
 * Trace, history and the ledger name the kustomization that changed the object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { mflux } from '../cli/helpers.js';
import { commit, git, initRepo, tempDirs } from '../source/helpers.js';

const newDir = tempDirs();
const json = (s: string) => JSON.parse(s);

/** base/web.yaml: the Deployment (one env value varies), then a Service. */
const baseWeb = (mode: string, port = 80) => `# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - {name: MODE, value: "${mode}"}   # varies
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: ${port}
`;

const baseKustomization = 'resources:\n- web.yaml\n';

/** overlays/prod/kustomization.yaml: prefix, an image pin (commented), a replicas count. */
const prod = (tag: string, replicas = 3) => `# production
resources:
- ../../base
namePrefix: prod-
images:
- name: busybox
  newTag: "1.36"
- name: nginx   # the web server
  newTag: "${tag}"
replicas:
- name: web
  count: ${replicas}
`;

/** setup makes a repository at v1, reconciled from overlays/prod (revision 1), and returns its helpers. */
async function setup() {
  const root = newDir();
  const state = path.join(root, 'state');
  const repo = initRepo(path.join(root, 'repo'));
  const reconcile = async () => {
    const r = await mflux(state, 'reconcile', '--repo', repo, '--path', 'overlays/prod', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    return json(r.stdout);
  };
  const v1 = commit(repo, 'web: v1', { 'base/web.yaml': baseWeb('one'), 'base/kustomization.yaml': baseKustomization, 'overlays/prod/kustomization.yaml': prod('1.27') });
  const first = await reconcile();
  expect(first.rollouts[0]).toMatchObject({ object: 'Deployment/default/prod-web', revision: 1, ok: true });
  return { root, state, repo, reconcile, v1, rs1: first.rollouts[0].replicaSet as string, head: () => git(repo, 'rev-parse', 'HEAD') };
}

describe('rollback of a rendered Deployment', () => {
  test('(a) a base document changed: revision 1’s document is written back, the Service stays; reconcile gives revision 3 on revision 1’s ReplicaSet', async () => {
    const s = await setup();
    const v2 = commit(s.repo, 'web: v2', { 'base/web.yaml': baseWeb('two', 8080) });
    expect((await s.reconcile()).rollouts[0]).toMatchObject({ revision: 2 });
    const r = await mflux(s.state, 'rollback', 'deployment/prod-web', '--repo', s.repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(base/web.yaml:2)');
    expect(git(s.repo, 'log', '-1', '--format=%s')).toBe(`Roll back deployment/prod-web to revision 1 (${s.v1.slice(0, 7)})`);
    expect(git(s.repo, 'rev-parse', 'HEAD^')).toBe(v2);
    expect(git(s.repo, 'diff', '--name-only', 'HEAD^', 'HEAD')).toBe('base/web.yaml');
    // The Deployment as at v1, the Service (port 8080) as at v2.
    expect(fs.readFileSync(path.join(s.repo, 'base/web.yaml'), 'utf8')).toBe(baseWeb('one', 8080));
    const after = await s.reconcile();
    expect(after.rollouts[0]).toMatchObject({ object: 'Deployment/default/prod-web', revision: 3, replicaSet: s.rs1, ok: true });
    const h = json((await mflux(s.state, 'history', 'deployment/prod-web', '-o', 'json')).stdout).items;
    expect(h.map((i: any) => [i.revision, i.rollbackTo])).toEqual([
      [1, null],
      [2, null],
      [3, 1],
    ]);
  });

  test('(b) an images: entry changed: that entry is written back, the overlay’s other lines (replicas) stay as at HEAD', async () => {
    const s = await setup();
    commit(s.repo, 'web: nginx 1.28, 4 replicas', { 'overlays/prod/kustomization.yaml': prod('1.28', 4) });
    expect((await s.reconcile()).rollouts[0]).toMatchObject({ revision: 2 });
    const dry = await mflux(s.state, 'rollback', 'deployment/prod-web', '--repo', s.repo, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('-  newTag: "1.28"');
    expect(dry.stdout).toContain('+  newTag: "1.27"');
    expect(dry.stdout).not.toMatch(/^[-+] +count/m);
    const r = await mflux(s.state, 'rollback', 'deployment/prod-web', '--repo', s.repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(overlays/prod/kustomization.yaml:8)');
    expect(git(s.repo, 'diff', '--name-only', 'HEAD^', 'HEAD')).toBe('overlays/prod/kustomization.yaml');
    expect(fs.readFileSync(path.join(s.repo, 'overlays/prod/kustomization.yaml'), 'utf8')).toBe(prod('1.27', 4));
    const after = await s.reconcile();
    expect(after.rollouts[0]).toMatchObject({ revision: 3, replicaSet: s.rs1, ok: true });
    const d = json((await mflux(s.state, 'get', 'deploy', 'prod-web', '-o', 'json')).stdout);
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    // Rolling back to the template now running is skipped.
    const again = await mflux(s.state, 'rollback', 'deployment/prod-web', '--repo', s.repo, '--to-revision', '1');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('skipped rollback (current template already matches revision 1)');
  });

  test('(c) a base document and an images: entry both changed: RollbackBlocked names the files, nothing is written', async () => {
    const s = await setup();
    commit(s.repo, 'web: v2 and nginx 1.28', { 'base/web.yaml': baseWeb('two'), 'overlays/prod/kustomization.yaml': prod('1.28') });
    expect((await s.reconcile()).rollouts[0]).toMatchObject({ revision: 2 });
    const h = s.head();
    const r = await mflux(s.state, 'rollback', 'deployment/prod-web', '--repo', s.repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[RollbackBlocked]');
    expect(r.stderr).toMatch(/deployment\/prod-web: revision 1's pod template cannot be restored/);
    expect(r.stderr).toContain('rendered from overlays/prod/kustomization.yaml patched base/web.yaml:2');
    expect(r.stderr).toContain('changed since ' + s.v1.slice(0, 7) + ': base/web.yaml, overlays/prod/kustomization.yaml');
    expect(r.stderr).toContain('git revert');
    expect(s.head()).toBe(h);
    expect(git(s.repo, 'status', '--porcelain')).toBe('');
  });

  test('a base document shared by two overlays of the same source is not rewritten: the other overlay would change too', async () => {
    const root = newDir();
    const state = path.join(root, 'state');
    const repo = initRepo(path.join(root, 'repo'));
    const files = (mode: string) => ({
      'base/web.yaml': baseWeb(mode),
      'base/kustomization.yaml': baseKustomization,
      'overlays/prod/kustomization.yaml': prod('1.27'),
      'overlays/dev/kustomization.yaml': 'resources:\n- ../../base\nnamePrefix: dev-\n',
      'kustomization.yaml': 'resources:\n- overlays/prod\n- overlays/dev\n',
    });
    commit(repo, 'v1', files('one'));
    expect((await mflux(state, 'reconcile', '--repo', repo)).code).toBe(0);
    commit(repo, 'v2', files('two'));
    expect((await mflux(state, 'reconcile', '--repo', repo)).code).toBe(0);
    const h = git(repo, 'rev-parse', 'HEAD');
    const r = await mflux(state, 'rollback', 'deployment/prod-web', '--repo', repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[RollbackBlocked]');
    expect(r.stderr).toContain('editing base/web.yaml would also change Deployment//dev-web');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(h);
  });
});

describe('origins of a rendered Deployment', () => {
  test('trace, history and the ledger name the document and the kustomization that changed it', async () => {
    const s = await setup();
    const t = json((await mflux(s.state, 'trace', 'deployment/prod-web', '-o', 'json')).stdout);
    expect(t).toMatchObject({ object: 'Deployment/default/prod-web', path: 'base/web.yaml', line: 2, kustomization: 'overlays/prod/kustomization.yaml', revision: 1, drifted: false });
    expect(t.kustomizations).toContain('overlays/prod/kustomization.yaml');
    const text = (await mflux(s.state, 'trace', 'deployment/prod-web')).stdout;
    expect(text).toMatch(/^Path:\s+overlays\/prod\/kustomization\.yaml patched base\/web\.yaml:2$/m);
    const h = json((await mflux(s.state, 'history', 'deployment/prod-web', '-o', 'json')).stdout).items;
    expect(h[0]).toMatchObject({ revision: 1, file: 'base/web.yaml', line: 2, kustomization: 'overlays/prod/kustomization.yaml' });
    const ht = (await mflux(s.state, 'history', 'deployment/prod-web')).stdout;
    expect(ht.split('\n')[1]).toMatch(/overlays\/prod\/kustomization\.yaml patched base\/web\.yaml:2$/);
    const passes = json((await mflux(s.state, 'history', '-o', 'json')).stdout).items;
    expect(passes[0].path).toBe('overlays/prod');
    const change = passes[0].changes.find((c: any) => c.object === 'Deployment/default/prod-web');
    expect(change.origin).toMatchObject({ file: 'base/web.yaml', line: 2, kustomizations: expect.arrayContaining(['overlays/prod/kustomization.yaml']) });
    // The trace follows the object where the last applied commit has it.
    commit(s.repo, 'web: a comment line moves the Deployment', { 'base/web.yaml': `# header\n${baseWeb('two')}` });
    await s.reconcile();
    const moved = json((await mflux(s.state, 'trace', 'deployment/prod-web', '-o', 'json')).stdout);
    expect(moved).toMatchObject({ path: 'base/web.yaml', line: 3, revision: 2 });
  });
});
