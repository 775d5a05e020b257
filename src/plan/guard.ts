/**
 * The guard: the rules that make mini-flux safe (DESIGN.md). mini-flux only ever applies; it
 * refuses any change that would need delete + re-create, any request to force or replace, and any
 * prune that would take a serving workload down, and any object another source owns. Pure: it
 * returns a verdict and a new plan, and writes nothing — not even to the plan it is given.
 */
import { canonicalJSON, deepEqual } from '../core/index.js';
import { formatOrigin, resolveFenceposts } from '../manifests/index.js';
import { type Plan, type PlanAction, type PlanEntry, type Reason, normalise } from './plan.js';

/** ImpactCode names a downtime risk a change carries (reported; blocking only by policy). */
export type ImpactCode = 'RecreateDowntime' | 'ZeroAvailability' | 'DoubleCapacity' | 'ReplicasManagedByHPA';

/** IMPACT_CODES lists every impact, for flag validation. */
export const IMPACT_CODES: readonly ImpactCode[] = ['RecreateDowntime', 'ZeroAvailability', 'DoubleCapacity', 'ReplicasManagedByHPA'];

/** Policy tunes the guard: which impacts block, and how much one pass may prune. */
export interface Policy {
  /** maxPrune: a count, or a percentage of the inventory ("20%"); at least 1 either way. */
  maxPrune: number | string;
  /** block lists impacts that block instead of warn. */
  block: ImpactCode[];
  /** minServingRatio: `check` warns (CapacityDrop) when a Service's ready endpoints fall below this share of its desired replicas during a rollout; default 0.5. */
  minServingRatio?: number;
}

/** DEFAULT_POLICY: no impact blocks; prune at most 20% of the inventory per pass. */
export const DEFAULT_POLICY: Policy = { maxPrune: '20%', block: [] };

/** Impact is one downtime risk of one entry. */
export interface Impact {
  code: ImpactCode;
  object: string;
  /** detail is the message without the object in front. */
  detail: string;
  message: string;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const SELECTOR_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);

/** KIND_FAMILIES group kinds that can stand in for each other under one name (a Deployment becoming a StatefulSet). */
const KIND_FAMILIES: readonly (readonly string[])[] = [
  ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
  ['ConfigMap', 'Secret'],
];

function familyOf(kind: string): number | undefined {
  const i = KIND_FAMILIES.findIndex((f) => f.includes(kind));
  return i < 0 ? undefined : i;
}

/** ROLLING_ALTERNATIVE is the safe way to make a change the API server will not take in place. */
export const ROLLING_ALTERNATIVE =
  'do it as a rolling change instead: create the object under a new name with the new value, shift traffic to it, then remove the old one in a later commit once it is drained';

/** FORCE_ANNOTATIONS are the annotations other tools read as "delete and re-create if needed". */
export const FORCE_ANNOTATIONS = ['kustomize.toolkit.fluxcd.io/force', 'argocd.argoproj.io/sync-options', 'mflux.dev/force', 'mflux.dev/replace'];

/**
 * maxPruneFor resolves the prune limit for an inventory size: percentages round down, and the
 * limit is never below 1. Example: "20%" of 12 objects → floor(2.4) = 2; "20%" of 3 → 1.
 */
export function maxPruneFor(maxPrune: number | string, inventorySize: number): number {
  if (typeof maxPrune === 'number') return Math.max(1, Math.floor(maxPrune));
  const m = /^(\d+)%$/.exec(maxPrune.trim());
  const n = m ? Math.floor((Number(m[1]) * inventorySize) / 100) : Number.parseInt(maxPrune, 10);
  return Math.max(1, Number.isFinite(n) ? n : 1);
}

/** parseMaxPrune validates a --max-prune value ("20%" or "5"); undefined when malformed. */
export function parseMaxPrune(v: string): number | string | undefined {
  const t = v.trim();
  if (/^\d+%$/.test(t)) return t;
  if (/^\d+$/.test(t)) return Number(t);
  return undefined;
}

function get(o: unknown, path: string[]): unknown {
  let cur: any = o;
  for (const p of path) cur = cur == null ? undefined : cur[p];
  return cur;
}

function reason(e: PlanEntry, code: string, message: string, field?: string): Reason {
  const where = e.origin ? `${formatOrigin(e.origin)}: ` : '';
  return { code, object: e.ref, file: e.origin?.file, line: e.origin?.line, field, message: `${where}${e.ref}: ${message}` };
}

function immutable(e: PlanEntry, field: string, what: string): Reason {
  return reason(e, 'ImmutableFieldChange', `${field} is immutable: ${what} would need delete + re-create, which takes it down; ${ROLLING_ALTERNATIVE}`, field);
}

/** immutableChanges lists the fields of an update the API server would refuse to change in place. */
export function immutableChanges(e: PlanEntry): Reason[] {
  if (e.action !== 'update' || !e.live || !e.applied) return [];
  const live = normalise(e.live);
  const next = normalise(e.applied);
  const out: Reason[] = [];
  const changed = (path: string[]) => !deepEqual(get(live, path), get(next, path));
  if (SELECTOR_KINDS.has(e.kind) && changed(['spec', 'selector'])) out.push(immutable(e, 'spec.selector', 'changing the selector'));
  if (e.kind === 'Service') {
    // Leaving the field out (or empty) keeps the allocated IP: the API server copies it from the old object.
    const unset = (v: unknown) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
    for (const f of ['clusterIP', 'clusterIPs']) {
      const before = get(live, ['spec', f]);
      const after = get(next, ['spec', f]);
      if (!unset(before) && !unset(after) && changed(['spec', f])) out.push(immutable(e, `spec.${f}`, 'changing an allocated cluster IP'));
    }
  }
  if (e.kind === 'Job') {
    for (const f of ['selector', 'template']) if (changed(['spec', f])) out.push(immutable(e, `spec.${f}`, `changing a Job's ${f}`));
  }
  if (e.kind === 'StatefulSet') {
    for (const f of ['volumeClaimTemplates', 'serviceName', 'podManagementPolicy']) if (changed(['spec', f])) out.push(immutable(e, `spec.${f}`, `changing a StatefulSet's ${f}`));
  }
  if (e.kind === 'PersistentVolumeClaim') {
    const strip = (o: any) => {
      const spec = structuredClone(o?.spec ?? {});
      if (spec.resources?.requests) delete spec.resources.requests.storage;
      return spec;
    };
    if (!deepEqual(strip(live), strip(next))) out.push(immutable(e, 'spec', 'changing a claim other than growing its storage request'));
    const before = parseQuantity(get(live, ['spec', 'resources', 'requests', 'storage']));
    const after = parseQuantity(get(next, ['spec', 'resources', 'requests', 'storage']));
    if (before !== undefined && after !== undefined && after < before) out.push(immutable(e, 'spec.resources.requests.storage', 'shrinking a volume claim'));
  }
  if ((e.kind === 'ConfigMap' || e.kind === 'Secret') && get(live, ['immutable']) === true) {
    if (get(next, ['immutable']) !== true) out.push(immutable(e, 'immutable', `turning off immutable on a ${e.kind}`));
    // A Secret's stringData is data too (the API server merges it into data).
    const fields = e.kind === 'Secret' ? ['data', 'binaryData', 'stringData'] : ['data', 'binaryData'];
    for (const f of fields) if (changed([f])) out.push(immutable(e, f, `changing the ${f} of an immutable ${e.kind}`));
  }
  return out;
}

const UNITS: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/**
 * parseQuantity reads a Kubernetes quantity such as "10Gi", "500M", "250m" or "1e3" into a number
 * (undefined if not one).
 */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/.exec(v.trim());
  if (!m) return undefined;
  if (m[2] !== undefined) return Number(m[1] + m[2]);
  const unit = m[3] ?? '';
  if (!Object.prototype.hasOwnProperty.call(UNITS, unit)) return undefined;
  return Number(m[1]) * UNITS[unit]!;
}

/** forceRequests finds annotations asking for delete + re-create (Flux force, Argo Replace/Force, mflux's own). */
export function forceRequests(e: PlanEntry): Reason[] {
  const raw = (e.manifest?.metadata.annotations ?? {}) as Record<string, unknown>;
  // YAML turns `mflux.dev/force: true` into a boolean; read every value as the string it stands for.
  const ann: Record<string, string | undefined> = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v == null ? undefined : String(v)]));
  const out: Reason[] = [];
  const flux = ann['kustomize.toolkit.fluxcd.io/force'];
  if (flux !== undefined && flux.trim().toLowerCase() === 'enabled') {
    out.push(reason(e, 'ForceReplaceRefused', `annotation kustomize.toolkit.fluxcd.io/force: enabled asks for delete + re-create; mini-flux only applies in place — remove the annotation and ${ROLLING_ALTERNATIVE}`, 'metadata.annotations["kustomize.toolkit.fluxcd.io/force"]'));
  }
  const argo = ann['argocd.argoproj.io/sync-options'];
  if (argo !== undefined) {
    for (const opt of argo.split(',').map((s) => s.trim())) {
      if (/^(Replace|Force)=true$/i.test(opt)) {
        out.push(reason(e, 'ForceReplaceRefused', `sync option ${opt} asks for delete + re-create; mini-flux only applies in place — remove it and ${ROLLING_ALTERNATIVE}`, 'metadata.annotations["argocd.argoproj.io/sync-options"]'));
      }
    }
  }
  for (const k of ['mflux.dev/force', 'mflux.dev/replace']) {
    const v = ann[k]?.trim().toLowerCase();
    if (v !== undefined && v !== 'false' && v !== 'disabled') {
      out.push(reason(e, 'ForceReplaceRefused', `annotation ${k} asks for delete + re-create, which mini-flux never does; ${ROLLING_ALTERNATIVE}`, `metadata.annotations["${k}"]`));
    }
  }
  return out;
}

/** servingPrune blocks removing a workload that still has ready replicas. */
export function servingPrune(e: PlanEntry): Reason[] {
  if (e.action !== 'prune' || !WORKLOADS.has(e.kind) || !e.live) return [];
  const ready = e.live.status?.readyReplicas ?? e.live.status?.numberReady ?? 0;
  if (ready <= 0) return [];
  return [
    reason(
      e,
      'ServingWorkloadPrune',
      `left Git while ${ready} replica(s) are ready and serving; deleting it now takes them down. To remove it safely, scale it to 0 in one commit (replicas: 0) and remove it in a later one`,
    ),
  ];
}

function impact(e: PlanEntry, code: ImpactCode, detail: string): Impact {
  return { code, object: e.ref, detail, message: `${e.ref}: ${detail}` };
}

function templateChanges(e: PlanEntry): boolean {
  if (e.action !== 'update' || !e.live || !e.applied) return false;
  return canonicalJSON(normalise(e.live).spec?.template) !== canonicalJSON(normalise(e.applied).spec?.template);
}

/**
 * impactsOf reports the downtime a Deployment rollout in this plan would carry:
 * RecreateDowntime (every old pod stops before a new one starts), ZeroAvailability
 * (replicas − maxUnavailable ≤ 0; e.g. 1 replica with maxUnavailable 1, or 4 replicas with 100%),
 * DoubleCapacity (maxSurge ≥ 100% of the replicas — "100%", or a count ≥ replicas: blue/green needs
 * twice the pods; 25% of 1 replica rounding up to 1 extra pod does not count).
 */
export function impactsOf(e: PlanEntry): Impact[] {
  if (e.kind !== 'Deployment' || !e.applied || !templateChanges(e)) return [];
  const spec = e.applied.spec ?? {};
  const replicas: number = spec.replicas ?? 1;
  const out: Impact[] = [];
  // A Deployment scaled to 0 serves nothing: no rollout strategy can take anything down.
  if (replicas === 0) return out;
  if (spec.strategy?.type === 'Recreate') {
    out.push(impact(e, 'RecreateDowntime', `strategy Recreate stops all ${replicas} pod(s) before starting new ones — no pod serves in between`));
    return out;
  }
  const ru = spec.strategy?.rollingUpdate ?? {};
  let surge: number;
  let unavailable: number;
  try {
    ({ surge, unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas));
  } catch {
    return out;
  }
  unavailable = Math.min(unavailable, replicas);
  if (replicas - unavailable <= 0) {
    out.push(impact(e, 'ZeroAvailability', `maxUnavailable ${ru.maxUnavailable} of ${replicas} replica(s) lets available pods reach 0 during the rollout`));
  }
  // Blue/green is asking for maxSurge ≥ 100% of the replicas; a small percentage that merely rounds
  // up to one extra pod (25% of 1 replica) is an ordinary rolling update, not double capacity.
  const doubles = typeof ru.maxSurge === 'string' ? Number.parseInt(ru.maxSurge, 10) >= 100 : surge >= replicas;
  if (doubles) {
    out.push(impact(e, 'DoubleCapacity', `maxSurge ${ru.maxSurge} adds ${surge} pod(s) to ${replicas}: the rollout needs ${replicas + surge} pods at its peak (blue/green)`));
  }
  return out;
}

/**
 * replicasManagedByHPA reports a workload whose replicas Git sets while an HPA scales it: the two
 * would fight every pass, so the plan leaves the live count to the autoscaler (computePlan) and
 * says so here, at the manifest's file:line — what Flux and Argo CD users are told to fix by hand.
 */
export function replicasManagedByHPA(e: PlanEntry): Impact[] {
  const set = e.manifest?.spec?.replicas;
  if (!e.autoscaledBy || set === undefined || e.action === 'prune') return [];
  const live = e.live?.spec?.replicas;
  const what = live === undefined ? `it starts at ${set} and the autoscaler takes over` : `the pass leaves the live value (${live}) to the autoscaler`;
  const detail = `spec.replicas is set in Git (${set}) but ${e.autoscaledBy} scales this ${e.kind}; ${what} — remove replicas from the manifest`;
  const where = e.origin ? `${e.origin.file}:${e.origin.line}: ` : '';
  return [{ code: 'ReplicasManagedByHPA', object: e.ref, detail, message: `${where}${e.ref}: ${detail}` }];
}

/** EntryVerdict is the guard's judgement of one plan entry: what blocks it, and the downtime it carries. */
export interface EntryVerdict {
  ref: string;
  reasons: Reason[];
  impacts: Impact[];
}

/** GuardResult is the verdict on a plan: a new plan (blocked entries marked), one verdict per entry, and the pass's verdict (blocked, every reason, every impact). */
export interface GuardResult {
  plan: Plan;
  verdicts: EntryVerdict[];
  reasons: Reason[];
  impacts: Impact[];
  blocked: boolean;
}

/** GuardInput is what the rules need beside the plan: the policy, the inventory size (prune limit) and which objects other sources own. */
export interface GuardInput {
  policy?: Policy;
  inventorySize: number;
  /** owners maps an object reference to the other source that owns it (its inventory holds it). */
  owners?: Map<string, string>;
}

/**
 * ownedElsewhere blocks declaring an object another source owns: each source would put back its
 * own version every pass (Argo's FailOnSharedResource, on by default).
 */
export function ownedElsewhere(e: PlanEntry, owners: Map<string, string> | undefined): Reason[] {
  const other = owners?.get(e.ref);
  if (other === undefined || !e.manifest) return [];
  const where = e.origin ? `${formatOrigin(e.origin)}: ` : '';
  return [{ code: 'OwnedByAnotherSource', object: e.ref, file: e.origin?.file, line: e.origin?.line, message: `${e.ref}: ${where}already managed by source "${other}"; an object has one owner — remove it from one of the two sources` }];
}

/**
 * guardPlan runs every rule over the whole plan and returns its verdict; the plan it is given is
 * not touched. Any reason blocks the whole commit (the caller applies nothing); impacts are
 * reported, and block only when the policy says so.
 */
export function guardPlan(plan: Plan, opts: GuardInput): GuardResult {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const perEntry = new Map<PlanEntry, Reason[]>();
  const impactsBy = new Map<PlanEntry, Impact[]>();
  const add = (e: PlanEntry, rs: Reason[]) => {
    if (rs.length) perEntry.set(e, [...(perEntry.get(e) ?? []), ...rs]);
  };
  const impacts: Impact[] = [];
  for (const e of plan.entries) {
    add(e, ownedElsewhere(e, opts.owners));
    add(e, immutableChanges(e));
    if (e.action !== 'prune') add(e, forceRequests(e));
    add(e, servingPrune(e));
    const im = [...impactsOf(e), ...replicasManagedByHPA(e)];
    impacts.push(...im);
    impactsBy.set(e, im);
    const blocking = im.filter((i) => policy.block.includes(i.code));
    add(e, blocking.map((i) => reason(e, i.code, `${i.detail} (blocked by policy)`)));
  }
  // The same name leaving one namespace, or one kind of its family, and appearing in another is
  // delete + re-create in disguise. Unrelated kinds that share a name (ConfigMap web, HPA web) are not a move.
  const created = plan.entries.filter((e) => e.action === 'create');
  for (const p of plan.entries.filter((e) => e.action === 'prune')) {
    for (const c of created) {
      if (c.name !== p.name || (c.kind === p.kind && c.namespace === p.namespace)) continue;
      const kindMove = c.kind !== p.kind && c.namespace === p.namespace && familyOf(c.kind) !== undefined && familyOf(c.kind) === familyOf(p.kind);
      const namespaceMove = c.kind === p.kind && c.namespace !== p.namespace;
      if (!kindMove && !namespaceMove) continue;
      const what = c.kind !== p.kind ? `kind ${p.kind} → ${c.kind}` : `namespace ${p.namespace} → ${c.namespace}`;
      const r = (e: PlanEntry) => reason(e, 'ImmutableFieldChange', `${p.ref} moves to ${c.ref} (${what}) in one commit: that is delete + re-create; ${ROLLING_ALTERNATIVE}`, c.kind !== p.kind ? 'kind' : 'metadata.namespace');
      add(c, [r(c)]);
      add(p, [r(p)]);
    }
  }
  const prunes = plan.entries.filter((e) => e.action === 'prune' && !perEntry.has(e));
  const limit = maxPruneFor(policy.maxPrune, opts.inventorySize);
  if (prunes.length > limit) {
    for (const e of prunes) {
      add(e, [reason(e, 'PruneLimitExceeded', `this commit prunes ${prunes.length} objects, more than the limit of ${limit} per pass (maxPrune ${policy.maxPrune} of ${opts.inventorySize}); remove fewer objects per commit, or raise maxPrune`)]);
    }
  }
  const reasons: Reason[] = [];
  const verdicts: EntryVerdict[] = [];
  const entries = plan.entries.map((e): PlanEntry => {
    const rs = perEntry.get(e) ?? [];
    const im = impactsBy.get(e) ?? [];
    verdicts.push({ ref: e.ref, reasons: rs, impacts: im });
    reasons.push(...rs);
    const marked: PlanEntry = { ...e, impact: im.map((i) => i.code) };
    // A blocked entry keeps what it would have done (intended), so reports can say "update (blocked)".
    return rs.length ? { ...marked, reasons: rs, action: 'blocked', intended: e.action } : marked;
  });
  return { plan: { entries, counts: countActions(entries) }, verdicts, reasons, impacts, blocked: reasons.length > 0 };
}

/** countActions counts a plan's entries per action. */
export function countActions(entries: PlanEntry[]): Record<PlanAction, number> {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, prune: 0, blocked: 0 };
  for (const e of entries) counts[e.action]++;
  return counts;
}
