/** The Git source's public shapes: options, revisions, tree files and the GitSource interface. */

/** Credentials authenticate to an http(s) remote: basic (username/password) or a bearer token (token wins when both are set). */
export interface Credentials {
  username?: string;
  password?: string;
  token?: string;
}

/** SourceOptions says which repository, ref and path to read, and where remote clones live. */
export interface SourceOptions {
  /** repo is a local directory (worktree or bare repository, or a file:// URL) or an http(s) URL. */
  repo: string;
  /** ref is a branch, tag, full refname or commit SHA (full or short); absent: the repository's HEAD (a local repository's checked-out branch, a remote's default branch). */
  ref?: string;
  /** path is the repository subdirectory holding the manifests; default '' (the root). */
  path?: string;
  /** stateDir holds `sources/`, where remote repositories are cloned. */
  stateDir: string;
  credentials?: Credentials;
  /** timeoutMs bounds network inactivity for remote operations; default 60000. */
  timeoutMs?: number;
  /** fs is the filesystem every file access goes through; default node:fs. */
  fs?: typeof import('node:fs');
  /**
   * shareWith is a source already open on the same repository (with the same fs), whose object
   * caches — parsed trees, packs, commits — this one shares: a check reads base and head of one
   * repository, and head's listing then reads only the trees that changed.
   */
  shareWith?: GitSource;
}

/** GitRevision describes one commit as reached through a ref (a Git revision; not a workload revision number). */
export interface GitRevision {
  /** ref is the ref it was reached through: as configured (branch, tag or SHA), or the branch HEAD named when none was. */
  ref: string;
  /** commit is the full 40-hex commit SHA. */
  commit: string;
  /** revision is Flux's form: `main@sha1:<sha>`, `v1.0.0@sha1:<sha>`, or `sha1:<sha>` for a SHA ref. */
  revision: string;
  subject: string;
  author: string;
  authorEmail: string;
  /** time is the author time in epoch milliseconds. */
  time: number;
}

/** TreeFile is one manifest file at a commit. */
export interface TreeFile {
  /** path is repository-relative, posix separators (for a symlink: the link's own path). */
  path: string;
  /** oid is the blob's object id (for a symlink: the resolved target blob). */
  oid: string;
}

/** DirEntry is one entry of a folder at a commit: its name, file or folder, and its object id (a symlink's resolved target). */
export interface DirEntry {
  name: string;
  type: 'file' | 'dir';
  oid: string;
}

/** GitSource reads one repository at one ref and path. */
export interface GitSource {
  /** resolve fetches (remote) and resolves --ref to a commit. Also returns warnings (e.g. force-push detected: previous commit not an ancestor). */
  resolve(previousCommit?: string): Promise<{ revision: GitRevision; warnings: string[] }>;
  /**
   * listManifests lists .yaml/.yml/.json files under the path at a commit, following in-repo
   * symlinks (PathEscape for escaping ones). `onFile` hears of each file as soon as the walk finds
   * it, so reading can start before the listing is complete (a file may be heard twice when the
   * walk is retried).
   */
  listManifests(commit: string, onFile?: (f: TreeFile) => void): Promise<TreeFile[]>;
  /** path is the folder the manifests are read from (--path), posix and relative to the repository root; '' for the root. */
  readonly path: string;
  /**
   * listDir lists one folder of the repository at a commit (a path relative to the repository
   * root, '' for the root), with Flux's default exclusions and every .sourceignore applied; null
   * when there is no such folder. Symlinks are followed inside the repository (PathEscape otherwise).
   */
  listDir(commit: string, dir: string): Promise<DirEntry[] | null>;
  /** readBlobs reads blob contents (utf8) for the given oids, efficiently. */
  readBlobs(oids: string[]): Promise<Map<string, string>>;
  /** readBlobBytes reads blob contents as raw bytes, for callers that must refuse what is not UTF-8 rather than decode it lossily. */
  readBlobBytes(oids: string[]): Promise<Map<string, Uint8Array>>;
  /** changedPaths lists manifest paths under the path that differ between two commits (added, modified or deleted), via a tree diff that skips equal subtrees. */
  changedPaths(fromCommit: string, toCommit: string): Promise<string[]>;
  /** commitsBetween lists commits reachable from `to` but not from `from`, oldest first (for check --each-commit later). */
  commitsBetween(from: string, to: string): Promise<GitRevision[]>;
  /** readCommit describes one commit. */
  readCommit(commit: string): Promise<GitRevision>;
  /** localGitDir is the object store of a local repository (what a watcher watches); undefined for a remote. */
  readonly localGitDir?: string;
}
