/**
 * ControllerRevisions, as upstream's pkg/controller/history and the StatefulSet/DaemonSet
 * `getPatch`/`newRevision`/`truncateHistory`: a revision stores the patch that restores the pod
 * template (`{"spec":{"template":{…,"$patch":"replace"}}}`), its number, and a hash label; equal
 * templates are one revision, and going back to an old template gives it the next number.
 */
import { type KubeObject, canonicalJSON, deepEqual } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { fnv1a32, safeEncode } from '../../ids.js';

/** CONTROLLER_REVISION_HASH_LABEL is the label every revision (and every pod of a StatefulSet/DaemonSet) carries. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/** revisionPatch is the data a revision stores: the set's pod template, marked to replace the whole template when applied back. */
export function revisionPatch(set: KubeObject): any {
  return { spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: 'replace' } } };
}

/**
 * hashRevision is the revision's hash: 32-bit FNV-1a over the canonical JSON of its data plus the
 * collision count, its decimal digits mapped through the name alphabet — the same recipe as our
 * pod-template-hash. Upstream hashes the raw JSON bytes Go serialised (HashControllerRevision), so
 * the digits differ from a real cluster's; equal templates always give equal hashes here.
 */
export function hashRevision(data: unknown, collisionCount?: number): string {
  let extra: Uint8Array | undefined;
  if (collisionCount) {
    extra = new Uint8Array(4);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
  }
  return safeEncode(String(fnv1a32(canonicalJSON(data), extra)));
}

/** revisionOf is a ControllerRevision's number (0 when unset). */
export function revisionOf(r: KubeObject): number {
  return typeof r.revision === 'number' ? r.revision : 0;
}

/** ownedRevisions returns the ControllerRevisions `set` controls, oldest revision number first (name breaks ties). */
export function ownedRevisions(ctx: ControllerContext, set: KubeObject): KubeObject[] {
  const uid = set.metadata.uid!;
  return ctx.api
    .ownedBy(uid, 'ControllerRevision')
    .filter((r) => r.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid))
    .sort((a, b) => revisionOf(a) - revisionOf(b) || a.metadata.name.localeCompare(b.metadata.name));
}

/** RevisionPair is what a sync works with: the revision pods are at now, and the one they move to. */
export interface RevisionPair {
  current: KubeObject;
  update: KubeObject;
  /** all lists every owned revision after this sync's create or renumbering, oldest first. */
  all: KubeObject[];
}

/**
 * syncRevisions is StatefulSet's getStatefulSetRevisions (DaemonSet's constructHistory is the same
 * rule): the update revision is the one whose data equals the set's template — renumbered to
 * max+1 when it is an old one (v1 → v2 → v1 gives revisions 2, 3), created with max+1 when none
 * matches. The current revision is the one named by `currentName` (status.currentRevision), or the
 * update revision when that is unset or gone. Example: first sync of a new set → web-<hash>
 * revision 1, current = update.
 */
export function syncRevisions(ctx: ControllerContext, set: KubeObject, currentName: string | undefined): RevisionPair {
  let all = ownedRevisions(ctx, set);
  // Compared and hashed as a view sharing the set's template (a sync runs on every pod change); the
  // revision created below gets its own copy.
  const data = { spec: { template: { ...(set.spec?.template ?? {}), $patch: 'replace' } } };
  const max = all.reduce((m, r) => Math.max(m, revisionOf(r)), 0);
  const equal = all.filter((r) => deepEqual(r.data, data));
  let update: KubeObject;
  if (equal.length > 0) {
    update = equal[equal.length - 1]!;
    if (revisionOf(update) !== max) update = ctx.api.writeDirect({ ...update, revision: max + 1 });
  } else {
    const collisionCount = set.status?.collisionCount ?? 0;
    const hash = hashRevision(data, collisionCount);
    const labels = { ...(set.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash };
    update = ctx.api.create({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${set.metadata.name}-${hash}`,
        namespace: set.metadata.namespace,
        labels,
        // Upstream copies the parent's annotations, which is how change-cause reaches `rollout history`.
        ...(set.metadata.annotations ? { annotations: { ...set.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: set.kind, name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      data: revisionPatch(set),
      revision: max + 1,
    });
  }
  all = ownedRevisions(ctx, set);
  const current = (currentName && all.find((r) => r.metadata.name === currentName)) || update;
  return { current, update, all };
}

/**
 * truncateHistory deletes the oldest revisions beyond revisionHistoryLimit, never one in `live`
 * (the current and update revisions, and any a pod still runs). Example: limit 2, revisions 1..5,
 * 5 live → deletes 1, 2, 3 and keeps 4, 5.
 */
export function truncateHistory(ctx: ControllerContext, set: KubeObject, all: KubeObject[], live: Set<string>): void {
  const limit = set.spec?.revisionHistoryLimit ?? 10;
  const old = all.filter((r) => !live.has(r.metadata.name));
  const excess = old.length - limit;
  for (let i = 0; i < excess; i++) ctx.api.delete('ControllerRevision', set.metadata.namespace, old[i]!.metadata.name);
}
