/** Shared fixtures for the simulator tests: Deployment manifests, a controller context over a real ApiServer, and trace helpers. */
import { type KubeEvent, type KubeObject, VirtualClock, toRFC3339 } from '../../src/core/index.js';
import { ApiServer } from '../../src/cluster/sim/apiserver.js';
import { mergeForApply } from '../../src/cluster/sim/client.js';
import type { ControllerContext, EventWording } from '../../src/cluster/sim/controllers/context.js';
import { IdSource } from '../../src/cluster/sim/ids.js';
import type { Simulation } from '../../src/cluster/sim/sim.js';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../../src/cluster/sim/controllers/deployment/util.js';

/** T0 is the start of every timeline (the seed article's clock). */
export const T0 = Date.parse('2021-10-10T00:02:34Z');

export interface DeploymentOpts {
  name?: string;
  replicas?: number;
  image?: string;
  maxSurge?: number | string | null;
  maxUnavailable?: number | string | null;
  strategy?: 'RollingUpdate' | 'Recreate';
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

/** deploymentManifest builds an apps/v1 Deployment as a user would write it (only the given fields set). */
export function deploymentManifest(o: DeploymentOpts = {}): KubeObject {
  const name = o.name ?? 'front';
  const spec: any = {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: o.image ?? 'nginx:1.20' }] } },
  };
  if (o.replicas !== undefined) spec.replicas = o.replicas;
  if (o.strategy === 'Recreate') spec.strategy = { type: 'Recreate' };
  else {
    const ru: any = {};
    if (o.maxSurge !== undefined && o.maxSurge !== null) ru.maxSurge = o.maxSurge;
    if (o.maxUnavailable !== undefined && o.maxUnavailable !== null) ru.maxUnavailable = o.maxUnavailable;
    spec.strategy = { type: 'RollingUpdate', rollingUpdate: ru };
  }
  if (o.minReadySeconds !== undefined) spec.minReadySeconds = o.minReadySeconds;
  if (o.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = o.revisionHistoryLimit;
  if (o.progressDeadlineSeconds !== undefined) spec.progressDeadlineSeconds = o.progressDeadlineSeconds;
  if (o.paused !== undefined) spec.paused = o.paused;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec };
}

/** Fixture is a real ApiServer on a virtual clock plus a ControllerContext that records events and requeues. */
export class Fixture {
  readonly clock: VirtualClock;
  readonly api: ApiServer;
  readonly events: { type: string; reason: string; message: string; on: string }[] = [];
  readonly requeues: { controller: string; key: string; at: number }[] = [];
  readonly ctx: ControllerContext;

  constructor(start = T0, wording: EventWording = 'v1.28') {
    this.clock = new VirtualClock(start);
    this.api = new ApiServer(this.clock, new IdSource());
    this.ctx = {
      api: this.api,
      now: () => this.clock.now(),
      nowStr: () => toRFC3339(this.clock.now()),
      record: (obj, type, reason, message) => this.events.push({ type, reason, message, on: `${obj.kind}/${obj.metadata.name}` }),
      requeueAt: (controller, key, at) => this.requeues.push({ controller, key, at }),
      eventWording: wording,
    };
  }

  /**
   * deployment stores a Deployment and returns a working copy. Upstream's test helper defaults
   * (maxSurge 0 / maxUnavailable 0) are rejected by validation, so `override` lets a row use them
   * on the copy handed to the controller functions while a valid object is stored.
   */
  deployment(o: DeploymentOpts, override?: (d: KubeObject) => void): KubeObject {
    const stored = this.api.create(deploymentManifest(o));
    const d = structuredClone(stored);
    override?.(d);
    return d;
  }

  /**
   * rs stores a ReplicaSet owned by `d` (creation one second after the previous one) with the given
   * spec and status, and returns the stored object.
   */
  rs(
    d: KubeObject,
    name: string,
    replicas: number,
    o: { available?: number; statusReplicas?: number; ready?: number; revision?: string; annotations?: Record<string, string>; image?: string; desired?: number; max?: number } = {},
  ): KubeObject {
    this.clock.advanceBy(1000);
    const hash = name.replace(/[^a-z0-9]/g, '');
    const annotations: Record<string, string> = { ...(o.annotations ?? {}) };
    if (o.revision !== undefined) annotations[REVISION_ANNOTATION] = o.revision;
    if (o.desired !== undefined) annotations[DESIRED_REPLICAS_ANNOTATION] = String(o.desired);
    if (o.max !== undefined) annotations[MAX_REPLICAS_ANNOTATION] = String(o.max);
    const labels = { ...d.spec.template.metadata.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const created = this.api.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: 'default',
        labels,
        annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash } },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: o.image ?? `nginx:${name}` }] } },
      },
    });
    const available = o.available ?? 0;
    return this.api.updateStatus('ReplicaSet', 'default', name, {
      replicas: o.statusReplicas ?? replicas,
      readyReplicas: o.ready ?? available,
      availableReplicas: available,
      observedGeneration: created.metadata.generation,
    });
  }

  /** specOf reads a stored ReplicaSet's spec.replicas (undefined when it is gone). */
  specOf(name: string): number | undefined {
    return this.api.get('ReplicaSet', 'default', name)?.spec?.replicas;
  }
}

/** apply writes a manifest the way `mflux apply` does: create, or update keeping controller-owned annotations. */
export function apply(sim: Simulation, obj: KubeObject): KubeObject {
  const live = sim.api.get(obj.kind, obj.metadata.namespace ?? 'default', obj.metadata.name);
  return live ? sim.api.update(mergeForApply(obj, live)) : sim.api.create(obj);
}

/** rolledOut: the Deployment's current generation is observed and its rollout is complete (rollout status "successfully rolled out"). */
export function rolledOut(sim: Simulation, name = 'front'): boolean {
  const d = sim.api.get('Deployment', 'default', name);
  if (!d) return false;
  const s = d.status ?? {};
  const r = d.spec.replicas;
  const progressing = s.conditions?.find((c: any) => c.type === 'Progressing');
  return (
    (s.observedGeneration ?? 0) >= d.metadata.generation! &&
    (s.updatedReplicas ?? 0) === r &&
    (s.replicas ?? 0) === r &&
    (s.availableReplicas ?? 0) === r &&
    progressing?.reason === 'NewReplicaSetAvailable'
  );
}

/** eventMark is the number of events recorded about the Deployment so far (to list only later ones). */
export function eventMark(sim: Simulation, name = 'front'): number {
  return sim.listEvents({ kind: 'Deployment', namespace: 'default', name }).length;
}

/**
 * scalingEvents lists the Deployment's ScalingReplicaSet events recorded after `mark` (an
 * eventMark), as [seconds from `from`, message].
 */
export function scalingEvents(sim: Simulation, from: number, mark = 0, name = 'front'): [number, string][] {
  return sim
    .listEvents({ kind: 'Deployment', namespace: 'default', name })
    .slice(mark)
    .filter((e: KubeEvent) => e.reason === 'ScalingReplicaSet')
    .map((e: KubeEvent) => [(Date.parse(e.firstTimestamp) - from) / 1000, e.message]);
}

/** replicaSets returns the Deployment's ReplicaSets oldest first. */
export function replicaSets(sim: Simulation, name = 'front'): KubeObject[] {
  return sim.api
    .list('ReplicaSet', 'default')
    .filter((rs) => rs.metadata.labels?.app === name)
    .sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!) || a.metadata.name.localeCompare(b.metadata.name));
}

/** podsOf returns the pods controlled by a ReplicaSet. */
export function podsOf(sim: Simulation, rs: KubeObject): KubeObject[] {
  return sim.api.ownedBy(rs.metadata.uid!, 'Pod');
}

/** isReady tells whether a pod's Ready condition is True. */
export function isReady(pod: KubeObject): boolean {
  return pod.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** condition returns a Deployment condition by type. */
export function condition(d: KubeObject | undefined, type: string): any {
  return d?.status?.conditions?.find((c: any) => c.type === type);
}
