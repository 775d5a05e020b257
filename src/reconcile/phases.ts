/**
 * The phases of a pass, each a function with a typed result: resolve the head, read and render
 * the commit, check the manifests, plan against the live cluster and guard the plan (together:
 * preparePlan), apply the plan's patches, await the rollouts, prune, and the ledger records that
 * go with them. reconcile.ts strings them together; diff, check and apply -f call the same ones.
 */
import { type KindLookup, type KubeObject, MfluxError } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { type ManifestIssue, type ParsedObject, formatOrigin } from '../manifests/index.js';
import { type Impact, type Plan, type PlanEntry, type Policy, type Reason, SCALED_KINDS, type Stamp, computePlan, guardPlan, kindsFor, refOfObject } from '../plan/index.js';
import { type RolloutOutcome } from '../apply/index.js';
import { type DeploymentRecord, type Ledger, rollbackTarget } from '../ledger/index.js';
import { type GitSource, type GitRevision, parseRevision } from '../source/index.js';
import { type SourceMemo, fingerprint } from './memo.js';
import { RENDER_CODES, renderDesired } from './render.js';

/** ProgressEvent is something a pass reports while it runs (for live output). */
export type ProgressEvent =
  | { type: 'resolved'; revision: GitRevision; warnings: string[] }
  | { type: 'read'; files: number; reread: number; objects: number }
  | { type: 'planned'; plan: Plan }
  | { type: 'applied'; ref: string; action: string }
  | { type: 'rollout'; ref: string; message: string }
  | { type: 'pruned'; ref: string }
  | { type: 'replanned'; reason: string };

function issueReason(i: ManifestIssue): Reason {
  return { code: i.code, object: i.file, file: i.file, line: i.line, message: `${i.file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}: ${i.message}` };
}

/** findDuplicates reports objects defined twice, naming both places. */
export function findDuplicates(objects: ParsedObject[], kinds?: KindLookup): Reason[] {
  const seen = new Map<string, ParsedObject>();
  const out: Reason[] = [];
  for (const p of objects) {
    const ref = refOfObject(p.object, kinds);
    const prev = seen.get(ref);
    if (prev) {
      out.push({ code: 'DuplicateObject', object: ref, file: p.origin.file, line: p.origin.line, message: `${ref} is defined twice: ${prev.origin.file}:${prev.origin.line} and ${p.origin.file}:${p.origin.line}` });
    } else seen.set(ref, p);
  }
  return out;
}

/**
 * byControllerOwner lists the objects of `kind` in the entries' namespaces once per namespace and
 * groups them by the uid of their controller (2,500 Deployments would otherwise mean 2,500 lists).
 */
async function byControllerOwner(client: ClusterClient, kind: string, entries: PlanEntry[]): Promise<Map<string, KubeObject[]>> {
  const byOwner = new Map<string, KubeObject[]>();
  for (const ns of new Set(entries.map((e) => e.namespace ?? 'default'))) {
    for (const o of await client.list(kind, { namespace: ns })) {
      const owner = o.metadata.ownerReferences?.find((r) => r.controller)?.uid;
      if (!owner) continue;
      const owned = byOwner.get(owner);
      if (owned) owned.push(o);
      else byOwner.set(owner, [o]);
    }
  }
  return byOwner;
}

/**
 * deploymentRecords reads what a pass did to each Deployment: its revision, and the ReplicaSet
 * (and pod-template-hash) that carries it.
 */
export async function deploymentRecords(client: ClusterClient, entries: PlanEntry[], rollouts: Map<string, RolloutOutcome>, subject: string): Promise<DeploymentRecord[]> {
  const byOwner = await byControllerOwner(client, 'ReplicaSet', entries);
  const out: DeploymentRecord[] = [];
  for (const entry of entries) {
    const ns = entry.namespace ?? 'default';
    const rollout = rollouts.get(entry.ref);
    const d = await client.get('Deployment', ns, entry.name);
    const rec: DeploymentRecord = { namespace: ns, name: entry.name, action: entry.action, ok: rollout?.ok ?? false, ...(entry.origin ? { origin: entry.origin } : {}) };
    // A commit written by `mflux rollback` is an ordinary rolling update; the ledger remembers which revision it restored.
    const to = rollbackTarget(subject, entry.name);
    if (to !== undefined) rec.rollbackTo = to;
    if (d) {
      const rev = d.metadata.annotations?.['deployment.kubernetes.io/revision'];
      if (rev) rec.revision = Number(rev);
      const current = (byOwner.get(d.metadata.uid ?? '') ?? []).find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === rev);
      if (current) {
        rec.replicaSet = current.metadata.name;
        rec.podTemplateHash = current.metadata.labels?.['pod-template-hash'];
      }
      if (rollout?.ok) rec.finishedCluster = rollout.finishedAt;
    }
    out.push(rec);
  }
  return out;
}

/**
 * revisionRecords reads what a pass did to each StatefulSet and DaemonSet: the ControllerRevision
 * that holds the template just applied (the newest the workload owns) and its number — the
 * workload's counterpart of a Deployment's revision and ReplicaSet — and, for a commit `mflux
 * rollback` wrote (its `subject`), the revision it restored.
 */
export async function revisionRecords(client: ClusterClient, entries: PlanEntry[], rollouts: Map<string, RolloutOutcome>, subject: string): Promise<DeploymentRecord[]> {
  const byOwner = await byControllerOwner(client, 'ControllerRevision', entries);
  const out: DeploymentRecord[] = [];
  for (const entry of entries) {
    const ns = entry.namespace ?? 'default';
    const rollout = rollouts.get(entry.ref);
    const w = await client.get(entry.kind, ns, entry.name);
    const rec: DeploymentRecord = { kind: entry.kind, namespace: ns, name: entry.name, action: entry.action, ok: rollout?.ok ?? false, ...(entry.origin ? { origin: entry.origin } : {}) };
    const to = rollbackTarget(subject, entry.name, entry.kind);
    if (to !== undefined) rec.rollbackTo = to;
    const newest = (byOwner.get(w?.metadata.uid ?? '') ?? []).reduce<KubeObject | undefined>((a, b) => (!a || Number((b as { revision?: number }).revision ?? 0) > Number((a as { revision?: number }).revision ?? 0) ? b : a), undefined);
    if (newest) {
      rec.revision = Number((newest as { revision?: number }).revision ?? 0);
      rec.replicaSet = newest.metadata.name;
      rec.podTemplateHash = newest.metadata.labels?.['controller-revision-hash'];
    }
    if (rollout?.ok) rec.finishedCluster = rollout.finishedAt;
    out.push(rec);
  }
  return out;
}

/** rolloutFailures turns rollouts that did not finish into reasons (ProgressDeadlineExceeded, Timeout, Stalled, NotFound). */
export function rolloutFailures(outcomes: RolloutOutcome[]): Reason[] {
  return outcomes.filter((r) => !r.ok).map((f) => ({ code: f.reason, object: f.ref, message: `${f.ref}: ${f.message}` }));
}

/** shortSha is the 7-character abbreviation git prints. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** PreparedPlan is a commit read, validated, planned and guarded against the live cluster — everything short of applying it. */
export interface PreparedPlan {
  objects: ParsedObject[];
  /** reasons lists why the commit cannot be applied (parse errors, duplicates, API validation, guard rules); empty when it can. */
  reasons: Reason[];
  /** blocked is true when a guard rule (not mere invalidity) stopped the commit. */
  blocked: boolean;
  impacts: Impact[];
  plan: Plan;
  inventory: Map<string, KubeObject>;
  /** live maps ref → the object in the cluster when the plan was made. */
  live: Map<string, KubeObject>;
  oidOf: (p: ParsedObject) => string;
  /** kinds is the kind registry the plan used: built-ins plus the cluster's and the commit's CRDs. */
  kinds: KindLookup;
  /** warnings name the files the read skipped (no Kubernetes object in them). */
  warnings: string[];
}

/** splitSubject cuts a `file:line[:col]` subject into file and line (undefined when it has no line). */
function splitSubject(subject: string | undefined): [string | undefined, number | undefined] {
  const m = subject ? /^(.*?):(\d+)(?::\d+)?$/.exec(subject) : null;
  return m ? [m[1], Number(m[2])] : [subject, undefined];
}

/** kindsOf is the registry for planning objects against a cluster: built-ins, the cluster's CRDs and the objects' own CRDs. */
export async function kindsOf(client: ClusterClient, objects: ParsedObject[]): Promise<KindLookup> {
  return kindsFor(objects.map((p) => p.object), await client.list('CustomResourceDefinition'));
}

const EMPTY_PLAN: Plan = { entries: [], counts: { create: 0, update: 0, unchanged: 0, prune: 0, blocked: 0 } };

/**
 * preparePlan reads the manifests at a commit, checks the whole set (syntax, required fields,
 * duplicates), plans it against the live objects, runs the guard over the whole plan and the API
 * server's validation as a dry run. Any reason at all and nothing from the commit may be applied.
 */
export async function preparePlan(o: {
  source: GitSource;
  client: ClusterClient;
  inventory: Map<string, KubeObject>;
  memo: SourceMemo;
  commit: string;
  policy?: Policy;
  /** stamp adds annotations to what the plan changes (the pass stamps change-cause and revision on Deployments). */
  stamp?: Stamp;
  onProgress?: (e: ProgressEvent) => void;
  /** owners names, for each given ref another source owns (its inventory), that source: two owners would undo each other's changes every pass. */
  owners?: (refs: string[]) => Map<string, string>;
}): Promise<PreparedPlan> {
  const { memo: cache, inventory } = o;
  let state: Awaited<ReturnType<typeof renderDesired>>;
  try {
    state = await renderDesired(o.source, o.commit, cache);
  } catch (err) {
    // A kustomization that cannot be built is a bad commit, reported at its file:line; nothing is applied.
    if (!(err instanceof MfluxError) || !RENDER_CODES.has(err.code)) throw err;
    const [file, line] = splitSubject(err.subject);
    const reasons: Reason[] = [{ code: err.code, object: err.subject ?? o.commit, file, line, message: err.message }];
    return { objects: [], reasons, blocked: false, impacts: [], plan: EMPTY_PLAN, inventory, live: new Map(), oidOf: () => '', kinds: await kindsOf(o.client, []), warnings: [] };
  }
  const { objects, issues, reread, oidOf, validKey, warnings } = state;
  o.onProgress?.({ type: 'read', files: state.files, reread, objects: objects.length });
  const kinds = await kindsOf(o.client, objects);
  const syntax: Reason[] = [...issues.map(issueReason), ...findDuplicates(objects, kinds)];
  if (syntax.length > 0) return { objects, reasons: syntax, blocked: false, impacts: [], plan: EMPTY_PLAN, inventory, live: new Map(), oidOf, kinds, warnings };
  // Only objects from files that changed (or failed before) are dry-run; the rest are context.
  const validate = [...objects.keys()].filter((i) => !cache.valid.has(validKey(objects[i]!)));
  const inSync = (ref: string, p: ParsedObject, l: KubeObject) => {
    const seen = cache.synced.get(ref);
    return Boolean(seen && inventory.has(ref) && seen.oid === oidOf(p) && seen.fp === fingerprint(l));
  };
  const owners = o.owners?.(objects.map((p) => refOfObject(p.object, kinds)));
  const planned = await planObjects({ objects, client: o.client, inventory, policy: o.policy, validate, inSync, owners, kinds, stamp: o.stamp });
  if (planned.invalid === 0) for (const i of validate) cache.valid.add(validKey(objects[i]!));
  return { ...planned, objects, inventory, oidOf, warnings };
}

/**
 * planObjects plans parsed objects against the live cluster and judges the whole plan: the guard's
 * rules and the API server's validation (a dry run of the `validate` indexes, all by default).
 * Shared by reconcile, diff and `apply -f`.
 */
export async function planObjects(o: {
  objects: ParsedObject[];
  client: ClusterClient;
  inventory: Map<string, KubeObject>;
  policy?: Policy;
  validate?: number[];
  inSync?: (ref: string, p: ParsedObject, live: KubeObject) => boolean;
  /** owners maps each object another source owns to that source (the guard's OwnedByAnotherSource rule). */
  owners?: Map<string, string>;
  /** kinds is the registry to plan with (default: kindsOf the client and objects). */
  kinds?: KindLookup;
  stamp?: Stamp;
}): Promise<{ reasons: Reason[]; blocked: boolean; impacts: Impact[]; plan: Plan; live: Map<string, KubeObject>; invalid: number; kinds: KindLookup }> {
  const { objects, inventory } = o;
  const kinds = o.kinds ?? (await kindsOf(o.client, objects));
  const validate = o.validate ?? [...objects.keys()];
  const problems = validate.length > 0 ? await o.client.validate(objects.map((p) => p.object), validate) : [];
  const invalid: Reason[] = problems.map(({ index, error }) => {
    const p = objects[index]!;
    return { code: error.code ?? 'Invalid', object: refOfObject(p.object, kinds), file: p.origin.file, line: p.origin.line, message: `${formatOrigin(p.origin)}: ${error.message}` };
  });
  const live = new Map<string, KubeObject>();
  const desiredRefs = new Set<string>();
  const inSync = new Set<string>();
  for (const p of objects) {
    const ref = refOfObject(p.object, kinds);
    desiredRefs.add(ref);
    const ns = kinds.isNamespaced(p.object.kind) ? p.object.metadata.namespace || 'default' : undefined;
    const l = await o.client.get(p.object.kind, ns, p.object.metadata.name);
    if (!l) continue;
    live.set(ref, l);
    if (o.inSync?.(ref, p, l)) inSync.add(ref);
  }
  for (const [ref, last] of inventory) {
    if (desiredRefs.has(ref)) continue;
    const l = await o.client.get(last.kind, last.metadata.namespace, last.metadata.name);
    if (l) live.set(ref, l);
  }
  // The cluster's HPAs decide whose spec.replicas a workload's is; only worth a read when the commit has a workload they could scale.
  const autoscalers = objects.some((p) => SCALED_KINDS.has(p.object.kind)) ? await o.client.list('HorizontalPodAutoscaler') : [];
  let plan: Plan;
  try {
    plan = computePlan({ desired: objects.map((p) => ({ object: p.object, origin: p.origin })), live, inventory, inSync, kinds, redact: (obj) => o.client.redact(obj), stamp: o.stamp, autoscalers });
  } catch (err) {
    // A manifest too malformed to diff has been reported by validation already.
    if (invalid.length > 0) return { reasons: invalid, blocked: false, impacts: [], plan: EMPTY_PLAN, live, invalid: invalid.length, kinds };
    throw err;
  }
  const guard = guardPlan(plan, { policy: o.policy, inventorySize: inventory.size, owners: o.owners });
  // The API server's own "field is immutable" rejection says less than the guard's reason for the same object.
  const guarded = new Set(guard.reasons.filter((r) => r.code === 'ImmutableFieldChange').map((r) => r.object));
  const reasons = [...guard.reasons, ...invalid.filter((r) => !(guarded.has(r.object) && r.message.includes('field is immutable')))];
  return { reasons, blocked: guard.blocked, impacts: guard.impacts, plan: guard.plan, live, invalid: invalid.length, kinds };
}

/** SUPERSEDED_LIMIT caps how many skipped commits one pass records (a first start on a long history should not write thousands of rows). */
const SUPERSEDED_LIMIT = 100;

/** recordSuperseded writes the commits after the last attempted one and before `head` as Superseded passes. */
export async function recordSuperseded(o: { source: GitSource; name: string; url: string; ledger: Ledger; wallNow: () => number; clusterNow: number }, lastAttempted: string | undefined, head: GitRevision): Promise<void> {
  const from = lastAttempted ? parseRevision(lastAttempted)?.commit : undefined;
  if (!from || from === head.commit) return;
  let between: GitRevision[];
  try {
    between = (await o.source.commitsBetween(from, head.commit)).filter((c) => c.commit !== head.commit);
  } catch {
    // The old commit is gone (force-push, gc): there is nothing reachable to call skipped.
    return;
  }
  const now = o.wallNow();
  const cluster = o.clusterNow;
  o.ledger.recordSuperseded(
    between.slice(-SUPERSEDED_LIMIT).map((c) => ({ source: o.name, url: o.url, ref: head.ref, revision: formatRevisionLike(head, c.commit), commit: c.commit, subject: c.subject, author: c.author, startedWall: now, startedCluster: cluster })),
    head.revision,
    now,
    cluster,
  );
}

/** formatRevisionLike writes another commit's revision in the head's form (`main@sha1:<sha>`). */
function formatRevisionLike(head: GitRevision, commit: string): string {
  return head.revision.replace(head.commit, commit);
}

