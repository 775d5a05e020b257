/**
 * applyPlan — the only code that writes to a cluster on the GitOps path — and waitForRollouts,
 * a kstatus-like health wait driven by the clock.
 */
import { type Clock, type KubeObject, type ObjectRef } from '../core/index.js';
import type { ApplyResult, ClusterClient } from '../cluster/client.js';
import { AWAITED_KINDS, objectHealth } from '../cluster/rollout-status.js';
import { BUILTIN_KINDS } from '../core/index.js';
import { sortForApply } from '../manifests/index.js';
import type { PlanEntry } from '../plan/index.js';

/** AppliedEntry is one write and what the cluster answered. */
export interface AppliedEntry {
  ref: string;
  result: ApplyResult;
}

/**
 * applyPlan writes every create/update entry in kind order (Namespaces and CRDs first, workloads
 * after what they use), each as the entry's own RFC 6902 patch (`write`: its preconditions, then
 * exactly the patch the plan shows) — in place, never delete + create. An object changed by someone
 * else since the plan was made fails its preconditions: a `Conflict` is thrown and that object is
 * not written (entries before it in the order are).
 */
export async function applyPlan(client: ClusterClient, entries: PlanEntry[]): Promise<AppliedEntry[]> {
  const writes = sortForApply(entries.filter((e) => (e.action === 'create' || e.action === 'update') && e.write && e.applied).map((e) => ({ object: e.applied!, entry: e })));
  const out: AppliedEntry[] = [];
  for (const { entry } of writes) out.push({ ref: entry.ref, result: await client.patch(entry.kind, entry.namespace, entry.name, entry.write!) });
  return out;
}

/** pruneObjects deletes objects that left Git, in reverse kind order (workloads before what they use). */
export async function pruneObjects(client: ClusterClient, entries: PlanEntry[]): Promise<string[]> {
  const victims = sortForApply(entries.filter((e) => e.action === 'prune' && e.live).map((e) => ({ object: e.live!, entry: e }))).reverse();
  const out: string[] = [];
  for (const { entry } of victims) if (await client.delete(entry.kind, entry.namespace, entry.name)) out.push(entry.ref);
  return out;
}

/** awaited tells whether a pass waits for objects of a kind after applying them: workloads, Pods, Jobs, claims, and custom resources (by their Ready condition or observedGeneration). */
export function awaited(kind: string): boolean {
  return AWAITED_KINDS.has(kind) || !BUILTIN_KINDS.kindInfo(kind);
}

/** RolloutTarget names an object to wait for (kind defaults to Deployment). */
export interface RolloutTarget {
  ref: ObjectRef;
  kind?: string;
  namespace: string;
  name: string;
}

/** RolloutOutcome is how one rollout ended. */
export interface RolloutOutcome {
  ref: ObjectRef;
  ok: boolean;
  /** reason: done, ProgressDeadlineExceeded, a failure the object reports (BackoffLimitExceeded, PodFailed, …), Timeout, Stalled (no more progress possible), NotFound, Interrupted (the wait was aborted). */
  reason: string;
  message: string;
  /** finishedAt is the cluster time the rollout finished or failed. */
  finishedAt: number;
  object?: KubeObject;
}

/**
 * waitForRollouts follows objects until each is healthy (objectHealth: a Deployment, StatefulSet or
 * DaemonSet rolled out, a Job complete, a claim bound, …) or failed (a Deployment past its progress
 * deadline, a Job past its backoff limit or deadline, a failed Pod), or until `timeoutMs` of cluster
 * time (0: no limit). `onProgress` gets each new status line (kubectl's `rollout status` wording
 * for workloads). On a simulated cluster the clock jumps to the cluster's next self-driven change.
 * `onTick` runs at every wake, after the targets were looked at and before time moves on — on a
 * simulated cluster that is every instant at which anything changed, so a caller can sample the
 * whole rollout (`check` measures peak pods and minimum availability this way). An aborted
 * `signal` ends the wait at the next wake: the rollouts still running are `Interrupted`.
 */
export async function waitForRollouts(
  client: ClusterClient,
  targets: RolloutTarget[],
  clock: Clock,
  timeoutMs: number,
  onProgress?: (ref: string, message: string) => void,
  onTick?: () => void | Promise<void>,
  signal?: AbortSignal,
): Promise<RolloutOutcome[]> {
  const deadline = timeoutMs > 0 ? clock.now() + timeoutMs : Number.POSITIVE_INFINITY;
  const last = new Map<string, string>();
  const results = new Map<string, RolloutOutcome>();
  for (;;) {
    for (const t of targets) {
      if (results.has(t.ref)) continue;
      const kind = t.kind ?? 'Deployment';
      const d = await client.get(kind, t.namespace, t.name);
      if (!d) {
        results.set(t.ref, { ref: t.ref, ok: false, reason: 'NotFound', message: `${kind.toLowerCase()} "${t.name}" not found`, finishedAt: clock.now() });
        continue;
      }
      const h = objectHealth(d);
      if (last.get(t.ref) !== h.message) {
        last.set(t.ref, h.message);
        onProgress?.(t.ref, h.message);
      }
      if (h.status !== 'InProgress') results.set(t.ref, { ref: t.ref, ok: h.status === 'Current', reason: h.status === 'Current' ? 'done' : h.reason ?? 'Failed', message: h.message, finishedAt: clock.now(), object: d });
    }
    await onTick?.();
    const pending = targets.filter((t) => !results.has(t.ref));
    if (pending.length === 0) break;
    const next = client.nextChangeAt?.();
    const now = clock.now();
    if (clock.virtual && next === undefined) {
      // Nothing is scheduled and the clock only moves when we move it: no further progress is possible.
      for (const t of pending) results.set(t.ref, { ref: t.ref, ok: false, reason: 'Stalled', message: `${last.get(t.ref) ?? ''} (no further progress is possible)`, finishedAt: now });
      break;
    }
    if (signal?.aborted) {
      for (const t of pending) results.set(t.ref, { ref: t.ref, ok: false, reason: 'Interrupted', message: `interrupted: ${last.get(t.ref) ?? ''}`, finishedAt: now });
      break;
    }
    if (now >= deadline) {
      for (const t of pending) results.set(t.ref, { ref: t.ref, ok: false, reason: 'Timeout', message: `timed out: ${last.get(t.ref) ?? ''}`, finishedAt: now });
      break;
    }
    // A real cluster changes on its own; poll it at most once a second.
    const wake = next !== undefined ? Math.max(next, now) : now + 1000;
    await clock.sleepUntil(Math.min(clock.virtual ? wake : Math.min(wake, now + 1000), deadline), signal);
  }
  return targets.map((t) => results.get(t.ref)!);
}
