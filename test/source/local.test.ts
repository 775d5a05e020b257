/** The Git source on local repositories: committed content only, refs, listing, symlinks, diffs and history. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openSource } from '../../src/source/index.js';
import { caught, commit, git, initRepo, tempDirs, writeFiles } from './helpers.js';

const fresh = tempDirs();

const deploy = (name: string, image: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image}\n`;

describe('local repository read in place', () => {
  test('committed content at --ref wins over the checked-out branch and a dirty working tree', async () => {
    const repo = initRepo(fresh());
    const mainSha = commit(repo, 'main: front v1', { 'front.yaml': deploy('front', 'v1') });
    git(repo, 'checkout', '--quiet', '-b', 'feature');
    commit(repo, 'feature: front v9', { 'front.yaml': deploy('front', 'v9'), 'extra.yaml': deploy('extra', 'x') });
    // Dirty the working tree on top of the feature branch.
    writeFiles(repo, { 'front.yaml': deploy('front', 'dirty'), 'untracked.yaml': deploy('untracked', 'u') });

    const src = await openSource({ repo, ref: 'main', stateDir: fresh() });
    const { revision } = await src.resolve();
    expect(revision.commit).toBe(mainSha);
    expect(revision.revision).toBe(`main@sha1:${mainSha}`);
    const files = await src.listManifests(revision.commit);
    expect(files.map((f) => f.path)).toEqual(['front.yaml']);
    const blobs = await src.readBlobs(files.map((f) => f.oid));
    expect(blobs.get(files[0]!.oid)).toContain('image: v1');
    // The working tree was not touched.
    expect(fs.readFileSync(path.join(repo, 'front.yaml'), 'utf8')).toContain('image: dirty');
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature');
  });

  test('branch, lightweight and annotated tag, full and short SHA refs give the right commit and revision string', async () => {
    const repo = initRepo(fresh());
    const c1 = commit(repo, 'first: front v1\n\nbody text', { 'a.yaml': 'a: 1\n' });
    git(repo, 'tag', 'v1.0.0');
    const c2 = commit(repo, 'second', { 'a.yaml': 'a: 2\n' });
    git(repo, 'tag', '-a', 'v2.0.0', '-m', 'release 2');
    const c3 = commit(repo, 'third', { 'a.yaml': 'a: 3\n' });
    git(repo, 'branch', 'stable', c2);
    const state = fresh();
    const rev = async (ref?: string) => (await (await openSource({ repo, ref, stateDir: state })).resolve()).revision;

    expect((await rev()).revision).toBe(`main@sha1:${c3}`);
    expect((await rev('stable')).revision).toBe(`stable@sha1:${c2}`);
    expect((await rev('refs/heads/stable')).commit).toBe(c2);
    expect((await rev('v1.0.0')).revision).toBe(`v1.0.0@sha1:${c1}`);
    expect((await rev('v2.0.0')).revision).toBe(`v2.0.0@sha1:${c2}`); // annotated tag peeled to its commit
    expect((await rev(c1)).revision).toBe(`sha1:${c1}`);
    const short = await rev(c1.slice(0, 8));
    expect(short.commit).toBe(c1);
    expect(short.revision).toBe(`sha1:${c1}`);

    const r1 = await rev('v1.0.0');
    expect(r1).toMatchObject({ ref: 'v1.0.0', subject: 'first: front v1', author: 'Ada Author', authorEmail: 'ada@example.com' });
    expect(r1.time).toBe(Number(git(repo, 'log', '-1', '--format=%at', c1)) * 1000);
  });

  test('a missing ref is RefNotFound; a directory that is not a repository is NotFound', async () => {
    const repo = initRepo(fresh());
    commit(repo, 'one', { 'a.yaml': 'a: 1\n' });
    const src = await openSource({ repo, ref: 'nope', stateDir: fresh() });
    const err = await caught(src.resolve());
    expect(err.code).toBe('RefNotFound');
    expect(err.message).toMatch(new RegExp(`^source ${repo}: ref nope not found`));
    expect((await caught((await openSource({ repo, ref: 'deadbeef', stateDir: fresh() })).resolve())).code).toBe('RefNotFound');
    const notRepo = fresh();
    expect((await caught(openSource({ repo: notRepo, stateDir: fresh() }))).code).toBe('NotFound');
  });

  test('with no --ref the checked-out branch is followed (master here), a detached HEAD is its commit, an empty ref is a Usage error', async () => {
    const repo = fresh();
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '--quiet', '--initial-branch=master');
    const c1 = commit(repo, 'one', { 'a.yaml': 'a: 1\n' });
    const src = await openSource({ repo, stateDir: fresh() });
    const { revision } = await src.resolve();
    expect(revision.revision).toBe(`master@sha1:${c1}`);
    expect(revision.ref).toBe('master');
    // Revisions read before any resolve name the branch too.
    expect((await (await openSource({ repo, stateDir: fresh() })).readCommit(c1)).revision).toBe(`master@sha1:${c1}`);
    // Switching the checked-out branch switches what is followed (the repository's own HEAD).
    git(repo, 'checkout', '--quiet', '-b', 'release');
    const c2 = commit(repo, 'two', { 'a.yaml': 'a: 2\n' });
    expect((await src.resolve(c1)).revision.revision).toBe(`release@sha1:${c2}`);
    git(repo, 'checkout', '--quiet', '--detach', c1);
    expect((await src.resolve(c2)).revision.revision).toBe(`sha1:${c1}`);
    const empty = await caught(openSource({ repo, ref: '  ', stateDir: fresh() }));
    expect(empty.code).toBe('Usage');
    expect(empty.message).toContain('the ref is empty');
    // A repository whose HEAD names a branch without commits.
    const unborn = fresh();
    fs.mkdirSync(unborn, { recursive: true });
    git(unborn, 'init', '--quiet', '--initial-branch=trunk');
    const err = await caught((await openSource({ repo: unborn, stateDir: fresh() })).resolve());
    expect(err.code).toBe('RefNotFound');
    expect(err.message).toContain('HEAD names branch trunk, which has no commits');
  });

  test('a bare repository and a packed (gc) repository are read the same way', async () => {
    const work = initRepo(fresh());
    const c = commit(work, 'one', { 'x/a.yaml': 'a: 1\n', 'b.json': '{"b":2}\n' });
    const bare = path.join(fresh(), 'bare.git');
    git(work, 'clone', '--quiet', '--bare', work, bare);
    git(bare, 'gc', '--quiet');
    const src = await openSource({ repo: bare, stateDir: fresh() });
    const { revision } = await src.resolve();
    expect(revision.commit).toBe(c);
    const files = await src.listManifests(c);
    expect(files.map((f) => f.path)).toEqual(['b.json', 'x/a.yaml']);
    const blobs = await src.readBlobs(files.map((f) => f.oid));
    expect([...blobs.values()]).toEqual(['{"b":2}\n', 'a: 1\n']);
  });

  test('objects written by another process after a read are found (cached listings are refreshed)', async () => {
    const repo = initRepo(fresh());
    const c1 = commit(repo, 'one', { 'a.yaml': 'a: 1\n' });
    git(repo, 'gc', '--quiet');
    const src = await openSource({ repo, stateDir: fresh() });
    expect((await src.resolve()).revision.commit).toBe(c1);
    await src.readBlobs((await src.listManifests(c1)).map((f) => f.oid));
    const c2 = commit(repo, 'two', { 'a.yaml': 'a: 2\n', 'b.yaml': 'b: 1\n' });
    // Without a new resolve: the stale negative cache must not hide the new loose objects.
    const files = await src.listManifests(c2);
    expect(files.map((f) => f.path)).toEqual(['a.yaml', 'b.yaml']);
    expect([...(await src.readBlobs(files.map((f) => f.oid))).values()]).toEqual(['a: 2\n', 'b: 1\n']);
    const { revision, warnings } = await src.resolve(c1);
    expect(revision.commit).toBe(c2);
    expect(warnings).toEqual([]);
  });
});

describe('listManifests', () => {
  test('lists .yaml, .yml and .json files, skips other files and .git, and honours --path', async () => {
    const repo = initRepo(fresh());
    const c = commit(repo, 'tree', {
      'README.md': '# hi\n',
      'root.yaml': 'r: 1\n',
      'apps/front.yaml': 'f: 1\n',
      'apps/notes.txt': 'no\n',
      'apps/sub/back.yml': 'b: 1\n',
      'apps/sub/cm.json': '{}\n',
      'apps/sub/script.sh': 'echo\n',
      'apps/.hidden/x.yaml': 'h: 1\n',
      'other/o.yaml': 'o: 1\n',
    });
    const all = await (await openSource({ repo, stateDir: fresh() })).listManifests(c);
    expect(all.map((f) => f.path)).toEqual(['apps/.hidden/x.yaml', 'apps/front.yaml', 'apps/sub/back.yml', 'apps/sub/cm.json', 'other/o.yaml', 'root.yaml']);
    for (const f of all) expect(f.oid).toBe(git(repo, 'rev-parse', `${c}:${f.path}`));

    const apps = await (await openSource({ repo, path: './apps/', stateDir: fresh() })).listManifests(c);
    expect(apps.map((f) => f.path)).toEqual(['apps/.hidden/x.yaml', 'apps/front.yaml', 'apps/sub/back.yml', 'apps/sub/cm.json']);
    const sub = await (await openSource({ repo, path: 'apps/sub', stateDir: fresh() })).listManifests(c);
    expect(sub.map((f) => f.path)).toEqual(['apps/sub/back.yml', 'apps/sub/cm.json']);

    const missing = await caught((await openSource({ repo, path: 'nope', stateDir: fresh() })).listManifests(c));
    expect(missing.code).toBe('NotFound');
    expect(missing.message).toContain('path nope');
    expect((await caught(openSource({ repo, path: '../elsewhere', stateDir: fresh() }))).code).toBe('PathEscape');
  });

  test('the repository\'s own .git never shows up, and a commit smuggling a `.git` tree entry is refused', async () => {
    const repo = initRepo(fresh());
    const c0 = commit(repo, 'base', { 'a.yaml': 'a: 1\n' });
    // The working repository's .git directory holds yaml-looking files; none of them is listed.
    fs.writeFileSync(path.join(repo, '.git', 'evil.yaml'), 'e: 1\n');
    expect((await (await openSource({ repo, stateDir: fresh() })).listManifests(c0)).map((f) => f.path)).toEqual(['a.yaml']);
    // git refuses to add a `.git` entry, so build the tree by hand with mktree.
    const blob = git(repo, 'rev-parse', 'HEAD:a.yaml');
    const inner = execMktree(repo, `100644 blob ${blob}\tconfig.yaml\n`);
    const root = execMktree(repo, `040000 tree ${inner}\t.git\n100644 blob ${blob}\ta.yaml\n`);
    const c = git(repo, 'commit-tree', root, '-m', 'with .git');
    const err = await caught((await openSource({ repo, stateDir: fresh() })).listManifests(c));
    expect(err.code).toBe('PathEscape');
    expect(err.message).toContain('unsafe entry ".git"');
  });

  test('in-repo symlinks resolve to their target blobs (files and directories); escaping ones are PathEscape', async () => {
    const repo = initRepo(fresh());
    const c = commit(repo, 'links', {
      'shared/base.yaml': 'base: 1\n',
      'shared/more/m.yaml': 'm: 1\n',
      'apps/front.yaml': 'front: 1\n',
      'apps/base.yaml': { link: '../shared/base.yaml' },
      'apps/shared-dir': { link: '../shared/more' },
      'apps/chain.yaml': { link: 'base.yaml' },
      'apps/loop': { link: '.' },
      'apps/readme-link': { link: '../README' },
    });
    const src = await openSource({ repo, path: 'apps', stateDir: fresh() });
    const files = await src.listManifests(c);
    expect(files.map((f) => f.path)).toEqual(['apps/base.yaml', 'apps/chain.yaml', 'apps/front.yaml', 'apps/shared-dir/m.yaml']);
    const baseOid = git(repo, 'rev-parse', `${c}:shared/base.yaml`);
    expect(files.find((f) => f.path === 'apps/base.yaml')!.oid).toBe(baseOid);
    expect(files.find((f) => f.path === 'apps/chain.yaml')!.oid).toBe(baseOid);
    expect((await src.readBlobs([baseOid])).get(baseOid)).toBe('base: 1\n');

    const c2 = commit(repo, 'escape', { 'apps/evil.yaml': { link: '../../outside.yaml' } });
    const err = await caught(src.listManifests(c2));
    expect(err.code).toBe('PathEscape');
    expect(err.message).toContain('apps/evil.yaml');
    expect(err.message).toMatch(/^source .*: symlink apps\/evil\.yaml -> \.\.\/\.\.\/outside\.yaml leads outside the repository$/);

    const c3 = commit(repo, 'absolute', { 'apps/evil.yaml': { link: '/etc/passwd' } });
    expect((await caught(src.listManifests(c3))).code).toBe('PathEscape');
    // Through an in-repo link first, then out.
    const c4 = commit(repo, 'two-step', { 'apps/evil.yaml': null, 'up': { link: '..' }, 'apps/sneaky.yaml': { link: '../up/x.yaml' } });
    const e4 = await caught(src.listManifests(c4));
    expect(e4.code).toBe('PathEscape');
    expect(e4.message).toContain('apps/sneaky.yaml');
  });
});

describe('changedPaths', () => {
  test('reports added, modified and deleted manifests, only under --path, skipping non-manifests', async () => {
    const repo = initRepo(fresh());
    const c1 = commit(repo, 'one', {
      'apps/a.yaml': 'a: 1\n',
      'apps/b.yaml': 'b: 1\n',
      'apps/deep/c.yaml': 'c: 1\n',
      'apps/same/s.yaml': 's: 1\n',
      'other/o.yaml': 'o: 1\n',
    });
    const c2 = commit(repo, 'two', {
      'apps/a.yaml': 'a: 2\n', // modified
      'apps/b.yaml': null, // deleted
      'apps/deep/c.yaml': null, // deleted with its directory
      'apps/new/n.yml': 'n: 1\n', // added in a new directory
      'apps/notes.md': 'x\n', // not a manifest
      'other/o.yaml': 'o: 2\n', // outside the path
    });
    const apps = await openSource({ repo, path: 'apps', stateDir: fresh() });
    expect(await apps.changedPaths(c1, c2)).toEqual(['apps/a.yaml', 'apps/b.yaml', 'apps/deep/c.yaml', 'apps/new/n.yml']);
    expect(await apps.changedPaths(c2, c1)).toEqual(['apps/a.yaml', 'apps/b.yaml', 'apps/deep/c.yaml', 'apps/new/n.yml']);
    expect(await apps.changedPaths(c1, c1)).toEqual([]);
    const root = await openSource({ repo, stateDir: fresh() });
    expect(await root.changedPaths(c1, c2)).toEqual(['apps/a.yaml', 'apps/b.yaml', 'apps/deep/c.yaml', 'apps/new/n.yml', 'other/o.yaml']);
    const other = await openSource({ repo, path: 'other', stateDir: fresh() });
    const c3 = commit(repo, 'three', { 'apps/a.yaml': 'a: 3\n' });
    expect(await other.changedPaths(c2, c3)).toEqual([]);

    // Equal to what the listings say.
    const [la, lb] = [await apps.listManifests(c1), await apps.listManifests(c2)];
    const before = new Map(la.map((f) => [f.path, f.oid]));
    const expected = new Set([...lb.filter((f) => before.get(f.path) !== f.oid).map((f) => f.path), ...la.filter((f) => !lb.some((g) => g.path === f.path)).map((f) => f.path)]);
    expect(await apps.changedPaths(c1, c2)).toEqual([...expected].sort());
  });

  test('a symlink whose target changed outside --path counts as changed', async () => {
    const repo = initRepo(fresh());
    const c1 = commit(repo, 'one', { 'shared/base.yaml': 'base: 1\n', 'apps/base.yaml': { link: '../shared/base.yaml' }, 'apps/x.yaml': 'x: 1\n' });
    const c2 = commit(repo, 'two', { 'shared/base.yaml': 'base: 2\n' });
    const src = await openSource({ repo, path: 'apps', stateDir: fresh() });
    expect(await src.changedPaths(c1, c2)).toEqual(['apps/base.yaml']);
  });

  test('a path that appears or disappears counts all its files', async () => {
    const repo = initRepo(fresh());
    const c1 = commit(repo, 'one', { 'x.yaml': 'x: 1\n' });
    const c2 = commit(repo, 'two', { 'apps/a.yaml': 'a: 1\n', 'apps/b/c.json': '{}\n' });
    const src = await openSource({ repo, path: 'apps', stateDir: fresh() });
    expect(await src.changedPaths(c1, c2)).toEqual(['apps/a.yaml', 'apps/b/c.json']);
    expect(await src.changedPaths(c2, c1)).toEqual(['apps/a.yaml', 'apps/b/c.json']);
  });
});

describe('history', () => {
  test('commitsBetween lists commits reachable from `to` and not from `from`, oldest first, through merges', async () => {
    const repo = initRepo(fresh());
    const base = commit(repo, 'base', { 'a.yaml': 'a: 0\n' });
    const m1 = commit(repo, 'main 1', { 'a.yaml': 'a: 1\n' });
    git(repo, 'checkout', '--quiet', '-b', 'topic', base);
    const t1 = commit(repo, 'topic 1', { 'b.yaml': 'b: 1\n' });
    const t2 = commit(repo, 'topic 2', { 'b.yaml': 'b: 2\n' });
    git(repo, 'checkout', '--quiet', 'main');
    git(repo, 'merge', '--quiet', '--no-ff', '-m', 'merge topic', 'topic');
    const merge = git(repo, 'rev-parse', 'HEAD');
    const m2 = commit(repo, 'main 2', { 'a.yaml': 'a: 2\n' });

    const src = await openSource({ repo, stateDir: fresh() });
    const between = await src.commitsBetween(base, m2);
    expect(new Set(between.map((r) => r.commit))).toEqual(new Set([m1, t1, t2, merge, m2]));
    const pos = (sha: string) => between.findIndex((r) => r.commit === sha);
    expect(pos(t1)).toBeLessThan(pos(t2));
    expect(pos(t2)).toBeLessThan(pos(merge));
    expect(pos(m1)).toBeLessThan(pos(merge));
    expect(between[between.length - 1]!.commit).toBe(m2);
    expect(between[between.length - 1]!.subject).toBe('main 2');
    expect(between[0]!.revision).toMatch(/^main@sha1:[0-9a-f]{40}$/);
    expect((await src.commitsBetween(m1, m2)).map((r) => r.subject)).toEqual(git(repo, 'log', '--reverse', '--topo-order', '--format=%s', `${m1}..${m2}`).split('\n'));
    expect(await src.commitsBetween(m2, m2)).toEqual([]);
    expect(await src.commitsBetween(m2, base)).toEqual([]);

    const one = await src.readCommit(t1.slice(0, 10));
    expect(one).toMatchObject({ commit: t1, subject: 'topic 1', revision: `main@sha1:${t1}` });
  });
});

function execMktree(repo: string, input: string): string {
  return execFileSyncInput(repo, ['mktree'], input);
}

function execFileSyncInput(cwd: string, args: string[], input: string): string {
  return execFileSync('git', args, { cwd, input, encoding: 'utf8' }).trim();
}
