/**
 * Pod lifecycle as data (what kubelet and the scheduler would do): a new pod is bound to the one
 * simulated node and is Pending/ContainerCreating; podReadyAfter later its containers start and it
 * is Running — Ready at once when no container has a readiness or startup probe, else when the
 * probes say so (see containerTimeline) — or, when its image matches failImages, stuck in
 * ImagePullBackOff for good; or, when its image matches crashImages, its containers start and exit
 * 1 at once (Failed under restartPolicy Never, CrashLoopBackOff with kubelet's 10s-doubling-to-5m
 * restart backoff otherwise). A pod whose restartPolicy is not Always (a Job's) runs to completion
 * podCompleteAfter after it started. A container whose image matches failProbes runs but never
 * becomes ready.
 *
 * A terminating pod (deletionTimestamp set, kept podTerminateAfter before it is gone) keeps its
 * status as it was: phase Running, containers running, and the Ready/ContainersReady conditions
 * still following the readiness probe — upstream's kubelet stops only liveness and startup probes
 * when a pod is deleted and keeps probing readiness during graceful termination. So a pod that
 * was serving stays Ready=True while terminating; the EndpointSlice controller then publishes it
 * as ready=false (terminating), serving=<Ready condition>, terminating=true.
 */
import { type KubeObject, deepFreeze, toRFC3339 } from '../../../core/index.js';
import type { ControllerContext } from './context.js';
import type { IdSource } from '../ids.js';

/** NODE_NAME is the simulated cluster's single node. */
export const NODE_NAME = 'mflux-sim-node';
/** NODE_IP is that node's address. */
export const NODE_IP = '172.18.0.2';

/** globToRegExp turns a shell glob (`*`, `?`) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

/** imageFails tells whether any container image of a pod matches a failImages glob. */
export function imageFails(pod: KubeObject, failImages: RegExp[]): boolean {
  if (failImages.length === 0) return false;
  return ((pod.spec?.containers ?? []) as any[]).some((c) => failImages.some((re) => re.test(String(c.image ?? ''))));
}

function cond(type: string, status: string, at: string): any {
  return { type, status, lastProbeTime: null, lastTransitionTime: at };
}

// boundSpecs holds, per frozen pod spec (a ReplicaSet's pods share one), that spec bound to each node.
const boundSpecs = new WeakMap<object, Map<string, object>>();

/**
 * boundSpec is `spec` with nodeName set. For a frozen spec the answer depends only on the spec and
 * the node, so it is made once and shared, frozen, by every pod of that spec on that node: 100k
 * pods of 10k ReplicaSets on 3 nodes hold 30k specs, not 100k, and the state store keeps each once.
 */
function boundSpec(spec: any, nodeName: string): any {
  if (spec === null || typeof spec !== 'object' || !Object.isFrozen(spec)) return { ...spec, nodeName };
  let byNode = boundSpecs.get(spec);
  if (!byNode) boundSpecs.set(spec, (byNode = new Map()));
  let bound = byNode.get(nodeName);
  if (!bound) byNode.set(nodeName, (bound = deepFreeze({ ...spec, nodeName })));
  return bound;
}

/** bindPod schedules a new pod onto a node (by default the first one) and reports it Pending with containers being created. */
export function bindPod(ctx: ControllerContext, pod: KubeObject, ids: IdSource, node: { name: string; ip: string } = { name: NODE_NAME, ip: NODE_IP }): KubeObject {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  return ctx.api.writeDirect({
    ...pod,
    spec: boundSpec(pod.spec, node.name),
    status: {
      phase: 'Pending',
      conditions: shared.at(now, 'bound', () => [cond('PodReadyToStartContainers', 'False', now), cond('Initialized', 'True', now), cond('Ready', 'False', now), cond('ContainersReady', 'False', now), cond('PodScheduled', 'True', now)]),
      hostIP: node.ip,
      podIP: ids.podIP(),
      startTime: now,
      qosClass: 'BestEffort',
      containerStatuses: shared.of(containers, now, 'creating', () => containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } }))),
    },
  });
}

/** startPod is the moment the containers are up: Running and Ready, or ImagePullBackOff when the image fails. */
export function startPod(ctx: ControllerContext, pod: KubeObject, fails: boolean): KubeObject {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  if (fails) {
    return ctx.api.writeDirect({
      ...pod,
      status: {
        ...pod.status,
        conditions: (pod.status?.conditions ?? []).map((c: any) => (c.type === 'PodReadyToStartContainers' ? { ...c, status: 'True', lastTransitionTime: now } : c)),
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
        })),
      },
    });
  }
  const conditions = (pod.status?.conditions ?? []) as any[];
  return ctx.api.writeDirect({
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: shared.of(conditions, now, 'started', () => conditions.map((c: any) => (c.type === 'PodScheduled' || c.type === 'Initialized' ? c : { ...c, status: 'True', lastTransitionTime: now }))),
      containerStatuses: shared.of(containers, now, 'running', () => containers.map((c) => ({ name: c.name, image: c.image, imageID: `${c.image}`, ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }))),
    },
  });
}

/**
 * SharedParts hands out frozen status parts that many pods hold at once. Every pod bound at one
 * instant gets equal conditions, and every pod of one template started at one instant equal
 * container statuses (pods of a ReplicaSet share its template's containers array); 100k pods then
 * hold a few thousand such arrays instead of 100k, and each write allocates a status, not a tree.
 * Each answer is a pure function of its key, so sharing it changes nothing a reader can see.
 */
class SharedParts {
  private stamp = '';
  private readonly byInstant = new Map<string, unknown[]>();
  private readonly byInput = new WeakMap<object, { now: string; parts: Map<string, unknown[]> }>();

  /** at is make()'s answer for this instant `now` and `what`, made once per instant. */
  at(now: string, what: string, make: () => unknown[]): any[] {
    this.roll(now);
    let v = this.byInstant.get(what);
    if (!v) this.byInstant.set(what, (v = deepFreeze(make())));
    return v;
  }

  /** of is make()'s answer for the frozen (so unchanging) array `input` at instant `now` and `what`. */
  of(input: object, now: string, what: string, make: () => unknown[]): any[] {
    if (!Object.isFrozen(input)) return make();
    this.roll(now);
    // Only what was made at the current instant is kept, so a long-lived input holds a few parts at most.
    let e = this.byInput.get(input);
    if (!e || e.now !== this.stamp) this.byInput.set(input, (e = { now: this.stamp, parts: new Map() }));
    let v = e.parts.get(what);
    if (!v) e.parts.set(what, (v = deepFreeze(make())));
    return v;
  }

  // roll forgets the last instant's parts once time has moved.
  private roll(now: string): void {
    if (now === this.stamp) return;
    this.stamp = now;
    this.byInstant.clear();
  }
}

const shared = new SharedParts();

/** ProbeTiming is what a probe's timing depends on, in milliseconds, with the API server's defaults applied. */
export interface ProbeTiming {
  /** initialDelayMs: initialDelaySeconds (default 0). */
  initialDelayMs: number;
  /** periodMs: periodSeconds (default 10). */
  periodMs: number;
  /** successThreshold: consecutive successes needed (default 1). */
  successThreshold: number;
}

// The API server defaults an unset or zero periodSeconds to 10 and successThreshold to 1 (SetDefaults_Probe).
function whole(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
}

/** probeTiming reads a probe's timing fields, or undefined when there is no probe. */
export function probeTiming(probe: any): ProbeTiming | undefined {
  if (!probe || typeof probe !== 'object') return undefined;
  return { initialDelayMs: whole(probe.initialDelaySeconds, 0) * 1000, periodMs: whole(probe.periodSeconds, 10) * 1000, successThreshold: whole(probe.successThreshold, 1) };
}

/** ContainerTimeline is when one container's status changes after its start (epoch ms). */
export interface ContainerTimeline {
  /** startedAt: when `started` turns true (the start itself, or the startup probe's success). */
  startedAt: number;
  /** readyAt: when `ready` turns true; undefined when it never does (failProbes). */
  readyAt?: number;
  /** failedProbeAt: the first readiness probe that fails, for a container that never becomes ready and has a readiness probe. */
  failedProbeAt?: number;
}

// tickAtOrAfter is the first tick of a probe worker's ticker (started at `origin`, every `period`) at or after t.
function tickAtOrAfter(t: number, origin: number, period: number): number {
  return t <= origin ? origin : origin + Math.ceil((t - origin) / period) * period;
}

/**
 * containerTimeline works out, as upstream's kubelet probes (pkg/kubelet/prober worker.go and
 * prober_manager.go), when a container that started at `startedAt` becomes started and ready.
 * Each probe has a worker whose ticker starts when the kubelet sets the pod up — here the moment
 * it was bound, `boundAt` — and ticks every periodSeconds; a probe is skipped while the container
 * has run less than initialDelaySeconds. So the first probe after the initial delay is not at
 * start + initialDelay exactly but at the first period tick at or after it (the two agree when
 * podReadyAfter is a multiple of the period). Besides the ticks, each time the kubelet syncs the
 * pod while the container is started but not ready, UpdatePodStatus triggers a readiness probe at
 * once: that happens when the container starts and when its startup probe succeeds, so with no
 * initial delay the first readiness probe runs at once. Readiness probes do not run until the
 * startup probe has succeeded (its successThreshold is always 1); the container is Ready at the
 * successThreshold-th consecutive success. A tick at the very instant of the start sees the
 * container running, and a manual trigger and a tick at one instant count as one probe. Not
 * modelled: the random first wait of workers on a freshly restarted kubelet, PLEG's up-to-1s lag,
 * and the kubelet's periodic (about once a minute) pod resync, which also triggers a probe.
 * Example: bound at 0, started at 15s, readinessProbe {initialDelaySeconds: 30} (period 10s):
 * ticks at 0, 10, 20, …; the first with 30s run is 50s, so Ready at 50s, not 45s.
 */
export function containerTimeline(c: any, boundAt: number, startedAt: number, probeFails: boolean): ContainerTimeline {
  const startup = probeTiming(c.startupProbe);
  const started = startup ? tickAtOrAfter(startedAt + startup.initialDelayMs, boundAt, startup.periodMs) : startedAt;
  const readiness = probeTiming(c.readinessProbe);
  if (!readiness) return probeFails ? { startedAt: started } : { startedAt: started, readyAt: started };
  // The manual trigger at `started` probes if the delay is over; otherwise the first tick after it does.
  const delayOver = startedAt + readiness.initialDelayMs;
  const first = started >= delayOver ? started : tickAtOrAfter(delayOver, boundAt, readiness.periodMs);
  if (probeFails) return { startedAt: started, failedProbeAt: first };
  if (readiness.successThreshold === 1) return { startedAt: started, readyAt: first };
  const second = tickAtOrAfter(first + 1, boundAt, readiness.periodMs);
  return { startedAt: started, readyAt: second + (readiness.successThreshold - 2) * readiness.periodMs };
}

/** hasProbes tells whether any container of a pod has a readiness or startup probe. */
export function hasProbes(pod: KubeObject): boolean {
  return ((pod.spec?.containers ?? []) as any[]).some((c) => c.readinessProbe || c.startupProbe);
}

/** probesFail tells, per container, whether its image matches a failProbes glob. */
export function probesFail(pod: KubeObject, failProbes: RegExp[]): boolean[] {
  return ((pod.spec?.containers ?? []) as any[]).map((c) => failProbes.length > 0 && failProbes.some((re) => re.test(String(c.image ?? ''))));
}

/** podTimelines is containerTimeline for every container of a pod, in spec order. */
export function podTimelines(pod: KubeObject, boundAt: number, startedAt: number, fails: boolean[]): ContainerTimeline[] {
  return ((pod.spec?.containers ?? []) as any[]).map((c, i) => containerTimeline(c, boundAt, startedAt, fails[i] ?? false));
}

/** nextChangeAt is the earliest moment after `now` at which any of the timelines changes a status, if any. */
export function nextChangeAt(lines: ContainerTimeline[], now: number): number | undefined {
  let next: number | undefined;
  for (const l of lines) for (const t of [l.startedAt, l.readyAt, l.failedProbeAt]) if (t !== undefined && t > now && (next === undefined || t < next)) next = t;
  return next;
}

// The message of kubelet's Unhealthy event when a readiness probe of this kind fails (prober.go: "%s probe failed: %s").
function probeFailure(c: any, podIP: string | undefined): string {
  const p = c.readinessProbe ?? {};
  if (p.httpGet) return 'Readiness probe failed: HTTP probe failed with statuscode: 503';
  if (p.tcpSocket) {
    const port = p.tcpSocket.port;
    const n = typeof port === 'string' ? ((c.ports ?? []) as any[]).find((x) => x.name === port)?.containerPort ?? port : port;
    return `Readiness probe failed: dial tcp ${p.tcpSocket.host ?? podIP ?? ''}:${n}: connect: connection refused`;
  }
  if (p.grpc) return 'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")';
  return 'Readiness probe failed: ';
}

/**
 * startProbedPod is a pod's containers starting (at `startedAt`, bound at `boundAt`) or a later
 * probe result (at now): it writes the containers' started/ready and the pod's ContainersReady and
 * Ready conditions as the kubelet does at this moment — reason ContainersNotReady, message
 * "containers with unready status: [app]" while any container is not ready — and records
 * kubelet's Unhealthy event at a container's first failed readiness probe. Returns when the
 * status changes next, if ever.
 */
export function startProbedPod(ctx: ControllerContext, pod: KubeObject, boundAt: number, startedAt: number, fails: boolean[]): number | undefined {
  const nowMs = ctx.now();
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  const lines = podTimelines(pod, boundAt, startedAt, fails);
  const started = lines.map((l) => l.startedAt <= nowMs);
  const ready = lines.map((l) => l.readyAt !== undefined && l.readyAt <= nowMs);
  const unready = containers.filter((_, i) => !ready[i]).map((c) => c.name);
  const allReady: [string, string?, string?] = unready.length === 0 ? ['True'] : ['False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`];
  const startedStr = toRFC3339(startedAt);
  ctx.api.writeDirect({
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: withConditions(pod, now, { PodReadyToStartContainers: ['True'], ContainersReady: allReady, Ready: allReady }),
      containerStatuses: containers.map((c, i) => ({ name: c.name, image: c.image, imageID: `${c.image}`, ready: ready[i], restartCount: 0, started: started[i], state: { running: { startedAt: startedStr } } })),
    },
  });
  containers.forEach((c, i) => {
    if (lines[i]!.failedProbeAt === nowMs) ctx.record(pod, 'Warning', 'Unhealthy', probeFailure(c, pod.status?.podIP), 'kubelet');
  });
  return nextChangeAt(lines, nowMs);
}

/** CRASH_BACKOFF_INITIAL_MS is kubelet's first container restart back-off (backOffPeriod, 10s). */
export const CRASH_BACKOFF_INITIAL_MS = 10_000;
/** CRASH_BACKOFF_MAX_MS caps the restart back-off (MaxContainerBackOff, 5 minutes). */
export const CRASH_BACKOFF_MAX_MS = 300_000;
/** EXIT_CODE_CRASH is the exit code of a crashing simulated container. */
export const EXIT_CODE_CRASH = 1;

/**
 * crashBackoffMs is kubelet's back-off before restarting a container after its `restarts`-th
 * restart crashed too. kubelet restarts a container the first time it exits at once (no back-off
 * entry yet) and only then starts its flowcontrol.Backoff at 10s, doubling per exit up to 5m:
 * restarts 1 → 10s, 2 → 20s, 3 → 40s, … 6 and later → 300s.
 */
export function crashBackoffMs(restarts: number): number {
  return Math.min(CRASH_BACKOFF_INITIAL_MS * 2 ** Math.max(0, restarts - 1), CRASH_BACKOFF_MAX_MS);
}

function withConditions(pod: KubeObject, now: string, set: Record<string, [string, string?, string?]>): any[] {
  return (pod.status?.conditions ?? []).map((c: any) => {
    const want = set[c.type];
    if (!want) return c;
    const [status, reason, message] = want;
    const next: any = { ...c, status, lastTransitionTime: c.status === status ? c.lastTransitionTime : now };
    if (reason) next.reason = reason;
    else delete next.reason;
    if (message) next.message = message;
    else delete next.message;
    return next;
  });
}

// Go's time.Duration String for whole seconds: 10s, 1m20s, 5m0s.
function goSeconds(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** restartPolicyOf is the pod's restartPolicy (the API server defaults it to Always). */
export function restartPolicyOf(pod: KubeObject): string {
  return pod.spec?.restartPolicy ?? 'Always';
}

/**
 * crashPod is the moment a crashing pod's containers first start: they exit 1 at once. Under
 * restartPolicy Never the pod is Failed for good (kubectl: Error); otherwise kubelet restarts them
 * at once, they exit again and the pod waits in CrashLoopBackOff with restartCount 1. Returns when
 * kubelet restarts the containers next, or undefined when it never will.
 */
export function crashPod(ctx: ControllerContext, pod: KubeObject): number | undefined {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  const terminated = (c: any) => ({ terminated: { exitCode: EXIT_CODE_CRASH, reason: 'Error', startedAt: now, finishedAt: now, containerID: `containerd://${c.name}` } });
  if (restartPolicyOf(pod) === 'Never') {
    ctx.api.writeDirect({
      ...pod,
      status: {
        ...pod.status,
        phase: 'Failed',
        conditions: withConditions(pod, now, { PodReadyToStartContainers: ['False'], Ready: ['False', 'PodFailed'], ContainersReady: ['False', 'PodFailed'] }),
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: `${c.image}`, ready: false, restartCount: 0, started: false, state: terminated(c) })),
      },
    });
    return undefined;
  }
  return restartCrashed(ctx, pod, 1);
}

/**
 * restartCrashed records a restart of a crash-looping pod's containers (restartCount `restarts`),
 * which crash at once again; returns when kubelet's back-off lets it restart them next.
 */
export function restartCrashed(ctx: ControllerContext, pod: KubeObject, restarts: number): number {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  const backoff = crashBackoffMs(restarts);
  const ref = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
  ctx.api.writeDirect({
    ...pod,
    status: {
      ...pod.status,
      // A pod whose containers have started is Running even while they crash-loop.
      phase: 'Running',
      conditions: withConditions(pod, now, { PodReadyToStartContainers: ['True'], Ready: ['False', 'ContainersNotReady'], ContainersReady: ['False', 'ContainersNotReady'] }),
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image}`,
        ready: false,
        restartCount: restarts,
        started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goSeconds(backoff)} restarting failed container=${c.name} pod=${ref}` } },
        lastState: { terminated: { exitCode: EXIT_CODE_CRASH, reason: 'Error', startedAt: now, finishedAt: now, containerID: `containerd://${c.name}-${restarts}` } },
      })),
    },
  });
  for (const c of containers) ctx.record(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${ref}`, 'kubelet');
  return ctx.now() + backoff;
}

/** completePod is the moment a run-to-completion pod's containers exit 0: Succeeded (kubectl: Completed). */
export function completePod(ctx: ControllerContext, pod: KubeObject): KubeObject {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  return ctx.api.writeDirect({
    ...pod,
    status: {
      ...pod.status,
      phase: 'Succeeded',
      conditions: withConditions(pod, now, { PodReadyToStartContainers: ['False'], Ready: ['False', 'PodCompleted'], ContainersReady: ['False', 'PodCompleted'] }),
      containerStatuses: containers.map((c) => {
        const prev = (pod.status?.containerStatuses ?? []).find((s: any) => s.name === c.name);
        const startedAt = prev?.state?.running?.startedAt ?? now;
        return { name: c.name, image: c.image, imageID: `${c.image}`, ready: false, restartCount: prev?.restartCount ?? 0, started: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: now, containerID: `containerd://${c.name}` } } };
      }),
    },
  });
}

/** podFinishedAt is when a finished pod's last container terminated (epoch ms), if known. */
export function podFinishedAt(pod: KubeObject): number | undefined {
  let at: number | undefined;
  for (const c of (pod.status?.containerStatuses ?? []) as any[]) {
    const t = c.state?.terminated?.finishedAt;
    if (t) at = Math.max(at ?? 0, Date.parse(t));
  }
  return at;
}
