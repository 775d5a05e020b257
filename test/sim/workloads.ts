/** Fixtures for the StatefulSet/DaemonSet traces: manifests as a user writes them, event lists as [seconds, message], and pod views. */
import { type KubeObject, VirtualClock } from '../../src/core/index.js';
import { type SimKnobs, Simulation } from '../../src/cluster/sim/sim.js';
import { T0 } from './helpers.js';

/** newSim is a simulation at T0 with the documented defaults (10 s to Ready, instant termination, 3 nodes). */
export function newSim(knobs: Partial<SimKnobs> = {}): { sim: Simulation; clock: VirtualClock; tr: EventTrace } {
  const clock = new VirtualClock(T0);
  const sim = new Simulation(clock, { podReadyAfterMs: 10_000, podTerminateAfterMs: 0, ...knobs });
  return { sim, clock, tr: new EventTrace(sim) };
}

export interface StsOpts {
  replicas?: number;
  image?: string;
  policy?: 'OrderedReady' | 'Parallel';
  /** strategy: RollingUpdate (with the rollingUpdate block when partition/maxUnavailable is given), OnDelete, or unset (the API server's default). */
  strategy?: 'RollingUpdate' | 'OnDelete';
  partition?: number;
  maxUnavailable?: number | string;
  claims?: boolean;
  revisionHistoryLimit?: number;
  storageClassName?: string;
}

/** stsManifest builds StatefulSet "web" (serviceName nginx, selector app=web), optionally with a `www` claim template of 1Gi. */
export function stsManifest(o: StsOpts = {}): KubeObject {
  const spec: any = {
    serviceName: 'nginx',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: o.image ?? 'nginx:1.20' }] } },
  };
  if (o.replicas !== undefined) spec.replicas = o.replicas;
  if (o.policy) spec.podManagementPolicy = o.policy;
  if (o.strategy) {
    spec.updateStrategy = { type: o.strategy };
    if (o.partition !== undefined || o.maxUnavailable !== undefined) {
      spec.updateStrategy.rollingUpdate = {};
      if (o.partition !== undefined) spec.updateStrategy.rollingUpdate.partition = o.partition;
      if (o.maxUnavailable !== undefined) spec.updateStrategy.rollingUpdate.maxUnavailable = o.maxUnavailable;
    }
  }
  if (o.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = o.revisionHistoryLimit;
  if (o.claims) {
    const claimSpec: any = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };
    if (o.storageClassName !== undefined) claimSpec.storageClassName = o.storageClassName;
    spec.volumeClaimTemplates = [{ metadata: { name: 'www' }, spec: claimSpec }];
  }
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' }, spec };
}

export interface DsOpts {
  image?: string;
  strategy?: 'RollingUpdate' | 'OnDelete';
  maxUnavailable?: number | string;
  maxSurge?: number | string;
  nodeSelector?: Record<string, string>;
  tolerations?: any[];
}

/** dsManifest builds DaemonSet "agent" (selector app=agent). */
export function dsManifest(o: DsOpts = {}): KubeObject {
  const podSpec: any = { containers: [{ name: 'agent', image: o.image ?? 'agent:1.0' }] };
  if (o.nodeSelector) podSpec.nodeSelector = o.nodeSelector;
  if (o.tolerations) podSpec.tolerations = o.tolerations;
  const spec: any = { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: podSpec } };
  if (o.strategy) {
    spec.updateStrategy = { type: o.strategy };
    if (o.maxSurge !== undefined || o.maxUnavailable !== undefined) {
      spec.updateStrategy.rollingUpdate = {};
      if (o.maxSurge !== undefined) spec.updateStrategy.rollingUpdate.maxSurge = o.maxSurge;
      if (o.maxUnavailable !== undefined) spec.updateStrategy.rollingUpdate.maxUnavailable = o.maxUnavailable;
    }
  }
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' }, spec };
}

/** EventTrace records every event occurrence (repeats folded into a count included) as it happens. */
export class EventTrace {
  private readonly items: { kind: string; name: string; at: number; message: string }[] = [];

  constructor(sim: Simulation) {
    sim.events.onOccurrence((e) => this.items.push({ kind: e.involvedObject.kind, name: e.involvedObject.name, at: Date.parse(e.lastTimestamp), message: e.message }));
  }

  /** mark is the number of occurrences so far (to list only later ones). */
  mark(): number {
    return this.items.length;
  }

  /** of lists the occurrences about `kind/name` after `mark` as [seconds from `from`, message]. */
  of(kind: string, name: string, from: number, mark = 0): [number, string][] {
    return this.items
      .slice(mark)
      .filter((e) => e.kind === kind && e.name === name)
      .map((e) => [(e.at - from) / 1000, e.message]);
  }
}

/** livePods are the non-terminating pods whose app label is `app`, by name. */
export function livePods(sim: Simulation, app: string): KubeObject[] {
  return sim.api.list('Pod', 'default').filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
}

/** ready tells whether a pod's Ready condition is True. */
export function ready(p: KubeObject): boolean {
  return (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/** image is a pod's first container image. */
export function image(p: KubeObject): string {
  return p.spec?.containers?.[0]?.image ?? '';
}
