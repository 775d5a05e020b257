/**
 * End to end on real git repositories: the fixtures-repo story reconciled commit by commit through
 * the CLI, the ledger's commit → revision mapping, NoChange passes that write nothing, invalid
 * commits that apply nothing, diff exit codes, prune, and Secret values kept out of every output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildFixturesRepo } from '../../scripts/fixtures-repo.js';
import { git, mflux, tempDir, writeManifest } from '../cli/helpers.js';


function allObjects(state: string): Promise<Record<string, string>> {
  return (async () => {
    const out: Record<string, string> = {};
    for (const kind of ['deployments', 'replicasets', 'pods', 'services', 'configmaps']) {
      const r = await mflux(state, 'get', kind, '-A', '-o', 'json');
      for (const i of JSON.parse(r.stdout).items) out[`${i.kind}/${i.metadata.namespace}/${i.metadata.name}`] = i.metadata.resourceVersion;
    }
    return out;
  })();
}

describe('the fixtures-repo story, one commit at a time', () => {
  const dir = tempDir();
  let commits: { folder: string; sha: string; subject: string }[] = [];
  let repo = '';

  beforeAll(async () => {
    const built = await buildFixturesRepo(path.join(dir, 'repo'));
    repo = built.dir;
    commits = built.commits;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The story's passes in order: commits 0–2, commit 2 again, then 3–6 (commit 5's image never starts).
  const STORY: [number, ...string[]][] = [[0], [1], [2], [2], [3], [4], [5, '--fail-images', '*:broken', '--timeout', '15m'], [6]];
  let states = 0;
  /** storyState makes a fresh state dir holding the first `steps` passes of the story: every test builds its own cluster. */
  const storyState = async (steps: number): Promise<string> => {
    const st = path.join(dir, `state-${++states}`);
    for (const [i, ...extra] of STORY.slice(0, steps)) await mflux(st, 'reconcile', '--repo', repo, '--ref', commits[i]!.sha, '-o', 'json', ...extra);
    return st;
  };
  let state = '';
  const reconcile = (i: number, ...extra: string[]) => mflux(state, 'reconcile', '--repo', repo, '--ref', commits[i]!.sha, '-o', 'json', ...extra);

  test('v1 → v2 → v1 maps the three commits to revisions 1, 2, 3', async () => {
    state = await storyState(0);
    expect(commits).toHaveLength(7);
    for (const i of [0, 1, 2]) {
      const r = await reconcile(i);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.outcome).toBe('Applied');
      expect(j.commit).toBe(commits[i]!.sha);
      expect(j.rollouts).toEqual([expect.objectContaining({ object: 'Deployment/default/front', revision: i + 1, ok: true })]);
    }
    const rs = JSON.parse((await mflux(state, 'get', 'rs', '-o', 'json')).stdout).items;
    expect(rs).toHaveLength(2);
  });

  test('re-reconciling the same commit writes nothing (NoChange, every resourceVersion kept)', async () => {
    state = await storyState(3);
    const before = await allObjects(state);
    const r = await reconcile(2);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'NoChange', changes: [] });
    expect(await allObjects(state)).toEqual(before);
  });

  test('a replicas-only commit keeps the revision and gets its own history row', async () => {
    state = await storyState(4);
    const r = await reconcile(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'Applied', rollouts: [{ object: 'Deployment/default/front', revision: 3, ok: true }] });
    const patch = JSON.parse(r.stdout).changes.find((c: any) => c.object === 'Deployment/default/front').patch;
    const out = JSON.parse(r.stdout);
    // The patch shown is the patch written: the replicas change and the stamps naming this commit.
    expect(patch).toEqual([
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'replace', path: '/metadata/annotations/mflux.dev~1revision', value: out.revision },
      { op: 'replace', path: '/metadata/annotations/kubernetes.io~1change-cause', value: `${out.subject ?? 'front: replicas 3 to 5'} (${out.commit.slice(0, 7)})` },
    ]);
  });

  test('a strategy-only commit applies without a new revision; a broken image is RolloutFailed; the fix applies', async () => {
    state = await storyState(5);
    let r = await reconcile(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'Applied', rollouts: [{ revision: 3, ok: true }] });
    r = await reconcile(5, '--fail-images', '*:broken', '--timeout', '15m');
    expect(r.code).toBe(1);
    const failed = JSON.parse(r.stdout);
    expect(failed.outcome).toBe('RolloutFailed');
    expect(failed.reasons[0]).toMatchObject({ code: 'ProgressDeadlineExceeded', object: 'Deployment/default/front' });
    const d = JSON.parse((await mflux(state, 'get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(d.status.availableReplicas).toBe(5);
    r = await reconcile(6);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'Applied', rollouts: [{ revision: 5, ok: true }] });
  });

  test('history deployment/front: one row per applied commit, full commit SHAs and revisions', async () => {
    state = await storyState(STORY.length);
    const r = await mflux(state, 'history', 'deployment/front', '-o', 'json');
    const items = JSON.parse(r.stdout).items;
    expect(items.map((i: any) => i.revision)).toEqual([1, 2, 3, 3, 3, 4, 5]);
    expect(items.map((i: any) => i.commit)).toEqual(commits.map((c) => c.sha));
    expect(items.map((i: any) => i.outcome)).toEqual(['Applied', 'Applied', 'Applied', 'Applied', 'Applied', 'RolloutFailed', 'Applied']);
    for (const i of items) expect(i.commit).toMatch(/^[0-9a-f]{40}$/);
    const text = await mflux(state, 'history', 'deployment/front');
    expect(text.stdout.split('\n')[0]).toMatch(/^REVISION\s+COMMIT\s+SUBJECT\s+OUTCOME\s+REPLICASET\s+APPLIED\s+ORIGIN$/);
    expect(text.stdout).toContain(commits[0]!.sha.slice(0, 7));
  });

  test('rollout history shows the commits as change-cause', async () => {
    state = await storyState(STORY.length);
    const r = await mflux(state, 'rollout', 'history', 'deployment/front');
    expect(r.stdout).toContain(`5         ${commits[6]!.subject} (${commits[6]!.sha.slice(0, 7)})`);
    const d = JSON.parse((await mflux(state, 'get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(d.metadata.annotations['mflux.dev/revision']).toBe(`sha1:${commits[6]!.sha}`);
  });

  test('history lists every pass with its outcome', async () => {
    state = await storyState(STORY.length);
    const r = await mflux(state, 'history', '-o', 'json');
    const outcomes = JSON.parse(r.stdout).items.map((p: any) => p.outcome);
    expect(outcomes).toEqual(['Applied', 'Applied', 'Applied', 'NoChange', 'Applied', 'Applied', 'RolloutFailed', 'Applied']);
  });
});

describe('invalid commits, diff, prune and secrets', () => {
  const root = tempDir();
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2-very-secret\n';
  let repo = '';
  let state = '';
  let made = 0;
  const commit = (msg: string) => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', msg);
    return git(repo, 'rev-parse', 'HEAD');
  };
  /** fresh gives each test its own repository and state dir; `applied` also commits and reconciles the first commit (two ConfigMaps and a Secret). */
  const fresh = async (applied: boolean) => {
    const dir = path.join(root, `case-${++made}`);
    repo = path.join(dir, 'repo');
    state = path.join(dir, 'state');
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeManifest(repo, 'a.yaml', cm('a', '1'));
    writeManifest(repo, 'b.yaml', cm('b', '1'));
    writeManifest(repo, 'secret.yaml', secret);
    commit('first');
    if (applied) expect((await mflux(state, 'reconcile', '--repo', repo)).code).toBe(0);
  };

  test('diff exits 1 with a YAML diff before the first reconcile, 0 after it', async () => {
    await fresh(false);
    let r = await mflux(state, 'diff', '--repo', repo);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('+++ git/ConfigMap/default/a');
    expect(r.stdout).toContain('+  v: "1"');
    expect(r.stdout).not.toContain('hunter2');
    r = await mflux(state, 'reconcile', '--repo', repo);
    expect(r.code).toBe(0);
    r = await mflux(state, 'diff', '--repo', repo);
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });

  test('a commit with broken YAML is Invalid, changes nothing, and the next good commit applies', async () => {
    await fresh(true);
    const before = await allObjects(state);
    writeManifest(repo, 'a.yaml', cm('a', '2'));
    writeManifest(repo, 'b.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  a: b: c\n');
    commit('broken');
    let r = await mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe('Invalid');
    expect(j.reasons[0]).toMatchObject({ code: 'YAMLSyntax', file: 'b.yaml', line: 6 });
    expect(await allObjects(state)).toEqual(before);
    writeManifest(repo, 'b.yaml', cm('b', '2'));
    commit('fixed');
    r = await mflux(state, 'reconcile', '--repo', repo, '-o', 'json');
    expect(JSON.parse(r.stdout).outcome).toBe('Applied');
    const a = JSON.parse((await mflux(state, 'get', 'configmaps', 'a', '-o', 'json')).stdout);
    expect(a.data.v).toBe('2');
  });

  test('an object removed from Git is pruned after the apply', async () => {
    await fresh(true);
    fs.rmSync(path.join(repo, 'b.yaml'));
    commit('drop b');
    const r = await mflux(state, 'reconcile', '--repo', repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pruned ConfigMap/default/b');
    const g = await mflux(state, 'get', 'configmaps', 'b');
    expect(g.code).toBe(1);
  });

  test('the Secret value appears in no output and nowhere in the state dir', async () => {
    await fresh(true);
    writeManifest(repo, 'secret.yaml', secret.replace('hunter2-very-secret', 'hunter3-even-more-secret'));
    commit('rotate');
    const outs = [
      await mflux(state, 'diff', '--repo', repo),
      await mflux(state, 'diff', '--repo', repo, '-o', 'json'),
      await mflux(state, 'reconcile', '--repo', repo, '-o', 'json'),
      await mflux(state, 'get', 'secrets', 'creds', '-o', 'yaml'),
      await mflux(state, 'history', '-o', 'json'),
    ];
    for (const o of outs) {
      expect(o.stdout + o.stderr).not.toContain('hunter');
    }
    const bytes = fs.readdirSync(state).map((f) => fs.readFileSync(path.join(state, f)).toString('latin1')).join('');
    expect(bytes).not.toContain('hunter');
    expect(bytes).not.toContain(Buffer.from('hunter3-even-more-secret').toString('base64'));
  });
});

describe('one object, one owner', () => {
  test('a second source declaring an object the first owns is Blocked (OwnedByAnotherSource) and applies nothing; diff says so too', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'state');
    const repo = (name: string, image: string, extra = '') => {
      const d = path.join(dir, name);
      fs.mkdirSync(d, { recursive: true });
      git(d, 'init', '-q', '-b', 'main');
      writeManifest(d, 'front.yaml', `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: front}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: front}}\n  template:\n    metadata: {labels: {app: front}}\n    spec: {containers: [{name: web, image: ${image}}]}\n${extra}`);
      writeManifest(d, 'own.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}-config}\ndata: {k: v}\n`);
      git(d, 'add', '-A');
      git(d, 'commit', '-qm', `${name}: front ${image}`);
      return d;
    };
    const one = repo('one', 'nginx:1');
    const two = repo('two', 'nginx:2');
    expect((await mflux(state, 'reconcile', '--repo', one, '--name', 'one')).code).toBe(0);
    const before = await allObjects(state);

    const r = await mflux(state, 'reconcile', '--repo', two, '--name', 'two', '-o', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe('Blocked');
    expect(j.reasons).toEqual([
      expect.objectContaining({ code: 'OwnedByAnotherSource', object: 'Deployment/default/front', file: 'front.yaml', line: 1, message: 'Deployment/default/front: front.yaml:1: already managed by source "one"; an object has one owner — remove it from one of the two sources' }),
    ]);
    // Nothing from the commit was applied, not even two's own ConfigMap.
    expect(await allObjects(state)).toEqual(before);
    const dep = JSON.parse((await mflux(state, 'get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(dep.spec.template.spec.containers[0].image).toBe('nginx:1');

    // The printed plan shows the blocked entry and counts it (it used to print "+ Deployment/default/front" and 0 blocked).
    const text = await mflux(state, 'reconcile', '--repo', two, '--name', 'two');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('plan: 1 to create, 0 to update, 0 to prune, 0 unchanged, 1 blocked');
    expect(text.stdout).toContain('Deployment/default/front (update blocked)');
    expect(text.stdout).not.toMatch(/\+ Deployment\/default\/front/);

    const diff = await mflux(state, 'diff', '--repo', two, '--name', 'two');
    expect(diff.code).toBe(1);
    expect(diff.stderr).toContain('blocked: Deployment/default/front: front.yaml:1: already managed by source "one"');
    // The owner itself is not affected.
    expect((await mflux(state, 'reconcile', '--repo', one, '--name', 'one')).code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
