/**
 * The endpoint controllers (upstream pkg/controller/endpointslice and pkg/controller/endpoint) as
 * one sync per Service: from the pods its selector matches it publishes EndpointSlices
 * (discovery.k8s.io/v1) and the legacy Endpoints object, and writes only what changed.
 *
 * What a slice holds, as upstream's reconciler builds it:
 * - name `<service>-<5 random>` (generateName), labels `kubernetes.io/service-name`,
 *   `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io` (plus the
 *   Service's own labels, and `service.kubernetes.io/headless` for a headless Service), a
 *   controller ownerReference to the Service, addressType IPv4;
 * - endpoints `{addresses: [podIP], conditions: {ready, serving, terminating}, nodeName,
 *   targetRef}` (serving.ts decides the conditions), ports `{name, port, protocol}` resolved per pod:
 *   pods whose ports resolve differently go to different slices, at most 100 endpoints a slice;
 * - a Service that selects no pods keeps one empty "placeholder" slice.
 * Placement keeps every endpoint in the slice it is already in (an update in place), fills slices
 * already being written first, then other slices with room, then new ones — upstream's order,
 * without its "pack the last new slice into an unchanged one" refinement; a new slice takes over a
 * slice being deleted (the placeholder, once pods appear), as upstream's finalize does.
 *
 * Services without a selector are left alone (their endpoints are managed by hand), as are
 * ExternalName Services. A deleted Service's slices go with it through their ownerReference (the
 * API server's garbage collector); its Endpoints object, which has no owner, is deleted here.
 */
import { type KubeObject, deepEqual, parseRFC3339, toRFC3339 } from '../../../../core/index.js';
import { type ServiceEndpoint, readyCondition, serviceEndpoints, serviceSelector } from '../../../serving.js';
import type { ControllerContext } from '../context.js';
import { endpointsSubsets, isHeadless, podHostname, portIdentity } from './endpoints.js';

/** SERVICE_NAME_LABEL names a slice's Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** MANAGED_BY_LABEL names a slice's manager. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** MANAGED_BY is this controller's value of MANAGED_BY_LABEL. */
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** HEADLESS_LABEL marks the endpoints of a Service with `clusterIP: None`. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** TRIGGER_TIME_ANNOTATION is when the change that caused the last endpoints update happened (upstream v1.EndpointsLastChangeTriggerTime). */
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
/** MAX_ENDPOINTS_PER_SLICE is upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/**
 * TriggerTimes is upstream's TriggerTimeTracker: per Service, the trigger times (a pod's Ready
 * condition transition, the Service's creation) seen at the last sync. The trigger time of a sync
 * is the earliest of those that moved since — "the oldest change not yet published". Like the
 * upstream controller's memory, it starts empty when the simulation is loaded.
 */
export class TriggerTimes {
  private readonly state = new Map<string, { pods: Map<string, number>; service: number }>();

  /** next computes a sync's trigger time (epoch ms; undefined when nothing moved) and remembers what it saw. */
  next(key: string, svc: KubeObject, pods: KubeObject[]): number | undefined {
    const last = this.state.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const p of pods) {
      const ready = readyCondition(p);
      const t = ready?.lastTransitionTime ? parseRFC3339(ready.lastTransitionTime) : NaN;
      if (Number.isNaN(t)) continue;
      podTimes.set(p.metadata.name, t);
      if (t > (last?.pods.get(p.metadata.name) ?? -Infinity)) min = Math.min(min ?? Infinity, t);
    }
    const created = svc.metadata.creationTimestamp ? parseRFC3339(svc.metadata.creationTimestamp) : NaN;
    if (!Number.isNaN(created) && created > (last?.service ?? -Infinity)) min = Math.min(min ?? Infinity, created);
    this.state.set(key, { pods: podTimes, service: Number.isNaN(created) ? -Infinity : created });
    return min;
  }

  /** forget drops a deleted Service's memory. */
  forget(key: string): void {
    this.state.delete(key);
  }
}

/** isManagedSlice: the slice belongs to this controller (slices other managers publish are left alone). */
export function isManagedSlice(slice: KubeObject): boolean {
  return slice.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}

/** sliceLabels are the labels of the Service's slices: its own (without the reserved keys), the service name and manager, and headless when it is. */
export function sliceLabels(svc: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) out[k] = v;
  out[SERVICE_NAME_LABEL] = svc.metadata.name;
  out[MANAGED_BY_LABEL] = MANAGED_BY;
  if (isHeadless(svc)) out[HEADLESS_LABEL] = '';
  return out;
}

function endpointsLabels(svc: KubeObject): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return Object.keys(labels).length > 0 ? labels : undefined;
}

function withTrigger(annotations: Record<string, string> | undefined, trigger: number | undefined): Record<string, string> | undefined {
  const out = { ...(annotations ?? {}) };
  if (trigger === undefined) delete out[TRIGGER_TIME_ANNOTATION];
  else out[TRIGGER_TIME_ANNOTATION] = toRFC3339(trigger);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** sliceEndpoint is a ServiceEndpoint as an EndpointSlice endpoint. */
function sliceEndpoint(svc: KubeObject, e: ServiceEndpoint): any {
  // Built key by key (not with conditional spreads, which cost a runtime call each: this runs for every endpoint of every sync).
  const hostname = podHostname(svc, e.pod);
  const c = e.conditions;
  const ep: any = { addresses: [e.ip], conditions: { ready: c.ready, serving: c.serving, terminating: c.terminating } };
  if (hostname) ep.hostname = hostname;
  if (e.nodeName) ep.nodeName = e.nodeName;
  ep.targetRef = { kind: 'Pod', namespace: e.pod.metadata.namespace, name: e.pod.metadata.name, uid: e.pod.metadata.uid };
  return ep;
}

function slicePorts(e: ServiceEndpoint): any[] {
  return e.ports.map((p) => {
    const port: any = { name: p.name, port: p.port, protocol: p.protocol };
    if (p.appProtocol !== undefined) port.appProtocol = p.appProtocol;
    return port;
  });
}

// A port set's identity, whatever the order its ports are listed in (upstream NewPortMapKey sorts them): its ports' identities, sorted, NUL-separated.
const portKey = (ports: any[] | null | undefined): string => (ports ?? []).map(portIdentity).sort().join('\u0000');

const endpointKey = (ep: any): string => `${ep?.targetRef?.name ?? ''}/${ep?.addresses?.[0] ?? ''}`;

/** Slot is one slice being worked out: an existing one (kept or rewritten) or a new one. */
interface Slot {
  existing?: KubeObject;
  ports: any[];
  endpoints: any[];
  changed: boolean;
}

/**
 * syncServiceEndpoints reconciles the Service `namespace/name`'s EndpointSlices and Endpoints from
 * `pods` (the pods its selector matches, any order; they are read sorted by name). Writes nothing
 * when nothing changed.
 */
export function syncServiceEndpoints(ctx: ControllerContext, namespace: string, name: string, pods: KubeObject[], triggers: TriggerTimes): void {
  const key = `Service/${namespace}/${name}`;
  const svc = ctx.api.get('Service', namespace, name);
  if (!svc) {
    triggers.forget(key);
    // Slices went with their owner; the Endpoints object has none, so the controller removes it (upstream syncService on NotFound).
    if (ctx.api.get('Endpoints', namespace, name)) ctx.api.delete('Endpoints', namespace, name);
    return;
  }
  if (!serviceSelector(svc) || svc.spec?.type === 'ExternalName') return;
  const sorted = [...pods].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const eps = serviceEndpoints(svc, sorted);
  const trigger = triggers.next(key, svc, sorted);
  reconcileSlices(ctx, svc, eps, trigger);
  reconcileEndpoints(ctx, svc, eps, trigger);
}

function reconcileSlices(ctx: ControllerContext, svc: KubeObject, eps: ServiceEndpoint[], trigger: number | undefined): void {
  const labels = sliceLabels(svc);
  const owner = { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true };
  // Desired endpoints grouped by the ports they resolve to, each group in pod-name order.
  const groups = new Map<string, { ports: any[]; want: Map<string, any> }>();
  for (const e of eps) {
    const ports = slicePorts(e);
    const k = portKey(ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports, want: new Map() }));
    const ep = sliceEndpoint(svc, e);
    g.want.set(endpointKey(ep), ep);
  }
  const existing = ctx.api
    .ownedBy(svc.metadata.uid!, 'EndpointSlice')
    .filter((s) => isManagedSlice(s) && s.addressType === 'IPv4')
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const toDelete: KubeObject[] = [];
  const slots = new Map<string, Slot[]>();
  for (const s of existing) {
    const k = portKey(s.ports as any[] | undefined);
    const g = groups.get(k);
    if (!g) {
      toDelete.push(s);
      continue;
    }
    const kept: any[] = [];
    let changed = false;
    for (const ep of (s.endpoints ?? []) as any[]) {
      const want = g.want.get(endpointKey(ep));
      if (want) {
        kept.push(want);
        g.want.delete(endpointKey(ep));
        if (!deepEqual(want, ep)) changed = true;
      } else changed = true;
    }
    if (kept.length === 0) {
      toDelete.push(s);
      continue;
    }
    if (!deepEqual(s.metadata.labels ?? {}, labels) || !deepEqual(s.metadata.ownerReferences, [owner])) changed = true;
    let list = slots.get(k);
    if (!list) slots.set(k, (list = []));
    list.push({ existing: s, ports: (s.ports as any[] | null) ?? [], endpoints: kept, changed });
  }
  for (const [k, g] of groups) {
    let rest = [...g.want.values()];
    if (rest.length === 0) continue;
    const list = slots.get(k) ?? [];
    slots.set(k, list);
    // Slices already being rewritten take new endpoints first (no extra write), then the fullest slices with room.
    const order = [...list.filter((s) => s.changed), ...list.filter((s) => !s.changed).sort((a, b) => b.endpoints.length - a.endpoints.length)];
    for (const slot of order) {
      const room = MAX_ENDPOINTS_PER_SLICE - slot.endpoints.length;
      if (room <= 0 || rest.length === 0) continue;
      slot.endpoints.push(...rest.slice(0, room));
      rest = rest.slice(room);
      slot.changed = true;
    }
    while (rest.length > 0) {
      list.push({ ports: g.ports, endpoints: rest.slice(0, MAX_ENDPOINTS_PER_SLICE), changed: true });
      rest = rest.slice(MAX_ENDPOINTS_PER_SLICE);
    }
  }
  const all = [...slots.values()].flat();
  if (all.length === 0) {
    // No endpoints at all: one empty placeholder slice stays (or is created), as upstream keeps one per Service.
    const placeholder = toDelete.find((s) => ((s.endpoints as any[] | null) ?? []).length === 0 && ((s.ports as any[] | null) ?? []).length === 0);
    if (placeholder) {
      toDelete.splice(toDelete.indexOf(placeholder), 1);
      const same = deepEqual(placeholder.metadata.labels ?? {}, labels) && deepEqual(placeholder.metadata.ownerReferences, [owner]);
      all.push({ existing: placeholder, ports: [], endpoints: [], changed: !same });
    } else all.push({ ports: [], endpoints: [], changed: true });
  }
  // As upstream's finalize: a slice to create takes over one to delete (its name, rewritten) rather
  // than one being deleted and another created — so a Service's placeholder becomes its first slice.
  for (const slot of all) {
    if (toDelete.length === 0) break;
    if (!slot.existing) slot.existing = toDelete.pop();
  }
  for (const s of toDelete) ctx.api.delete('EndpointSlice', s.metadata.namespace, s.metadata.name);
  for (const slot of all) {
    if (!slot.changed) continue;
    // Go's nil slices read back as null from the API: an empty list of endpoints or ports is stored as null.
    const endpoints = slot.endpoints.length > 0 ? slot.endpoints : null;
    const ports = slot.ports.length > 0 ? slot.ports : null;
    if (slot.existing) {
      ctx.api.writeDirect({
        ...slot.existing,
        metadata: { ...slot.existing.metadata, labels, annotations: withTrigger(slot.existing.metadata.annotations, trigger), ownerReferences: [owner] },
        endpoints,
        ports,
      });
    } else {
      ctx.api.create({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: '',
          generateName: `${svc.metadata.name}-`,
          namespace: svc.metadata.namespace,
          labels,
          ...(trigger !== undefined ? { annotations: withTrigger(undefined, trigger) } : {}),
          ownerReferences: [owner],
        },
        addressType: 'IPv4',
        endpoints,
        ports,
      });
    }
  }
}

function reconcileEndpoints(ctx: ControllerContext, svc: KubeObject, eps: ServiceEndpoint[], trigger: number | undefined): void {
  const { namespace, name } = svc.metadata;
  const subsets = endpointsSubsets(svc, eps);
  const labels = endpointsLabels(svc);
  const current = ctx.api.get('Endpoints', namespace, name);
  if (current && deepEqual(current.subsets ?? [], subsets) && deepEqual(current.metadata.labels ?? {}, labels ?? {})) return;
  const body: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { ...(current?.metadata ?? { name, namespace }), labels, annotations: withTrigger(current?.metadata.annotations, trigger) },
    // The API omits an empty subsets list (omitempty): an Endpoints object without pods has no subsets field.
    ...(subsets.length > 0 ? { subsets } : {}),
  };
  if (current) ctx.api.writeDirect(body);
  else ctx.api.create(body);
}
