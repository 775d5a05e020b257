/**
 * One reconcile pass for one source at one commit: source → manifests → plan → apply → wait →
 * prune → ledger. It never sleeps on its own (the clock is an argument) and returns a result the
 * caller schedules from: {outcome, reason, requeueAfter, retryable}.
 */
import { type Clock, type KindLookup, type KubeObject, MfluxError, isMfluxError } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { rolloutStatus } from '../cluster/rollout-status.js';
import type { ManifestIssue, ParsedObject } from '../manifests/index.js';
import { type Impact, type Plan, type PlanEntry, type Policy, type Reason, computePlan, guardPlan, kindsFor, planChanges, refOfObject } from '../plan/index.js';
import { applyPlan, pruneObjects, waitForRollouts, type RolloutOutcome } from '../apply/index.js';
import { type Change, type DeploymentRecord, type Ledger, type Outcome, rollbackTarget } from '../ledger/index.js';
import { type GitSource, type Revision, type TreeFile, parseRevision } from '../source/index.js';
import { readDesired } from './read.js';

/** CHANGE_CAUSE and REVISION_ANNOTATION are what mflux stamps on Deployments it changes, so rollout history shows commits. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
export const MFLUX_REVISION = 'mflux.dev/revision';

/** ParseCache keeps parsed files by path and blob id across passes, so unchanged files are neither read nor parsed again. */
export interface ParseCache {
  files: Map<string, { oid: string; objects: ParsedObject[]; issues: ManifestIssue[] }>;
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
  /** syncedCommit is the commit the last successful pass (Applied or NoChange) left the cluster at. */
  syncedCommit?: string;
}

/** newParseCache makes an empty cache. */
export function newParseCache(): ParseCache {
  return { files: new Map(), synced: new Map(), valid: new Set() };
}

/** ProgressEvent is something a pass reports while it runs (for live output). */
export type ProgressEvent =
  | { type: 'resolved'; revision: Revision; warnings: string[] }
  | { type: 'read'; files: number; reread: number; objects: number }
  | { type: 'planned'; plan: Plan }
  | { type: 'applied'; ref: string; action: string }
  | { type: 'rollout'; ref: string; message: string }
  | { type: 'pruned'; ref: string };

/** ReconcileOptions is the injected world of one pass. */
export interface ReconcileOptions {
  source: GitSource;
  sourceName: string;
  sourceUrl: string;
  client: ClusterClient;
  clock: Clock;
  ledger: Ledger;
  /** wallNow reads the wall clock for ledger times (core/clock's wallClockNow in production). */
  wallNow: () => number;
  timeoutMs: number;
  cache?: ParseCache;
  onProgress?: (e: ProgressEvent) => void;
  /** interval is the requeue delay after success (daemon), in ms. */
  intervalMs?: number;
  /** policy tunes the guard (maxPrune, which impacts block). */
  policy?: Policy;
  /** signal stops the pass at its next safe point (before applying, or between rollout checks): outcome Interrupted. */
  signal?: AbortSignal;
  /**
   * persist saves what the cluster changed so far, with `also` (ledger writes) in the same
   * transaction, so the stored cluster and the ledger never disagree. Called at every safe point:
   * after the apply, at each rollout check, and with the pass's outcome. Without it (a cluster
   * that persists itself) `also` simply runs.
   */
  persist?: (also?: () => void) => void;
  /** coalesce records the commits between the last attempted one and the new head as Superseded (the daemon skips them). */
  coalesce?: boolean;
  /**
   * quietInSync skips the ledger for a pass that finds nothing to do on the no-new-commit fast
   * path (the daemon: one row per source per interval would bury the history in NoChange rows).
   */
  quietInSync?: boolean;
  /** resolved is the head when the caller has resolved the source already (the daemon does, to decide whether to run). */
  resolved?: { revision: Revision; warnings: string[] };
}

/** RolloutSummary is one Deployment's rollout in a result. */
export interface RolloutSummary {
  object: string;
  revision?: number;
  replicaSet?: string;
  ok: boolean;
  message: string;
}

/** ReconcileResult is what a pass did and when to come back. */
export interface ReconcileResult {
  outcome: Outcome;
  reason: string;
  retryable: boolean;
  requeueAfter?: number;
  revision?: Revision;
  reasons: Reason[];
  changes: Change[];
  rollouts: RolloutSummary[];
  warnings: string[];
  passId?: number;
  plan?: Plan;
  impacts?: Impact[];
}

/** fingerprint changes whenever someone else could have changed what we applied (status-only writes do not count). */
export function fingerprint(o: KubeObject): string {
  return o.metadata.generation !== undefined ? `g${o.metadata.generation}:${JSON.stringify(o.metadata.labels ?? {})}` : `rv${o.metadata.resourceVersion}`;
}

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
 * deploymentRecords reads what a pass did to each Deployment: its revision, and the ReplicaSet
 * (and pod-template-hash) that carries it. ReplicaSets are listed once per namespace and matched
 * by owner, not listed once per Deployment (2,500 Deployments would mean 2,500 full lists).
 */
async function deploymentRecords(client: ClusterClient, entries: PlanEntry[], rollouts: Map<string, RolloutOutcome>, subject: string): Promise<DeploymentRecord[]> {
  const byOwner = new Map<string, KubeObject[]>();
  for (const ns of new Set(entries.map((e) => e.namespace ?? 'default'))) {
    for (const rs of await client.list('ReplicaSet', { namespace: ns })) {
      const owner = rs.metadata.ownerReferences?.find((o) => o.controller)?.uid;
      if (owner) byOwner.set(owner, [...(byOwner.get(owner) ?? []), rs]);
    }
  }
  const out: DeploymentRecord[] = [];
  for (const entry of entries) {
    const ns = entry.namespace ?? 'default';
    const rollout = rollouts.get(entry.ref);
    const d = await client.get('Deployment', ns, entry.name);
    const rec: DeploymentRecord = { namespace: ns, name: entry.name, action: entry.action, ok: rollout?.ok ?? false };
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
 * stillInSync is the no-new-commit fast path: the commit is the one the last pass left in sync,
 * and no object it applied has been changed by anyone since (same generation or resourceVersion).
 * Then nothing needs reading, validating or planning.
 */
export async function stillInSync(client: ClusterClient, cache: ParseCache, commit: string): Promise<boolean> {
  if (cache.commit !== commit || cache.synced.size === 0 || cache.syncedCommit !== commit) return false;
  for (const s of cache.synced.values()) {
    const live = await client.get(s.kind, s.namespace, s.name);
    if (!live || fingerprint(live) !== s.fp) return false;
  }
  return true;
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
  cache: ParseCache;
  commit: string;
  policy?: Policy;
  onProgress?: (e: ProgressEvent) => void;
  /** owners names, for each given ref another source owns (its inventory), that source: two owners would undo each other's changes every pass. */
  owners?: (refs: string[]) => Map<string, string>;
}): Promise<PreparedPlan> {
  const { cache, inventory } = o;
  const { objects, issues, reread } = await readDesired(o.source, o.commit, cache);
  o.onProgress?.({ type: 'read', files: cache.listing?.length ?? 0, reread, objects: objects.length });
  const oidOf = (p: ParsedObject) => cache.files.get(p.origin.file)?.oid ?? '';
  const kinds = await kindsOf(o.client, objects);
  const syntax: Reason[] = [...issues.map(issueReason), ...findDuplicates(objects, kinds)];
  if (syntax.length > 0) return { objects, reasons: syntax, blocked: false, impacts: [], plan: EMPTY_PLAN, inventory, live: new Map(), oidOf, kinds };
  // Only objects from files that changed (or failed before) are dry-run; the rest are context.
  const validate = [...objects.keys()].filter((i) => !cache.valid.has(objects[i]!.origin.file));
  const inSync = (ref: string, p: ParsedObject, l: KubeObject) => {
    const seen = cache.synced.get(ref);
    return Boolean(seen && inventory.has(ref) && seen.oid === oidOf(p) && seen.fp === fingerprint(l));
  };
  const owners = o.owners?.(objects.map((p) => refOfObject(p.object, kinds)));
  const planned = await planObjects({ objects, client: o.client, inventory, policy: o.policy, validate, inSync, owners, kinds });
  if (planned.invalid === 0) for (const i of validate) cache.valid.add(objects[i]!.origin.file);
  return { ...planned, objects, inventory, oidOf };
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
}): Promise<{ reasons: Reason[]; blocked: boolean; impacts: Impact[]; plan: Plan; live: Map<string, KubeObject>; invalid: number; kinds: KindLookup }> {
  const { objects, inventory } = o;
  const kinds = o.kinds ?? (await kindsOf(o.client, objects));
  const validate = o.validate ?? [...objects.keys()];
  const problems = validate.length > 0 ? await o.client.validate(objects.map((p) => p.object), validate) : [];
  const invalid: Reason[] = problems.map(({ index, error }) => {
    const p = objects[index]!;
    return { code: error.code ?? 'Invalid', object: refOfObject(p.object, kinds), file: p.origin.file, line: p.origin.line, message: `${p.origin.file}:${p.origin.line}: ${error.message}` };
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
  let plan: Plan;
  try {
    plan = computePlan({ desired: objects.map((p) => ({ object: p.object, origin: p.origin })), live, inventory, inSync, kinds, redact: (obj) => o.client.redact(obj) });
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
async function recordSuperseded(o: ReconcileOptions, lastAttempted: string | undefined, head: Revision): Promise<void> {
  const from = lastAttempted ? parseRevision(lastAttempted)?.commit : undefined;
  if (!from || from === head.commit) return;
  let between: Revision[];
  try {
    between = (await o.source.commitsBetween(from, head.commit)).filter((c) => c.commit !== head.commit);
  } catch {
    // The old commit is gone (force-push, gc): there is nothing reachable to call skipped.
    return;
  }
  const now = o.wallNow();
  const cluster = o.clock.now();
  o.ledger.recordSuperseded(
    between.slice(-SUPERSEDED_LIMIT).map((c) => ({ source: o.sourceName, url: o.sourceUrl, ref: head.ref, revision: formatRevisionLike(head, c.commit), commit: c.commit, subject: c.subject, author: c.author, startedWall: now, startedCluster: cluster })),
    head.revision,
    now,
    cluster,
  );
}

/** formatRevisionLike writes another commit's revision in the head's form (`main@sha1:<sha>`). */
function formatRevisionLike(head: Revision, commit: string): string {
  return head.revision.replace(head.commit, commit);
}

/**
 * reconcileOnce runs one pass. Validation of the whole commit comes before any write: one bad
 * object and nothing from the commit is applied (Invalid). Re-applying the same commit writes
 * nothing (NoChange). Prune runs last, after every changed Deployment is healthy.
 */
export async function reconcileOnce(o: ReconcileOptions): Promise<ReconcileResult> {
  const cache = o.cache ?? newParseCache();
  const base = { reasons: [] as Reason[], changes: [] as Change[], rollouts: [] as RolloutSummary[], warnings: [] as string[], impacts: [] as Impact[] };
  const state = o.ledger.sourceState(o.sourceName);
  let revision: Revision;
  try {
    const r = o.resolved ?? (await o.source.resolve(state.lastAppliedCommit));
    revision = r.revision;
    base.warnings.push(...r.warnings);
    o.onProgress?.({ type: 'resolved', revision, warnings: r.warnings });
  } catch (err) {
    const retryable = Boolean(isMfluxError(err) && err.details.retryable);
    return { ...base, outcome: 'Failed', reason: (err as Error).message, retryable, requeueAfter: retryable ? 30_000 : undefined, reasons: [{ code: isMfluxError(err) ? err.code : 'Internal', object: o.sourceName, message: (err as Error).message }] };
  }
  const persist = (also?: () => void) => {
    if (!o.persist) return also?.();
    try {
      o.persist(also);
    } catch (err) {
      // The write failed and the caller rolled the cluster back to what is on disk: what this cache
      // remembers as in sync may never have been saved, so the next pass must plan from scratch.
      cache.synced.clear();
      cache.syncedCommit = undefined;
      throw err;
    }
  };
  const inSync = await stillInSync(o.client, cache, revision.commit);
  if (inSync && o.quietInSync) {
    return { ...base, outcome: 'NoChange', reason: `${revision.revision} is already applied`, revision, retryable: false, requeueAfter: o.intervalMs };
  }
  if (o.coalesce) await recordSuperseded(o, state.lastAttemptedRevision, revision);

  const passId = o.ledger.beginPass({
    source: o.sourceName,
    url: o.sourceUrl,
    ref: revision.ref,
    revision: revision.revision,
    commit: revision.commit,
    subject: revision.subject,
    author: revision.author,
    startedWall: o.wallNow(),
    startedCluster: o.clock.now(),
  });
  const finish = (outcome: Outcome, reason: string, extra: Partial<ReconcileResult> & { deployments?: DeploymentRecord[]; inventory?: { upserts: [string, KubeObject][]; deletes: string[] } } = {}): ReconcileResult => {
    // Only a pass that could not finish its work may be retried on the same commit: a failure
    // (fetch, internal), a rollout that merely ran out of time, or an interruption. A rollout past
    // its progress deadline, a guard block or an invalid commit stay as they are until a new commit.
    const retryable = outcome === 'Failed' || outcome === 'Interrupted' || (outcome === 'RolloutFailed' && (extra.reasons ?? []).every((r) => r.code === 'Timeout'));
    const result: ReconcileResult = { ...base, ...extra, outcome, reason, revision, passId, retryable };
    persist(() =>
      o.ledger.finishPass(passId, {
        outcome,
        reasons: result.reasons,
        changes: result.changes,
        deployments: extra.deployments ?? [],
        finishedWall: o.wallNow(),
        finishedCluster: o.clock.now(),
        inventory: extra.inventory,
      }),
    );
    if (o.intervalMs !== undefined && result.requeueAfter === undefined) result.requeueAfter = o.intervalMs;
    return result;
  };

  const waitFor = (entries: PlanEntry[]) =>
    waitForRollouts(
      o.client,
      entries.map((e) => ({ ref: e.ref, namespace: e.namespace ?? 'default', name: e.name })),
      o.clock,
      o.timeoutMs,
      (ref, message) => o.onProgress?.({ type: 'rollout', ref, message }),
      () => persist(),
      o.signal,
    );
  const interrupted = (what: string) => `interrupted ${what} ${revision.revision}; what was applied stays applied and the next pass continues`;

  try {
    if (inSync) return finish('NoChange', `${revision.revision} is already applied`);
    const prepared = await preparePlan({
      source: o.source,
      client: o.client,
      inventory: o.ledger.inventory(o.sourceName),
      cache,
      commit: revision.commit,
      policy: o.policy,
      onProgress: o.onProgress,
      owners: (refs) => o.ledger.ownersOf(refs, o.sourceName),
    });
    // Impacts belong to every result from here on (Blocked, Applied, RolloutFailed, …), as warnings and in `impacts`.
    base.impacts.push(...prepared.impacts);
    base.warnings.push(...prepared.impacts.map((i) => `${i.code}: ${i.message}`));
    if (prepared.reasons.length > 0) {
      const outcome: Outcome = prepared.blocked ? 'Blocked' : 'Invalid';
      if (prepared.blocked) o.onProgress?.({ type: 'planned', plan: prepared.plan });
      return finish(outcome, `${prepared.reasons.length} problem(s) in ${revision.revision}; nothing was applied, the cluster keeps the last applied revision`, {
        reasons: prepared.reasons,
        plan: prepared.plan,
        impacts: prepared.impacts,
      });
    }
    const { plan, objects, oidOf, inventory, live, kinds } = prepared;
    o.onProgress?.({ type: 'planned', plan });
    const changes = planChanges(plan);
    const newInventory = {
      upserts: plan.entries.filter((e) => e.manifest && (e.action !== 'unchanged' || !inventory.has(e.ref))).map((e) => [e.ref, o.client.redact(e.manifest!)] as [string, KubeObject]),
      deletes: plan.entries.filter((e) => e.action === 'prune').map((e) => e.ref),
    };
    // Remember what is now in sync; after writes the live objects are read again (their generation moved).
    const remember = async (fresh: boolean) => {
      cache.synced.clear();
      cache.syncedCommit = revision.commit;
      for (const p of objects) {
        const ref = refOfObject(p.object, kinds);
        const ns = kinds.isNamespaced(p.object.kind) ? p.object.metadata.namespace || 'default' : undefined;
        const l = fresh ? await o.client.get(p.object.kind, ns, p.object.metadata.name) : live.get(ref);
        if (l) cache.synced.set(ref, { kind: p.object.kind, namespace: ns, name: p.object.metadata.name, oid: oidOf(p), fp: fingerprint(l) });
      }
    };
    if (changes.length === 0) {
      // Nothing to write — but a rollout this commit started may still be running or stuck: health counts too.
      const unhealthy = plan.entries.filter((e) => e.kind === 'Deployment' && e.live && !rolloutStatus(e.live).done);
      if (unhealthy.length > 0) {
        const reasons = rolloutFailures(await waitFor(unhealthy));
        if (reasons.some((r) => r.code === 'Interrupted')) return finish('Interrupted', interrupted('waiting for the rollouts of'), { plan, reasons, inventory: newInventory });
        if (reasons.length > 0) return finish('RolloutFailed', reasons.map((r) => r.message).join('; '), { plan, reasons, inventory: newInventory });
      }
      await remember(unhealthy.length > 0);
      return finish('NoChange', `${revision.revision} is already applied`, { plan, inventory: newInventory });
    }
    cache.synced.clear();
    cache.syncedCommit = undefined;
    if (o.signal?.aborted) return finish('Interrupted', interrupted('before applying'), { plan });

    const cause = `${revision.subject} (${shortSha(revision.commit)})`;
    const applied = await applyPlan(o.client, plan.entries, (e) => (e.kind === 'Deployment' ? { [CHANGE_CAUSE]: cause, [MFLUX_REVISION]: revision.revision } : undefined));
    for (const a of applied) o.onProgress?.({ type: 'applied', ref: a.ref, action: a.result.action });

    const deployments = plan.entries.filter((e) => e.kind === 'Deployment' && (e.action === 'create' || e.action === 'update'));
    // Safe point: the commit is applied. Its revisions and the new inventory are stored with the
    // cluster, so even a process killed during the rollout leaves commit → revision behind.
    const provisional = await deploymentRecords(o.client, deployments, new Map(), revision.subject);
    persist(() => o.ledger.recordApplied(passId, provisional, newInventory.upserts));
    const outcomes = await waitFor(deployments);
    const byRef = new Map(outcomes.map((r) => [r.ref, r]));
    const records = await deploymentRecords(o.client, deployments, byRef, revision.subject);
    const rollouts: RolloutSummary[] = deployments.map((e, i) => ({
      object: e.ref,
      revision: records[i]!.revision,
      replicaSet: records[i]!.replicaSet,
      ok: byRef.get(e.ref)!.ok,
      message: byRef.get(e.ref)!.message,
    }));
    const failReasons = rolloutFailures(outcomes);
    if (failReasons.some((r) => r.code === 'Interrupted')) {
      return finish('Interrupted', interrupted('the rollouts of'), { plan, changes, rollouts, reasons: failReasons, deployments: records, inventory: { upserts: newInventory.upserts, deletes: [] } });
    }
    if (failReasons.length > 0) {
      // What was applied stays applied (the cluster keeps serving from the old ReplicaSet); prune waits for a healthy pass.
      return finish('RolloutFailed', failReasons.map((r) => r.message).join('; '), {
        plan,
        changes,
        rollouts,
        reasons: failReasons,
        deployments: records,
        inventory: { upserts: newInventory.upserts, deletes: [] },
      });
    }
    for (const ref of await pruneObjects(o.client, plan.entries)) o.onProgress?.({ type: 'pruned', ref });
    await remember(true);
    return finish('Applied', `applied ${revision.revision}`, { plan, changes, rollouts, deployments: records, inventory: newInventory });
  } catch (err) {
    const e = err instanceof MfluxError ? err : new MfluxError('Internal', String((err as Error)?.stack ?? err));
    const reasons = [{ code: e.code, object: e.subject ?? revision.revision, message: e.message }];
    // A symlink out of the repository is in the commit itself: like an invalid manifest, retrying the same commit cannot help.
    if (e.code === 'PathEscape') return finish('Invalid', `${revision.revision} cannot be read safely; nothing was applied, the cluster keeps the last applied revision`, { reasons });
    return finish('Failed', e.message, { reasons });
  }
}
