/**
 * LocalRepository: a repository on this machine, read in place from its object store (committed
 * objects only, never the working tree). With no --ref it follows the branch HEAD names.
 */
import git from 'isomorphic-git';
import { MfluxError } from '../core/errors.js';
import { isShaLike } from './revision.js';
import { RepositoryReader, type RepositoryOptions, type ResolvedRef } from './repository.js';

/** LocalRepository resolves refs against a local object store. */
export class LocalRepository extends RepositoryReader {
  private readonly gitdir: string;

  constructor(o: RepositoryOptions) {
    super(o);
    this.gitdir = o.gitdir;
  }

  override get localGitDir(): string {
    return this.gitdir;
  }

  protected async resolveRef(): Promise<ResolvedRef> {
    if (this.ref === undefined) return this.resolveHead();
    const r = this.ref;
    if (/^[0-9a-f]{40}$/i.test(r) && (await this.hasObject(r.toLowerCase()))) {
      return { commit: await this.peel(r.toLowerCase()), kind: 'sha', ref: r };
    }
    const candidates = r === 'HEAD' || r.startsWith('refs/') ? [r] : [`refs/tags/${r}`, `refs/heads/${r}`, `refs/remotes/${r}`];
    for (const cand of candidates) {
      let oid: string;
      try {
        oid = await git.resolveRef({ fs: this.ctx.fs, gitdir: this.ctx.gitdir, ref: cand });
      } catch {
        continue;
      }
      return { commit: await this.peel(oid), kind: cand.startsWith('refs/tags/') ? 'tag' : 'branch', ref: r };
    }
    if (isShaLike(r)) {
      const oid = await this.expandLocal(r);
      if (oid) return { commit: await this.peel(oid), kind: 'sha', ref: r };
    }
    throw new MfluxError('RefNotFound', `ref ${r} not found: no branch, tag or commit of that name`, {
      subject: this.subject,
      details: { ref: r, retryable: false },
    });
  }


  protected override async headBranch(): Promise<string | undefined> {
    try {
      return (await git.currentBranch({ fs: this.ctx.fs, gitdir: this.ctx.gitdir, fullname: false })) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * resolveHead follows the repository's own HEAD, as `git clone` and Flux's default would: the
   * branch it names (`master@sha1:…`), or the commit of a detached HEAD (`sha1:…`).
   */
  private async resolveHead(): Promise<ResolvedRef> {
    const { fs, gitdir } = this.ctx;
    const branch = await this.headBranch();
    if (branch) {
      let oid: string;
      try {
        oid = await git.resolveRef({ fs, gitdir, ref: `refs/heads/${branch}` });
      } catch {
        throw new MfluxError('RefNotFound', `HEAD names branch ${branch}, which has no commits; commit to it or pass --ref`, { subject: this.subject, details: { ref: 'HEAD', retryable: false } });
      }
      return { commit: await this.peel(oid), kind: 'branch', ref: branch };
    }
    let oid: string;
    try {
      oid = await git.resolveRef({ fs, gitdir, ref: 'HEAD' });
    } catch {
      throw new MfluxError('RefNotFound', 'HEAD names no commit; pass --ref', { subject: this.subject, details: { ref: 'HEAD', retryable: false } });
    }
    const commit = await this.peel(oid);
    return { commit, kind: 'sha', ref: commit };
  }
}
