/**
 * The pre-merge check: what merging head would do to a cluster running base, predicted offline.
 *
 * A fresh simulated cluster (from the caller's `newCluster`, never a state dir) is seeded with
 * the base commit, fully rolled out on its virtual clock. Head is then read, validated, planned
 * against it and guarded exactly as `reconcile` would — and, when nothing stops it, applied, every
 * changed workload's rollout (Deployment, StatefulSet, DaemonSet, Job) simulated and measured
 * (RolloutMeter), and what left Git pruned.
 * With `eachCommit`, a second cluster seeded from base replays every commit between base and head
 * one at a time, as a poller that saw each of them alone would have deployed them.
 */
import { type Clock, type KindLookup, type KubeObject, canonicalJSON, isMfluxError } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import type { Origin, ParsedObject } from '../manifests/index.js';
import { type PlanEntry, type Policy, type Reason, DEFAULT_POLICY, entryDiff, normalise, refOfObject } from '../plan/index.js';
import { SERVING_KINDS } from '../cluster/serving.js';
import { ServingMeter, applyPlan, awaited, pruneObjects, servicesToWatch, waitForRollouts, type RolloutOutcome } from '../apply/index.js';
import { type SourceMemo, type PreparedPlan, fingerprint, newSourceMemo, planObjects, preparePlan, shortSha } from '../reconcile/index.js';
import type { GitSource, GitRevision } from '../source/index.js';
import { MEASURED_KINDS, RolloutMeter } from './measure.js';
import { DEFAULT_MIN_SERVING_RATIO, type Rendered, type ServingProblem, newProblems, servingFindings, servingProblems, servingReports } from './serving.js';
import { type ChangeReport, type CheckReport, type CommitOutcome, type Finding, type RolloutChange, type RolloutReport, type ServingReport, SEVERITY_ORDER, verdictOf } from './report.js';

/** CheckCluster is one fresh simulated cluster and its (virtual) clock. */
export interface CheckCluster {
  client: ClusterClient;
  clock: Clock;
}

/** CheckPhase names the steps of a check, reported as they end (for benchmarks and progress). */
export type CheckPhase = 'resolved' | 'seed-read' | 'seeded' | 'head-planned' | 'head-simulated' | 'commits';

/** CheckOptions is the injected world of a check. */
export interface CheckOptions {
  /** base and head read the same repository at the two refs (base's ref resolves the base commit, head's the head commit). */
  base: GitSource;
  head: GitSource;
  /** newCluster makes an empty in-memory cluster on its own virtual clock; called once, twice with eachCommit. */
  newCluster: () => CheckCluster;
  policy?: Policy;
  /** eachCommit also judges every commit between base and head on its own. */
  eachCommit?: boolean;
  onPhase?: (phase: CheckPhase) => void;
}

/** CheckResult is the report plus what only the renderers need: a unified YAML diff per changed object (Secrets masked). */
export interface CheckResult {
  report: CheckReport;
  diffs: Map<string, string>;
}

/** MAX_ROLLOUT_MS bounds one simulated wait (cluster time; the virtual clock makes it cheap): a safety net, progress deadlines end rollouts long before. */
export const MAX_ROLLOUT_MS = 24 * 3600_000;

/** Cluster is a simulated cluster plus what "the source" knows about it: its inventory, parse cache and where each object was defined. */
interface Cluster extends CheckCluster {
  inventory: Map<string, KubeObject>;
  memo: SourceMemo;
  origins: Map<string, Origin>;
  /** rendered are the objects of the commit the cluster last took whole (base, then each applied commit): the static serving findings of "before". */
  rendered: Rendered[];
  /** renderedProblems caches the static serving problems of `rendered` (cleared whenever it changes). */
  renderedProblems?: ServingProblem[];
}

/** Judged is one commit judged (and, when nothing stops it, applied) against a cluster. */
interface Judged {
  outcome: CommitOutcome['outcome'];
  findings: Finding[];
  changes: ChangeReport[];
  rollouts: RolloutReport[];
  services: ServingReport[];
  diffs: Map<string, string>;
}

function finding(severity: Finding['severity'], r: Pick<Reason, 'code' | 'object' | 'file' | 'line' | 'message'>): Finding {
  // A file-level problem (syntax, a document that is not an object) has the file as its "object".
  const object = r.object && r.object !== r.file ? r.object : null;
  return { severity, code: r.code, object, file: r.file ?? null, line: r.line ?? null, message: r.message };
}

/** located names, on a finding that points at an object's document, the kustomization that last changed the object. */
function located(f: Finding, origins: Map<string, Origin>): Finding {
  const at = f.object ? origins.get(f.object) : undefined;
  const k = at && at.file === f.file ? at.kustomizations?.at(-1) : undefined;
  return k ? { ...f, kustomization: k } : f;
}

function withCommit(f: Finding, rev: GitRevision, what: string): Finding {
  return { ...f, commit: rev.commit, message: `${what} ${shortSha(rev.commit)} "${rev.subject}": ${f.message}` };
}

function changeOf(e: PlanEntry): RolloutChange {
  const action = e.intended ?? e.action;
  if (action === 'create' || !e.live || !e.applied) return 'create';
  const live = normalise(e.live).spec ?? {};
  const next = normalise(e.applied).spec ?? {};
  if (canonicalJSON(live.template) !== canonicalJSON(next.template)) return 'rollout';
  if ((live.replicas ?? 1) !== (next.replicas ?? 1)) return 'scale';
  return 'update';
}

function target(e: PlanEntry) {
  return { ref: e.ref, kind: e.kind, namespace: e.namespace ?? 'default', name: e.name };
}

/** whyNotComplete explains, by how it ended, why a rollout (or a Job) does not finish. */
function whyNotComplete(f: RolloutOutcome): string {
  switch (f.reason) {
    case 'ProgressDeadlineExceeded':
      return 'a new pod never becomes ready, so the rollout stops at its progress deadline (ProgressDeadlineExceeded); the old pods keep serving';
    case 'BackoffLimitExceeded':
      return "the Job's pods keep failing until it reaches its backoff limit (BackoffLimitExceeded)";
    case 'DeadlineExceeded':
      return 'the Job is still running at its activeDeadlineSeconds and is stopped (DeadlineExceeded)';
    case 'Timeout':
      return `the rollout does not finish within ${MAX_ROLLOUT_MS / 3600_000}h of simulated time`;
    default:
      return 'the rollout cannot make further progress';
  }
}

/** rememberSynced records what is now in sync with the cluster, so the next plan skips diffing objects neither Git nor the cluster changed. */
async function rememberSynced(c: Cluster, objects: ParsedObject[], oidOf: (p: ParsedObject) => string, commit: string, kinds: KindLookup): Promise<void> {
  c.memo.synced.clear();
  c.memo.syncedCommit = commit;
  for (const p of objects) {
    const ns = kinds.isNamespaced(p.object.kind) ? p.object.metadata.namespace || 'default' : undefined;
    const live = await c.client.get(p.object.kind, ns, p.object.metadata.name);
    if (live) c.memo.synced.set(refOfObject(p.object, kinds), { kind: p.object.kind, namespace: ns, name: p.object.metadata.name, oid: oidOf(p), fp: fingerprint(live) });
  }
}

/** prepare runs preparePlan, turning a PathEscape in the tree into a finding instead of a failure. */
async function prepare(c: Cluster, source: GitSource, commit: string, policy: Policy | undefined): Promise<PreparedPlan | Finding> {
  try {
    return await preparePlan({ source, client: c.client, inventory: c.inventory, memo: c.memo, commit, policy });
  } catch (err) {
    if (isMfluxError(err, 'PathEscape')) return { severity: 'error', code: 'PathEscape', object: null, file: (err.details.path as string | undefined) ?? null, line: null, message: err.message };
    throw err;
  }
}

/**
 * seed makes a fresh cluster running base, fully rolled out. A base that does not validate is
 * seeded with whatever can be applied (files that parse, first definitions, objects the API server
 * takes); its problems come back as info findings, so a PR that repairs base can still be checked.
 */
async function seed(o: CheckOptions, base: GitRevision, phase: (p: CheckPhase) => void): Promise<{ cluster: Cluster; findings: Finding[] }> {
  const c: Cluster = { ...o.newCluster(), inventory: new Map(), memo: newSourceMemo(), origins: new Map(), rendered: [] };
  const note = (f: Finding) => withCommit({ ...f, severity: 'info', message: f.code === 'ForceReplaceRefused' ? f.message : `${f.message} (not seeded)` }, base, 'base');
  const prepared = await prepare(c, o.base, base.commit, undefined);
  if (!('plan' in prepared)) return { cluster: c, findings: [note(prepared)] };
  phase('seed-read');
  const findings: Finding[] = [];
  let entries = prepared.plan.entries;
  let objects = prepared.objects;
  const kinds = prepared.kinds;
  if (prepared.reasons.length > 0) {
    // Syntax problems stop preparePlan before planning; plan again without the files and second definitions they concern.
    const syntax = prepared.reasons.filter((r) => r.object === r.file || r.code === 'DuplicateObject');
    findings.push(...syntax.map((r) => note(finding('error', r))));
    const badFiles = new Set(syntax.filter((r) => r.object === r.file).map((r) => r.file));
    const seen = new Set<string>();
    objects = objects.filter((p) => {
      const ref = refOfObject(p.object, kinds);
      if (badFiles.has(p.origin.file) || seen.has(ref)) return false;
      seen.add(ref);
      return true;
    });
    const planned = await planObjects({ objects, client: c.client, inventory: c.inventory, kinds });
    // Against an empty cluster the guard can only object to force annotations; those still get created.
    findings.push(...planned.reasons.map((r) => note(finding('error', r))));
    const rejected = new Set(planned.reasons.filter((r) => r.code !== 'ForceReplaceRefused').map((r) => r.object));
    entries = planned.plan.entries.filter((e) => !rejected.has(e.ref));
    objects = objects.filter((p) => !rejected.has(refOfObject(p.object, kinds)));
  }
  const writes = entries.map((e) => (e.action === 'blocked' && e.intended ? { ...e, action: e.intended } : e));
  await applyPlan(c.client, writes);
  // Base runs fully rolled out: every workload (and Job) it creates is awaited, as reconcile would.
  const created = writes.filter((e) => awaited(e.kind) && e.action === 'create');
  const outcomes = await waitForRollouts(c.client, created.map(target), c.clock, MAX_ROLLOUT_MS);
  for (const f of outcomes.filter((x) => !x.ok)) {
    const e = created.find((d) => d.ref === f.ref);
    findings.push(withCommit({ severity: 'info', code: 'RolloutWillNotComplete', object: f.ref, file: e?.origin?.file ?? null, line: e?.origin?.line ?? null, message: `${f.ref}: ${f.message}; the check starts from this state` }, base, 'base'));
  }
  for (const e of writes) if (e.manifest) c.inventory.set(e.ref, c.client.redact(e.manifest));
  for (const p of objects) c.origins.set(refOfObject(p.object, kinds), p.origin);
  c.rendered = servingObjects(objects);
  c.renderedProblems = undefined;
  await rememberSynced(c, objects, prepared.oidOf, base.commit, kinds);
  const origins = new Map(prepared.objects.map((p) => [refOfObject(p.object, kinds), p.origin]));
  return { cluster: c, findings: findings.map((f) => located(f, origins)) };
}

/**
 * judge does to a cluster what one reconcile pass of `commit` would: read, validate, plan, guard;
 * if nothing stops it, apply, await every changed object reconcile would await (each workload's
 * rollout measured when `measure`),
 * and prune only once every rollout is healthy. `last`: no commit is judged on this cluster after
 * this one, so what is in sync need not be remembered.
 */
async function judge(c: Cluster, source: GitSource, commit: string, policy: Policy, measure: boolean, onPlanned?: () => void, last = false): Promise<Judged> {
  const out: Judged = { outcome: 'Applied', findings: [], changes: [], rollouts: [], services: [], diffs: new Map() };
  const prepared = await prepare(c, source, commit, policy);
  if (!('plan' in prepared)) return { ...out, outcome: 'Invalid', findings: [prepared] };
  const { plan, reasons, impacts } = prepared;
  const entryOf = new Map(plan.entries.map((e) => [e.ref, e]));
  // Where each object is at this commit, else (a prune) where it was before.
  const origins = new Map(c.origins);
  for (const p of prepared.objects) origins.set(refOfObject(p.object, prepared.kinds), p.origin);
  for (const r of reasons) {
    const f = finding('error', r);
    if (f.file === null && f.object && c.origins.has(f.object)) {
      // A prune has no manifest any more: point at where the object was defined.
      const at = c.origins.get(f.object)!;
      f.file = at.file;
      f.line = at.line;
    }
    out.findings.push(located(f, origins));
  }
  for (const i of impacts) {
    if (policy.block.includes(i.code)) continue; // the guard made it a blocking reason already
    const at = entryOf.get(i.object)?.origin;
    out.findings.push(located({ severity: 'warning', code: i.code, object: i.object, file: at?.file ?? null, line: at?.line ?? null, message: i.message }, origins));
  }
  const rendered = servingObjects(prepared.objects);
  const statics = await staticServing(c, rendered, plan.entries);
  out.findings.push(...statics.findings);
  for (const e of plan.entries) {
    if (e.action === 'unchanged') continue;
    out.changes.push({ object: e.ref, action: e.action, ...(e.intended ? { intended: e.intended } : {}), patch: e.patch });
    out.diffs.set(e.ref, entryDiff(e));
  }
  onPlanned?.();
  if (reasons.length > 0) return { ...out, outcome: prepared.blocked ? 'Blocked' : 'Invalid' };
  if (out.changes.length === 0) return { ...out, outcome: 'NoChange' };

  const watched = plan.entries.filter((e) => awaited(e.kind) && (e.action === 'create' || e.action === 'update'));
  const workloads = watched.filter((e) => MEASURED_KINDS.has(e.kind));
  const meter = measure ? new RolloutMeter(c.client, c.clock, workloads.map((e) => ({ target: target(e), change: changeOf(e) }))) : undefined;
  const serving = new ServingMeter(c.client, c.clock, await servicesToWatch(c.client, plan.entries));
  await meter?.before();
  await serving.before();
  c.memo.synced.clear();
  meter?.applied();
  serving.applied();
  await applyPlan(c.client, plan.entries);
  const outcomes = await waitForRollouts(c.client, watched.map(target), c.clock, MAX_ROLLOUT_MS, undefined, async () => {
    await meter?.sample();
    await serving.sample();
  });
  if (meter) out.rollouts = meter.reports(outcomes);
  const measures = await serving.measures();
  if (measure) out.services = servingReports(measures);
  out.findings.push(...servingFindings(measures, { entries: plan.entries, originOf: (ref) => entryOf.get(ref)?.origin ?? c.origins.get(ref), minServingRatio: policy.minServingRatio ?? DEFAULT_MIN_SERVING_RATIO }));
  for (const f of outcomes.filter((x) => !x.ok)) {
    const at = entryOf.get(f.ref)?.origin;
    out.findings.push(located({ severity: 'error', code: 'RolloutWillNotComplete', object: f.ref, file: at?.file ?? null, line: at?.line ?? null, message: `${f.ref}: ${whyNotComplete(f)} (${f.message})` }, origins));
  }
  for (const e of plan.entries) if (e.manifest && (e.action !== 'unchanged' || !c.inventory.has(e.ref))) c.inventory.set(e.ref, c.client.redact(e.manifest));
  for (const p of prepared.objects) c.origins.set(refOfObject(p.object, prepared.kinds), p.origin);
  if (outcomes.some((x) => !x.ok)) return { ...out, outcome: 'RolloutFailed' };
  // Prune last, once every changed workload is healthy — as reconcile does.
  await pruneObjects(c.client, plan.entries);
  for (const e of plan.entries) if (e.action === 'prune') c.inventory.delete(e.ref);
  c.rendered = rendered;
  c.renderedProblems = statics.problems;
  // Only a cluster that judges another commit next needs to know what is in sync (10,000 reads for a large repository).
  if (!last) await rememberSynced(c, prepared.objects, prepared.oidOf, commit, prepared.kinds);
  return out;
}

/** servingObjects keeps what the static serving findings read (Services, Ingresses, workloads): a cluster remembers only these between commits. */
function servingObjects(objects: ParsedObject[]): Rendered[] {
  return objects.filter((p) => p.object.kind === 'Service' || p.object.kind === 'Ingress' || SERVING_KINDS.includes(p.object.kind)).map((p) => ({ object: p.object, origin: p.origin }));
}

/**
 * staticServing finds the serving problems of the commit's objects (with the Services the cluster
 * keeps that Git does not hold), as errors — or info where the commit before had them too.
 */
async function staticServing(c: Cluster, rendered: Rendered[], entries: PlanEntry[]): Promise<{ findings: Finding[]; problems: ServingProblem[] }> {
  const pruned = new Set(entries.filter((e) => e.action === 'prune').map((e) => e.ref));
  const live = await c.client.list('Service');
  const kept = live.filter((s) => !pruned.has(`Service/${s.metadata.namespace || 'default'}/${s.metadata.name}`));
  c.renderedProblems ??= servingProblems(c.rendered, live);
  const problems = servingProblems(rendered, kept);
  return { findings: newProblems(problems, c.renderedProblems), problems };
}

function sortFindings(fs: Finding[]): Finding[] {
  return fs
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

/** runCheck seeds a cluster with base, judges head against it (and, with eachCommit, every commit in between) and returns the report. */
export async function runCheck(o: CheckOptions): Promise<CheckResult> {
  const phase = (p: CheckPhase) => o.onPhase?.(p);
  const policy = o.policy ?? DEFAULT_POLICY;
  const base = (await o.base.resolve()).revision;
  const head = (await o.head.resolve()).revision;
  phase('resolved');

  const seeded = await seed(o, base, phase);
  phase('seeded');
  const judged = await judge(seeded.cluster, o.head, head.commit, policy, true, () => phase('head-planned'), true);
  phase('head-simulated');
  const findings = [...seeded.findings, ...judged.findings];

  let commits: CommitOutcome[] | undefined;
  if (o.eachCommit) {
    commits = [];
    const between = (await o.head.commitsBetween(base.commit, head.commit)).filter((r) => r.commit !== head.commit);
    if (between.length > 0) {
      // A second cluster: the first one already holds head.
      const walk = (await seed(o, base, () => undefined)).cluster;
      for (const rev of between) {
        const j = await judge(walk, o.head, rev.commit, policy, false);
        commits.push({ commit: rev.commit, subject: rev.subject, outcome: j.outcome });
        findings.push(...j.findings.map((f) => withCommit(f, rev, 'commit')));
      }
    }
    phase('commits');
  }

  const sorted = sortFindings(findings);
  const report: CheckReport = {
    verdict: verdictOf(sorted),
    base: { ref: base.ref, commit: base.commit, subject: base.subject },
    head: { ref: head.ref, commit: head.commit, subject: head.subject },
    outcome: judged.outcome,
    findings: sorted,
    changes: judged.changes,
    rollouts: judged.rollouts,
    services: judged.services,
    ...(commits ? { commits } : {}),
  };
  return { report, diffs: judged.diffs };
}
