/**
 * Measuring simulated rollouts. A RolloutMeter samples every workload the head changes —
 * Deployment, StatefulSet, DaemonSet or Job — at each instant of cluster time at which anything
 * happens (waitForRollouts' onTick), from the moment head is applied until that workload's
 * rollout ends:
 *
 * - peakPods: the most pods of the workload that exist at once — a Deployment's through its
 *   ReplicaSets, the others' directly — Ready or not, terminating ones included (with
 *   --pod-terminate-after they still hold their place): what the cluster must have room for. A pod
 *   that has finished (Succeeded or Failed, as a Job's do) holds no room and is not counted.
 * - minAvailable: the fewest available pods the workload reports: `status.availableReplicas`
 *   (Deployment, StatefulSet), `status.numberAvailable` (DaemonSet); a Job serves nothing, so 0.
 * - durationSeconds: cluster time from the apply to the sample at which objectHealth (the rule
 *   reconcile waits by: kubectl's rollout status for workloads, the Complete/Failed condition for a
 *   Job) says it is done or failed.
 * - events: the workload's own events (ScalingReplicaSet, SuccessfulCreate/Delete, …) that
 *   happened after the apply, at the instant they were seen. Events at one instant keep the event
 *   list's order, which lists a repeated message (a StatefulSet re-creating `web-2`) where it first
 *   happened: their instants are exact, their order within an instant is not.
 *
 * Samples are taken once the controllers have settled at an instant, as any client would see the
 * cluster. A workload created by head starts from nothing, so its minAvailable is 0 and its
 * peakPods is its replicas; a replicas-only change scales without a new ReplicaSet/revision.
 */
import type { Clock, KubeEvent, KubeObject } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { objectHealth } from '../cluster/rollout-status.js';
import type { RolloutOutcome, RolloutTarget } from '../apply/index.js';
import { resolveFenceposts, scaledValue } from '../manifests/index.js';
import type { RolloutChange, RolloutEvent, RolloutReport } from './report.js';

/** MEASURED_KINDS are the kinds a RolloutMeter follows: the workloads whose rollouts have a shape worth predicting. */
export const MEASURED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

interface Track {
  target: RolloutTarget;
  kind: string;
  change: RolloutChange;
  peakPods: number;
  minAvailable: number;
  finishedAt?: number;
  /** seen counts each event (by name) already accounted for; aggregated events grow their count. */
  seen: Map<string, number>;
  events: RolloutEvent[];
  last?: KubeObject;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** availableOf is what a workload reports as available now (a Job serves nothing: 0). */
function availableOf(w: KubeObject): number {
  if (w.kind === 'DaemonSet') return w.status?.numberAvailable ?? 0;
  if (w.kind === 'Job') return 0;
  return w.status?.availableReplicas ?? 0;
}

/** RolloutMeter follows a set of workloads through their rollouts (see the file comment for the rules). */
export class RolloutMeter {
  private readonly tracks: Track[];
  private appliedAt = 0;

  constructor(
    private readonly client: ClusterClient,
    private readonly clock: Clock,
    targets: { target: RolloutTarget; change: RolloutChange }[],
  ) {
    this.tracks = targets.map(({ target, change }) => ({ target, kind: target.kind ?? 'Deployment', change, peakPods: 0, minAvailable: Number.POSITIVE_INFINITY, seen: new Map(), events: [] }));
  }

  /** before notes the events that exist already; call it right before applying. */
  async before(): Promise<void> {
    for (const t of this.tracks) for (const e of await this.eventsOf(t)) t.seen.set(e.metadata.name, e.count ?? 1);
  }

  /** applied marks the cluster time of the apply: offsets and durations count from here. */
  applied(): void {
    this.appliedAt = this.clock.now();
  }

  private eventsOf(t: Track): Promise<KubeEvent[]> {
    return this.client.events({ kind: t.kind, namespace: t.target.namespace, name: t.target.name });
  }

  /** podCounts counts, per namespace, the live (unfinished) pods of each workload uid: through the ReplicaSet for a Deployment, directly for the other kinds. */
  private async podCounts(namespaces: Set<string>): Promise<Map<string, number>> {
    const counts = new Map<string, number>(); // uids are unique across namespaces
    for (const ns of namespaces) {
      const rsOwner = new Map<string, string>();
      for (const rs of await this.client.list('ReplicaSet', { namespace: ns })) {
        const owner = rs.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment');
        if (owner && rs.metadata.uid) rsOwner.set(rs.metadata.uid, owner.uid);
      }
      for (const p of await this.client.list('Pod', { namespace: ns })) {
        if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
        const owner = p.metadata.ownerReferences?.find((o) => o.controller);
        if (!owner) continue;
        const w = owner.kind === 'ReplicaSet' ? rsOwner.get(owner.uid) : owner.uid;
        if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** sample looks at every workload whose rollout has not ended yet. */
  async sample(): Promise<void> {
    const open = this.tracks.filter((t) => t.finishedAt === undefined);
    if (open.length === 0) return;
    const now = this.clock.now();
    const pods = await this.podCounts(new Set(open.map((t) => t.target.namespace)));
    for (const t of open) {
      const w = await this.client.get(t.kind, t.target.namespace, t.target.name);
      if (!w) continue;
      t.last = w;
      t.peakPods = Math.max(t.peakPods, pods.get(w.metadata.uid ?? '') ?? 0);
      t.minAvailable = Math.min(t.minAvailable, availableOf(w));
      for (const e of await this.eventsOf(t)) {
        const count = e.count ?? 1;
        const before = t.seen.get(e.metadata.name) ?? 0;
        if (count <= before) continue;
        t.seen.set(e.metadata.name, count);
        for (let i = before; i < count; i++) t.events.push({ offsetSeconds: seconds(now - this.appliedAt), message: e.message });
      }
      if (objectHealth(w).status !== 'InProgress') t.finishedAt = now;
    }
  }

  /** reports turns the samples and waitForRollouts' outcomes into one RolloutReport per workload. */
  reports(outcomes: RolloutOutcome[]): RolloutReport[] {
    const byRef = new Map(outcomes.map((o) => [o.ref, o]));
    return this.tracks.map((t) => {
      const outcome = byRef.get(t.target.ref);
      const obj = t.last ?? outcome?.object;
      const end = t.finishedAt ?? outcome?.finishedAt ?? this.appliedAt;
      return {
        object: t.target.ref,
        change: t.change,
        ...shapeOf(t.kind, obj),
        peakPods: t.peakPods,
        minAvailable: Number.isFinite(t.minAvailable) ? t.minAvailable : 0,
        durationSeconds: seconds(end - this.appliedAt),
        completes: outcome?.ok ?? false,
        reason: outcome?.reason ?? 'NotFound',
        events: t.events,
      };
    });
  }
}

/** Shape is the part of a report read from the workload's spec: its strategy and size, per kind. */
type Shape = Pick<RolloutReport, 'strategy' | 'maxSurge' | 'maxUnavailable' | 'replicas' | 'partition' | 'succeeded' | 'failed'>;

/**
 * shapeOf reads a workload's strategy and size the way its controller resolves them:
 * - Deployment: strategy.type; maxSurge/maxUnavailable by the Deployment fenceposts (0 for Recreate).
 * - StatefulSet: updateStrategy.type; no surge; maxUnavailable as the controller takes it (unset: one
 *   pod at a time, so 1; N% of replicas rounded down, at least 1); the partition.
 * - DaemonSet: updateStrategy.type; replicas is desiredNumberScheduled (one per eligible node);
 *   maxSurge and maxUnavailable of it, both rounded up (0 and 0 means 1 unavailable).
 * - Job: its completionMode as the strategy, completions as replicas, no surge or unavailability;
 *   the pods that succeeded and failed.
 */
function shapeOf(kind: string, obj: KubeObject | undefined): Shape {
  const spec = obj?.spec ?? {};
  const st = obj?.status ?? {};
  // An unparsable value was refused by validation before anything was applied; the fallbacks only keep the report whole.
  const safe = (f: () => number): number => {
    try {
      return f();
    } catch {
      return 0;
    }
  };
  switch (kind) {
    case 'StatefulSet': {
      const replicas: number = spec.replicas ?? 1;
      const strategy: string = spec.updateStrategy?.type ?? 'RollingUpdate';
      if (strategy !== 'RollingUpdate') return { strategy, maxSurge: 0, maxUnavailable: 0, replicas };
      const ru = spec.updateStrategy?.rollingUpdate ?? {};
      const maxUnavailable = ru.maxUnavailable === undefined || ru.maxUnavailable === null ? 1 : safe(() => Math.max(1, scaledValue(ru.maxUnavailable, replicas, false)));
      return { strategy, maxSurge: 0, maxUnavailable: Math.min(maxUnavailable, replicas), replicas, partition: ru.partition ?? 0 };
    }
    case 'DaemonSet': {
      const replicas: number = st.desiredNumberScheduled ?? 0;
      const strategy: string = spec.updateStrategy?.type ?? 'RollingUpdate';
      if (strategy !== 'RollingUpdate') return { strategy, maxSurge: 0, maxUnavailable: 0, replicas };
      const ru = spec.updateStrategy?.rollingUpdate ?? {};
      const maxSurge = safe(() => scaledValue(ru.maxSurge ?? 0, replicas, true));
      let maxUnavailable = safe(() => scaledValue(ru.maxUnavailable ?? 1, replicas, true));
      if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      return { strategy, maxSurge, maxUnavailable, replicas };
    }
    case 'Job':
      return { strategy: spec.completionMode ?? 'NonIndexed', maxSurge: 0, maxUnavailable: 0, replicas: spec.completions ?? 1, succeeded: st.succeeded ?? 0, failed: st.failed ?? 0 };
    default: {
      const replicas: number = spec.replicas ?? 1;
      const strategy: string = spec.strategy?.type ?? 'RollingUpdate';
      if (strategy !== 'RollingUpdate') return { strategy, maxSurge: 0, maxUnavailable: 0, replicas };
      let maxSurge = 0;
      let maxUnavailable = 0;
      try {
        const f = resolveFenceposts(spec.strategy?.rollingUpdate?.maxSurge, spec.strategy?.rollingUpdate?.maxUnavailable, replicas);
        maxSurge = f.surge;
        maxUnavailable = replicas === 0 ? 0 : Math.min(f.unavailable, replicas);
      } catch {
        // An unparsable value was refused by validation before anything was applied.
      }
      return { strategy, maxSurge, maxUnavailable, replicas };
    }
  }
}
