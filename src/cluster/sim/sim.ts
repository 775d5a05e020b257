/**
 * Simulation: the simulated API server plus its controllers on a clock. Controllers react
 * instantly — at every instant they run to a fixed point before time moves — and everything that
 * happens later (pods becoming ready, deadlines, graceful termination) is a timer.
 */
import {
  type Clock,
  type KubeEvent,
  type KubeObject,
  MfluxError,
  SecretDigester,
  toRFC3339,
} from '../../core/index.js';
import type { StoredEvent, SnapshotChanges } from '../../store/index.js';
import { ApiServer, keyOf, objKey } from './apiserver.js';
import type { ControllerContext, EventWording } from './controllers/context.js';
import { syncDeployment } from './controllers/deployment/controller.js';
import { bindPod, completePod, crashPod, globToRegExp, hasProbes, imageFails, probesFail, restartCrashed, restartPolicyOf, startPod, startProbedPod } from './controllers/kubelet.js';
import { syncJob } from './controllers/job/controller.js';
import { syncTTL } from './controllers/job/ttl.js';
import { syncCronJob } from './controllers/cronjob/controller.js';
import { podChangeWakesReplicaSet, syncReplicaSet } from './controllers/replicaset.js';
import { syncStatefulSet } from './controllers/statefulset/controller.js';
import { syncDaemonSet } from './controllers/daemon/controller.js';
import { ensureNodes, nodeIP, pickNode } from './controllers/nodes.js';
import { syncClaim } from './controllers/volume/binder.js';
import { SERVICE_NAME_LABEL, TriggerTimes, syncServiceEndpoints } from './controllers/endpointslice/controller.js';
import { ServiceIndex } from './controllers/endpointslice/index.js';
import { HpaMemory, SCALABLE, syncHPA, targets } from './controllers/hpa/controller.js';
import { SYNC_PERIOD_MS } from './controllers/hpa/replicas.js';

export { parseCpuUtilization } from './controllers/hpa/replicas.js';
import { EventLog } from './events.js';
import { type Timer, TimerHeap } from './heap.js';
import { IdSource, fnv1a32 } from './ids.js';

/** SimKnobs are the simulation's settings (DESIGN.md "State and time"). */
export interface SimKnobs {
  /** podReadyAfterMs: how long after creation a pod becomes Ready (default 10 s). */
  podReadyAfterMs: number;
  /** podReadyJitterMs: up to this much extra, fixed per pod name (default 0). */
  podReadyJitterMs: number;
  /** failImages: globs; pods whose image matches never become Ready. */
  failImages: string[];
  /** podTerminateAfterMs: how long a deleted pod stays Terminating (default 0: gone at once). */
  podTerminateAfterMs: number;
  /** eventWording: which release's ScalingReplicaSet text to write. */
  eventWording: EventWording;
  /** podCompleteAfterMs: how long a run-to-completion pod (restartPolicy Never/OnFailure) runs before it succeeds (default 10 s). */
  podCompleteAfterMs: number;
  /** crashImages: globs; containers with a matching image start and exit 1 (Error, CrashLoopBackOff). */
  crashImages: string[];
  /** nodes: how many simulated nodes the cluster has (default 3); DaemonSets run a pod on each. */
  nodes: number;
  /** failProbes: globs; containers with a matching image run but never become ready (their readiness probe always fails; one without a probe counts as failing too). */
  failProbes: string[];
  /** cpuUtilization: the CPU utilisation (percent of request) every pod reports to HPAs; unset, each HPA reads its own target and stays still. */
  cpuUtilization?: number;
}

/** DEFAULT_KNOBS are the defaults DESIGN.md prescribes. */
export const DEFAULT_KNOBS: SimKnobs = {
  podReadyAfterMs: 10_000,
  podReadyJitterMs: 0,
  failImages: [],
  podTerminateAfterMs: 0,
  eventWording: 'article',
  podCompleteAfterMs: 10_000,
  crashImages: [],
  nodes: 3,
  failProbes: [],
};

/** SavedState is what a simulation loads from (and saves to) the state store. */
export interface SavedState {
  objects: KubeObject[];
  events: StoredEvent[];
  meta: Record<string, string | undefined>;
}

/** META_KEYS name the simulator's entries in the store's meta table. */
export const META_KEYS = { resourceVersion: 'sim.resourceVersion', ids: 'sim.ids', timers: 'sim.timers', clock: 'clock.now', knobs: 'sim.knobs', hpa: 'sim.hpa' } as const;

/** MAX_STEPS_PER_INSTANT bounds a fixed-point run, so a controller bug cannot hang the program. */
const MAX_STEPS_PER_INSTANT = 5_000_000;

type Work = { controller: 'deployment' | 'replicaset' | 'kubelet' | 'job' | 'cronjob' | 'ttl' | 'statefulset' | 'daemonset' | 'pvc' | 'endpointslice' | 'hpa'; key: string };

// owner is an object's controller reference, if any.
const owner = (o: KubeObject | undefined) => o?.metadata.ownerReferences?.find((r) => r.controller);

// A work or timer key is "Kind/namespace/name" (keyOf); names and namespaces hold no "/". Read
// without split(), which builds an array and three strings for each of a rollout's million syncs.
const namespaceOfKey = (key: string): string => key.slice(key.indexOf('/') + 1, key.lastIndexOf('/'));
const nameOfKey = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

/** Simulation wires the API server, the controllers, the event log and the timers together. */
export class Simulation {
  readonly api: ApiServer;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly knobs: SimKnobs;
  private readonly ids: IdSource;
  private readonly timers = new TimerHeap();
  private timerSeq = 0;
  private readonly queue: Work[] = [];
  private queueHead = 0;
  /**
   * lateQueue holds endpoint syncs, which run only once every other controller has settled at the
   * instant, so each Service publishes once per instant what its pods came to — as upstream's
   * batch period (--endpoint-updates-batch-period) coalesces the pod changes of a burst. Nothing
   * waits on what they publish within an instant, and in a rolling update this is 3 syncs where
   * running each as it is queued would be 7 (a pod deleted, then its replacement bound, …).
   */
  private readonly lateQueue: Work[] = [];
  private lateHead = 0;
  /** queued holds the keys waiting in `queue`, per controller (no "controller|key" string to build for each of a rollout's million enqueues). */
  private readonly queued = new Map<Work['controller'], Set<string>>();
  /** running is the sync under way, if any; wokeItself: its own writes asked for it again. */
  private running: Work | undefined;
  private wokeItself = false;
  private readonly orphanRSs = new Map<string, KubeObject>();
  private readonly failRes: RegExp[];
  private readonly crashRes: RegExp[];
  private readonly probeFailRes: RegExp[];
  private readonly ctx: ControllerContext;
  /** podsPerNode counts active bound pods per node, for the scheduler's spreading. */
  private readonly podsPerNode = new Map<string, number>();
  /** services indexes which Services select which pods, for the endpoint controllers. */
  private readonly services = new ServiceIndex();
  private readonly triggers = new TriggerTimes();
  /** hpaMemory is the HPA controller's recommendations and scale events, saved with the cluster. */
  private readonly hpaMemory: HpaMemory;

  /** secrets digests Secret values with the state dir's key (a random one for a cluster without a state dir). */
  readonly secrets: SecretDigester;

  constructor(clock: Clock, knobs: Partial<SimKnobs> = {}, saved?: SavedState, secrets: SecretDigester = SecretDigester.ephemeral()) {
    this.secrets = secrets;
    this.clock = clock;
    // Knobs given now override those the cluster was last run with, which override the defaults.
    const savedKnobs = JSON.parse(saved?.meta[META_KEYS.knobs] ?? '{}') as Partial<SimKnobs>;
    this.knobs = { ...DEFAULT_KNOBS, ...savedKnobs, ...knobs };
    this.failRes = this.knobs.failImages.map(globToRegExp);
    this.crashRes = this.knobs.crashImages.map(globToRegExp);
    this.probeFailRes = this.knobs.failProbes.map(globToRegExp);
    this.ids = new IdSource(saved?.meta[META_KEYS.ids]);
    this.hpaMemory = new HpaMemory(saved?.meta[META_KEYS.hpa]);
    this.events = new EventLog(this.ids, saved?.events ?? []);
    this.api = new ApiServer(clock, this.ids, {
      objects: saved?.objects ?? [],
      resourceVersion: Number(saved?.meta[META_KEYS.resourceVersion] ?? 0),
      secrets,
    });
    this.ctx = {
      api: this.api,
      now: () => this.clock.now(),
      nowStr: () => this.nowStr(),
      record: (obj, type, reason, message, component) => this.events.record(obj, type, reason, message, component, this.clock.now()),
      requeueAt: (controller, key, at) => this.schedule({ at, action: controller, key }),
      eventWording: this.knobs.eventWording,
    };
    for (const p of this.api.list('Pod')) this.countPod(p, 1);
    this.indexServices();
    this.api.watch((type, obj, old) => this.onChange(type, obj, old));
    ensureNodes(this.api, this.knobs.nodes, toRFC3339(this.clock.now()));
    for (const t of JSON.parse(saved?.meta[META_KEYS.timers] ?? '[]') as Timer[]) this.schedule(t);
    // A restarted controller manager resyncs everything it manages, as informers do on start.
    for (const rs of this.api.list('ReplicaSet')) {
      this.noteOrphan(rs);
      this.enqueue('replicaset', objKey(rs));
    }
    for (const d of this.api.list('Deployment')) this.enqueue('deployment', objKey(d));
    for (const j of this.api.list('Job')) this.enqueue('job', objKey(j));
    for (const cj of this.api.list('CronJob')) this.enqueue('cronjob', objKey(cj));
    for (const s of this.api.list('StatefulSet')) this.enqueue('statefulset', objKey(s));
    for (const d of this.api.list('DaemonSet')) this.enqueue('daemonset', objKey(d));
    // The knob may have changed since the last run: every HPA looks again.
    for (const h of this.api.list('HorizontalPodAutoscaler')) this.enqueue('hpa', objKey(h));
    for (const c of this.api.list('PersistentVolumeClaim')) if (c.status?.phase !== 'Bound') this.enqueue('pvc', objKey(c));
    for (const svc of this.api.list('Service')) this.enqueue('endpointslice', objKey(svc));
    for (const p of this.api.list('Pod')) {
      if (!p.spec?.nodeName) this.enqueue('kubelet', objKey(p));
      if (p.metadata.deletionTimestamp) this.schedule({ at: Date.parse(p.metadata.deletionTimestamp), action: 'pod-gone', key: objKey(p) });
    }
  }

  // nowStr formats the cluster time once per instant: controllers stamp every condition and status with it.
  private stampAt = Number.NaN;
  private stamp = '';
  private nowStr(): string {
    const now = this.clock.now();
    if (now !== this.stampAt) {
      this.stampAt = now;
      this.stamp = toRFC3339(now);
    }
    return this.stamp;
  }

  // schedule files a timer; `t` is the caller's fresh object, numbered in place (not copied: a rollout schedules a few per pod).
  private schedule(t: Omit<Timer, 'seq'>): void {
    (t as Timer).seq = this.timerSeq++;
    this.timers.push(t as Timer);
  }

  private enqueue(controller: Work['controller'], key: string): void {
    if (key === this.running?.key && controller === this.running.controller) {
      // A sync woken by its own writes. A ReplicaSet sync ends with its status worked out from the
      // pods as its own creates and deletes left them, so those changes (pods added and removed, its
      // status) need not wake it again: that sync would find nothing to do — half of all syncs in a
      // rollout; only a sync cut short by the burst limit runs again (see settle). An endpoint sync
      // deleting a slice it no longer needs (a placeholder, once pods appear) is not someone else
      // removing what it publishes. Any other controller runs again.
      if (controller === 'replicaset') {
        this.wokeItself = true;
        return;
      }
      if (controller === 'endpointslice') return;
    }
    let keys = this.queued.get(controller);
    if (!keys) this.queued.set(controller, (keys = new Set()));
    if (keys.has(key)) return;
    keys.add(key);
    (controller === 'endpointslice' ? this.lateQueue : this.queue).push({ controller, key });
  }

  private noteOrphan(rs: KubeObject): void {
    const key = objKey(rs);
    if (rs.metadata.ownerReferences?.some((o) => o.controller)) this.orphanRSs.delete(key);
    else this.orphanRSs.set(key, rs);
  }

  /** indexServices files every stored Service with the pods it selects, listing the pods once. */
  private indexServices(): void {
    const services = this.api.list('Service');
    if (services.length === 0) return;
    const podsByNs = new Map<string, KubeObject[]>();
    for (const p of this.api.list('Pod')) {
      const ns = p.metadata.namespace ?? '';
      let l = podsByNs.get(ns);
      if (!l) podsByNs.set(ns, (l = []));
      l.push(p);
    }
    for (const svc of services) this.services.onService('ADDED', svc, (ns) => podsByNs.get(ns) ?? []);
  }

  /** countPod adds (sign 1) or removes (-1) a pod's place on its node. */
  private countPod(p: KubeObject | undefined, sign: 1 | -1): void {
    const n = p?.spec?.nodeName;
    if (!n || p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return;
    this.podsPerNode.set(n, (this.podsPerNode.get(n) ?? 0) + sign);
  }

  /** onChange is the informer side: every stored change enqueues the controllers that care. */
  private onChange(type: string, obj: KubeObject, old: KubeObject | undefined): void {
    if (obj.kind === 'Pod') {
      if (type !== 'ADDED') this.countPod(old, -1);
      if (type !== 'DELETED') this.countPod(obj, 1);
    }
    switch (obj.kind) {
      case 'Service':
        this.services.onService(type, obj, (ns) => this.api.list('Pod', ns));
        this.enqueue('endpointslice', objKey(obj));
        break;
      case 'Endpoints':
      case 'EndpointSlice': {
        // Someone else removed what the controller publishes: it is published again (upstream's onEndpointsDelete / slice tracker).
        const svc = obj.kind === 'Endpoints' ? obj.metadata.name : obj.metadata.labels?.[SERVICE_NAME_LABEL];
        if (type === 'DELETED' && svc && this.api.get('Service', obj.metadata.namespace, svc)) this.enqueue('endpointslice', keyOf('Service', obj.metadata.namespace, svc));
        break;
      }
      case 'StatefulSet':
      case 'DaemonSet':
        this.enqueue(obj.kind === 'StatefulSet' ? 'statefulset' : 'daemonset', objKey(obj));
        break;
      case 'PersistentVolumeClaim':
        if (type !== 'DELETED' && obj.status?.phase !== 'Bound') this.enqueue('pvc', objKey(obj));
        break;
      case 'HorizontalPodAutoscaler':
        // Its own status writes do not wake it; a new or changed spec does (and a deletion clears its memory).
        if (type !== 'MODIFIED' || obj.metadata.generation !== old?.metadata.generation) this.enqueue('hpa', objKey(obj));
        break;
      case 'StorageClass':
        if (type !== 'DELETED') for (const c of this.api.list('PersistentVolumeClaim')) if (c.status?.phase !== 'Bound') this.enqueue('pvc', objKey(c));
        break;
      case 'Node':
        // A node coming or going changes where daemons run, and may let a pending pod be scheduled.
        for (const d of this.api.list('DaemonSet')) this.enqueue('daemonset', objKey(d));
        if (type !== 'DELETED') {
          for (const p of this.api.list('Pod')) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) this.enqueue('kubelet', objKey(p));
        } else {
          // The pod garbage collector removes pods bound to a node that is gone (gcOrphaned); their controllers replace them.
          for (const p of this.api.list('Pod')) if (p.spec?.nodeName === obj.metadata.name) this.api.delete('Pod', p.metadata.namespace, p.metadata.name);
        }
        break;
    }
    if (SCALABLE[obj.kind] && (type !== 'MODIFIED' || obj.metadata.generation !== old?.metadata.generation)) {
      // A target appearing, going, or changing its spec (scale, CPU requests) is seen at the HPA's next resync.
      for (const h of this.api.list('HorizontalPodAutoscaler', obj.metadata.namespace)) {
        if (targets(h, obj.kind, obj.metadata.namespace, obj.metadata.name)) this.schedule({ at: this.clock.now() + SYNC_PERIOD_MS, action: 'hpa', key: objKey(h) });
      }
    }
    switch (obj.kind) {
      case 'Deployment':
        this.enqueue('deployment', objKey(obj));
        if (type === 'ADDED' && this.orphanRSs.size > 0) {
          // Nothing to do here beyond the sync itself: it adopts matching orphans.
        }
        break;
      case 'ReplicaSet': {
        if (type === 'DELETED') this.orphanRSs.delete(objKey(obj));
        else this.noteOrphan(obj);
        this.enqueue('replicaset', objKey(obj));
        const o = owner(obj) ?? owner(old);
        if (o?.kind === 'Deployment') this.enqueue('deployment', keyOf('Deployment', obj.metadata.namespace, o.name));
        else if (type !== 'DELETED') for (const d of this.api.list('Deployment', obj.metadata.namespace)) this.enqueue('deployment', objKey(d));
        break;
      }
      case 'Job': {
        this.enqueue('job', objKey(obj));
        const o = owner(obj) ?? owner(old);
        if (o?.kind === 'CronJob') this.enqueue('cronjob', keyOf('CronJob', obj.metadata.namespace, o.name));
        break;
      }
      case 'CronJob':
        this.enqueue('cronjob', objKey(obj));
        break;
      case 'Pod': {
        for (const k of this.services.onPod(type, obj, old)) this.enqueue('endpointslice', k);
        const o = owner(obj);
        if (o?.kind === 'Job') this.enqueue('job', keyOf('Job', obj.metadata.namespace, o.name));
        if (o?.kind === 'StatefulSet') this.enqueue('statefulset', keyOf('StatefulSet', obj.metadata.namespace, o.name));
        else if (o?.kind === 'DaemonSet') this.enqueue('daemonset', keyOf('DaemonSet', obj.metadata.namespace, o.name));
        if (o?.kind === 'ReplicaSet') {
          if (type !== 'MODIFIED' || !old || podChangeWakesReplicaSet(old, obj)) this.enqueue('replicaset', keyOf('ReplicaSet', obj.metadata.namespace, o.name));
          if (type === 'DELETED') {
            // Recreate waits for old pods to be gone; their disappearance must wake the Deployment.
            const rs = this.api.get('ReplicaSet', obj.metadata.namespace, o.name);
            const d = owner(rs);
            if (d?.kind === 'Deployment') this.enqueue('deployment', keyOf('Deployment', obj.metadata.namespace, d.name));
          }
        }
        if (type === 'ADDED' && !obj.spec?.nodeName) this.enqueue('kubelet', objKey(obj));
        if (type === 'MODIFIED' && obj.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp) {
          this.schedule({ at: Date.parse(obj.metadata.deletionTimestamp), action: 'pod-gone', key: objKey(obj) });
        }
        break;
      }
    }
  }

  /** settle runs every queued controller sync until nothing changes at the current instant; returns the number of syncs. */
  settle(): number {
    let steps = 0;
    for (;;) {
      let w: Work;
      if (this.queueHead < this.queue.length) w = this.queue[this.queueHead++]!;
      else if (this.lateHead < this.lateQueue.length) w = this.lateQueue[this.lateHead++]!;
      else break;
      this.queued.get(w.controller)!.delete(w.key);
      if (++steps > MAX_STEPS_PER_INSTANT) {
        throw new MfluxError('Internal', `controllers did not settle after ${MAX_STEPS_PER_INSTANT} syncs at ${toRFC3339(this.clock.now())}`);
      }
      this.running = w;
      this.wokeItself = false;
      const complete = this.runWork(w);
      this.running = undefined;
      if (this.wokeItself && !complete) this.enqueue(w.controller, w.key);
      if (this.queueHead > 65_536 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
    }
    this.queue.length = 0;
    this.queueHead = 0;
    this.lateQueue.length = 0;
    this.lateHead = 0;
    return steps;
  }

  // runWork runs one sync; false when it left work for another sync of the same key (a ReplicaSet's burst limit).
  private runWork(w: Work): boolean {
    const ns = namespaceOfKey(w.key);
    const name = nameOfKey(w.key);
    switch (w.controller) {
      case 'deployment':
        syncDeployment(this.ctx, ns, name, this.orphanRSs.values());
        break;
      case 'replicaset':
        return syncReplicaSet(this.ctx, ns, name, this.knobs.podTerminateAfterMs);
      case 'job':
        syncJob(this.ctx, ns, name, this.knobs.podTerminateAfterMs);
        break;
      case 'cronjob':
        syncCronJob(this.ctx, ns, name);
        break;
      case 'ttl':
        syncTTL(this.ctx, ns, name);
        break;
      case 'statefulset':
        syncStatefulSet(this.ctx, ns, name, this.knobs.podTerminateAfterMs);
        break;
      case 'daemonset':
        syncDaemonSet(this.ctx, ns, name, this.knobs.podTerminateAfterMs);
        break;
      case 'pvc':
        syncClaim(this.ctx, ns, name);
        break;
      case 'endpointslice': {
        const pods: KubeObject[] = [];
        for (const n of this.services.podNames(ns, name)) {
          const p = this.api.get('Pod', ns, n);
          if (p) pods.push(p);
        }
        syncServiceEndpoints(this.ctx, ns, name, pods, this.triggers);
        break;
      }
      case 'hpa':
        syncHPA(this.ctx, ns, name, this.hpaMemory, this.knobs.cpuUtilization);
        break;
      case 'kubelet': {
        const pod = this.api.get('Pod', ns, name);
        if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp) break;
        const node = pickNode(this.api, pod, (n) => this.podsPerNode.get(n) ?? 0);
        if (!node) break;
        bindPod(this.ctx, pod, this.ids, { name: node.metadata.name, ip: nodeIP(node) ?? '' });
        const jitter = this.knobs.podReadyJitterMs > 0 ? fnv1a32(pod.metadata.name) % (this.knobs.podReadyJitterMs + 1) : 0;
        this.schedule({ at: this.clock.now() + this.knobs.podReadyAfterMs + jitter, action: 'pod-start', key: w.key, fails: imageFails(pod, this.failRes), bound: this.clock.now() });
        break;
      }
    }
    return true;
  }

  private fire(t: Timer): void {
    const ns = namespaceOfKey(t.key);
    const name = nameOfKey(t.key);
    switch (t.action) {
      case 'deployment':
      case 'replicaset':
      case 'job':
      case 'cronjob':
      case 'ttl':
      case 'statefulset':
      case 'daemonset':
      case 'hpa':
        this.enqueue(t.action, t.key);
        break;
      case 'pod-start': {
        const pod = this.api.get('Pod', ns, name);
        if (!pod || pod.metadata.deletionTimestamp) break;
        if (!t.fails && imageFails(pod, this.crashRes)) {
          const again = crashPod(this.ctx, pod);
          if (again !== undefined) this.schedule({ at: again, action: 'container-restart', key: t.key, restarts: 2 });
          break;
        }
        const probeFails = this.probeFailRes.length > 0 ? probesFail(pod, this.probeFailRes) : [];
        if (!t.fails && (hasProbes(pod) || probeFails.includes(true))) {
          // Timers saved before `bound` existed fall back to the pod's startTime (whole seconds).
          const bound = t.bound ?? (Date.parse(pod.status?.startTime ?? '') || this.clock.now());
          this.probe(pod, bound, this.clock.now(), probeFails);
        } else startPod(this.ctx, pod, Boolean(t.fails));
        if (!t.fails && restartPolicyOf(pod) !== 'Always') this.schedule({ at: this.clock.now() + this.knobs.podCompleteAfterMs, action: 'pod-complete', key: t.key });
        break;
      }
      case 'pod-complete': {
        const pod = this.api.get('Pod', ns, name);
        if (pod && !pod.metadata.deletionTimestamp && pod.status?.phase === 'Running') completePod(this.ctx, pod);
        break;
      }
      case 'container-restart': {
        const pod = this.api.get('Pod', ns, name);
        if (!pod || pod.metadata.deletionTimestamp) break;
        const restarts = t.restarts ?? 2;
        this.schedule({ at: restartCrashed(this.ctx, pod, restarts), action: 'container-restart', key: t.key, restarts: restarts + 1 });
        break;
      }
      case 'pod-probe': {
        // Terminating pods are probed too: the kubelet keeps running readiness probes during graceful termination.
        const pod = this.api.get('Pod', ns, name);
        if (!pod || pod.metadata.uid !== t.uid || pod.status?.phase !== 'Running') break;
        this.probe(pod, t.bound!, t.started!, this.probeFailRes.length > 0 ? probesFail(pod, this.probeFailRes) : []);
        break;
      }
      case 'pod-gone':
        this.api.finalizeDelete(keyOf('Pod', ns, name));
        break;
    }
  }

  /** probe writes a probed pod's status as of now and schedules its next probe result, if any. */
  private probe(pod: KubeObject, bound: number, started: number, fails: boolean[]): void {
    const next = startProbedPod(this.ctx, pod, bound, started, fails);
    if (next !== undefined) this.schedule({ at: next, action: 'pod-probe', key: objKey(pod), bound, started, uid: pod.metadata.uid });
  }

  /** nextTimerAt is the cluster time of the next scheduled happening, if any. */
  nextTimerAt(): number | undefined {
    return this.timers.peekAt();
  }

  /** fireDue runs every timer due at or before now, settling after each instant. */
  fireDue(): void {
    this.settle();
    for (let at = this.timers.peekAt(); at !== undefined && at <= this.clock.now(); at = this.timers.peekAt()) {
      while (this.timers.peekAt() === at) this.fire(this.timers.pop()!);
      this.settle();
    }
  }

  /**
   * runUntil advances the clock timer by timer (settling at each instant, calling `onInstant`)
   * until `done()` holds or the next happening would be after `deadline`. On a virtual clock the
   * time then rests at min(deadline, the moment `done` held). Returns whether `done()` held.
   */
  async runUntil(done: () => boolean, deadline: number, onInstant?: () => void): Promise<boolean> {
    this.fireDue();
    onInstant?.();
    for (;;) {
      if (done()) return true;
      const next = this.nextTimerAt();
      if (next === undefined || next > deadline) {
        if (this.clock.now() < deadline && next !== undefined) await this.clock.sleepUntil(deadline);
        return done();
      }
      await this.clock.sleepUntil(next);
      this.fireDue();
      onInstant?.();
    }
  }

  /** advanceBy lets `ms` of cluster time pass, running everything due on the way. */
  async advanceBy(ms: number, onInstant?: () => void): Promise<void> {
    const deadline = this.clock.now() + ms;
    await this.runUntil(() => false, deadline, onInstant);
    await this.clock.sleepUntil(deadline);
    this.fireDue();
  }

  /** listEvents returns events in order, optionally about one object. */
  listEvents(involved?: { kind: string; namespace?: string; name: string }): KubeEvent[] {
    return this.events.list(involved);
  }

  /** drainChanges collects everything to persist since the last call, as one store commit. */
  drainChanges(): SnapshotChanges {
    const { upserts, deletes } = this.api.drainChanges();
    this.events.expire(this.clock.now());
    const events = this.events.drainChanges();
    return {
      upserts,
      deletes: deletes.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`),
      events: events.events,
      eventDeletes: events.expired,
      meta: {
        [META_KEYS.resourceVersion]: String(this.api.resourceVersion),
        [META_KEYS.ids]: this.ids.save(),
        [META_KEYS.timers]: JSON.stringify(this.timers.all().map(({ seq: _s, ...t }) => t)),
        [META_KEYS.clock]: String(this.clock.now()),
        [META_KEYS.knobs]: JSON.stringify(this.knobs),
        [META_KEYS.hpa]: this.hpaMemory.save(),
      },
    };
  }
}
