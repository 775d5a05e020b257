/** source: Git via isomorphic-git — local repositories read in place, http(s) remotes cloned and fetched. */
export type { Credentials, SourceOptions, GitRevision, TreeFile, DirEntry, GitSource } from './types.js';
export { credentialsFrom, scrub, splitUrlCredentials, isRemoteUrl } from './credentials.js';
export { openSource } from './git-source.js';
export { formatRevision, parseRevision, isShaLike, type RefKind } from './revision.js';
export { isManifestName, isListedName } from './tree.js';
export { parseIgnore, isIgnored, FLUX_DEFAULT_IGNORES, SOURCEIGNORE, type IgnoreRule } from './ignore.js';
export { CachingFs } from './cachefs.js';
export { openWorkTree, isFileClean, readWorkFile, authorFor, commitFile, pushBranch, type WorkTree, type CommitAuthor } from './write.js';
export { watchRefs, type RefWatcher } from './watch.js';
