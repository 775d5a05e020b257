/**
 * The native object reader (pack.ts) and tree parser (tree.ts `parseTree`) against isomorphic-git
 * on real repositories written by the git CLI: loose objects, packs with offset deltas, packs with
 * ref deltas, several packs at once — every blob and tree must read the same, and whatever the
 * native path declines (corrupt packs, unusual trees) must still be read or refused by isomorphic-git.
 */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, test } from 'vitest';
import { openSource } from '../../src/source/index.js';
import { NativeObjects, applyDelta, parseCommit } from '../../src/source/pack.js';
import { RepositoryReader } from '../../src/source/repository.js';
import { parseTree } from '../../src/source/tree.js';
import { execFileSync } from 'node:child_process';
import { commit, git as gitCli, initRepo, tempDirs } from './helpers.js';

const fresh = tempDirs();

/** history writes commits whose files share most of their lines (so a repack makes deltas) across nested folders. */
function history(repo: string): void {
  for (let c = 0; c < 4; c++) {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) {
      const body = Array.from({ length: 40 }, (_, k) => `  key${k}: value-${k}-${k % 7 === 0 ? c : 0}`).join('\n');
      files[`apps/team-${i % 3}/app-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${i}\ndata:\n${body}\n`;
    }
    files['README.md'] = `revision ${c}\n`;
    files[`docs/notes-${c}.json`] = JSON.stringify({ c });
    commit(repo, `c${c}`, files);
  }
}

function objectsOf(repo: string): { oid: string; type: string }[] {
  const oids = gitCli(repo, 'rev-list', '--objects', '--all').split('\n').map((l) => l.split(' ')[0]!);
  const types = gitCli(repo, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)');
  const typeOf = new Map(types.split('\n').map((l) => l.split(' ') as [string, string]));
  return oids.map((oid) => ({ oid, type: typeOf.get(oid)! }));
}

function deltaKinds(repo: string): { ofs: number; ref: number } {
  // verify-pack marks a deltified object with its depth and base; whether offset or ref deltas are used depends on how the pack was written.
  const out = { ofs: 0, ref: 0 };
  for (const idx of fs.readdirSync(path.join(repo, '.git', 'objects', 'pack')).filter((n) => n.endsWith('.idx'))) {
    const lines = gitCli(repo, 'verify-pack', '-v', path.join(repo, '.git', 'objects', 'pack', idx)).split('\n');
    const deltas = lines.filter((l) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l)).length;
    if (deltas > 0) out[/ref/.test(idx) ? 'ref' : 'ofs'] += deltas;
  }
  return out;
}

const pick = (p: { name: string; email: string; timestamp: number }) => ({ name: p.name, email: p.email, timestamp: p.timestamp });

/** sameAsIsomorphicGit reads every blob and tree both ways; returns how many the native path read itself. */
async function sameAsIsomorphicGit(repo: string): Promise<number> {
  const gitdir = path.join(repo, '.git');
  const native = new NativeObjects(fs, { gitdir });
  let read = 0;
  for (const { oid, type } of objectsOf(repo)) {
    if (type === 'blob') {
      const mine = await native.readAs(oid, 'blob');
      expect(mine, `blob ${oid}`).toBeDefined();
      expect(Buffer.compare(mine!, Buffer.from((await git.readBlob({ fs, gitdir, oid })).blob))).toBe(0);
      expect(await native.readAs(oid, 'tree')).toBeUndefined();
      read++;
    } else if (type === 'commit') {
      const mine = parseCommit((await native.readAs(oid, 'commit'))!);
      const { commit: theirs } = await git.readCommit({ fs, gitdir, oid });
      expect(mine).toEqual({ tree: theirs.tree, parent: theirs.parent, author: pick(theirs.author), committer: pick(theirs.committer), message: theirs.message });
      read++;
    } else if (type === 'tree') {
      const raw = await native.readAs(oid, 'tree');
      expect(raw, `tree ${oid}`).toBeDefined();
      const theirs = (await git.readTree({ fs, gitdir, oid })).tree.map((e) => ({ name: e.path, mode: e.mode, oid: e.oid, type: e.type }));
      expect(parseTree(raw!)).toEqual(theirs);
      read++;
    }
  }
  return read;
}

describe('native object reader', () => {
  test('reads loose objects as isomorphic-git does', async () => {
    const repo = initRepo(fresh());
    history(repo);
    expect(fs.readdirSync(path.join(repo, '.git', 'objects', 'pack'))).toEqual([]);
    expect(await sameAsIsomorphicGit(repo)).toBeGreaterThan(100);
  });

  test('reads packs with offset deltas, packs with ref deltas and loose objects side by side', async () => {
    const repo = initRepo(fresh());
    history(repo);
    gitCli(repo, '-c', 'repack.useDeltaBaseOffset=false', 'repack', '-a', '-d', '-f', '-q');
    // Rename the ref-delta pack so deltaKinds can tell the packs apart, then add an offset-delta pack of newer commits and loose objects.
    const packDir = path.join(repo, '.git', 'objects', 'pack');
    for (const n of fs.readdirSync(packDir)) fs.renameSync(path.join(packDir, n), path.join(packDir, n.replace(/^pack-/, 'pack-ref-')));
    commit(repo, 'more', { 'apps/team-0/app-0.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-0\ndata:\n  key0: changed\n' });
    gitCli(repo, 'repack', '-d', '-q');
    commit(repo, 'loose', { 'apps/new.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: new\n' });
    const kinds = deltaKinds(repo);
    expect(kinds.ref).toBeGreaterThan(0);
    expect(fs.readdirSync(packDir).filter((n) => n.endsWith('.idx')).length).toBe(2);
    expect(await sameAsIsomorphicGit(repo)).toBeGreaterThan(100);
  });

  test('reads an aggressively packed repository (offset deltas) as isomorphic-git does', async () => {
    const repo = initRepo(fresh());
    history(repo);
    gitCli(repo, 'gc', '--aggressive', '--quiet');
    expect(deltaKinds(repo).ofs).toBeGreaterThan(0);
    expect(await sameAsIsomorphicGit(repo)).toBeGreaterThan(100);
  });

  test('declines what it cannot read: a corrupt pack, a missing object, another type, a malformed id', async () => {
    const repo = initRepo(fresh());
    history(repo);
    gitCli(repo, 'gc', '--quiet');
    const gitdir = path.join(repo, '.git');
    const blob = gitCli(repo, 'rev-parse', 'HEAD:README.md');
    const tree = gitCli(repo, 'rev-parse', 'HEAD^{tree}');
    const blobs = objectsOf(repo).filter((o) => o.type === 'blob');
    const native = new NativeObjects(fs, { gitdir });
    expect((await native.readAs(blob, 'blob'))!.toString()).toBe('revision 3\n');
    expect(await native.readAs(tree, 'blob')).toBeUndefined();
    expect(await native.readAs('0'.repeat(40), 'blob')).toBeUndefined();
    expect(await native.readAs('not-an-oid', 'blob')).toBeUndefined();

    // Flip bytes in the middle of the pack (the trailer still matches the index): the content no longer hashes to it, so nothing is read from it.
    const packDir = path.join(gitdir, 'objects', 'pack');
    const pack = path.join(packDir, fs.readdirSync(packDir).find((n) => n.endsWith('.pack'))!);
    const bytes = fs.readFileSync(pack);
    fs.chmodSync(pack, 0o644);
    bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
    fs.writeFileSync(pack, bytes);
    const broken = new NativeObjects(fs, { gitdir });
    for (const { oid } of blobs) expect(await broken.readAs(oid, 'blob')).toBeUndefined();
  });

  test.each([
    ['its trailer', (b: Buffer) => (b[b.length - 1] ^= 0xff), /Packfile trailer mismatch/],
    ['its content', (b: Buffer) => (b[Math.floor(b.length / 2)] ^= 0x5a), /Packfile payload corrupted/],
  ])('a source over a pack damaged in %s still fails as isomorphic-git reports it', async (_what, damage, error) => {
    const repo = initRepo(fresh());
    history(repo);
    gitCli(repo, 'gc', '--quiet');
    const head = gitCli(repo, 'rev-parse', 'HEAD');
    const src = await openSource({ repo, ref: 'main', stateDir: fresh() });
    await src.resolve();
    const files = await src.listManifests(head);
    const packDir = path.join(repo, '.git', 'objects', 'pack');
    const pack = path.join(packDir, fs.readdirSync(packDir).find((n) => n.endsWith('.pack'))!);
    const bytes = fs.readFileSync(pack);
    fs.chmodSync(pack, 0o644);
    damage(bytes);
    fs.writeFileSync(pack, bytes);
    const again = await openSource({ repo, ref: 'main', stateDir: fresh() });
    await expect(again.readBlobBytes(files.map((f) => f.oid))).rejects.toThrow(error);
  });

  test('applyDelta copies from the base and inserts new bytes, and refuses a delta that reaches outside', () => {
    const base = Buffer.from('hello, world');
    // base size 12, result size 13: copy 7 bytes from 0 ("hello, "), insert "there!".
    const delta = Buffer.from([12, 13, 0x80 | 0x10, 7, 6, ...Buffer.from('there!')]);
    expect(applyDelta(delta, base).toString()).toBe('hello, there!');
    expect(() => applyDelta(Buffer.from([12, 20, 0x80 | 0x01 | 0x10, 10, 5]), base)).toThrow(/outside its base/);
    expect(() => applyDelta(Buffer.from([11, 1, 1, 0x41]), base)).toThrow(/base size/);
  });
});

describe('parseTree', () => {
  const entry = (mode: string, name: string | Buffer, oid = 'ab'.repeat(20)) => Buffer.concat([Buffer.from(`${mode} `), Buffer.isBuffer(name) ? name : Buffer.from(name), Buffer.from([0]), Buffer.from(oid, 'hex')]);

  test('normalises modes and sorts by name as isomorphic-git does', () => {
    const t = parseTree(Buffer.concat([entry('100644', 'b.yaml'), entry('40000', 'a'), entry('120000', 'link'), entry('160000', 'sub'), entry('100755', 'B.sh')]))!;
    expect(t.map((e) => [e.name, e.mode, e.type])).toEqual([
      ['B.sh', '100755', 'blob'],
      ['a', '040000', 'tree'],
      ['b.yaml', '100644', 'blob'],
      ['link', '120000', 'blob'],
      ['sub', '160000', 'commit'],
    ]);
  });

  test('leaves unsafe names, non-ASCII names, unknown modes and truncated entries to isomorphic-git', () => {
    for (const name of ['.git', '.GIT', '.git.', 'git~1', '.git:stream', '..', '.', 'a\\b']) expect(parseTree(entry('40000', name)), name).toBeUndefined();
    expect(parseTree(entry('100644', Buffer.from('café.yaml')))).toBeUndefined();
    expect(parseTree(entry('100664', 'old.yaml'))).toBeUndefined();
    expect(parseTree(entry('100644', 'a.yaml').subarray(0, 20))).toBeUndefined();
    expect(parseTree(Buffer.alloc(0))).toEqual([]);
  });
});

describe('parseCommit', () => {
  /** hashCommit writes a commit object with exactly this text (git checks little of it with --literally). */
  const hashCommit = (repo: string, text: string) =>
    execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin', '--literally'], { cwd: repo, input: text, encoding: 'utf8' }).trim();

  test('reads merges, signatures, repeated headers and odd messages as isomorphic-git does, and leaves broken commits to it', async () => {
    const repo = initRepo(fresh());
    const a = commit(repo, 'a', { 'a.yaml': 'a: 1\n' });
    gitCli(repo, 'checkout', '-q', '-b', 'side');
    const b = commit(repo, 'b', { 'b.yaml': 'b: 1\n' });
    gitCli(repo, 'checkout', '-q', 'main');
    commit(repo, 'c', { 'c.yaml': 'c: 1\n' });
    gitCli(repo, 'merge', '-q', '--no-edit', 'side');
    const tree = gitCli(repo, 'rev-parse', 'HEAD^{tree}');
    const who = 'Ada Author <ada@example.com> 1700000000 +0200';
    const texts = [
      `tree ${tree}\nparent ${a}\nparent ${b}\nauthor ${who}\ncommitter ${who}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned\n\nbody\n`,
      `tree ${tree}\nauthor ${who}\ncommitter C <c@x> 1700000001 -0130\nencoding ISO-8859-1\nauthor Second <s@x> 1 +0000\n\n\n\r\nsubject with CRLF\r\n\r\n\n\n`,
      `tree ${tree}\nauthor  <> 0 +0000\ncommitter <weird> name <e> 5 +0000\n\n`,
    ];
    const gitdir = path.join(repo, '.git');
    for (const text of texts) {
      const oid = hashCommit(repo, text);
      const mine = parseCommit(Buffer.from(text));
      const { commit: theirs } = await git.readCommit({ fs, gitdir, oid });
      expect(mine).toEqual({ tree: theirs.tree, parent: theirs.parent, author: pick(theirs.author), committer: pick(theirs.committer), message: theirs.message });
    }
    for (const broken of [`parent ${a}\ntree ${tree}\nauthor ${who}\ncommitter ${who}\n\nx\n`, `tree ${tree}\nauthor nobody\ncommitter ${who}\n\nx\n`, `tree ${tree}\ncommitter ${who}\n\nx\n`, `tree ${tree}\nauthor ${who}\ncommitter ${who}\n`]) {
      expect(parseCommit(Buffer.from(broken)), broken).toBeUndefined();
    }
    expect(await sameAsIsomorphicGit(repo)).toBeGreaterThan(5);
  });
});

describe('shared object store', () => {
  test('a source opened with shareWith shares the object store of the same repository, and reads the same', async () => {
    const repo = initRepo(fresh());
    history(repo);
    const base = await openSource({ repo, ref: gitCli(repo, 'rev-parse', 'HEAD~1'), stateDir: fresh() });
    const head = await openSource({ repo, ref: 'main', stateDir: fresh(), shareWith: base });
    const alone = await openSource({ repo, ref: 'main', stateDir: fresh() });
    expect((head as RepositoryReader).objectStore).toBe((base as RepositoryReader).objectStore);
    expect((alone as RepositoryReader).objectStore).not.toBe((base as RepositoryReader).objectStore);
    const b = (await base.resolve()).revision.commit;
    const h = (await head.resolve()).revision.commit;
    expect(b).not.toBe(h);
    expect(await head.listManifests(h)).toEqual(await alone.listManifests(h));
    expect(await base.listManifests(b)).not.toEqual(await head.listManifests(h));

    const other = initRepo(fresh());
    commit(other, 'x', { 'a.yaml': 'x: 1\n' });
    const unrelated = await openSource({ repo: other, ref: 'main', stateDir: fresh(), shareWith: base });
    expect((unrelated as RepositoryReader).objectStore).not.toBe((base as RepositoryReader).objectStore);
  });
});
