/**
 * The Git source: a local repository read in place (committed objects only, never the working
 * tree) or an http(s) remote cloned once into `<state>/sources/` and fetched incrementally.
 * Everything goes through isomorphic-git with a caching fs and a shared object cache.
 */
import { createHash, randomUUID } from 'node:crypto';
import nodeFs from 'node:fs';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import git, { type PromiseFsClient } from 'isomorphic-git';
import { FileSystem } from 'isomorphic-git/models';
import { MfluxError, isMfluxError } from '../core/errors.js';
import { CachingFs } from './cachefs.js';
import { authHeaders, isRemoteUrl, scrub, secretsOf, splitUrlCredentials } from './credentials.js';
import { makeHttpClient, type HttpClient } from './http.js';
import { checkPack, fetchPack } from './upload-pack.js';
import { formatRevision, isShaLike, type RefKind } from './revision.js';
import { TreeReader, normalizeRepoPath, type GitContext } from './tree.js';
import type { Credentials, GitSource, Revision, SourceOptions, TreeFile } from './types.js';

const DEFAULT_TIMEOUT_MS = 60_000;
const READ_CONCURRENCY = 8;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** openSource opens a repository; a remote one is not contacted until the first resolve(). */
export async function openSource(opts: SourceOptions): Promise<GitSource> {
  const ref = opts.ref && opts.ref.trim() ? opts.ref.trim() : 'main';
  if (isRemoteUrl(opts.repo)) {
    const { url, credentials: fromUrl } = splitUrlCredentials(opts.repo);
    const credentials = mergeCredentials(fromUrl, opts.credentials);
    const subject = `source ${url}`;
    const pathSegs = normalizeRepoPath(opts.path ?? '', subject);
    const gitdir = nodePath.join(nodePath.resolve(opts.stateDir), 'sources', cloneDirName(url));
    return new GitSourceImpl({
      subject,
      gitdir,
      ref,
      pathSegs,
      remote: { url, credentials, http: makeHttpClient(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) },
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.repo) && !/^file:\/\//i.test(opts.repo)) {
    throw new MfluxError('Usage', 'only local directories and http(s) URLs are supported', { subject: `source ${scrub(opts.repo, [])}`, details: { retryable: false } });
  }
  const dir = /^file:\/\//i.test(opts.repo) ? fileURLToPath(opts.repo) : nodePath.resolve(opts.repo);
  const subject = `source ${opts.repo}`;
  const pathSegs = normalizeRepoPath(opts.path ?? '', subject);
  return new GitSourceImpl({ subject, gitdir: findGitDir(dir, subject), ref, pathSegs });
}

function mergeCredentials(a: Credentials | undefined, b: Credentials | undefined): Credentials | undefined {
  if (!a && !b) return undefined;
  return { ...a, ...b };
}

/** cloneDirName names a remote's clone after its last path segment and a hash of its (credential-free) URL. */
function cloneDirName(url: string): string {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 12);
  const last = url.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop() ?? 'repo';
  const name = last.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'repo';
  return `${name}-${hash}.git`;
}

/** findGitDir finds the object store of a local repository: `DIR/.git`, a `.git` file's gitdir, or DIR itself when bare. */
function findGitDir(dir: string, subject: string): string {
  const notRepo = () => new MfluxError('NotFound', 'not a git repository', { subject, details: { retryable: false } });
  let st: nodeFs.Stats;
  try {
    st = nodeFs.statSync(dir);
  } catch {
    throw new MfluxError('NotFound', 'no such directory', { subject, details: { retryable: false } });
  }
  if (!st.isDirectory()) throw notRepo();
  const dotgit = nodePath.join(dir, '.git');
  let gitdir: string | undefined;
  try {
    const s = nodeFs.statSync(dotgit);
    if (s.isDirectory()) gitdir = dotgit;
    else {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(nodeFs.readFileSync(dotgit, 'utf8'));
      if (m) gitdir = nodePath.resolve(dir, m[1]!);
    }
  } catch {
    if (nodeFs.existsSync(nodePath.join(dir, 'HEAD')) && nodeFs.existsSync(nodePath.join(dir, 'objects'))) gitdir = dir;
  }
  if (!gitdir) throw notRepo();
  // A linked worktree keeps objects and refs in the common directory.
  try {
    const common = nodeFs.readFileSync(nodePath.join(gitdir, 'commondir'), 'utf8').trim();
    if (common) gitdir = nodePath.resolve(gitdir, common);
  } catch {
    // not a linked worktree
  }
  if (!nodeFs.existsSync(nodePath.join(gitdir, 'objects'))) throw notRepo();
  return gitdir;
}

interface Remote {
  url: string;
  credentials: Credentials | undefined;
  http: HttpClient;
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

class GitSourceImpl implements GitSource {
  private readonly fs = new CachingFs();
  private readonly ctx: GitContext;
  private readonly tree: TreeReader;
  private readonly subject: string;
  private readonly ref: string;
  private readonly pathSegs: string[];
  private readonly remote: Remote | undefined;
  private readonly secrets: string[];
  private readonly finalGitdir: string;
  private kind: RefKind | undefined;
  private knownPacks = new Set<string>();

  constructor(o: { subject: string; gitdir: string; ref: string; pathSegs: string[]; remote?: Remote }) {
    this.subject = o.subject;
    this.ref = o.ref;
    this.pathSegs = o.pathSegs;
    this.remote = o.remote;
    this.finalGitdir = o.gitdir;
    this.secrets = secretsOf(o.remote?.credentials);
    // Wrapped once: isomorphic-git takes an already wrapped fs as it is, instead of binding a new wrapper on every call.
    this.ctx = { fs: new FileSystem(this.fs) as unknown as PromiseFsClient, gitdir: o.gitdir, cache: {} };
    this.tree = new TreeReader(this.ctx, this.subject);
  }

  get localGitDir(): string | undefined {
    return this.remote ? undefined : this.finalGitdir;
  }

  // ---- resolve -------------------------------------------------------------------------------

  async resolve(previousCommit?: string): Promise<{ revision: Revision; warnings: string[] }> {
    this.startSession();
    const { commit, kind } = this.remote ? await this.fetchRef(this.remote) : await this.resolveLocal();
    this.kind = kind;
    const warnings: string[] = [];
    if (previousCommit && previousCommit !== commit) {
      const warning = await this.checkAncestry(previousCommit, commit);
      if (warning) warnings.push(warning);
    }
    return { revision: this.describe(await this.commitInfo(commit)), warnings };
  }

  /** startSession drops cached directory listings, and the object cache when a pack disappeared (gc/repack). */
  private startSession(): void {
    this.fs.reset();
    let packs: string[] = [];
    try {
      packs = nodeFs.readdirSync(nodePath.join(this.ctx.gitdir, 'objects', 'pack'));
    } catch {
      packs = [];
    }
    const now = new Set(packs);
    if ([...this.knownPacks].some((p) => !now.has(p))) this.ctx.cache = {};
    this.knownPacks = now;
  }

  private async checkAncestry(previous: string, commit: string): Promise<string | undefined> {
    const short = (s: string) => s.slice(0, 7);
    if (!(await this.hasObject(previous))) {
      return `force-push detected: previous commit ${short(previous)} is no longer in the history of ${this.ref} (now at ${short(commit)})`;
    }
    let descends: boolean;
    try {
      descends = await git.isDescendent({ ...this.ctx, oid: commit, ancestor: previous, depth: -1 });
    } catch {
      descends = false;
    }
    if (descends) return undefined;
    return `force-push detected: previous commit ${short(previous)} is not an ancestor of ${this.ref} at ${short(commit)}; reconciling the new head`;
  }

  private async resolveLocal(): Promise<{ commit: string; kind: RefKind }> {
    const r = this.ref;
    if (/^[0-9a-f]{40}$/i.test(r) && (await this.hasObject(r.toLowerCase()))) {
      return { commit: await this.peel(r.toLowerCase()), kind: 'sha' };
    }
    const candidates = r === 'HEAD' || r.startsWith('refs/') ? [r] : [`refs/tags/${r}`, `refs/heads/${r}`, `refs/remotes/${r}`];
    for (const cand of candidates) {
      let oid: string;
      try {
        oid = await git.resolveRef({ fs: this.ctx.fs, gitdir: this.ctx.gitdir, ref: cand });
      } catch {
        continue;
      }
      return { commit: await this.peel(oid), kind: cand.startsWith('refs/tags/') ? 'tag' : 'branch' };
    }
    if (isShaLike(r)) {
      const oid = await this.expandLocal(r);
      if (oid) return { commit: await this.peel(oid), kind: 'sha' };
    }
    throw new MfluxError('RefNotFound', `ref ${r} not found: no branch, tag or commit of that name`, {
      subject: this.subject,
      details: { ref: r, retryable: false },
    });
  }

  // ---- remote --------------------------------------------------------------------------------

  private async fetchRef(remote: Remote): Promise<{ commit: string; kind: RefKind }> {
    const gitdir = this.finalGitdir;
    if (nodeFs.existsSync(nodePath.join(gitdir, 'config'))) return this.fetchInto(remote);
    // First clone: build it aside and move it into place only once it is complete.
    nodeFs.rmSync(gitdir, { recursive: true, force: true });
    nodeFs.mkdirSync(nodePath.dirname(gitdir), { recursive: true });
    const tmp = `${gitdir}.tmp-${randomUUID()}`;
    this.ctx.gitdir = tmp;
    try {
      await git.init({ fs: this.ctx.fs, gitdir: tmp, bare: true, defaultBranch: 'main' });
      await git.addRemote({ fs: this.ctx.fs, gitdir: tmp, remote: 'origin', url: remote.url });
      const result = await this.fetchInto(remote);
      nodeFs.renameSync(tmp, gitdir);
      return result;
    } catch (err) {
      nodeFs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    } finally {
      this.ctx.gitdir = gitdir;
      this.ctx.cache = {};
      this.fs.reset();
    }
  }

  /**
   * fetchInto lists the remote's refs, downloads what the wanted ref needs (nothing when the
   * object is already here), and only then records the ref locally — under its own name, so the
   * next fetch can offer it as a "have" and receive only new objects.
   */
  private async fetchInto(remote: Remote): Promise<{ commit: string; kind: RefKind }> {
    const r = this.ref;
    const info = await this.remoteCall('cannot list refs', () =>
      git.getRemoteInfo2({ http: remote.http, url: remote.url, headers: authHeaders(remote.credentials), protocolVersion: 1 }),
    );
    const serverRefs = (info.refs ?? []).filter((s) => !s.ref.endsWith('^{}'));
    const advertised = info.capabilities as Record<string, string | true>;
    const byName = new Map(serverRefs.map((s) => [s.ref, s]));
    const names = r === 'HEAD' || r.startsWith('refs/') ? [r] : [`refs/tags/${r}`, `refs/heads/${r}`];
    const match = names.map((n) => byName.get(n)).find((s) => s !== undefined);
    if (match) {
      if (!(await this.hasObject(match.oid))) await this.download(remote, advertised, [match.oid]);
      if (match.ref !== 'HEAD') await this.writeLocalRef(match.ref, match.oid);
      return { commit: await this.peel(match.oid), kind: match.ref.startsWith('refs/tags/') ? 'tag' : 'branch' };
    }
    if (isShaLike(r)) {
      const have = await this.expandLocal(r);
      if (have && (await this.isCommitish(have))) return { commit: await this.peel(have), kind: 'sha' };
      // Not a tip we can ask for by name: fetch every branch and tag, then look again.
      const all = serverRefs.filter((s) => s.ref.startsWith('refs/heads/') || s.ref.startsWith('refs/tags/'));
      const missing: string[] = [];
      for (const s of all) if (!(await this.hasObject(s.oid))) missing.push(s.oid);
      if (missing.length) await this.download(remote, advertised, missing);
      for (const s of all) await this.writeLocalRef(s.ref, s.oid);
      const oid = await this.expandLocal(r);
      if (oid && (await this.isCommitish(oid))) return { commit: await this.peel(oid), kind: 'sha' };
    }
    const branches = serverRefs.filter((s) => s.ref.startsWith('refs/heads/')).map((s) => s.ref.slice(11));
    const tags = serverRefs.filter((s) => s.ref.startsWith('refs/tags/')).map((s) => s.ref.slice(10));
    const some = (xs: string[]) => (xs.length ? xs.slice(0, 10).join(', ') + (xs.length > 10 ? ', …' : '') : 'none');
    throw new MfluxError('RefNotFound', `ref ${r} not found on the remote (branches: ${some(branches)}; tags: ${some(tags)})`, {
      subject: this.subject,
      details: { ref: r, retryable: false },
    });
  }

  /** download asks the server for `wants` (offering every local ref tip as a have) and stores the pack it sends. */
  private async download(remote: Remote, advertised: Record<string, string | true>, wants: string[]): Promise<void> {
    const haves = await this.localTips();
    const pack = await this.remoteCall(`cannot fetch ${this.ref}`, async () => {
      const bytes = await fetchPack({ http: remote.http, url: remote.url, headers: authHeaders(remote.credentials), wants, haves, advertised });
      return { bytes, ...checkPack(bytes) };
    });
    if (pack.objects === 0) return;
    const packDir = nodePath.join(this.ctx.gitdir, 'objects', 'pack');
    const rel = `objects/pack/pack-${pack.name}.pack`;
    const packFile = nodePath.join(this.ctx.gitdir, rel);
    const idxFile = packFile.replace(/\.pack$/, '.idx');
    if (nodeFs.existsSync(idxFile)) return;
    nodeFs.mkdirSync(packDir, { recursive: true });
    const tmp = nodePath.join(packDir, `tmp-${randomUUID()}.pack`);
    try {
      nodeFs.writeFileSync(tmp, pack.bytes);
      nodeFs.renameSync(tmp, packFile);
      await git.indexPack({ ...this.ctx, dir: this.ctx.gitdir, filepath: rel });
    } catch (err) {
      for (const f of [tmp, packFile, idxFile]) nodeFs.rmSync(f, { force: true });
      throw new MfluxError('SourceUnreachable', scrub(`cannot store the fetched pack: ${(err as Error).message}`, this.secrets), {
        subject: this.subject,
        details: { retryable: true },
      });
    } finally {
      this.fs.reset();
    }
  }

  /** localTips lists the commits our local refs point at (the "haves" of a fetch). */
  private async localTips(): Promise<string[]> {
    const out = new Set<string>();
    for (const prefix of ['refs/heads', 'refs/tags']) {
      let names: string[] = [];
      try {
        names = await git.listRefs({ fs: this.ctx.fs, gitdir: this.ctx.gitdir, filepath: prefix });
      } catch {
        names = [];
      }
      for (const n of names) {
        try {
          const oid = await git.resolveRef({ fs: this.ctx.fs, gitdir: this.ctx.gitdir, ref: `${prefix}/${n}` });
          if (await this.hasObject(oid)) out.add(oid);
        } catch {
          // dangling ref: not a have
        }
      }
    }
    return [...out];
  }

  private async writeLocalRef(ref: string, oid: string): Promise<void> {
    await git.writeRef({ fs: this.ctx.fs, gitdir: this.ctx.gitdir, ref, value: oid, force: true });
  }

  private async remoteCall<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.remoteError(action, err);
    }
  }

  /** remoteError turns an isomorphic-git or network failure into an MfluxError with secrets scrubbed. */
  private remoteError(action: string, err: unknown): MfluxError {
    if (isMfluxError(err)) return err;
    const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string } };
    const clean = (s: string) => scrub(s, this.secrets);
    const make = (code: 'SourceUnreachable' | 'AuthFailed', message: string, retryable: boolean, extra: Record<string, unknown> = {}) =>
      new MfluxError(code, clean(`${action}: ${message}`), { subject: this.subject, details: { retryable, ...extra } });
    if (e?.code === 'HttpError') {
      const status = e.data?.statusCode ?? 0;
      const text = `HTTP ${status}${e.data?.statusMessage ? ` ${e.data.statusMessage}` : ''}`;
      if (status === 401 || status === 403) {
        return make('AuthFailed', `authentication failed (${text})${this.remote?.credentials ? '' : '; no credentials given'}`, false, { statusCode: status });
      }
      if (status === 404) return make('SourceUnreachable', `repository not found (${text})`, false, { statusCode: status });
      const retryable = status >= 500 || status === 408 || status === 429;
      return make('SourceUnreachable', `server answered ${text}`, retryable, { statusCode: status });
    }
    if (e?.code === 'UserCanceledError') return make('AuthFailed', 'authentication failed', false);
    if (e?.code === 'SmartHttpError') return make('SourceUnreachable', 'not a git smart-HTTP server', false);
    if (e?.code === 'UploadPackError') return make('SourceUnreachable', `${e.message}`, true);
    if (e?.code && NETWORK_CODES.has(e.code)) return make('SourceUnreachable', `${e.message ?? e.code}`, true, { cause: e.code });
    return make('SourceUnreachable', `${e?.message ?? String(err)}`, true, { cause: e?.code ?? 'unknown' });
  }

  // ---- objects -------------------------------------------------------------------------------

  private async hasObject(oid: string): Promise<boolean> {
    try {
      await git.readObject({ ...this.ctx, oid, format: 'deflated' });
      return true;
    } catch {
      return false;
    }
  }

  private async isCommitish(oid: string): Promise<boolean> {
    try {
      await this.peel(oid);
      return true;
    } catch {
      return false;
    }
  }

  private async expandLocal(short: string): Promise<string | undefined> {
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
  private async peel(oid: string): Promise<string> {
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
    throw new MfluxError('RefNotFound', `${this.ref} names ${oid.slice(0, 7)}, which is not a commit`, {
      subject: this.subject,
      details: { ref: this.ref, retryable: false },
    });
  }

  /** withRetry retries once with fresh directory listings when an object seems missing (written since the listing was cached). */
  private async withRetry<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFoundError') throw err;
      this.fs.reset();
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

  private async commitInfo(sha: string): Promise<CommitInfo> {
    const oid = await this.commitOid(sha);
    const { commit } = await this.withRetry(() => git.readCommit({ ...this.ctx, oid }), `commit ${oid}`);
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
    const oid = await this.commitOid(sha);
    const { commit } = await this.withRetry(() => git.readCommit({ ...this.ctx, oid }), `commit ${oid}`);
    return commit.tree;
  }

  private describe(c: CommitInfo): Revision {
    // Before the first resolve the kind is guessed from the ref's shape.
    const kind = this.kind ?? (isShaLike(this.ref) ? 'sha' : 'branch');
    return {
      ref: this.ref,
      commit: c.oid,
      revision: formatRevision(this.ref, kind, c.oid),
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

  async readBlobs(oids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(oids)];
    const texts: string[] = new Array(unique.length);
    let next = 0;
    const worker = async () => {
      while (next < unique.length) {
        const i = next++;
        const oid = unique[i]!;
        const { blob } = await this.withRetry(() => git.readBlob({ ...this.ctx, oid }), `blob ${oid}`);
        texts[i] = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('utf8');
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, unique.length) }, worker));
    // In the order asked for, whatever order the reads finished in.
    return new Map(unique.map((oid, i) => [oid, texts[i]!]));
  }

  async changedPaths(fromCommit: string, toCommit: string): Promise<string[]> {
    const a = await this.rootTree(fromCommit);
    const b = await this.rootTree(toCommit);
    return this.withRetry(() => this.tree.changed(a, b, this.pathSegs, [fromCommit, toCommit]), `trees of ${fromCommit}..${toCommit}`);
  }

  async readCommit(commit: string): Promise<Revision> {
    return this.describe(await this.commitInfo(commit));
  }

  /**
   * commitsBetween paints commits reachable from `from` (uninteresting) and from `to`
   * (interesting), newest committer time first, until only uninteresting ones are left to walk;
   * the commits painted interesting only are returned parents-first (oldest first).
   */
  async commitsBetween(from: string, to: string): Promise<Revision[]> {
    const UNINTERESTING = 1;
    const INTERESTING = 2;
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
    const out: Revision[] = [];
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
