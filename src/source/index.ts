/** source: Git via isomorphic-git — local repositories read in place, http(s) remotes cloned and fetched. */
export type { Credentials, SourceOptions, GitRevision, TreeFile, GitSource } from './types.js';
export { credentialsFrom, scrub, splitUrlCredentials, isRemoteUrl } from './credentials.js';
export { openSource } from './git-source.js';
export { formatRevision, parseRevision, isShaLike, type RefKind } from './revision.js';
export { isManifestName } from './tree.js';
export { CachingFs } from './cachefs.js';
export { openWorkTree, isFileClean, readWorkFile, authorFor, commitFile, pushBranch, type WorkTree, type CommitAuthor } from './write.js';
export { watchRefs, type RefWatcher } from './watch.js';
