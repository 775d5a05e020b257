/** The Git source on http(s) remotes, against git's own smart-HTTP server (`git http-backend`). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openSource } from '../../src/source/index.js';
import type { MfluxError } from '../../src/core/errors.js';
import { caught, closedPort, commit, filesContaining, git, listFilesRecursive, makeRemote, startGitServer, tempDirs, type GitServer, type ServerAuth } from './helpers.js';

const fresh = tempDirs();
const servers: GitServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
});

async function serve(root: string, auth?: ServerAuth): Promise<GitServer> {
  const s = await startGitServer(root, { auth });
  servers.push(s);
  return s;
}

/** everythingAbout renders an error the ways it could end up in a log. */
function everythingAbout(err: MfluxError): string {
  return [err.message, err.stack ?? '', JSON.stringify(err.details), String(err.cause ?? ''), JSON.stringify(err)].join('\n');
}

/** objectsIn counts the objects of every pack in a git directory (via `git show-index`). */
function packObjectCounts(gitdir: string): number[] {
  const packDir = path.join(gitdir, 'objects', 'pack');
  return fs
    .readdirSync(packDir)
    .filter((f) => f.endsWith('.idx'))
    .map((f) => execFileSync('git', ['show-index'], { input: fs.readFileSync(path.join(packDir, f)), encoding: 'utf8' }).trim().split('\n').length);
}

function cloneDir(state: string): string {
  const entries = fs.readdirSync(path.join(state, 'sources')).filter((e) => !e.includes('.tmp-'));
  expect(entries).toHaveLength(1);
  return path.join(state, 'sources', entries[0]!);
}

describe('remote over smart HTTP', () => {
  test('clones into <state>/sources once, then fetches only the new objects; no request but the ref listing when nothing changed', async () => {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'apps/a.yaml': 'a: 1\n', 'apps/b.yaml': 'b: 1\n', 'apps/c.yaml': 'c: 1\n', 'README.md': 'r\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    const server = await serve(root);
    const state = fresh();
    const url = `${server.url}/repo.git`;

    const src = await openSource({ repo: url, path: 'apps', stateDir: state });
    const first = await src.resolve();
    expect(first.revision.revision).toBe(`main@sha1:${c1}`);
    expect(first.warnings).toEqual([]);
    const files = await src.listManifests(c1);
    expect(files.map((f) => f.path)).toEqual(['apps/a.yaml', 'apps/b.yaml', 'apps/c.yaml']);
    expect([...(await src.readBlobs(files.map((f) => f.oid))).values()]).toEqual(['a: 1\n', 'b: 1\n', 'c: 1\n']);
    const clone = cloneDir(state);
    expect(path.basename(clone)).toMatch(/^repo-[0-9a-f]{12}\.git$/);
    expect(packObjectCounts(clone)).toEqual([7]); // commit, 2 trees, 4 blobs

    // Unchanged: only the ref listing goes out.
    server.requests.length = 0;
    expect((await src.resolve(c1)).revision.commit).toBe(c1);
    expect(server.requests.map((r) => r.method)).toEqual(['GET']);

    const c2 = commit(work, 'two', { 'apps/a.yaml': 'a: 2\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    server.requests.length = 0;
    const second = await src.resolve(c1);
    expect(second.revision.revision).toBe(`main@sha1:${c2}`);
    expect(second.revision.subject).toBe('two');
    expect(second.warnings).toEqual([]);
    expect(server.requests.some((r) => r.method === 'POST' && r.url.endsWith('/git-upload-pack'))).toBe(true);
    // The second pack holds only what changed: the commit, two trees and one blob.
    expect(packObjectCounts(clone).sort()).toEqual([4, 7]);
    expect(await src.changedPaths(c1, c2)).toEqual(['apps/a.yaml']);

    // A new source on the same state dir reuses the clone.
    const again = await openSource({ repo: url, path: 'apps', stateDir: state });
    expect((await again.resolve()).revision.commit).toBe(c2);
    expect(cloneDir(state)).toBe(clone);
    // The clone is a sound git repository.
    execFileSync('git', ['--git-dir', clone, 'fsck', '--no-dangling'], { stdio: 'pipe' });
  });

  test('tags (annotated) and SHAs that are no branch tip resolve over the wire; a missing ref is RefNotFound naming what exists', async () => {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'tag', '-a', 'v1.0.0', '-m', 'v1');
    const c2 = commit(work, 'two', { 'a.yaml': 'a: 2\n' });
    commit(work, 'three', { 'a.yaml': 'a: 3\n' });
    git(work, 'push', '--quiet', '--tags', 'origin', 'main');
    const server = await serve(root);
    const url = `${server.url}/repo.git`;

    const tag = await (await openSource({ repo: url, ref: 'v1.0.0', stateDir: fresh() })).resolve();
    expect(tag.revision.revision).toBe(`v1.0.0@sha1:${c1}`);
    const sha = await (await openSource({ repo: url, ref: c2, stateDir: fresh() })).resolve();
    expect(sha.revision.revision).toBe(`sha1:${c2}`);
    const short = await (await openSource({ repo: url, ref: c2.slice(0, 7), stateDir: fresh() })).resolve();
    expect(short.revision.commit).toBe(c2);

    const err = await caught((await openSource({ repo: url, ref: 'nope', stateDir: fresh() })).resolve());
    expect(err.code).toBe('RefNotFound');
    expect(err.message).toBe(`source ${url}: ref nope not found on the remote (branches: main; tags: v1.0.0)`);
  });

  test('a force-pushed branch: the new head is reconciled and a warning returned', async () => {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    const c2 = commit(work, 'two', { 'a.yaml': 'a: 2\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    const server = await serve(root);
    const state = fresh();
    const src = await openSource({ repo: `${server.url}/repo.git`, stateDir: state });
    expect((await src.resolve()).revision.commit).toBe(c2);

    git(work, 'reset', '--quiet', '--hard', c1);
    const c3 = commit(work, 'rewritten two', { 'a.yaml': 'a: 3\n' });
    git(work, 'push', '--quiet', '--force', 'origin', 'main');
    const { revision, warnings } = await src.resolve(c2);
    expect(revision.commit).toBe(c3);
    expect(revision.subject).toBe('rewritten two');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('force-push');
    expect(warnings[0]).toContain(c2.slice(0, 7));
    const files = await src.listManifests(c3);
    expect([...(await src.readBlobs(files.map((f) => f.oid))).values()]).toEqual(['a: 3\n']);
    // A fast-forward after that is not a force-push.
    const c4 = commit(work, 'four', { 'a.yaml': 'a: 4\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    expect(await src.resolve(c3)).toMatchObject({ revision: { commit: c4 }, warnings: [] });
  });

  test('a remote whose HEAD names a missing branch works when --ref names an existing one', async () => {
    const root = fresh();
    const { bare, work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'push', '--quiet', 'origin', 'main:production');
    git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/does-not-exist');
    const server = await serve(root);
    const src = await openSource({ repo: `${server.url}/repo.git`, ref: 'production', stateDir: fresh() });
    const { revision } = await src.resolve();
    expect(revision.revision).toBe(`production@sha1:${c1}`);
    expect((await src.listManifests(c1)).map((f) => f.path)).toEqual(['a.yaml']);
    // With no ref, HEAD is followed, and it names a branch that does not exist: a clear RefNotFound naming it, not isomorphic-git's "Could not find HEAD".
    const err = await caught((await openSource({ repo: `${server.url}/repo.git`, stateDir: fresh() })).resolve());
    expect(err.code).toBe('RefNotFound');
    expect(err.message).toContain("the remote's HEAD names no existing branch; pass --ref (branches: production; tags: none)");
    expect(err.message).toContain('branches: production');
  });

  test('with no --ref the remote HEAD is followed: a repository whose default branch is master resolves as master@sha1', async () => {
    const root = fresh();
    const { bare, work } = makeRemote(root);
    git(work, 'checkout', '--quiet', '-b', 'master');
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'push', '--quiet', 'origin', 'master', 'master:feature');
    git(bare, 'symbolic-ref', 'HEAD', 'refs/heads/master');
    const server = await serve(root);
    const src = await openSource({ repo: `${server.url}/repo.git`, stateDir: fresh() });
    const { revision } = await src.resolve();
    expect(revision.revision).toBe(`master@sha1:${c1}`);
    expect(revision.ref).toBe('master');
    // The next commit on master is found by the next resolve (the mirror fetched refs/heads/master).
    const c2 = commit(work, 'two', { 'a.yaml': 'a: 2\n' });
    git(work, 'push', '--quiet', 'origin', 'master');
    expect((await src.resolve(c1)).revision.revision).toBe(`master@sha1:${c2}`);
  });

  test('every file access goes through the injected fs: a disk that fills up while storing the pack leaves no clone behind', async () => {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    const server = await serve(root);
    const seen: string[] = [];
    let full = true;
    const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const recording = new Proxy(fs, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'promises') {
          return new Proxy(v as object, {
            get(t, p2) {
              const f = Reflect.get(t, p2) as (...a: unknown[]) => unknown;
              return typeof f === 'function' ? (...a: unknown[]) => (seen.push(`promises.${String(p2)}`), f.apply(t, a)) : f;
            },
          });
        }
        if (typeof v !== 'function') return v;
        return (...a: unknown[]) => {
          seen.push(String(prop));
          if (full && prop === 'writeFileSync' && String(a[0]).endsWith('.pack')) throw enospc();
          return (v as (...x: unknown[]) => unknown).apply(target, a);
        };
      },
    }) as typeof fs;
    const state = fresh();
    const src = await openSource({ repo: `${server.url}/repo.git`, stateDir: state, fs: recording });
    const err = await caught(src.resolve());
    expect(err.code).toBe('SourceUnreachable');
    expect(err.message).toContain('cannot store the fetched pack: ENOSPC');
    expect(fs.existsSync(path.join(state, 'sources')) ? fs.readdirSync(path.join(state, 'sources')) : []).toEqual([]);
    expect(seen).toEqual(expect.arrayContaining(['existsSync', 'rmSync', 'mkdirSync', 'writeFileSync', 'promises.writeFile', 'promises.readFile']));
    // Space freed: the same source clones and reads.
    full = false;
    expect((await src.resolve()).revision.commit).toBe(c1);
    expect((await src.listManifests(c1)).map((f) => f.path)).toEqual(['a.yaml']);
  });

  test('an unreachable server is SourceUnreachable (retryable); the existing clone is untouched and still readable', async () => {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    const server = await serve(root);
    const state = fresh();
    const url = `${server.url}/repo.git`;
    const src = await openSource({ repo: url, stateDir: state, timeoutMs: 2000 });
    await src.resolve();
    const clone = cloneDir(state);
    const before = new Map(listFilesRecursive(clone).map((f) => [f, fs.readFileSync(f)]));

    // A failing server (HTTP 500).
    server.mode = 'fail';
    const failing = await caught(src.resolve(c1));
    expect(failing.code).toBe('SourceUnreachable');
    expect(failing.details.retryable).toBe(true);
    expect(failing.message).toMatch(new RegExp(`^source ${url}: .*HTTP 500`));

    // A server that stops answering: the timeout turns it into SourceUnreachable too.
    server.mode = 'hang';
    const hanging = await caught((await openSource({ repo: url, stateDir: state, timeoutMs: 300 })).resolve(c1));
    expect(hanging.code).toBe('SourceUnreachable');
    expect(hanging.details.retryable).toBe(true);

    // Nothing listening at all.
    await server.close();
    const gone = await caught(src.resolve(c1));
    expect(gone.code).toBe('SourceUnreachable');
    expect(gone.details.retryable).toBe(true);
    expect(gone.message).toContain('ECONNREFUSED');

    const after = new Map(listFilesRecursive(clone).map((f) => [f, fs.readFileSync(f)]));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [f, b] of before) expect(after.get(f)!.equals(b)).toBe(true);
    expect((await src.listManifests(c1)).map((f) => f.path)).toEqual(['a.yaml']);
    expect((await src.readCommit(c1)).subject).toBe('one');

    // A closed port for a first clone leaves nothing behind.
    const state2 = fresh();
    const port = await closedPort();
    const never = await caught((await openSource({ repo: `http://127.0.0.1:${port}/repo.git`, stateDir: state2 })).resolve());
    expect(never.code).toBe('SourceUnreachable');
    expect(never.details.retryable).toBe(true);
    expect(listFilesRecursive(path.join(state2, 'sources'))).toEqual([]);
  });

  test('a fetch that breaks after the ref advertisement leaves the refs as they were', async () => {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    const server = await serve(root);
    const state = fresh();
    const src = await openSource({ repo: `${server.url}/repo.git`, stateDir: state });
    await src.resolve();
    const clone = cloneDir(state);
    commit(work, 'two', { 'a.yaml': 'a: 2\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    // Serve the ref listing, then fail the pack request.
    const origPush = server.requests.push.bind(server.requests);
    server.requests.push = (...items) => {
      if (items.some((r) => r.method === 'POST')) server.mode = 'fail';
      return origPush(...items);
    };
    const err = await caught(src.resolve(c1));
    expect(err.code).toBe('SourceUnreachable');
    expect(git(clone, 'rev-parse', 'refs/heads/main')).toBe(c1);
    execFileSync('git', ['--git-dir', clone, 'fsck', '--no-dangling'], { stdio: 'pipe' });
  });
});

describe('remote authentication', () => {
  const PASSWORD = 'pw-Sup3r-s3cret-value';
  const TOKEN = 'tok-9f8e7d6c5b4a-secret';

  async function remoteWith(auth: ServerAuth) {
    const root = fresh();
    const { work } = makeRemote(root);
    const c1 = commit(work, 'one', { 'a.yaml': 'a: 1\n' });
    git(work, 'push', '--quiet', 'origin', 'main');
    const server = await serve(root, auth);
    return { url: `${server.url}/repo.git`, c1, server };
  }

  test('basic auth: right credentials clone; wrong ones are AuthFailed; the password is in no message and no state file', async () => {
    const { url, c1 } = await remoteWith({ basic: { username: 'alice', password: PASSWORD } });
    const state = fresh();
    const ok = await openSource({ repo: url, stateDir: state, credentials: { username: 'alice', password: PASSWORD } });
    expect((await ok.resolve()).revision.commit).toBe(c1);

    const bad = await caught((await openSource({ repo: url, stateDir: state, credentials: { username: 'alice', password: `${PASSWORD}-wrong` } })).resolve());
    expect(bad.code).toBe('AuthFailed');
    expect(bad.details.retryable).toBe(false);
    expect(bad.message).toMatch(new RegExp(`^source ${url}: `));
    const none = await caught((await openSource({ repo: url, stateDir: fresh() })).resolve());
    expect(none.code).toBe('AuthFailed');
    expect(none.message).toContain('no credentials given');

    // Credentials in the URL work too, and are scrubbed from the subject and from disk.
    const withUserinfo = url.replace('http://', `http://alice:${PASSWORD}@`);
    const state2 = fresh();
    const inUrl = await openSource({ repo: withUserinfo, stateDir: state2 });
    expect((await inUrl.resolve()).revision.commit).toBe(c1);
    const wrongInUrl = await caught((await openSource({ repo: url.replace('http://', `http://alice:${PASSWORD}x@`), stateDir: fresh() })).resolve());
    expect(wrongInUrl.code).toBe('AuthFailed');
    expect(wrongInUrl.message.startsWith(`source ${url}: `)).toBe(true);

    for (const e of [bad, none, wrongInUrl]) {
      expect(everythingAbout(e)).not.toContain(PASSWORD);
      expect(everythingAbout(e)).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
    }
    // The clone records the remote URL — without its userinfo.
    expect(listFilesRecursive(state).length).toBeGreaterThanOrEqual(4);
    expect(filesContaining(state2, url.replace('http://', '')).length).toBeGreaterThan(0);
    expect(filesContaining(state, PASSWORD)).toEqual([]);
    expect(filesContaining(state2, PASSWORD)).toEqual([]);
    expect(filesContaining(state2, Buffer.from(`alice:${PASSWORD}`).toString('base64'))).toEqual([]);
  });

  test('bearer token: the right token clones; a wrong one is AuthFailed; the token is in no message and no state file', async () => {
    const { url, c1 } = await remoteWith({ bearer: TOKEN });
    const state = fresh();
    const ok = await openSource({ repo: url, stateDir: state, credentials: { token: TOKEN } });
    expect((await ok.resolve()).revision.commit).toBe(c1);
    expect((await ok.listManifests(c1)).map((f) => f.path)).toEqual(['a.yaml']);

    const bad = await caught((await openSource({ repo: url, stateDir: state, credentials: { token: `${TOKEN}x` } })).resolve());
    expect(bad.code).toBe('AuthFailed');
    expect(everythingAbout(bad)).not.toContain(TOKEN);
    const basicInstead = await caught((await openSource({ repo: url, stateDir: fresh(), credentials: { username: 'x', password: TOKEN } })).resolve());
    expect(basicInstead.code).toBe('AuthFailed');
    expect(everythingAbout(basicInstead)).not.toContain(TOKEN);
    expect(filesContaining(state, TOKEN)).toEqual([]);
  });
});
