/**
 * The HorizontalPodAutoscaler controller (upstream pkg/controller/podautoscaler/horizontal.go,
 * reconcileAutoscaler): reads the target's scale (spec.replicas of a Deployment, StatefulSet,
 * ReplicaSet or ReplicationController), computes a count from the metrics, stabilises and limits
 * it, writes the new scale, and records status, conditions and events with upstream's words.
 *
 * Metrics are simulated: every pod of the target reports the cluster's CPU utilisation knob
 * (`--cpu-utilization`), or — knob unset — exactly each metric's target, so an HPA stays still.
 * Other metric types always read their target. The count the ratio applies to is the target's
 * spec.replicas (upstream counts the pods that report metrics; here every pod does).
 *
 * Upstream syncs every HPA every 15 s. Here a sync happens when the HPA is created or its spec
 * changes, 15 s after its target appears, goes or changes its spec, and every 15 s only while a later sync could do
 * something different (it just rescaled, or stabilisation or a rate limit held it back): an HPA at
 * rest sets no timer, so waits on the virtual clock end.
 */
import type { KubeObject } from '../../../../core/index.js';
import { selectorMatches } from '../../../../manifests/index.js';
import type { ControllerContext } from '../context.js';
import {
  type Recommendation,
  type ScaleEvent,
  SYNC_PERIOD_MS,
  behaviorOf,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  cpuMillis,
  milliQuantity,
  replicasForRatio,
  stabilize,
  stabilizeWithBehaviors,
  storeScaleEvent,
} from './replicas.js';

/** COMPONENT is the event source of the HPA controller. */
export const COMPONENT = 'horizontal-pod-autoscaler';

/** DEFAULT_CPU_UTILIZATION is the target an HPA without metrics gets (autoscaling.DefaultCPUUtilization). */
export const DEFAULT_CPU_UTILIZATION = 80;

/** SCALABLE maps the kinds with a scale subresource to the resource name upstream's errors use. */
export const SCALABLE: Record<string, { group: string; resource: string }> = {
  Deployment: { group: 'apps', resource: 'deployments.apps' },
  StatefulSet: { group: 'apps', resource: 'statefulsets.apps' },
  ReplicaSet: { group: 'apps', resource: 'replicasets.apps' },
  ReplicationController: { group: '', resource: 'replicationcontrollers' },
};

/** HpaState is what the controller remembers about one HPA between syncs (upstream keeps it in memory). */
export interface HpaState {
  recs: Recommendation[];
  up: ScaleEvent[];
  down: ScaleEvent[];
}

/**
 * HpaMemory is the controller's memory of recommendations and scale events per HPA. It is saved
 * with the cluster, so the 5-minute scale-down window spans successive `mflux` commands as it
 * spans successive syncs of a long-running controller manager.
 */
export class HpaMemory {
  private readonly byKey = new Map<string, HpaState>();

  constructor(saved?: string) {
    if (saved) for (const [k, v] of Object.entries(JSON.parse(saved) as Record<string, HpaState>)) this.byKey.set(k, v);
  }

  /** get returns the state of one HPA, if it has been synced before. */
  get(key: string): HpaState | undefined {
    return this.byKey.get(key);
  }

  /** set stores the state of one HPA. */
  set(key: string, s: HpaState): void {
    this.byKey.set(key, s);
  }

  /** delete forgets an HPA (it was deleted). */
  delete(key: string): void {
    this.byKey.delete(key);
  }

  /** save serialises the memory for the state store. */
  save(): string {
    return JSON.stringify(Object.fromEntries(this.byKey));
  }
}

/** targetsOf says whether an HPA scales the given workload. */
export function targets(hpa: KubeObject, kind: string, namespace: string | undefined, name: string): boolean {
  const ref = hpa.spec?.scaleTargetRef;
  return hpa.metadata.namespace === namespace && ref?.kind === kind && ref?.name === name;
}

/** metricsOf is the HPA's metric list as autoscaling/v2 has it (v1's targetCPUUtilizationPercentage converted; none → cpu 80%). */
export function metricsOf(hpa: KubeObject): any[] {
  const cpu = (u: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: u } } });
  if (hpa.apiVersion === 'autoscaling/v1') return [cpu(hpa.spec?.targetCPUUtilizationPercentage ?? DEFAULT_CPU_UTILIZATION)];
  const m = hpa.spec?.metrics;
  return Array.isArray(m) && m.length > 0 ? m : [cpu(DEFAULT_CPU_UTILIZATION)];
}

type Condition = { type: string; status: 'True' | 'False'; lastTransitionTime?: string; reason: string; message: string };

function setCondition(conds: Condition[], now: string, type: string, status: 'True' | 'False', reason: string, message: string): void {
  let c = conds.find((x) => x.type === type);
  if (!c) {
    c = { type, status, lastTransitionTime: now, reason, message };
    conds.push(c);
    return;
  }
  if (c.status !== status) c.lastTransitionTime = now;
  c.status = status;
  c.reason = reason;
  c.message = message;
}

const NO_PODS = 'no pods returned by selector while calculating replica count';

interface MetricResult {
  replicas?: number;
  name?: string;
  status: any;
  /** error is the failure, with the ScalingActive reason and the event's message. */
  error?: { reason: string; message: string; wrapped: string };
}

function podsOf(ctx: ControllerContext, target: KubeObject): KubeObject[] {
  const sel = target.spec?.selector;
  if (!sel) return [];
  // A ReplicationController's selector is a plain map; the others are LabelSelectors.
  const selector = target.kind === 'ReplicationController' ? { matchLabels: sel } : sel;
  return ctx.api
    .list('Pod', target.metadata.namespace)
    .filter((p) => !p.metadata.deletionTimestamp && selectorMatches(selector, p.metadata.labels))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/**
 * requestMillis is the CPU request of one pod of the target (all containers, or the named one):
 * what utilisation is a percentage of. An error names the first container without a request, as
 * upstream's calculatePodRequests does.
 */
function requestMillis(ctx: ControllerContext, target: KubeObject, resource: string, container?: string): { millis?: number; error?: string } {
  const containers: any[] = target.spec?.template?.spec?.containers ?? [];
  const podName = () => podsOf(ctx, target)[0]?.metadata.name;
  let total = 0;
  for (const c of containers) {
    if (container !== undefined && c?.name !== container) continue;
    const req = c?.resources?.requests?.[resource];
    const m = resource === 'cpu' ? cpuMillis(req) : req === undefined ? undefined : 0;
    if (m === undefined) {
      const pod = podName();
      if (!pod) return { error: NO_PODS };
      return { error: `missing request for ${resource} in container ${c?.name} of Pod ${pod}` };
    }
    total += m;
  }
  if (container !== undefined && !containers.some((c) => c?.name === container)) return { error: `container ${container} not present in metrics for pod ${podName() ?? ''}` };
  return { millis: total };
}

/** evaluate computes one metric's proposal: a count, the metric's name for events, and its status entry. */
function evaluate(ctx: ControllerContext, spec: any, target: KubeObject, current: number, cpuKnob: number | undefined): MetricResult {
  const type = spec?.type;
  if (type === 'Resource' || type === 'ContainerResource') {
    const src = type === 'Resource' ? spec.resource : spec.containerResource;
    const name: string = src?.name ?? '';
    const t = src?.target ?? {};
    const failReason = type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
    const wrap = type === 'Resource' ? `failed to get ${name} resource metric value` : `failed to get ${src?.container} container metric value`;
    const statusOf = (current: any) =>
      type === 'Resource' ? { type, resource: { name, current } } : { type, containerResource: { name, container: src?.container, current } };
    if (t.averageValue !== undefined) {
      // A usage target (not a percentage) is not what the knob models: it reads its target.
      return { replicas: current, name: `${name} resource`, status: statusOf({ averageValue: t.averageValue }) };
    }
    if (typeof t.averageUtilization !== 'number') {
      const msg = 'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set';
      return { status: { type: '' }, error: { reason: failReason, message: msg, wrapped: `${wrap}: ${msg}` } };
    }
    const req = requestMillis(ctx, target, name, type === 'ContainerResource' ? src?.container : undefined);
    if (req.error !== undefined) {
      const msg = `failed to get ${name} utilization: ${req.error}`;
      return { status: { type: '' }, error: { reason: failReason, message: msg, wrapped: `${wrap}: ${msg}` } };
    }
    const utilization = name === 'cpu' && cpuKnob !== undefined ? cpuKnob : t.averageUtilization;
    const replicas = replicasForRatio(current, utilization / t.averageUtilization);
    const metricName = type === 'Resource' ? `${name} resource utilization (percentage of request)` : `${name} container resource utilization (percentage of request)`;
    return { replicas, name: metricName, status: statusOf({ averageUtilization: utilization, averageValue: milliQuantity((req.millis! * utilization) / 100) }) };
  }
  // Pods, Object and External metrics have no knob: they read their target, which keeps the count.
  if (type === 'Pods') return { replicas: current, name: `pods metric ${spec.pods?.metric?.name}`, status: { type, pods: { metric: spec.pods?.metric, current: { averageValue: spec.pods?.target?.averageValue } } } };
  if (type === 'Object') {
    const o = spec.object ?? {};
    const current_ = o.target?.value !== undefined ? { value: o.target.value } : { averageValue: o.target?.averageValue };
    return { replicas: current, name: `${o.describedObject?.kind} metric ${o.metric?.name}`, status: { type, object: { describedObject: o.describedObject, metric: o.metric, current: current_ } } };
  }
  if (type === 'External') {
    const e = spec.external ?? {};
    const current_ = e.target?.value !== undefined ? { value: e.target.value } : { averageValue: e.target?.averageValue };
    return { replicas: current, name: `external metric ${e.metric?.name}`, status: { type, external: { metric: e.metric, current: current_ } } };
  }
  const msg = `unknown metric source type "${type}"`;
  return { status: { type: '' }, error: { reason: 'InvalidMetricSourceType', message: msg, wrapped: msg } };
}

/**
 * syncHPA reconciles one HPA at the current instant (reconcileAutoscaler) and asks for the next
 * sync only while one could change something. `cpuUtilization` is the knob (percent), or undefined.
 */
export function syncHPA(ctx: ControllerContext, namespace: string, name: string, mem: HpaMemory, cpuUtilization: number | undefined): void {
  const key = `HorizontalPodAutoscaler/${namespace}/${name}`;
  const hpa = ctx.api.get('HorizontalPodAutoscaler', namespace, name);
  if (!hpa) {
    mem.delete(key);
    return;
  }
  const now = ctx.now();
  const nowStr = ctx.nowStr();
  const v1 = hpa.apiVersion === 'autoscaling/v1';
  const original = hpa.status ?? {};
  const conds: Condition[] = structuredClone(original.conditions ?? []);
  const status: any = { ...structuredClone(original) };
  const writeStatus = () => {
    // autoscaling/v1 has no conditions or metric list: the CPU reading has its own field.
    if (v1) {
      delete status.conditions;
      const cpu = status.currentMetrics?.find((m: any) => m?.resource?.name === 'cpu')?.resource?.current?.averageUtilization;
      delete status.currentMetrics;
      if (cpu !== undefined) status.currentCPUUtilizationPercentage = cpu;
    } else if (conds.length > 0) status.conditions = conds;
    ctx.api.updateStatus('HorizontalPodAutoscaler', namespace, name, status);
  };

  const ref = hpa.spec?.scaleTargetRef ?? {};
  const scalable = SCALABLE[ref.kind];
  const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
  let getError: string | undefined;
  let target: KubeObject | undefined;
  if (!scalable || scalable.group !== group) getError = `no matches for kind "${ref.kind}" in group "${group}"`;
  else {
    target = ctx.api.get(ref.kind, namespace, ref.name);
    if (!target) getError = `${scalable.resource} "${ref.name}" not found`;
  }
  if (getError !== undefined || !target) {
    ctx.record(hpa, 'Warning', 'FailedGetScale', getError!, COMPONENT);
    setCondition(conds, nowStr, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${getError}`);
    writeStatus();
    return;
  }
  setCondition(conds, nowStr, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
  const currentReplicas: number = target.spec?.replicas ?? 1;
  const state: HpaState = mem.get(key) ?? { recs: [{ replicas: currentReplicas, at: now }], up: [], down: [] };
  const minReplicas: number = hpa.spec?.minReplicas ?? 1;
  const maxReplicas: number = hpa.spec?.maxReplicas ?? 0;
  const behavior = v1 ? undefined : behaviorOf(hpa.spec);

  let desired = 0;
  let rescaleReason = '';
  let rescale = true;
  let metricStatuses: any[] | undefined;
  // heldBack: stabilisation or a rate limit kept the count from where the metrics point, so a
  // later sync (once the window or period has passed) may still move it.
  let heldBack = false;
  if (currentReplicas === 0 && minReplicas !== 0) {
    rescale = false;
    setCondition(conds, nowStr, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
  } else if (currentReplicas > maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desired = maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desired = minReplicas;
  } else {
    const specs = metricsOf(hpa);
    const results = specs.map((s) => evaluate(ctx, s, target!, currentReplicas, cpuUtilization));
    metricStatuses = results.map((r) => r.status);
    let proposal = 0;
    let metricName = '';
    const invalid = results.filter((r) => r.error);
    for (const r of results) {
      if (r.error) {
        // getUnableComputeReplicaCountCondition records an event per failing metric.
        ctx.record(hpa, 'Warning', r.error.reason, r.error.message, COMPONENT);
        continue;
      }
      if (proposal === 0 || r.replicas! > proposal) {
        proposal = r.replicas!;
        metricName = r.name!;
      }
    }
    const first = invalid[0]?.error;
    if (first && (invalid.length >= specs.length || proposal < currentReplicas)) {
      setCondition(conds, nowStr, 'ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: ${first.message}`);
      status.currentReplicas = currentReplicas;
      status.currentMetrics = metricStatuses;
      writeStatus();
      ctx.record(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${invalid.length} invalid out of ${specs.length}), first error is: ${first.wrapped}`, COMPONENT);
      mem.set(key, state);
      // Pods not created yet is the one failure that time alone mends; the others need a spec change, which wakes the HPA.
      if (invalid.some((r) => r.error!.message.endsWith(NO_PODS))) ctx.requeueAt('hpa', key, now + SYNC_PERIOD_MS);
      return;
    }
    setCondition(conds, nowStr, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metricName}`);
    let rescaleMetric = '';
    if (proposal > desired) {
      desired = proposal;
      rescaleMetric = metricName;
    }
    if (desired > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desired < currentReplicas) rescaleReason = 'All metrics below target';
    const unclamped = Math.min(Math.max(desired, minReplicas), maxReplicas);
    if (!behavior) {
      const st = stabilize(state.recs, desired, now);
      state.recs = st.recs;
      if (st.replicas !== desired) setCondition(conds, nowStr, 'AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
      else setCondition(conds, nowStr, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
      const lim = convertDesiredReplicasWithRules(currentReplicas, st.replicas, minReplicas, maxReplicas);
      setCondition(conds, nowStr, 'ScalingLimited', lim.replicas === st.replicas ? 'False' : 'True', lim.reason, lim.message);
      desired = lim.replicas;
    } else {
      const st = stabilizeWithBehaviors(state.recs, currentReplicas, desired, behavior, now);
      state.recs = st.recs;
      if (st.replicas !== desired) setCondition(conds, nowStr, 'AbleToScale', 'True', st.reason, st.message);
      else setCondition(conds, nowStr, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
      const lim = convertDesiredReplicasWithBehaviorRate(currentReplicas, st.replicas, minReplicas, maxReplicas, behavior, state.up, state.down, now);
      setCondition(conds, nowStr, 'ScalingLimited', lim.replicas === st.replicas ? 'False' : 'True', lim.reason, lim.message);
      desired = lim.replicas;
    }
    // A Disabled direction never moves, so it holds nothing back that time could release.
    const direction = unclamped > currentReplicas ? behavior?.scaleUp : behavior?.scaleDown;
    heldBack = desired !== unclamped && direction?.selectPolicy !== 'Disabled';
    rescale = desired !== currentReplicas;
  }

  if (rescale) {
    ctx.api.writeDirect({ ...target, spec: { ...target.spec, replicas: desired } });
    setCondition(conds, nowStr, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
    ctx.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason}`, COMPONENT);
    storeScaleEvent(behavior, state, currentReplicas, desired, now);
    status.lastScaleTime = nowStr;
  } else desired = currentReplicas;
  status.currentReplicas = currentReplicas;
  status.desiredReplicas = desired;
  if (metricStatuses) status.currentMetrics = metricStatuses;
  else delete status.currentMetrics;
  mem.set(key, state);
  writeStatus();
  if (rescale || heldBack) ctx.requeueAt('hpa', key, now + SYNC_PERIOD_MS);
}
