/**
 * SourceMemo: what one source remembers between passes, so an unchanged commit costs almost
 * nothing — parsed files by (path, blob), the last listing, which files passed validation, and
 * which objects the last good pass left in sync with Git.
 */
import type { KubeObject } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import type { ManifestIssue, ParsedObject } from '../manifests/index.js';
import type { TreeFile } from '../source/index.js';
import type { RenderCache } from '../render/index.js';

/** SourceMemo keeps parsed files by path and blob id across passes (unchanged files are neither read nor parsed again) and the sync bookkeeping of the last pass. */
export interface SourceMemo {
  files: Map<string, { oid: string; objects: ParsedObject[]; issues: ManifestIssue[]; notes?: string[] }>;
  commit?: string;
  listing?: TreeFile[];
  /**
   * synced remembers, for each object the last pass left matching Git, the blob its manifest came
   * from and the live object's fingerprint (generation, or resourceVersion where there is none).
   * Both unchanged ⇒ still in sync, without diffing: the no-new-commit pass stays cheap.
   */
  synced: Map<string, { kind: string; namespace?: string; name: string; oid: string; fp: string }>;
  /** valid holds the paths whose objects passed the API server's validation and have not changed since. */
  valid: Set<string>;
  /** render keeps the kustomize builds of folders with the versions of what they read (render.ts), so a pass re-renders only what changed. */
  render?: RenderCache;
  /** syncedCommit is the commit the last successful pass (Applied or NoChange) left the cluster at. */
  syncedCommit?: string;
}

/** newSourceMemo makes an empty memo. */
export function newSourceMemo(): SourceMemo {
  return { files: new Map(), synced: new Map(), valid: new Set() };
}

/** forgetSync drops what the memo believes is in sync (after a write, or a save that failed and was rolled back). */
export function forgetSync(memo: SourceMemo): void {
  memo.synced.clear();
  memo.syncedCommit = undefined;
}

/** fingerprint changes whenever someone else could have changed what we applied (status-only writes do not count). */
export function fingerprint(o: KubeObject): string {
  return o.metadata.generation !== undefined ? `g${o.metadata.generation}:${JSON.stringify(o.metadata.labels ?? {})}` : `rv${o.metadata.resourceVersion}`;
}

/**
 * stillInSync is the no-new-commit fast path: the commit is the one the last pass left in sync,
 * and no object it applied has been changed by anyone since (same generation or resourceVersion).
 * Then nothing needs reading, validating or planning.
 */
export async function stillInSync(client: ClusterClient, memo: SourceMemo, commit: string): Promise<boolean> {
  if (memo.commit !== commit || memo.synced.size === 0 || memo.syncedCommit !== commit) return false;
  for (const s of memo.synced.values()) {
    const live = await client.get(s.kind, s.namespace, s.name);
    if (!live || fingerprint(live) !== s.fp) return false;
  }
  return true;
}
