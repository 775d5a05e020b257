/**
 * What a Service serves, as pure functions over a Service and pods (or pod templates): which pods
 * it selects, which container port each of its ports reaches, and each pod's endpoint conditions.
 * The simulator's endpoint controllers publish these; the PR check and reconcile count them, so
 * "ready endpoints" means one thing everywhere.
 *
 * Upstream's rules (pkg/controller/endpointslice, pkg/api/v1/pod FindPort, ShouldPodBeInEndpoints):
 * - A Service without a selector gets no managed endpoints; `selector: {}` selects every pod of
 *   its namespace (an empty label set is "everything" to apimachinery).
 * - A pod is an endpoint once it has an IP and until it is terminal (Succeeded, or Failed under
 *   restartPolicy Never/OnFailure… any terminal phase); a terminating pod stays in EndpointSlices
 *   (`terminating: true`, `ready: false`, `serving` = its Ready condition) but leaves the legacy
 *   Endpoints object, unless the Service publishes not-ready addresses.
 * - A numeric targetPort is used as is, whether or not a container declares it; a named one is the
 *   containerPort of the first container port with that name and the Service port's protocol
 *   (TCP when unset); no such port leaves that pod out of that Service port.
 */
import type { KubeObject } from '../core/index.js';

/** ServicePort is one entry of a Service's `spec.ports`. */
export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  nodePort?: number;
  appProtocol?: string;
}

/** EndpointConditions are an EndpointSlice endpoint's conditions. */
export interface EndpointConditions {
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** ServiceEndpoint is one pod behind a Service: its address, where it runs, its conditions and the ports it serves. */
export interface ServiceEndpoint {
  pod: KubeObject;
  ip: string;
  nodeName?: string;
  conditions: EndpointConditions;
  /** ports are the Service ports this pod serves, with the container port each resolved to (and the Service port's appProtocol, which endpoints carry along). */
  ports: { name: string; port: number; protocol: string; appProtocol?: string }[];
}

/** readyCondition is the pod's Ready condition, if any (none when its conditions are not a list). */
export function readyCondition(p: KubeObject): { status?: string; lastTransitionTime?: string } | undefined {
  const conditions: unknown = p.status?.conditions;
  return Array.isArray(conditions) ? conditions.find((c: any) => c?.type === 'Ready') : undefined;
}

/** isPodReady: the pod's Ready condition is True (the first one, as upstream's GetPodReadyCondition reads it). */
export function isPodReady(p: KubeObject): boolean {
  return readyCondition(p)?.status === 'True';
}

/** serviceSelector is the Service's label selector, or undefined when it has none (endpoints are then managed by hand). */
export function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  const s = svc.spec?.selector;
  return s && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, string>) : undefined;
}

/** selectsLabels: every key of the selector is in the labels with the same value (an empty selector selects everything). */
export function selectsLabels(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  // for…in, not Object.entries: the endpoint controllers ask this for every pod change.
  for (const k in selector) if (labels?.[k] !== selector[k]) return false;
  return true;
}

/** servicePorts lists the Service's ports with the API's defaults (protocol TCP, targetPort = port). */
export function servicePorts(svc: KubeObject): (ServicePort & { protocol: string; targetPort: number | string })[] {
  // Only well-formed entries: the store may hold what validation does not inspect, and a controller must not throw on it.
  const raw: unknown[] = Array.isArray(svc.spec?.ports) ? svc.spec.ports : [];
  const ports = raw.filter((p): p is ServicePort => !!p && typeof p === 'object' && typeof (p as ServicePort).port === 'number');
  return ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port }));
}

/**
 * resolveTargetPort is the container port a Service port reaches in a pod spec (or a pod
 * template's spec), or undefined. Example: `targetPort: http` with a container port
 * `{name: http, containerPort: 8080}` → 8080; `targetPort: 9090` → 9090 even if nothing declares it.
 */
export function resolveTargetPort(port: ServicePort, podSpec: any): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  // Sidecars (init containers that keep running) count too, as upstream FindPort does since 1.29.
  const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);
  const sidecars = list(podSpec?.initContainers).filter((c: any) => c?.restartPolicy === 'Always');
  for (const c of [...list(podSpec?.containers), ...sidecars]) {
    for (const cp of list(c?.ports)) if (cp?.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
  }
  return undefined;
}

/** isPodTerminal: the pod has finished (Succeeded or Failed) and will serve nothing again. */
export function isPodTerminal(p: KubeObject): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** endpointConditions are the pod's conditions as an EndpointSlice publishes them (see the file comment). */
export function endpointConditions(svc: KubeObject, pod: KubeObject): EndpointConditions {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const serving = publishNotReady || isPodReady(pod);
  return { ready: serving && (publishNotReady || !terminating), serving, terminating };
}

/**
 * serviceEndpoints lists the endpoints the Service has among `pods` (any pods; those of other
 * namespaces or not selected are skipped), in the order given. A pod that resolves none of the
 * Service's ports is still listed, with no ports, as upstream publishes it.
 */
export function serviceEndpoints(svc: KubeObject, pods: Iterable<KubeObject>): ServiceEndpoint[] {
  const selector = serviceSelector(svc);
  if (!selector) return [];
  const ports = servicePorts(svc);
  const out: ServiceEndpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !selectsLabels(selector, pod.metadata.labels)) continue;
    const ip = pod.status?.podIP;
    if (!ip || isPodTerminal(pod)) continue;
    const resolved: ServiceEndpoint['ports'] = [];
    for (const p of ports) {
      const n = resolveTargetPort(p, pod.spec);
      if (n !== undefined) resolved.push({ name: String(p.name ?? ''), port: n, protocol: String(p.protocol), ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}) });
    }
    out.push({ pod, ip, nodeName: pod.spec?.nodeName, conditions: endpointConditions(svc, pod), ports: resolved });
  }
  return out;
}

/** endpointCounts counts the Service's endpoints (every one listed, ready or not) and its ready ones — ready and serving at least one of its ports, what receives new connections — in one pass over the pods. */
export function endpointCounts(svc: KubeObject, pods: Iterable<KubeObject>): { ready: number; total: number } {
  const portless = servicePorts(svc).length === 0;
  const all = serviceEndpoints(svc, pods);
  let ready = 0;
  for (const e of all) if (e.conditions.ready && (e.ports.length > 0 || portless)) ready++;
  return { ready, total: all.length };
}

/** PodTemplate is what a workload would run: its pods' namespace, labels and spec, and how many it wants (undefined when only the cluster knows, e.g. a DaemonSet). */
export interface PodTemplate {
  namespace: string;
  labels: Record<string, string>;
  spec: any;
  replicas: number | undefined;
}

/** SERVING_KINDS are the kinds whose pods can serve behind a Service, each with where its pod template is. */
export const SERVING_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'];

/**
 * podTemplateOf is the pod template a workload (or bare Pod) runs, or undefined for other kinds.
 * replicas: Deployment/StatefulSet/ReplicaSet `spec.replicas` (default 1), a bare Pod 1, a DaemonSet
 * its scheduled count once the cluster knows it; Jobs and CronJobs run to completion and serve
 * nothing steadily, so they want 0. Example: a Deployment with `replicas: 4` and template labels
 * {app: web} → {labels: {app: web}, replicas: 4}.
 */
export function podTemplateOf(obj: KubeObject): PodTemplate | undefined {
  const namespace = obj.metadata.namespace || 'default';
  const t = obj.kind === 'CronJob' ? obj.spec?.jobTemplate?.spec?.template : obj.kind === 'Pod' ? { metadata: obj.metadata, spec: obj.spec } : SERVING_KINDS.includes(obj.kind) ? obj.spec?.template : undefined;
  if (!t) return undefined;
  const replicas =
    obj.kind === 'Pod' ? 1 : obj.kind === 'Job' || obj.kind === 'CronJob' ? 0 : obj.kind === 'DaemonSet' ? (obj.status?.desiredNumberScheduled as number | undefined) : ((obj.spec?.replicas as number | undefined) ?? 1);
  return { namespace, labels: (t.metadata?.labels ?? {}) as Record<string, string>, spec: t.spec ?? {}, replicas };
}

/** selectsTemplate: the Service (with a selector) would select pods made from the template (same namespace, matching labels). */
export function selectsTemplate(svc: KubeObject, t: Pick<PodTemplate, 'namespace' | 'labels'>): boolean {
  const selector = serviceSelector(svc);
  return selector !== undefined && (svc.metadata.namespace || 'default') === t.namespace && selectsLabels(selector, t.labels);
}

/**
 * desiredEndpoints is how many pods the Service should be serving from: the replicas of every
 * workload whose template it selects (Deployments count, not their ReplicaSets; only ownerless
 * ReplicaSets and Pods count on their own). Example: Deployments of 4 and 2 replicas both labelled
 * app=web behind `selector: {app: web}` → 6.
 */
export function desiredEndpoints(svc: KubeObject, workloads: Iterable<KubeObject>): number {
  let n = 0;
  for (const w of workloads) {
    if ((w.kind === 'ReplicaSet' || w.kind === 'Pod' || w.kind === 'Job') && (w.metadata.ownerReferences ?? []).some((o) => o.controller)) continue;
    const t = podTemplateOf(w);
    if (t && selectsTemplate(svc, t)) n += t.replicas ?? 0;
  }
  return n;
}

/**
 * LabelIndex finds what a Service's selector may match without scanning everything: each item is
 * filed under every `key=value` of its labels, and a selector looks in its rarest pair's list.
 * Callers still test the whole selector on the candidates (a superset, in the original order).
 * Why: counting endpoints for 2,500 Services over 5,000 pods at every instant of a wait was
 * 12.5M label comparisons an instant.
 */
export class LabelIndex<T> {
  private readonly byPair = new Map<string, T[]>();

  constructor(
    private readonly all: T[],
    labelsOf: (item: T) => Record<string, string> | undefined,
  ) {
    for (const item of all) {
      for (const [k, v] of Object.entries(labelsOf(item) ?? {})) {
        const key = `${k}=${v}`;
        let list = this.byPair.get(key);
        if (!list) this.byPair.set(key, (list = []));
        list.push(item);
      }
    }
  }

  /** candidates are the items carrying the selector's rarest pair (all items for an empty selector). */
  candidates(selector: Record<string, string>): T[] {
    let best: T[] | undefined;
    for (const [k, v] of Object.entries(selector)) {
      const list = this.byPair.get(`${k}=${v}`) ?? [];
      if (!best || list.length < best.length) best = list;
      if (list.length === 0) break;
    }
    return best ?? this.all;
  }
}
