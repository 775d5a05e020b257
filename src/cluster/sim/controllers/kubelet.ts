/**
 * Pod lifecycle as data (what kubelet and the scheduler would do): a new pod is bound to the one
 * simulated node and is Pending/ContainerCreating; podReadyAfter later it is Running and Ready —
 * or, when its image matches failImages, stuck in ImagePullBackOff for good.
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

/** bindPod schedules a new pod onto the node and reports it Pending with containers being created. */
export function bindPod(ctx: ControllerContext, pod: KubeObject, ids: IdSource): KubeObject {
  const now = ctx.nowStr();
  const containers = (pod.spec?.containers ?? []) as any[];
  return ctx.api.writeDirect({
    ...pod,
    spec: { ...pod.spec, nodeName: NODE_NAME },
    status: {
      phase: 'Pending',
      conditions: [cond('PodReadyToStartContainers', 'False', now), cond('Initialized', 'True', now), cond('Ready', 'False', now), cond('ContainersReady', 'False', now), cond('PodScheduled', 'True', now)],
      hostIP: NODE_IP,
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
