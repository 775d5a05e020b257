/**
 * Pod lifecycle as data (what kubelet and the scheduler would do): a new pod is bound to the one
 * simulated node and is Pending/ContainerCreating; podReadyAfter later it is Running and Ready —
 * or, when its image matches failImages, stuck in ImagePullBackOff for good; or, when its image
 * matches crashImages, its containers start and exit 1 at once (Failed under restartPolicy Never,
 * CrashLoopBackOff with kubelet's 10s-doubling-to-5m restart backoff otherwise). A pod whose
 * restartPolicy is not Always (a Job's) runs to completion podCompleteAfter after it started.
 */
import type { KubeObject } from '../../../core/index.js';
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

/** bindPod schedules a new pod onto a node (by default the first one) and reports it Pending with containers being created. */
export function bindPod(ctx: ControllerContext, pod: KubeObject, ids: IdSource, node: { name: string; ip: string } = { name: NODE_NAME, ip: NODE_IP }): KubeObject {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  return ctx.api.writeDirect({
    ...pod,
    spec: { ...pod.spec, nodeName: node.name },
    status: {
      phase: 'Pending',
      conditions: [cond('PodReadyToStartContainers', 'False', now), cond('Initialized', 'True', now), cond('Ready', 'False', now), cond('ContainersReady', 'False', now), cond('PodScheduled', 'True', now)],
      hostIP: node.ip,
      podIP: ids.podIP(),
      startTime: now,
      qosClass: 'BestEffort',
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } })),
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
  return ctx.api.writeDirect({
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: (pod.status?.conditions ?? []).map((c: any) => (c.type === 'PodScheduled' || c.type === 'Initialized' ? c : { ...c, status: 'True', lastTransitionTime: now })),
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: `${c.image}`, ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
    },
  });
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

function withConditions(pod: KubeObject, now: string, set: Record<string, [string, string?]>): any[] {
  return (pod.status?.conditions ?? []).map((c: any) => {
    const want = set[c.type];
    if (!want) return c;
    const [status, reason] = want;
    const next: any = { ...c, status, lastTransitionTime: c.status === status ? c.lastTransitionTime : now };
    if (reason) next.reason = reason;
    else delete next.reason;
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
