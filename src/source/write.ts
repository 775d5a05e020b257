/**
 * Writing to a local repository: the one place mflux creates commits (for `mflux rollback`) and
 * pushes them. Objects are written directly (blob → trees → commit → ref), so a commit on a new
 * branch never touches the user's checkout, and a commit on the current branch carries exactly
 * one changed file (whatever else the user has staged stays staged, uncommitted).
 */
import nodeFs from 'node:fs';
import nodePath from 'node:path';
import git from 'isomorphic-git';
import { MfluxError } from '../core/errors.js';
import { authHeaders, isRemoteUrl, scrub, secretsOf, splitUrlCredentials } from './credentials.js';
import { makeHttpClient } from './http.js';
import type { Credentials } from './types.js';

/** WorkTree is a local repository with a working tree, on a branch. */
export interface WorkTree {
  /** dir is the working tree's root. */
  dir: string;
  /** branch is the checked-out branch (short name). */
  branch: string;
  /** head is the branch's commit. */
  head: string;
}

/** openWorkTree finds the repository holding `dir` and its current branch; a bare repository or a detached HEAD is a Usage error. */
export async function openWorkTree(dir: string): Promise<WorkTree> {
  const subject = `repository ${dir}`;
  let root: string;
  try {
    root = await git.findRoot({ fs: nodeFs, filepath: nodePath.resolve(dir) });
  } catch {
    throw new MfluxError('NotFound', 'not a git working tree (rollback commits to a local clone)', { subject });
  }
  if (!nodeFs.statSync(nodePath.join(root, '.git')).isDirectory()) throw new MfluxError('Usage', 'linked worktrees are not supported', { subject });
  const branch = await git.currentBranch({ fs: nodeFs, dir: root, fullname: false });
  if (!branch) throw new MfluxError('Usage', 'HEAD is detached: check out a branch first', { subject });
  let head: string;
  try {
    head = await git.resolveRef({ fs: nodeFs, dir: root, ref: `refs/heads/${branch}` });
  } catch {
    throw new MfluxError('NotFound', `branch ${branch} has no commits`, { subject });
  }
  return { dir: root, branch, head };
}

/** isFileClean says whether a tracked file's working copy and index entry both equal HEAD. */
export async function isFileClean(wt: WorkTree, filepath: string): Promise<boolean> {
  const rows = await git.statusMatrix({ fs: nodeFs, dir: wt.dir, filepaths: [filepath] });
  const row = rows.find((r) => r[0] === filepath);
  return Boolean(row && row[1] === 1 && row[2] === 1 && row[3] === 1);
}

/** readWorkFile reads a file of the working tree (utf8). */
export function readWorkFile(wt: WorkTree, filepath: string): string {
  return nodeFs.readFileSync(nodePath.join(wt.dir, filepath), 'utf8');
}

/** CommitAuthor is who a commit is by; time in epoch ms. */
export interface CommitAuthor {
  name: string;
  email: string;
  time: number;
}

/** authorFor takes user.name/user.email from the repository's config, else `mflux`. */
export async function authorFor(wt: WorkTree, time: number): Promise<CommitAuthor> {
  const name = (await git.getConfig({ fs: nodeFs, dir: wt.dir, path: 'user.name' })) as string | undefined;
  const email = (await git.getConfig({ fs: nodeFs, dir: wt.dir, path: 'user.email' })) as string | undefined;
  return { name: name || 'mflux', email: email || 'mflux@localhost', time };
}

async function replaceInTree(dir: string, treeOid: string, segs: string[], blob: string, subject: string): Promise<string> {
  const { tree } = await git.readTree({ fs: nodeFs, dir, oid: treeOid });
  const [name, ...rest] = segs;
  const i = tree.findIndex((e) => e.path === name);
  if (i < 0) throw new MfluxError('NotFound', 'no such file at HEAD', { subject });
  const e = tree[i]!;
  let entry;
  if (rest.length === 0) {
    if (e.type !== 'blob' || e.mode === '120000') throw new MfluxError('Usage', 'not a regular file (a symlink?): edit its target instead', { subject });
    entry = { ...e, oid: blob };
  } else {
    if (e.type !== 'tree') throw new MfluxError('NotFound', 'no such file at HEAD', { subject });
    entry = { ...e, oid: await replaceInTree(dir, e.oid, rest, blob, subject) };
  }
  const next = [...tree];
  next[i] = entry;
  return git.writeTree({ fs: nodeFs, dir, tree: next });
}

/**
 * commitFile commits one file's new content on top of the work tree's HEAD. Without `newBranch`
 * it advances the current branch and updates the working copy and index of that file; with it,
 * it creates `refs/heads/<newBranch>` (which must not exist) and leaves the checkout alone.
 * Returns the new commit's SHA.
 */
export async function commitFile(o: { wt: WorkTree; filepath: string; content: string; message: string; author: CommitAuthor; newBranch?: string }): Promise<string> {
  const { wt } = o;
  const subject = `${o.filepath}`;
  if (o.newBranch !== undefined) {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(o.newBranch) || /\.\.|\.lock$|^[.-]/.test(o.newBranch)) {
      throw new MfluxError('Usage', `invalid branch name "${o.newBranch}"`);
    }
    const exists = await git.resolveRef({ fs: nodeFs, dir: wt.dir, ref: `refs/heads/${o.newBranch}` }).then(
      () => true,
      () => false,
    );
    if (exists) throw new MfluxError('AlreadyExists', `branch ${o.newBranch} already exists`, { subject: `repository ${wt.dir}` });
  }
  const head = await git.readCommit({ fs: nodeFs, dir: wt.dir, oid: wt.head });
  const blob = await git.writeBlob({ fs: nodeFs, dir: wt.dir, blob: Buffer.from(o.content, 'utf8') });
  const tree = await replaceInTree(wt.dir, head.commit.tree, o.filepath.split('/'), blob, subject);
  const who = { name: o.author.name, email: o.author.email, timestamp: Math.floor(o.author.time / 1000), timezoneOffset: 0 };
  const oid = await git.writeCommit({
    fs: nodeFs,
    dir: wt.dir,
    commit: { message: o.message.endsWith('\n') ? o.message : `${o.message}\n`, tree, parent: [wt.head], author: who, committer: who },
  });
  if (o.newBranch !== undefined) {
    await git.writeRef({ fs: nodeFs, dir: wt.dir, ref: `refs/heads/${o.newBranch}`, value: oid });
    return oid;
  }
  await git.writeRef({ fs: nodeFs, dir: wt.dir, ref: `refs/heads/${wt.branch}`, value: oid, force: true });
  nodeFs.writeFileSync(nodePath.join(wt.dir, o.filepath), o.content);
  await git.add({ fs: nodeFs, dir: wt.dir, filepath: o.filepath });
  return oid;
}

/** pushBranch pushes `branch` to the same branch of the repository's `origin` (an http(s) remote). */
export async function pushBranch(o: { wt: WorkTree; branch: string; credentials?: Credentials; timeoutMs?: number }): Promise<{ url: string }> {
  const raw = (await git.getConfig({ fs: nodeFs, dir: o.wt.dir, path: 'remote.origin.url' })) as string | undefined;
  if (!raw) throw new MfluxError('Usage', 'the repository has no origin remote to push to', { subject: `repository ${o.wt.dir}` });
  if (!isRemoteUrl(raw)) throw new MfluxError('Usage', 'push needs an http(s) origin', { subject: `remote ${scrub(raw, [])}` });
  const { url, credentials: fromUrl } = splitUrlCredentials(raw);
  const creds = fromUrl || o.credentials ? { ...fromUrl, ...o.credentials } : undefined;
  const secrets = secretsOf(creds);
  try {
    const r = await git.push({
      fs: nodeFs,
      http: makeHttpClient(o.timeoutMs ?? 60_000),
      dir: o.wt.dir,
      url,
      ref: `refs/heads/${o.branch}`,
      remoteRef: `refs/heads/${o.branch}`,
      headers: authHeaders(creds),
    });
    if (!r.ok) throw new Error(r.error ?? 'push rejected');
    return { url };
  } catch (err) {
    const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
    const status = e?.data?.statusCode;
    const code = status === 401 || status === 403 ? 'AuthFailed' : 'PushFailed';
    throw new MfluxError(code, scrub(`push of ${o.branch} failed: ${e?.message ?? String(err)}`, secrets), { subject: `remote ${url}` });
  }
}
