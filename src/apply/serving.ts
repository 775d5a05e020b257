/**
 * Serving capacity while a change rolls out: which Services a plan can affect, and a ServingMeter
 * that counts each one's ready endpoints at every instant of a wait (waitForRollouts' onTick), with
 * the counting rules of cluster/serving.ts. `check` turns the measures into findings; `reconcile`
 * records each pass's minimum in the ledger.
 *
 * Time at zero: the cluster only changes at the instants the wait wakes at, so between two samples
 * the count is the earlier sample's. A Service with 3 ready endpoints before the apply, 0 at +0s
 * (Recreate stopped every old pod) and 3 at +10s (the new pods are Ready) was at zero for 10 s.
 */
import type { Clock, KubeObject } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { LabelIndex, SERVING_KINDS, desiredEndpoints, endpointCounts, podTemplateOf, selectsTemplate, serviceSelector } from '../cluster/serving.js';
import type { PlanEntry } from '../plan/index.js';

/** ServingTarget names one Service to measure. */
export interface ServingTarget {
  ref: string;
  namespace: string;
  name: string;
}

/** ServingMeasure is what one Service served from just before the apply to the end of the wait. */
export interface ServingMeasure extends ServingTarget {
  /** existedBefore: the Service existed before the apply; readyBefore is its ready endpoints then (0 when it did not exist). */
  existedBefore: boolean;
  readyBefore: number;
  /** minReady is the fewest ready endpoints seen after the apply, first reached minReadyAtMs after it. */
  minReady: number;
  minReadyAtMs: number;
  /** peakReady and peakEndpoints are the most ready endpoints, and the most endpoints Ready or not, seen at once. */
  peakReady: number;
  peakEndpoints: number;
  /** readyAfter is the count at the last sample. */
  readyAfter: number;
  /** desired is the replicas of the workloads whose templates the Service selects once the change is in. */
  desired: number;
  /** zeroMs is the cluster time spent at 0 ready endpoints after the apply; zeroFromMs when that first began (offset from the apply). */
  zeroMs: number;
  zeroFromMs?: number;
  /** recovered: the last sample had ready endpoints again (false: still at zero when the wait ended). */
  recovered: boolean;
}

/** LABEL_INDEX_MIN_SERVICES is the number of Services measured in a namespace from which counting builds a label index of its pods. */
const LABEL_INDEX_MIN_SERVICES = 4;

/** WORKLOAD_ACTIONS are the plan actions that change what runs. */
const WORKLOAD_ACTIONS = new Set(['create', 'update', 'prune']);

/**
 * servicesToWatch lists the Services a plan can affect, by ref: those it creates or updates, and
 * those (live, or as Git has them after the plan) that select the pods of a workload it creates,
 * updates or prunes — through the template before or after the change.
 */
export async function servicesToWatch(client: ClusterClient, entries: PlanEntry[]): Promise<ServingTarget[]> {
  const out = new Map<string, ServingTarget>();
  const add = (svc: KubeObject) => {
    const namespace = svc.metadata.namespace || 'default';
    const ref = `Service/${namespace}/${svc.metadata.name}`;
    out.set(ref, { ref, namespace, name: svc.metadata.name });
  };
  const templates = entries.filter((e) => SERVING_KINDS.includes(e.kind) && WORKLOAD_ACTIONS.has(e.action)).flatMap((e) => [e.live, e.applied].filter((o): o is KubeObject => o !== undefined).map(podTemplateOf).filter((t) => t !== undefined));
  const services: KubeObject[] = [];
  for (const e of entries) {
    if (e.kind !== 'Service') continue;
    if (e.action === 'create' || e.action === 'update') add(e.applied ?? e.manifest!);
    for (const s of [e.live, e.applied]) if (s && e.action !== 'prune') services.push(s);
  }
  for (const ns of new Set(templates.map((t) => t.namespace))) services.push(...(await client.list('Service', { namespace: ns })));
  const byLabels = new LabelIndex(templates, (t) => t.labels);
  for (const s of services) {
    const selector = serviceSelector(s);
    if (selector && byLabels.candidates(selector).some((t) => selectsTemplate(s, t))) add(s);
  }
  return [...out.values()].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

interface Track extends ServingMeasure {
  zeroSince?: number;
  sampled: boolean;
}

/** ServingMeter follows the ready endpoints of a set of Services through a wait (see the file comment). */
export class ServingMeter {
  private readonly tracks: Track[];
  private appliedAt = 0;

  constructor(
    private readonly client: ClusterClient,
    private readonly clock: Clock,
    targets: ServingTarget[],
  ) {
    this.tracks = targets.map((t) => ({ ...t, existedBefore: false, readyBefore: 0, minReady: 0, minReadyAtMs: 0, peakReady: 0, peakEndpoints: 0, readyAfter: 0, desired: 0, zeroMs: 0, recovered: true, sampled: false }));
  }

  /** targets are the Services measured. */
  get targets(): ServingTarget[] {
    return this.tracks.map(({ ref, namespace, name }) => ({ ref, namespace, name }));
  }

  private async counts(): Promise<Map<Track, { ready: number; total: number } | undefined>> {
    const out = new Map<Track, { ready: number; total: number } | undefined>();
    for (const ns of new Set(this.tracks.map((t) => t.namespace))) {
      const mine = this.tracks.filter((t) => t.namespace === ns);
      const all = await this.client.list('Pod', { namespace: ns });
      // An index pays for itself over many Services; one or two (a one-file change) just scan the pods, which endpointCounts filters by selector anyway.
      const pods = mine.length >= LABEL_INDEX_MIN_SERVICES ? new LabelIndex(all, (p) => p.metadata.labels) : undefined;
      for (const t of mine) {
        const svc = await this.client.get('Service', ns, t.name);
        const selector = svc && serviceSelector(svc);
        out.set(t, svc ? endpointCounts(svc, !selector ? [] : pods ? pods.candidates(selector) : all) : undefined);
      }
    }
    return out;
  }

  /** before counts what each Service serves right before the apply. */
  async before(): Promise<void> {
    for (const [t, c] of await this.counts()) {
      t.existedBefore = c !== undefined;
      t.readyBefore = c?.ready ?? 0;
    }
  }

  /** applied marks the cluster time of the apply: offsets count from here. */
  applied(): void {
    this.appliedAt = this.clock.now();
  }

  /** sample counts every Service's endpoints now; a Service that does not exist (yet) serves nothing. */
  async sample(): Promise<void> {
    if (this.tracks.length === 0) return;
    const now = this.clock.now();
    for (const [t, c] of await this.counts()) {
      const ready = c?.ready ?? 0;
      if (!t.sampled || ready < t.minReady) {
        t.minReady = ready;
        t.minReadyAtMs = now - this.appliedAt;
      }
      t.sampled = true;
      t.peakReady = Math.max(t.peakReady, ready);
      t.peakEndpoints = Math.max(t.peakEndpoints, c?.total ?? 0);
      t.readyAfter = ready;
      if (ready === 0 && t.zeroSince === undefined) {
        t.zeroSince = now;
        t.zeroFromMs ??= now - this.appliedAt;
      } else if (ready > 0 && t.zeroSince !== undefined) {
        t.zeroMs += now - t.zeroSince;
        t.zeroSince = undefined;
      }
    }
  }

  /** measures ends the measurement now (an interval still at zero counts up to now) and reports each Service, with what it should serve once the change is in. */
  async measures(): Promise<ServingMeasure[]> {
    if (this.tracks.length === 0) return [];
    if (this.tracks.some((t) => !t.sampled)) await this.sample();
    const now = this.clock.now();
    const workloads = new Map<string, LabelIndex<KubeObject>>();
    for (const ns of new Set(this.tracks.map((t) => t.namespace))) {
      const all: KubeObject[] = [];
      for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod']) all.push(...(await this.client.list(kind, { namespace: ns })));
      workloads.set(ns, new LabelIndex(all, (w) => podTemplateOf(w)?.labels));
    }
    const out: ServingMeasure[] = [];
    for (const t of this.tracks) {
      const svc = await this.client.get('Service', t.namespace, t.name);
      const { zeroSince, sampled: _sampled, ...m } = t;
      out.push({ ...m, zeroMs: t.zeroMs + (zeroSince !== undefined ? now - zeroSince : 0), recovered: zeroSince === undefined, desired: svc ? desiredEndpoints(svc, workloads.get(t.namespace)?.candidates(serviceSelector(svc) ?? {}) ?? []) : 0 });
    }
    return out;
  }
}
