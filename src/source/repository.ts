/**
 * RepositoryReader: everything a Git source does with a repository's object store — resolve a ref
 * through its strategy, read trees and blobs at a commit, diff two commits, walk history. The two
 * strategies (a local repository read in place, a remote mirrored into the state dir) differ only
 * in how they find the commit a ref names; see local.ts and remote.ts. Every file access goes
 * through the injected fs.
 */
import git, { type PromiseFsClient } from 'isomorphic-git';
import { FileSystem } from 'isomorphic-git/models';
import nodePath from 'node:path';
import { MfluxError, isMfluxError } from '../core/errors.js';
import { CachingFs, type SourceFs } from './cachefs.js';
import { type CommitFields, NativeObjects, parseCommit } from './pack.js';
import { formatRevision, isShaLike, type RefKind } from './revision.js';
import { TreeReader, type GitContext } from './tree.js';
import type { DirEntry, GitSource, GitRevision, TreeFile } from './types.js';

const READ_CONCURRENCY = 8;

/** ResolvedRef is what a strategy found: the commit, what kind of ref led there, and the ref's name (the branch HEAD names when no ref was given). */
export interface ResolvedRef {
  commit: string;
  kind: RefKind;
  ref: string;
}

/** RepositoryOptions are what both strategies share: the subject for messages, the object store, the configured ref (undefined: the repository's HEAD), the path and the fs. */
export interface RepositoryOptions {
  subject: string;
  gitdir: string;
  ref: string | undefined;
  pathSegs: string[];
  fs: SourceFs;
  /** store is another source's ObjectStore of the same git directory and fs, to share instead of making a new one. */
  store?: ObjectStore;
}

/**
 * ObjectStore is what sources reading one repository (at different refs, as base and head of a
 * check) can share, since objects never change: the caching fs, isomorphic-git's context and
 * cache, parsed trees, the native reader and commits' root trees.
 */
export interface ObjectStore {
  gitdir: string;
  fs: SourceFs;
  cachingFs: CachingFs;
  ctx: GitContext;
  tree: TreeReader;
  native: NativeObjects;
  roots: Map<string, string>;
  knownPacks: Set<string>;
}

function newObjectStore(o: RepositoryOptions): ObjectStore {
  const cachingFs = new CachingFs({ fs: o.fs });
  // Wrapped once: isomorphic-git takes an already wrapped fs as it is, instead of binding a new wrapper on every call.
  const ctx: GitContext = { fs: new FileSystem(cachingFs) as unknown as PromiseFsClient, gitdir: o.gitdir, cache: {} };
  const native = new NativeObjects(o.fs, ctx);
  return { gitdir: o.gitdir, fs: o.fs, cachingFs, ctx, tree: new TreeReader(ctx, o.subject, native), native, roots: new Map(), knownPacks: new Set() };
}

interface CommitInfo {
  oid: string;
  parents: string[];
  committerTime: number;
  subject: string;
  author: string;
  authorEmail: string;
  time: number;
}

/** RepositoryReader implements GitSource over one object store; subclasses say how a ref is resolved. */
export abstract class RepositoryReader implements GitSource {
  protected readonly cachingFs: CachingFs;
  protected readonly ctx: GitContext;
  protected readonly fs: SourceFs;
  protected readonly subject: string;
  /** ref is the ref as configured; undefined means the repository's own HEAD. */
  protected readonly ref: string | undefined;
  protected readonly pathSegs: string[];
  private readonly tree: TreeReader;
  /** native reads blobs and trees with Node's zlib; what it cannot read, isomorphic-git does. */
  protected readonly native: NativeObjects;
  private readonly store: ObjectStore;
  private kind: RefKind | undefined;
  private resolvedRef: string | undefined;

  constructor(o: RepositoryOptions) {
    this.subject = o.subject;
    this.ref = o.ref;
    this.pathSegs = o.pathSegs;
    this.fs = o.fs;
    this.store = o.store && o.store.gitdir === o.gitdir && o.store.fs === o.fs ? o.store : newObjectStore(o);
    this.cachingFs = this.store.cachingFs;
    this.ctx = this.store.ctx;
    this.tree = this.store.tree;
    this.native = this.store.native;
  }

  /** objectStore is what another source of the same repository may share (openSource's `shareWith`). */
  get objectStore(): ObjectStore {
    return this.store;
  }

  /** localGitDir is the object store a watcher watches; only a local repository has one. */
  get localGitDir(): string | undefined {
    return undefined;
  }

  /** refLabel names the ref in messages: the configured one, or HEAD. */
  protected get refLabel(): string {
    return this.ref ?? 'HEAD';
  }

  /** resolveRef is the strategy: find the commit the configured ref (or HEAD) names, fetching first if needed. */
  protected abstract resolveRef(): Promise<ResolvedRef>;

  // ---- resolve -------------------------------------------------------------------------------

  async resolve(previousCommit?: string): Promise<{ revision: GitRevision; warnings: string[] }> {
    this.startSession();
    const { commit, kind, ref } = await this.resolveRef();
    this.kind = kind;
    this.resolvedRef = ref;
    const warnings: string[] = [];
    if (previousCommit && previousCommit !== commit) {
      const warning = await this.checkAncestry(previousCommit, commit);
      if (warning) warnings.push(warning);
    }
    return { revision: this.describe(await this.commitInfo(commit)), warnings };
  }

  /** startSession drops cached directory listings, and the object cache when a pack disappeared (gc/repack). */
  private startSession(): void {
    this.cachingFs.reset();
    let packs: string[] = [];
    try {
      packs = this.fs.readdirSync(nodePath.join(this.ctx.gitdir, 'objects', 'pack'));
    } catch {
      packs = [];
    }
    const now = new Set(packs);
    const known = this.store.knownPacks;
    const gone = [...known].some((p) => !now.has(p));
    if (gone) this.ctx.cache = {};
    // New packs (a fetch) or gone ones (gc): the native readers list them again.
    if (gone || now.size !== known.size) this.objectsChanged();
    this.store.knownPacks = now;
  }

  private async checkAncestry(previous: string, commit: string): Promise<string | undefined> {
    const short = (s: string) => s.slice(0, 7);
    if (!(await this.hasObject(previous))) {
      return `force-push detected: previous commit ${short(previous)} is no longer in the history of ${this.refLabel} (now at ${short(commit)})`;
    }
    let descends: boolean;
    try {
      descends = await git.isDescendent({ ...this.ctx, oid: commit, ancestor: previous, depth: -1 });
    } catch {
      descends = false;
    }
    if (descends) return undefined;
    return `force-push detected: previous commit ${short(previous)} is not an ancestor of ${this.refLabel} at ${short(commit)}; reconciling the new head`;
  }

  /** objectsChanged makes the native reader list the packs again (a fetch wrote one; gc removed some). */
  protected objectsChanged(): void {
    this.store.native.reset();
  }

  // ---- objects -------------------------------------------------------------------------------

  protected async hasObject(oid: string): Promise<boolean> {
    if (await this.native.readAny(oid)) return true;
    try {
      await git.readObject({ ...this.ctx, oid, format: 'deflated' });
      return true;
    } catch {
      return false;
    }
  }

  protected async isCommitish(oid: string): Promise<boolean> {
    try {
      await this.peel(oid);
      return true;
    } catch {
      return false;
    }
  }

  protected async expandLocal(short: string): Promise<string | undefined> {
    try {
      return await git.expandOid({ ...this.ctx, oid: short.toLowerCase() });
    } catch (err) {
      if ((err as { code?: string }).code === 'AmbiguousError') {
        throw new MfluxError('RefNotFound', `short SHA ${short} is ambiguous`, { subject: this.subject, details: { ref: short, retryable: false } });
      }
      return undefined;
    }
  }

  /** peel follows annotated tags down to the commit they name. */
  protected async peel(oid: string): Promise<string> {
    // The common case, a commit, without isomorphic-git (which would load every pack index to find it).
    if ((await this.native.readAny(oid))?.type === 'commit') return oid;
    let cur = oid;
    for (let i = 0; i < 10; i++) {
      const o = await this.withRetry(() => git.readObject({ ...this.ctx, oid: cur }), `object ${cur}`);
      if (o.type === 'commit') return cur;
      if (o.type === 'tag') {
        cur = (o.object as { object: string }).object;
        continue;
      }
      break;
    }
    throw new MfluxError('RefNotFound', `${this.refLabel} names ${oid.slice(0, 7)}, which is not a commit`, {
      subject: this.subject,
      details: { ref: this.refLabel, retryable: false },
    });
  }

  /** withRetry retries once with fresh directory listings when an object seems missing (written since the listing was cached). */
  protected async withRetry<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFoundError') throw err;
      this.cachingFs.reset();
      try {
        return await fn();
      } catch (again) {
        if ((again as { code?: string }).code === 'NotFoundError') {
          throw new MfluxError('NotFound', `${what} not found in the repository`, { subject: this.subject, details: { retryable: false } });
        }
        throw again;
      }
    }
  }

  /** commitOid accepts a full or short commit SHA (or an annotated tag's) and returns the commit's full SHA. */
  private async commitOid(sha: string): Promise<string> {
    let oid = sha.toLowerCase();
    if (!/^[0-9a-f]{40}$/.test(oid)) {
      const full = isShaLike(oid) ? await this.expandLocal(oid) : undefined;
      if (!full) {
        throw new MfluxError('NotFound', `commit ${sha} not found in the repository`, { subject: this.subject, details: { retryable: false } });
      }
      oid = full;
    }
    return this.peel(oid);
  }

  /** readCommitFields reads a commit natively when it can, else through isomorphic-git (which also peels tags and reports what is wrong). */
  private async readCommitFields(oid: string): Promise<CommitFields> {
    const raw = await this.native.readAs(oid, 'commit');
    const fast = raw && parseCommit(raw);
    if (fast) return fast;
    return (await this.withRetry(() => git.readCommit({ ...this.ctx, oid }), `commit ${oid}`)).commit;
  }

  private async commitInfo(sha: string): Promise<CommitInfo> {
    const oid = await this.commitOid(sha);
    const commit = await this.readCommitFields(oid);
    return {
      oid,
      parents: commit.parent,
      committerTime: commit.committer.timestamp,
      subject: commit.message.split('\n')[0]!.trim(),
      author: commit.author.name,
      authorEmail: commit.author.email,
      time: commit.author.timestamp * 1000,
    };
  }

  private async rootTree(sha: string): Promise<string> {
    // A commit's tree never changes: a render asks for it once per folder it lists.
    const roots = this.store.roots;
    const known = roots.get(sha);
    if (known) return known;
    const oid = await this.commitOid(sha);
    const commit = await this.readCommitFields(oid);
    if (roots.size > 1000) roots.clear();
    roots.set(sha, commit.tree);
    return commit.tree;
  }

  /**
   * headBranch names the branch HEAD points at without fetching anything, when the strategy can
   * tell (a local repository can); it names revisions read before the first resolve.
   */
  protected async headBranch(): Promise<string | undefined> {
    return undefined;
  }

  /** learnRefName fills in the ref name before the first resolve, so revisions read early name the branch too. */
  private async learnRefName(): Promise<void> {
    if (this.resolvedRef === undefined && this.ref === undefined) this.resolvedRef = await this.headBranch();
  }

  private describe(c: CommitInfo): GitRevision {
    // Before the first resolve the kind is guessed from the ref's shape.
    const ref = this.resolvedRef ?? this.ref ?? 'HEAD';
    const kind = this.kind ?? (isShaLike(ref) ? 'sha' : 'branch');
    return {
      ref,
      commit: c.oid,
      revision: formatRevision(ref, kind, c.oid),
      subject: c.subject,
      author: c.author,
      authorEmail: c.authorEmail,
      time: c.time,
    };
  }

  // ---- reading -------------------------------------------------------------------------------

  async listManifests(commit: string, onFile?: (f: TreeFile) => void): Promise<TreeFile[]> {
    const root = await this.rootTree(commit);
    return this.withRetry(() => this.tree.list(root, this.pathSegs, commit, onFile), `tree of ${commit}`);
  }

  get path(): string {
    return this.pathSegs.join('/');
  }

  async listDir(commit: string, dir: string): Promise<DirEntry[] | null> {
    const root = await this.rootTree(commit);
    const segs = dir.split('/').filter((s) => s !== '' && s !== '.');
    if (segs.includes('..')) throw new MfluxError('PathEscape', `${dir} leads outside the repository`, { subject: this.subject, details: { path: dir } });
    return this.withRetry(() => this.tree.dir(root, segs), `tree of ${commit}`);
  }

  async readBlobs(oids: string[]): Promise<Map<string, string>> {
    const bytes = await this.readBlobBytes(oids);
    return new Map([...bytes].map(([oid, b]) => [oid, Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')]));
  }

  async readBlobBytes(oids: string[]): Promise<Map<string, Uint8Array>> {
    const unique = [...new Set(oids)];
    const blobs: Uint8Array[] = new Array(unique.length);
    let next = 0;
    const worker = async () => {
      while (next < unique.length) {
        const i = next++;
        const oid = unique[i]!;
        const native = await this.native.readAs(oid, 'blob');
        blobs[i] = native ?? (await this.withRetry(() => git.readBlob({ ...this.ctx, oid }), `blob ${oid}`)).blob;
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, unique.length) }, worker));
    // In the order asked for, whatever order the reads finished in.
    return new Map(unique.map((oid, i) => [oid, blobs[i]!]));
  }

  async changedPaths(fromCommit: string, toCommit: string): Promise<string[]> {
    const a = await this.rootTree(fromCommit);
    const b = await this.rootTree(toCommit);
    return this.withRetry(() => this.tree.changed(a, b, this.pathSegs, [fromCommit, toCommit]), `trees of ${fromCommit}..${toCommit}`);
  }

  async readCommit(commit: string): Promise<GitRevision> {
    await this.learnRefName();
    return this.describe(await this.commitInfo(commit));
  }

  /**
   * commitsBetween paints commits reachable from `from` (uninteresting) and from `to`
   * (interesting), newest committer time first, until only uninteresting ones are left to walk;
   * the commits painted interesting only are returned parents-first (oldest first).
   */
  async commitsBetween(from: string, to: string): Promise<GitRevision[]> {
    const UNINTERESTING = 1;
    const INTERESTING = 2;
    await this.learnRefName();
    const fromOid = await this.commitOid(from);
    const toOid = await this.commitOid(to);
    const flags = new Map<string, number>();
    const infos = new Map<string, CommitInfo>();
    const queue: CommitInfo[] = [];
    const enqueue = async (oid: string, flag: number) => {
      const old = flags.get(oid) ?? 0;
      if ((old | flag) === old) return;
      flags.set(oid, old | flag);
      let info = infos.get(oid);
      if (!info) {
        info = await this.commitInfo(oid);
        infos.set(oid, info);
      }
      if (!queue.includes(info)) queue.push(info);
      queue.sort((x, y) => y.committerTime - x.committerTime);
    };
    await enqueue(fromOid, UNINTERESTING);
    await enqueue(toOid, INTERESTING);
    while (queue.some((c) => !((flags.get(c.oid) ?? 0) & UNINTERESTING))) {
      const c = queue.shift()!;
      const f = flags.get(c.oid) ?? 0;
      for (const p of c.parents) {
        try {
          await enqueue(p, f);
        } catch (err) {
          if (isMfluxError(err, 'NotFound')) continue; // shallow history
          throw err;
        }
      }
    }
    const wanted = (oid: string) => flags.get(oid) === INTERESTING;
    // Parents before children: iterative post-order from `to`.
    const out: GitRevision[] = [];
    const done = new Set<string>();
    const stack: { oid: string; i: number }[] = wanted(toOid) ? [{ oid: toOid, i: 0 }] : [];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const info = infos.get(top.oid)!;
      if (top.i < info.parents.length) {
        const p = info.parents[top.i++]!;
        if (wanted(p) && !done.has(p) && infos.has(p) && !stack.some((s) => s.oid === p)) stack.push({ oid: p, i: 0 });
        continue;
      }
      stack.pop();
      if (!done.has(top.oid)) {
        done.add(top.oid);
        out.push(this.describe(info));
      }
    }
    return out;
  }
}
