/**
 * RemoteMirror: an http(s) repository cloned once into `<state>/sources/` and fetched
 * incrementally (only the objects the wanted ref needs). A first clone is built aside and moved
 * into place when complete, so a clone is never half-made. With no --ref it follows the remote's
 * HEAD (the branch its symref names), as `git clone` does.
 */
import { randomUUID } from 'node:crypto';
import nodePath from 'node:path';
import git from 'isomorphic-git';
import { MfluxError, isMfluxError } from '../core/errors.js';
import { authHeaders, scrub, secretsOf } from './credentials.js';
import type { HttpClient } from './http.js';
import { checkPack, fetchPack } from './upload-pack.js';
import { isShaLike } from './revision.js';
import { RepositoryReader, type RepositoryOptions, type ResolvedRef } from './repository.js';
import type { Credentials } from './types.js';

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

/** Remote is where a mirror fetches from and how it authenticates. */
export interface Remote {
  url: string;
  credentials: Credentials | undefined;
  http: HttpClient;
}

type ServerRef = { ref: string; oid: string; target?: string };

/**
 * remoteHeadBranch names the branch the remote's HEAD points at: its symref target when the server
 * advertises one, else the one branch whose tip is HEAD's commit (main or master first when several are).
 */
export function remoteHeadBranch(refs: ServerRef[], capabilities: Record<string, string | true>): string | undefined {
  const head = refs.find((s) => s.ref === 'HEAD');
  const sym = head?.target ?? (typeof capabilities.symref === 'string' && capabilities.symref.startsWith('HEAD:') ? capabilities.symref.slice(5) : undefined);
  if (sym?.startsWith('refs/heads/') && refs.some((s) => s.ref === sym)) return sym.slice(11);
  if (sym?.startsWith('refs/heads/')) return sym.slice(11); // names a missing branch: reported as not found, by name
  if (!head) return undefined;
  const same = refs.filter((s) => s.ref.startsWith('refs/heads/') && s.oid === head.oid).map((s) => s.ref.slice(11));
  return same.find((b) => b === 'main') ?? same.find((b) => b === 'master') ?? same.sort()[0];
}

/** RemoteMirror resolves refs by fetching from the remote into a bare mirror in the state dir. */
export class RemoteMirror extends RepositoryReader {
  private readonly remote: Remote;
  private readonly secrets: string[];
  private readonly finalGitdir: string;

  constructor(o: RepositoryOptions & { remote: Remote }) {
    super(o);
    this.remote = o.remote;
    this.finalGitdir = o.gitdir;
    this.secrets = secretsOf(o.remote.credentials);
  }

    protected async resolveRef(): Promise<ResolvedRef> {
    const remote = this.remote;
    const gitdir = this.finalGitdir;
    if (this.fs.existsSync(nodePath.join(gitdir, 'config'))) return this.fetchInto(remote);
    // First clone: build it aside and move it into place only once it is complete.
    this.fs.rmSync(gitdir, { recursive: true, force: true });
    this.fs.mkdirSync(nodePath.dirname(gitdir), { recursive: true });
    const tmp = `${gitdir}.tmp-${randomUUID()}`;
    this.ctx.gitdir = tmp;
    try {
      await git.init({ fs: this.ctx.fs, gitdir: tmp, bare: true, defaultBranch: 'main' });
      await git.addRemote({ fs: this.ctx.fs, gitdir: tmp, remote: 'origin', url: remote.url });
      const result = await this.fetchInto(remote);
      this.fs.renameSync(tmp, gitdir);
      return result;
    } catch (err) {
      this.fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    } finally {
      this.ctx.gitdir = gitdir;
      this.ctx.cache = {};
      this.cachingFs.reset();
    }
  }

  /**
   * fetchInto lists the remote's refs, downloads what the wanted ref needs (nothing when the
   * object is already here), and only then records the ref locally — under its own name, so the
   * next fetch can offer it as a "have" and receive only new objects.
   */
  private async fetchInto(remote: Remote): Promise<ResolvedRef> {
    const info = await this.remoteCall('cannot list refs', () =>
      git.getRemoteInfo2({ http: remote.http, url: remote.url, headers: authHeaders(remote.credentials), protocolVersion: 1 }),
    );
    const serverRefs = (info.refs ?? []).filter((s) => !s.ref.endsWith('^{}'));
    const advertised = info.capabilities as Record<string, string | true>;
    const byName = new Map(serverRefs.map((s) => [s.ref, s]));
    const r = this.ref ?? remoteHeadBranch(serverRefs, advertised) ?? 'HEAD';
    const names = r === 'HEAD' || r.startsWith('refs/') ? [r] : [`refs/tags/${r}`, `refs/heads/${r}`];
    const match = names.map((n) => byName.get(n)).find((s) => s !== undefined);
    if (match) {
      if (!(await this.hasObject(match.oid))) await this.download(remote, advertised, [match.oid]);
      if (match.ref !== 'HEAD') await this.writeLocalRef(match.ref, match.oid);
      const commit = await this.peel(match.oid);
      // A detached remote HEAD (no branch to name) reads as its commit, like a SHA ref.
      if (match.ref === 'HEAD' && this.ref === undefined) return { commit, kind: 'sha', ref: commit };
      return { commit, kind: match.ref.startsWith('refs/tags/') ? 'tag' : 'branch', ref: r };
    }
    if (isShaLike(r)) {
      const have = await this.expandLocal(r);
      if (have && (await this.isCommitish(have))) return { commit: await this.peel(have), kind: 'sha', ref: r };
      // Not a tip we can ask for by name: fetch every branch and tag, then look again.
      const all = serverRefs.filter((s) => s.ref.startsWith('refs/heads/') || s.ref.startsWith('refs/tags/'));
      const missing: string[] = [];
      for (const s of all) if (!(await this.hasObject(s.oid))) missing.push(s.oid);
      if (missing.length) await this.download(remote, advertised, missing);
      for (const s of all) await this.writeLocalRef(s.ref, s.oid);
      const oid = await this.expandLocal(r);
      if (oid && (await this.isCommitish(oid))) return { commit: await this.peel(oid), kind: 'sha', ref: r };
    }
    const branches = serverRefs.filter((s) => s.ref.startsWith('refs/heads/')).map((s) => s.ref.slice(11));
    const tags = serverRefs.filter((s) => s.ref.startsWith('refs/tags/')).map((s) => s.ref.slice(10));
    const some = (xs: string[]) => (xs.length ? xs.slice(0, 10).join(', ') + (xs.length > 10 ? ', …' : '') : 'none');
    const what = this.ref !== undefined ? `ref ${r} not found on the remote` : r === 'HEAD' ? "the remote's HEAD names no existing branch; pass --ref" : `the remote's HEAD names branch ${r}, which is not on the remote; pass --ref`;
    throw new MfluxError('RefNotFound', `${what} (branches: ${some(branches)}; tags: ${some(tags)})`, {
      subject: this.subject,
      details: { ref: r, retryable: false },
    });
  }

  /** download asks the server for `wants` (offering every local ref tip as a have) and stores the pack it sends. */
  private async download(remote: Remote, advertised: Record<string, string | true>, wants: string[]): Promise<void> {
    const haves = await this.localTips();
    const pack = await this.remoteCall(`cannot fetch ${this.refLabel}`, async () => {
      const bytes = await fetchPack({ http: remote.http, url: remote.url, headers: authHeaders(remote.credentials), wants, haves, advertised });
      return { bytes, ...checkPack(bytes) };
    });
    if (pack.objects === 0) return;
    const packDir = nodePath.join(this.ctx.gitdir, 'objects', 'pack');
    const rel = `objects/pack/pack-${pack.name}.pack`;
    const packFile = nodePath.join(this.ctx.gitdir, rel);
    const idxFile = packFile.replace(/\.pack$/, '.idx');
    if (this.fs.existsSync(idxFile)) return;
    this.fs.mkdirSync(packDir, { recursive: true });
    const tmp = nodePath.join(packDir, `tmp-${randomUUID()}.pack`);
    try {
      this.fs.writeFileSync(tmp, pack.bytes);
      this.fs.renameSync(tmp, packFile);
      await git.indexPack({ ...this.ctx, dir: this.ctx.gitdir, filepath: rel });
    } catch (err) {
      for (const f of [tmp, packFile, idxFile]) this.fs.rmSync(f, { force: true });
      throw new MfluxError('SourceUnreachable', scrub(`cannot store the fetched pack: ${(err as Error).message}`, this.secrets), {
        subject: this.subject,
        details: { retryable: true },
      });
    } finally {
      this.cachingFs.reset();
      this.objectsChanged();
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
        return make('AuthFailed', `authentication failed (${text})${this.remote.credentials ? '' : '; no credentials given'}`, false, { statusCode: status });
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
}
