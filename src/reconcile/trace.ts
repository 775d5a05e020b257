/**
 * `mflux trace deployment/NAME`: from a live object back to its origin — source, file:line, the
 * commit that last changed it (the latest Applied ledger pass that created or updated it), the
 * revision and ReplicaSet that pass produced, and whether the live object has drifted from Git
 * since (the plan entry of the last applied manifest against the live object). `statefulset/NAME`
 * and `daemonset/NAME` likewise, with the ControllerRevision in place of the ReplicaSet.
 */
import type { Operation } from 'fast-json-patch';
import { MfluxError, objectRef } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { computePlan } from '../plan/index.js';
import type { Ledger } from '../ledger/index.js';
import type { Origin } from '../manifests/index.js';
import { openSource } from '../source/index.js';
import { locateRendered } from './rollback.js';

/** Trace is `trace -o json`'s document (field names are stable; see README). */
export interface Trace {
  object: string;
  namespace: string;
  name: string;
  source: { name: string; url: string };
  /** path and line locate the object's document at the source's last applied commit (else where the ledger last recorded it); null when neither knows. */
  path: string | null;
  line: number | null;
  /** kustomizations are the kustomization files that changed the object, innermost first ([] for a plain file); kustomization is the last of them, or null. */
  kustomizations: string[];
  kustomization: string | null;
  commit: { sha: string; subject: string; author: string; time: string | null; gitRevision: string };
  revision: number | null;
  /** replicaSet is a Deployment's ReplicaSet of that revision (null for other kinds). */
  replicaSet: string | null;
  /** controllerRevision is a StatefulSet's or DaemonSet's ControllerRevision of that revision (null for a Deployment). */
  controllerRevision: string | null;
  outcome: string;
  rollbackTo: number | null;
  /** live says whether the object exists in the cluster. */
  live: boolean;
  drifted: boolean;
  /** patch is the RFC 6902 patch from the live object to the last applied manifest ([] when in sync). */
  patch: Operation[];
  warnings: string[];
}

/** traceDeployment builds the trace of one Deployment (or the StatefulSet or DaemonSet `kind` names); NotFound when the ledger never changed it. */
export async function traceDeployment(o: { ledger: Ledger; client: ClusterClient; kind?: string; namespace: string; name: string; stateDir: string }): Promise<Trace> {
  const { namespace, name } = o;
  const kind = o.kind ?? 'Deployment';
  const ref = objectRef(kind, namespace, name);
  const rows = o.ledger.deploymentHistory(namespace, name, kind);
  const row = [...rows].reverse().find((r) => r.pass.outcome === 'Applied') ?? rows[rows.length - 1];
  if (!row) throw new MfluxError('NotFound', 'no reconcile pass has created or updated it (not managed by mflux?)', { subject: `${kind.toLowerCase()}/${name}` });
  const pass = row.pass;
  const warnings: string[] = [];
  // Where the ledger saw it last; replaced below by where it is at the last applied commit, when the repository can be read.
  let origin: Origin | undefined = row.origin;
  let time: string | null = null;
  let desired = o.ledger.inventory(pass.source).get(ref);
  try {
    const source = await openSource({ repo: pass.url, ref: pass.ref, stateDir: o.stateDir, path: pass.path ?? '' });
    const at = o.ledger.sourceState(pass.source).lastAppliedCommit ?? pass.commit;
    const loc = await locateRendered(source, at, kind, namespace, name);
    if (loc) {
      origin = loc.origin;
      desired ??= loc.object;
    } else warnings.push(`not found in ${pass.source} at ${at.slice(0, 7)} (removed from Git?)`);
    time = new Date((await source.readCommit(pass.commit)).time).toISOString().replace(/\.000Z$/, 'Z');
  } catch (err) {
    warnings.push(`cannot read ${pass.url}: ${(err as Error).message}`);
  }
  const live = await o.client.get(kind, namespace, name);
  let patch: Operation[] = [];
  if (live && desired) {
    const inventory = o.ledger.inventory(pass.source);
    patch = computePlan({ desired: [{ object: desired }], live: new Map([[ref, live]]), inventory: new Map(inventory.has(ref) ? [[ref, inventory.get(ref)!]] : []) }).entries[0]!.patch;
  }
  return {
    object: ref,
    namespace,
    name,
    source: { name: pass.source, url: pass.url },
    path: origin?.file ?? null,
    line: origin?.line ?? null,
    kustomizations: origin?.kustomizations ?? [],
    kustomization: origin?.kustomizations?.at(-1) ?? null,
    commit: { sha: pass.commit, subject: pass.subject, author: pass.author, time, gitRevision: pass.revision },
    revision: row.revision ?? null,
    // The ledger's replica_set column holds the ControllerRevision's name for the other kinds.
    replicaSet: kind === 'Deployment' ? row.replicaSet ?? null : null,
    controllerRevision: kind === 'Deployment' ? null : row.replicaSet ?? null,
    outcome: pass.outcome ?? 'InProgress',
    rollbackTo: row.rollbackTo ?? null,
    live: Boolean(live),
    drifted: !live || patch.length > 0,
    patch,
    warnings,
  };
}
