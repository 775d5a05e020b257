/**
 * Measuring simulated rollouts. A RolloutMeter samples every Deployment the head changes at each
 * instant of cluster time at which anything happens (waitForRollouts' onTick), from the moment
 * head is applied until that Deployment's rollout ends:
 *
 * - peakPods: the most pods of the Deployment's ReplicaSets that exist at once — Ready or not,
 *   terminating ones included (with --pod-terminate-after they still hold their place): what the
 *   cluster must have room for.
 * - minAvailable: the fewest `status.availableReplicas` the Deployment reports.
 * - durationSeconds: cluster time from the apply to the sample at which `kubectl rollout status`
 *   would say "successfully rolled out" or "exceeded its progress deadline".
 * - events: the Deployment's events (ScalingReplicaSet) that happened after the apply.
 *
 * Samples are taken once the controllers have settled at an instant, as any client would see the
 * cluster. A Deployment created by head starts from nothing, so its minAvailable is 0 and its
 * peakPods is its replicas; a replicas-only change scales without a new ReplicaSet.
 */
import type { Clock, KubeEvent, KubeObject } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { rolloutStatus } from '../cluster/rollout-status.js';
import type { RolloutOutcome, RolloutTarget } from '../apply/index.js';
import { resolveFenceposts } from '../manifests/index.js';
import type { RolloutChange, RolloutEvent, RolloutReport } from './report.js';

interface Track {
  target: RolloutTarget;
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

/** RolloutMeter follows a set of Deployments through their rollouts (see the file comment for the rules). */
export class RolloutMeter {
  private readonly tracks: Track[];
  private appliedAt = 0;

  constructor(
    private readonly client: ClusterClient,
    private readonly clock: Clock,
    targets: { target: RolloutTarget; change: RolloutChange }[],
  ) {
    this.tracks = targets.map(({ target, change }) => ({ target, change, peakPods: 0, minAvailable: Number.POSITIVE_INFINITY, seen: new Map(), events: [] }));
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
    return this.client.events({ kind: 'Deployment', namespace: t.target.namespace, name: t.target.name });
  }

  /** sample looks at every Deployment whose rollout has not ended yet. */
  async sample(): Promise<void> {
    const open = this.tracks.filter((t) => t.finishedAt === undefined);
    if (open.length === 0) return;
    const now = this.clock.now();
    const pods = new Map<string, Map<string, number>>(); // namespace → deployment uid → pods
    for (const ns of new Set(open.map((t) => t.target.namespace))) {
      const rsOwner = new Map<string, string>();
      for (const rs of await this.client.list('ReplicaSet', { namespace: ns })) {
        const owner = rs.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment');
        if (owner && rs.metadata.uid) rsOwner.set(rs.metadata.uid, owner.uid);
      }
      const counts = new Map<string, number>();
      for (const p of await this.client.list('Pod', { namespace: ns })) {
        const owner = p.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'ReplicaSet');
        const d = owner ? rsOwner.get(owner.uid) : undefined;
        if (d) counts.set(d, (counts.get(d) ?? 0) + 1);
      }
      pods.set(ns, counts);
    }
    for (const t of open) {
      const d = await this.client.get('Deployment', t.target.namespace, t.target.name);
      if (!d) continue;
      t.last = d;
      t.peakPods = Math.max(t.peakPods, pods.get(t.target.namespace)?.get(d.metadata.uid ?? '') ?? 0);
      t.minAvailable = Math.min(t.minAvailable, d.status?.availableReplicas ?? 0);
      for (const e of await this.eventsOf(t)) {
        const count = e.count ?? 1;
        const before = t.seen.get(e.metadata.name) ?? 0;
        if (count <= before) continue;
        t.seen.set(e.metadata.name, count);
        for (let i = before; i < count; i++) t.events.push({ offsetSeconds: seconds(now - this.appliedAt), message: e.message });
      }
      const s = rolloutStatus(d);
      if (s.done || s.failed) t.finishedAt = now;
    }
  }

  /** reports turns the samples and waitForRollouts' outcomes into one RolloutReport per Deployment. */
  reports(outcomes: RolloutOutcome[]): RolloutReport[] {
    const byRef = new Map(outcomes.map((o) => [o.ref, o]));
    return this.tracks.map((t) => {
      const outcome = byRef.get(t.target.ref);
      const spec = (t.last ?? outcome?.object)?.spec ?? {};
      const replicas: number = spec.replicas ?? 1;
      const strategy: string = spec.strategy?.type ?? 'RollingUpdate';
      let maxSurge = 0;
      let maxUnavailable = 0;
      if (strategy === 'RollingUpdate') {
        try {
          const f = resolveFenceposts(spec.strategy?.rollingUpdate?.maxSurge, spec.strategy?.rollingUpdate?.maxUnavailable, replicas);
          maxSurge = f.surge;
          maxUnavailable = replicas === 0 ? 0 : Math.min(f.unavailable, replicas);
        } catch {
          // An unparsable value was refused by validation before anything was applied.
        }
      }
      const end = t.finishedAt ?? outcome?.finishedAt ?? this.appliedAt;
      return {
        object: t.target.ref,
        change: t.change,
        strategy,
        maxSurge,
        maxUnavailable,
        replicas,
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
