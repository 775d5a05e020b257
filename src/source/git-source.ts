/**
 * openSource: the Git source for a repository — a local one read in place (LocalRepository) or an
 * http(s) remote mirrored into `<state>/sources/` (RemoteMirror), behind one GitSource interface.
 */
import { createHash } from 'node:crypto';
import nodeFs from 'node:fs';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { MfluxError } from '../core/errors.js';
import type { SourceFs } from './cachefs.js';
import { isRemoteUrl, scrub, splitUrlCredentials } from './credentials.js';
import { makeHttpClient } from './http.js';
import { LocalRepository } from './local.js';
import { RemoteMirror } from './remote.js';
import { type ObjectStore, RepositoryReader } from './repository.js';
import { normalizeRepoPath } from './tree.js';
import type { Credentials, GitSource, SourceOptions } from './types.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/** openSource opens a repository; a remote one is not contacted until the first resolve(). */
export async function openSource(opts: SourceOptions): Promise<GitSource> {
  if (opts.ref !== undefined && opts.ref.trim() === '') {
    throw new MfluxError('Usage', 'the ref is empty: name a branch, tag or commit, or leave it out to follow the repository\'s HEAD', { subject: `source ${scrub(opts.repo, [])}`, details: { retryable: false } });
  }
  const ref = opts.ref?.trim();
  const fs: SourceFs = opts.fs ?? nodeFs;
  if (isRemoteUrl(opts.repo)) {
    const { url, credentials: fromUrl } = splitUrlCredentials(opts.repo);
    const credentials = mergeCredentials(fromUrl, opts.credentials);
    const subject = `source ${url}`;
    const pathSegs = normalizeRepoPath(opts.path ?? '', subject);
    const gitdir = nodePath.join(nodePath.resolve(opts.stateDir), 'sources', cloneDirName(url));
    return new RemoteMirror({ subject, gitdir, ref, pathSegs, fs, store: storeOf(opts.shareWith), remote: { url, credentials, http: makeHttpClient(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) } });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.repo) && !/^file:\/\//i.test(opts.repo)) {
    throw new MfluxError('Usage', 'only local directories and http(s) URLs are supported', { subject: `source ${scrub(opts.repo, [])}`, details: { retryable: false } });
  }
  const dir = /^file:\/\//i.test(opts.repo) ? fileURLToPath(opts.repo) : nodePath.resolve(opts.repo);
  const subject = `source ${opts.repo}`;
  const pathSegs = normalizeRepoPath(opts.path ?? '', subject);
  return new LocalRepository({ subject, gitdir: findGitDir(fs, dir, subject), ref, pathSegs, fs, store: storeOf(opts.shareWith) });
}

/** storeOf is the object store of a source to share (RepositoryReader only takes it for the same git directory and fs). */
function storeOf(source: GitSource | undefined): ObjectStore | undefined {
  return source instanceof RepositoryReader ? source.objectStore : undefined;
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
function findGitDir(nodeFs: SourceFs, dir: string, subject: string): string {
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
