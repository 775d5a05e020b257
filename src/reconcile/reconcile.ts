/**
 * One reconcile pass for one source at one commit, read as its table of contents:
 * resolve → render → parse/validate → plan → guard → apply → await → prune → record.
 * Each phase is a function with a typed result (phases.ts); this file only strings them together
 * and decides the outcome. It never sleeps on its own (the clock is an argument) and returns a
 * result the caller schedules from: {outcome, reason, requeueAfter, retryable}.
 */
import { type Clock, type KubeObject, MfluxError, isMfluxError } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { objectHealth } from '../cluster/rollout-status.js';
import { type Impact, type Plan, type PlanEntry, type Policy, type Reason, type Stamp, planChanges, refOfObject } from '../plan/index.js';
import { ServingMeter, applyPlan, awaited, pruneObjects, servicesToWatch, waitForRollouts, type AppliedEntry } from '../apply/index.js';
import { type LedgerChange, type DeploymentRecord, type Ledger, type Outcome, type ServiceRecord } from '../ledger/index.js';
import type { GitSource, GitRevision } from '../source/index.js';
import { type SourceMemo, fingerprint, forgetSync, newSourceMemo, stillInSync } from './memo.js';
import { type PreparedPlan, type ProgressEvent, deploymentRecords, preparePlan, recordSuperseded, revisionRecords, rolloutFailures, shortSha } from './phases.js';

/** CHANGE_CAUSE and MFLUX_REVISION are what mflux stamps on Deployments it changes, so rollout history shows commits. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
export const MFLUX_REVISION = 'mflux.dev/revision';

/** PassWorld is the injected world a pass runs in: the cluster, the clock, the ledger (on the store) and how to save. */
export interface PassWorld {
  client: ClusterClient;
  clock: Clock;
  ledger: Ledger;
  /** wallNow reads the wall clock for ledger times (core/clock's wallClockNow in production). */
  wallNow: () => number;
  /**
   * persist saves what the cluster changed so far, with `also` (ledger writes) in the same
   * transaction, so the stored cluster and the ledger never disagree. Called at every safe point:
   * after the apply, at each rollout check, and with the pass's outcome. Without it (a cluster
   * that persists itself) `also` simply runs.
   */
  persist?: (also?: () => void) => void;
}

/** PassSource is the source a pass reconciles: its Git reader, its name and URL, and what it remembers between passes. */
export interface PassSource {
  git: GitSource;
  name: string;
  url: string;
  memo?: SourceMemo;
}

/** PassRules are the judgement a pass applies: the guard's policy and how long rollouts may take (cluster time; 0: no limit). */
export interface PassRules {
  policy?: Policy;
  timeoutMs: number;
}

/** PassHooks are the caller's own: live progress, stopping, and the daemon's scheduling. */
export interface PassHooks {
  onProgress?: (e: ProgressEvent) => void;
  /** signal stops the pass at its next safe point (before applying, or between rollout checks): outcome Interrupted. */
  signal?: AbortSignal;
  /** intervalMs is the requeue delay after a pass (the daemon's interval). */
  intervalMs?: number;
  /** coalesce records the commits between the last attempted one and the new head as Superseded (the daemon skips them). */
  coalesce?: boolean;
  /** quietInSync skips the ledger for a pass that finds nothing to do on the no-new-commit fast path (one row per interval would bury the history). */
  quietInSync?: boolean;
  /** resolved is the head when the caller has resolved the source already (the daemon does, to decide whether to run). */
  resolved?: { revision: GitRevision; warnings: string[] };
}

/** ReconcileOptions is one pass's input: the world, the source, the rules and the caller's hooks. */
export interface ReconcileOptions {
  world: PassWorld;
  source: PassSource;
  rules: PassRules;
  hooks?: PassHooks;
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
  revision?: GitRevision;
  reasons: Reason[];
  changes: LedgerChange[];
  rollouts: RolloutSummary[];
  warnings: string[];
  passId?: number;
  plan?: Plan;
  impacts?: Impact[];
}

type InventoryChange = { upserts: [string, KubeObject][]; deletes: string[] };
type Finish = Partial<ReconcileResult> & { deployments?: DeploymentRecord[]; services?: ServiceRecord[]; inventory?: InventoryChange };

/**
 * PassRecord is the ledger side of one pass: the attempt is recorded before anything happens
 * (kustomize-controller's lastAttemptedRevision), every safe point saves the cluster with the
 * ledger, and finish() writes the outcome.
 */
class PassRecord {
  readonly id: number;
  readonly base = { reasons: [] as Reason[], changes: [] as LedgerChange[], rollouts: [] as RolloutSummary[], warnings: [] as string[], impacts: [] as Impact[] };

  constructor(
    private readonly o: ReconcileOptions,
    private readonly memo: SourceMemo,
    readonly revision: GitRevision,
    warnings: string[],
  ) {
    this.base.warnings.push(...warnings);
    const { world, source } = o;
    this.id = world.ledger.beginPass({ source: source.name, url: source.url, ref: revision.ref, revision: revision.revision, commit: revision.commit, subject: revision.subject, author: revision.author, startedWall: world.wallNow(), startedCluster: world.clock.now(), path: source.git.path });
  }

  /** save is a safe point: the cluster so far, with `also` in the same transaction. A failed save leaves nothing believed in sync. */
  save(also?: () => void): void {
    const persist = this.o.world.persist;
    if (!persist) return also?.();
    try {
      persist(also);
    } catch (err) {
      // The caller rolled the cluster back to what is on disk: what the memo calls in sync may never have been saved.
      forgetSync(this.memo);
      throw err;
    }
  }

  finish(outcome: Outcome, reason: string, extra: Finish = {}): ReconcileResult {
    // Only a pass that could not finish its work may be retried on the same commit: a failure
    // (fetch, internal), a conflict with another writer, a rollout that merely ran out of time, or an
    // interruption. A rollout past its progress deadline, a guard block or an invalid commit stay as
    // they are until a new commit.
    const retryable = outcome === 'Failed' || outcome === 'Interrupted' || outcome === 'Conflict' || (outcome === 'RolloutFailed' && (extra.reasons ?? []).every((r) => r.code === 'Timeout'));
    const result: ReconcileResult = { ...this.base, ...extra, outcome, reason, revision: this.revision, passId: this.id, retryable };
    const { world } = this.o;
    this.save(() => world.ledger.finishPass(this.id, { outcome, reasons: result.reasons, changes: result.changes, deployments: extra.deployments ?? [], services: extra.services, finishedWall: world.wallNow(), finishedCluster: world.clock.now(), inventory: extra.inventory }));
    if (this.o.hooks?.intervalMs !== undefined && result.requeueAfter === undefined) result.requeueAfter = this.o.hooks.intervalMs;
    return result;
  }
}

/**
 * reconcileOnce runs one pass. Validation of the whole commit comes before any write: one bad
 * object and nothing from the commit is applied (Invalid). Re-applying the same commit writes
 * nothing (NoChange). Prune runs last, after every changed Deployment is healthy.
 */
export async function reconcileOnce(o: ReconcileOptions): Promise<ReconcileResult> {
  const memo = o.source.memo ?? newSourceMemo();
  const head = await resolve(o);
  if ('failed' in head) return head.failed;
  const { revision } = head;
  const inSync = await stillInSync(o.world.client, memo, revision.commit);
  if (inSync && o.hooks?.quietInSync) return { reasons: [], changes: [], rollouts: [], warnings: head.warnings, outcome: 'NoChange', reason: alreadyApplied(revision), revision, retryable: false, requeueAfter: o.hooks.intervalMs };
  if (o.hooks?.coalesce) await recordSuperseded({ ...o.source, source: o.source.git, ledger: o.world.ledger, wallNow: o.world.wallNow, clusterNow: o.world.clock.now() }, o.world.ledger.sourceState(o.source.name).lastAttemptedRevision, revision);
  const record = new PassRecord(o, memo, revision, head.warnings);
  try {
    if (inSync) return record.finish('NoChange', alreadyApplied(revision));
    let prepared = await plan(o, memo, revision); //                            render → parse/validate → plan → guard
    record.base.warnings.push(...prepared.warnings);
    record.base.impacts.push(...prepared.impacts);
    record.base.warnings.push(...prepared.impacts.map((i) => `${i.code}: ${i.message}`));
    if (prepared.reasons.length > 0) return judged(o, record, prepared);
    o.hooks?.onProgress?.({ type: 'planned', plan: prepared.plan });
    if (planChanges(prepared.plan).length === 0) return await confirmHealth(o, record, memo, prepared);
    forgetSync(memo);
    if (o.hooks?.signal?.aborted) return record.finish('Interrupted', interrupted('before applying', revision), { plan: prepared.plan });
    // What each Service the commit can affect serves, from just before the apply to the end of the wait (the ledger keeps its minimum).
    const serving = new ServingMeter(o.world.client, o.world.clock, await servicesToWatch(o.world.client, prepared.plan.entries));
    await serving.before();
    serving.applied();
    const written = await apply(o, memo, revision, prepared); //                apply (re-planned once on a Conflict)
    if ('conflict' in written) return record.finish('Conflict', written.conflict.message, { plan: written.prepared.plan, reasons: [{ code: 'Conflict', object: written.conflict.subject ?? revision.revision, message: written.conflict.message }] });
    prepared = written.prepared;
    return await settle(o, record, memo, prepared, serving); //                          await → prune → record
  } catch (err) {
    const e = err instanceof MfluxError ? err : new MfluxError('Internal', String((err as Error)?.stack ?? err));
    const reasons = [{ code: e.code, object: e.subject ?? revision.revision, message: e.message }];
    // A symlink out of the repository is in the commit itself: like an invalid manifest, retrying the same commit cannot help.
    if (e.code === 'PathEscape') return record.finish('Invalid', `${revision.revision} cannot be read safely; nothing was applied, the cluster keeps the last applied revision`, { reasons });
    return record.finish('Failed', e.message, { reasons });
  }
}

// ---- the phases as the pass uses them --------------------------------------------------------

/** resolve finds the commit to reconcile (or takes the caller's); a failure here is recorded nowhere — there is no commit to record. */
async function resolve(o: ReconcileOptions): Promise<{ revision: GitRevision; warnings: string[] } | { failed: ReconcileResult }> {
  try {
    const r = o.hooks?.resolved ?? (await o.source.git.resolve(o.world.ledger.sourceState(o.source.name).lastAppliedCommit));
    o.hooks?.onProgress?.({ type: 'resolved', revision: r.revision, warnings: r.warnings });
    return { revision: r.revision, warnings: [...r.warnings] };
  } catch (err) {
    const retryable = Boolean(isMfluxError(err) && err.details.retryable);
    const message = (err as Error).message;
    return { failed: { outcome: 'Failed', reason: message, retryable, requeueAfter: retryable ? 30_000 : undefined, reasons: [{ code: isMfluxError(err) ? err.code : 'Internal', object: o.source.name, message }], changes: [], rollouts: [], warnings: [] } };
  }
}

/** stampFor is what a pass writes on the Deployments it changes: the commit as change-cause, and the Git revision. */
export function stampFor(revision: GitRevision): Stamp {
  const cause = `${revision.subject} (${shortSha(revision.commit)})`;
  return (m) => (m.kind === 'Deployment' ? { [CHANGE_CAUSE]: cause, [MFLUX_REVISION]: revision.revision } : undefined);
}

/** plan reads, renders, checks, plans and guards the commit against the live cluster (phases.ts preparePlan). */
function plan(o: ReconcileOptions, memo: SourceMemo, revision: GitRevision): Promise<PreparedPlan> {
  const { world, source } = o;
  return preparePlan({
    source: source.git,
    client: world.client,
    inventory: world.ledger.inventory(source.name),
    memo,
    commit: revision.commit,
    policy: o.rules.policy,
    onProgress: o.hooks?.onProgress,
    owners: (refs) => world.ledger.ownersOf(refs, source.name),
    stamp: stampFor(revision),
  });
}

/** judged ends a pass whose commit was refused: Blocked by the guard, or Invalid; nothing was applied. */
function judged(o: ReconcileOptions, record: PassRecord, prepared: PreparedPlan): ReconcileResult {
  if (prepared.blocked) o.hooks?.onProgress?.({ type: 'planned', plan: prepared.plan });
  return record.finish(prepared.blocked ? 'Blocked' : 'Invalid', `${prepared.reasons.length} problem(s) in ${record.revision.revision}; nothing was applied, the cluster keeps the last applied revision`, { reasons: prepared.reasons, plan: prepared.plan, impacts: prepared.impacts });
}

/** newInventory is what the source owns after this plan: every manifest it applied (as the cluster keeps it), minus what it prunes. */
function newInventory(client: ClusterClient, prepared: PreparedPlan): InventoryChange {
  const { plan: p, inventory } = prepared;
  return {
    upserts: p.entries.filter((e) => e.manifest && (e.action !== 'unchanged' || !inventory.has(e.ref))).map((e) => [e.ref, client.redact(e.manifest!)] as [string, KubeObject]),
    deletes: p.entries.filter((e) => e.action === 'prune').map((e) => e.ref),
  };
}

/** remember records what is now in sync; after writes the live objects are read again (their generation moved). */
async function remember(client: ClusterClient, memo: SourceMemo, revision: GitRevision, prepared: PreparedPlan, fresh: boolean): Promise<void> {
  const { objects, kinds, live, oidOf } = prepared;
  memo.synced.clear();
  memo.syncedCommit = revision.commit;
  for (const p of objects) {
    const ref = refOfObject(p.object, kinds);
    const ns = kinds.isNamespaced(p.object.kind) ? p.object.metadata.namespace || 'default' : undefined;
    const l = fresh ? await client.get(p.object.kind, ns, p.object.metadata.name) : live.get(ref);
    if (l) memo.synced.set(ref, { kind: p.object.kind, namespace: ns, name: p.object.metadata.name, oid: oidOf(p), fp: fingerprint(l) });
  }
}

/** waitFor awaits the rollouts of some entries, saving at each check (and counting ready endpoints, with a serving meter). */
function waitFor(o: ReconcileOptions, record: PassRecord, entries: PlanEntry[], serving?: ServingMeter) {
  return waitForRollouts(
    o.world.client,
    entries.map((e) => ({ ref: e.ref, kind: e.kind, namespace: e.namespace ?? 'default', name: e.name })),
    o.world.clock,
    o.rules.timeoutMs,
    (ref, message) => o.hooks?.onProgress?.({ type: 'rollout', ref, message }),
    async () => {
      await serving?.sample();
      record.save();
    },
    o.hooks?.signal,
  );
}

/** confirmHealth ends a pass with nothing to write — but a rollout this commit started may still be running or stuck: health counts too. */
async function confirmHealth(o: ReconcileOptions, record: PassRecord, memo: SourceMemo, prepared: PreparedPlan): Promise<ReconcileResult> {
  const { plan: p } = prepared;
  const inventory = newInventory(o.world.client, prepared);
  const unhealthy = p.entries.filter((e) => awaited(e.kind) && e.live && objectHealth(e.live).status !== 'Current');
  if (unhealthy.length > 0) {
    const reasons = rolloutFailures(await waitFor(o, record, unhealthy));
    if (reasons.some((r) => r.code === 'Interrupted')) return record.finish('Interrupted', interrupted('waiting for the rollouts of', record.revision), { plan: p, reasons, inventory });
    if (reasons.length > 0) return record.finish('RolloutFailed', reasons.map((r) => r.message).join('; '), { plan: p, reasons, inventory });
  }
  await remember(o.world.client, memo, record.revision, prepared, unhealthy.length > 0);
  return record.finish('NoChange', alreadyApplied(record.revision), { plan: p, inventory });
}

/**
 * apply writes the plan's patches. When the cluster changed between plan and apply (a write's
 * preconditions fail: Conflict), the commit is planned again against the cluster as it is now and
 * applied once more; a second Conflict ends the pass (retryable).
 */
async function apply(o: ReconcileOptions, memo: SourceMemo, revision: GitRevision, prepared: PreparedPlan): Promise<{ prepared: PreparedPlan; applied: AppliedEntry[] } | { conflict: MfluxError; prepared: PreparedPlan }> {
  let current = prepared;
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await applyPlan(o.world.client, current.plan.entries);
      for (const a of applied) o.hooks?.onProgress?.({ type: 'applied', ref: a.ref, action: a.result.action });
      return { prepared: current, applied };
    } catch (err) {
      if (!isMfluxError(err, 'Conflict')) throw err;
      if (attempt === 2) return { conflict: err, prepared: current };
      o.hooks?.onProgress?.({ type: 'replanned', reason: err.message });
      memo.valid.clear();
      current = await plan(o, memo, revision);
      if (current.reasons.length > 0) throw new MfluxError('Conflict', `${err.message}; planned again, the commit no longer applies: ${current.reasons.map((r) => r.message).join('; ')}`, { details: { retryable: true } });
      o.hooks?.onProgress?.({ type: 'planned', plan: current.plan });
    }
  }
}

/** settle is the end of an applied pass: save the commit → revision records, await the rollouts, prune last, record the outcome. */
async function settle(o: ReconcileOptions, record: PassRecord, memo: SourceMemo, prepared: PreparedPlan, serving: ServingMeter): Promise<ReconcileResult> {
  const { client, ledger } = o.world;
  const { plan: p } = prepared;
  // The ledger keeps where each changed object came from (file:line and the kustomizations that changed it).
  const originOf = new Map(p.entries.map((e) => [e.ref, e.origin]));
  const changes: LedgerChange[] = planChanges(p).map((c) => (originOf.get(c.object) ? { ...c, origin: originOf.get(c.object) } : c));
  const inventory = newInventory(client, prepared);
  const deployments = p.entries.filter((e) => e.kind === 'Deployment' && (e.action === 'create' || e.action === 'update'));
  // Every changed object whose health means something is awaited: workloads, Jobs, claims, custom resources.
  const watched = p.entries.filter((e) => awaited(e.kind) && (e.action === 'create' || e.action === 'update'));
  // Safe point: the commit is applied. Its revisions and the new inventory are stored with the
  // cluster, so even a process killed during the rollout leaves commit → revision behind.
  const provisional = await deploymentRecords(client, deployments, new Map(), record.revision.subject);
  record.save(() => ledger.recordApplied(record.id, provisional, inventory.upserts));
  const outcomes = await waitFor(o, record, watched, serving); //             await
  const services: ServiceRecord[] = (await serving.measures()).map(({ namespace, name, readyBefore, minReady, readyAfter, desired, zeroMs }) => ({ namespace, name, readyBefore, minReady, readyAfter, desired, zeroMs }));
  const byRef = new Map(outcomes.map((r) => [r.ref, r]));
  const records = await deploymentRecords(client, deployments, byRef, record.revision.subject);
  const revisioned = p.entries.filter((e) => (e.kind === 'StatefulSet' || e.kind === 'DaemonSet') && (e.action === 'create' || e.action === 'update'));
  const workloadRecords = await revisionRecords(client, revisioned, byRef, record.revision.subject);
  const rollouts: RolloutSummary[] = [
    ...deployments.map((e, i) => ({ object: e.ref, revision: records[i]!.revision, replicaSet: records[i]!.replicaSet, ok: byRef.get(e.ref)!.ok, message: byRef.get(e.ref)!.message })),
    ...watched.filter((e) => e.kind !== 'Deployment').map((e) => ({ object: e.ref, revision: workloadRecords.find((w) => w.kind === e.kind && w.name === e.name && w.namespace === (e.namespace ?? 'default'))?.revision, ok: byRef.get(e.ref)!.ok, message: byRef.get(e.ref)!.message })),
  ];
  const failReasons = rolloutFailures(outcomes);
  const kept = { upserts: inventory.upserts, deletes: [] };
  if (failReasons.some((r) => r.code === 'Interrupted')) return record.finish('Interrupted', interrupted('the rollouts of', record.revision), { plan: p, changes, rollouts, reasons: failReasons, deployments: [...records, ...workloadRecords], services, inventory: kept });
  // What was applied stays applied (the cluster keeps serving from the old ReplicaSet); prune waits for a healthy pass.
  if (failReasons.length > 0) return record.finish('RolloutFailed', failReasons.map((r) => r.message).join('; '), { plan: p, changes, rollouts, reasons: failReasons, deployments: [...records, ...workloadRecords], services, inventory: kept });
  for (const ref of await pruneObjects(client, p.entries)) o.hooks?.onProgress?.({ type: 'pruned', ref }); //  prune
  await remember(client, memo, record.revision, prepared, true);
  return record.finish('Applied', `applied ${record.revision.revision}`, { plan: p, changes, rollouts, deployments: [...records, ...workloadRecords], services, inventory }); // record
}

function alreadyApplied(revision: GitRevision): string {
  return `${revision.revision} is already applied`;
}

function interrupted(what: string, revision: GitRevision): string {
  return `interrupted ${what} ${revision.revision}; what was applied stays applied and the next pass continues`;
}
