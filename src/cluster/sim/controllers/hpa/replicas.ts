/**
 * The HorizontalPodAutoscaler's arithmetic (upstream pkg/controller/podautoscaler: horizontal.go's
 * normalisation, stabilisation and rate rules, replica_calculator.go's usage ratio). Pure: time is
 * an argument and the controller's memory (recommendations, scale events) goes in and comes out.
 */

/** TOLERANCE is upstream's --horizontal-pod-autoscaler-tolerance: a usage ratio within 1 ± 0.1 changes nothing. */
export const TOLERANCE = 0.1;
/** SYNC_PERIOD_MS is upstream's --horizontal-pod-autoscaler-sync-period (15 s). */
export const SYNC_PERIOD_MS = 15_000;
/** DOWNSCALE_STABILIZATION_MS is upstream's --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
export const DOWNSCALE_STABILIZATION_MS = 300_000;
/** SCALE_UP_LIMIT_FACTOR and SCALE_UP_LIMIT_MINIMUM bound one scale-up of an HPA without behavior: max(2 × current, 4). */
export const SCALE_UP_LIMIT_FACTOR = 2;
/** SCALE_UP_LIMIT_MINIMUM: see SCALE_UP_LIMIT_FACTOR. */
export const SCALE_UP_LIMIT_MINIMUM = 4;

/**
 * replicasForRatio is replica_calculator.go's rule for one metric: within tolerance the count stays,
 * else ceil(ratio × current). Examples: 3 replicas at 90% of a 50% target → ratio 1.8 → ceil(5.4) = 6;
 * at 54% → ratio 1.08, within 0.1 → 3; 4 replicas at 20% of 50% → ceil(1.6) = 2.
 */
export function replicasForRatio(current: number, ratio: number): number {
  if (Math.abs(1 - ratio) <= TOLERANCE) return current;
  return Math.ceil(ratio * current);
}

/** scaleUpLimit is calculateScaleUpLimit: one step may at most double the count, and always reach 4. Example: 3 → 6; 1 → 4. */
export function scaleUpLimit(current: number): number {
  return Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM));
}

/** Limited is a count after a limit, with the ScalingLimited condition's reason and message. */
export interface Limited {
  replicas: number;
  reason: string;
  message: string;
}

const WITHIN_RANGE = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/**
 * convertDesiredReplicasWithRules clamps a recommendation (HPA without behavior) to
 * [min, min(max, scaleUpLimit(current))]. Examples: current 2, desired 10, max 10 → 4 (ScaleUpLimit);
 * current 6, desired 10, max 8 → 8 (TooManyReplicas); desired 1, min 2 → 2 (TooFewReplicas).
 */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): Limited {
  const upLimit = scaleUpLimit(current);
  const [maxAllowed, limiting] = max > upLimit ? [upLimit, UP_LIMIT] : [max, TOO_MANY];
  if (desired < min) return { replicas: min, ...TOO_FEW };
  if (desired > maxAllowed) return { replicas: maxAllowed, ...limiting };
  return { replicas: desired, ...WITHIN_RANGE };
}

/** Recommendation is one sync's unstabilised desired count, kept for the stabilisation window. */
export interface Recommendation {
  replicas: number;
  at: number;
}

/**
 * stabilize is stabilizeRecommendation (HPA without behavior): the highest recommendation of the
 * last 5 minutes wins, so a dip in load scales down only once it has lasted the whole window. One
 * sample older than the window is overwritten by this one (upstream's reuse of a slot). Example:
 * recommendations 4 (at t−200 s) and 3 (t−100 s), now 2 → 4; at t+101 s the 4 has left the window → 3.
 */
export function stabilize(recs: Recommendation[], desired: number, now: number, windowMs = DOWNSCALE_STABILIZATION_MS): { replicas: number; recs: Recommendation[] } {
  const cutoff = now - windowMs;
  let max = desired;
  let old = -1;
  recs.forEach((r, i) => {
    if (r.at < cutoff) old = i;
    else if (r.replicas > max) max = r.replicas;
  });
  const next = [...recs];
  if (old >= 0) next[old] = { replicas: desired, at: now };
  else next.push({ replicas: desired, at: now });
  return { replicas: max, recs: next };
}

/** ScalingPolicy is one autoscaling/v2 HPAScalingPolicy: add or remove at most `value` pods (or percent) per `periodSeconds`. */
export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** ScalingRules is a fully defaulted HPAScalingRules. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
}

/** Behavior is a fully defaulted spec.behavior (the scale-down window defaulting to the controller's 300 s). */
export interface Behavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/**
 * behaviorOf fills spec.behavior as the API server (GenerateHPAScaleUpRules/ScaleDownRules) and the
 * controller (maybeInitScaleDownStabilizationWindow) do: scale up with no window, by max(4 pods,
 * 100%) per 15 s; scale down after a 300 s window, by up to 100% per 15 s. Undefined without behavior.
 */
export function behaviorOf(spec: any): Behavior | undefined {
  const b = spec?.behavior;
  if (!b || typeof b !== 'object') return undefined;
  const rules = (r: any, window: number, policies: ScalingPolicy[]): ScalingRules => ({
    stabilizationWindowSeconds: typeof r?.stabilizationWindowSeconds === 'number' ? r.stabilizationWindowSeconds : window,
    selectPolicy: r?.selectPolicy === 'Min' || r?.selectPolicy === 'Disabled' ? r.selectPolicy : 'Max',
    policies: Array.isArray(r?.policies) ? r.policies.map((p: any) => ({ type: p?.type === 'Pods' ? 'Pods' : 'Percent', value: Number(p?.value ?? 0), periodSeconds: Number(p?.periodSeconds ?? 15) })) : policies,
  });
  return {
    scaleUp: rules(b.scaleUp, 0, [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]),
    scaleDown: rules(b.scaleDown, DOWNSCALE_STABILIZATION_MS / 1000, [{ type: 'Percent', value: 100, periodSeconds: 15 }]),
  };
}

/**
 * stabilizeWithBehaviors is stabilizeRecommendationWithBehaviors: the result is the current count
 * pulled up to the lowest recommendation of the scale-up window and down to the highest of the
 * scale-down window. Example: current 5, windows up 0 s / down 300 s, recommendations in the last
 * 300 s 6 and 4, now 3 → up bound 3, down bound 6 → stays 5 (ScaleDownStabilized).
 */
export function stabilizeWithBehaviors(
  recs: Recommendation[],
  current: number,
  desired: number,
  b: Behavior,
  now: number,
): { replicas: number; reason: string; message: string; recs: Recommendation[] } {
  const upCutoff = now - b.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - b.scaleDown.stabilizationWindowSeconds * 1000;
  let up = desired;
  let down = desired;
  let old = -1;
  recs.forEach((r, i) => {
    if (r.at > upCutoff) up = Math.min(r.replicas, up);
    if (r.at > downCutoff) down = Math.max(r.replicas, down);
    if (r.at < upCutoff && r.at < downCutoff) old = i;
  });
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  const next = [...recs];
  if (old >= 0) next[old] = { replicas: desired, at: now };
  else next.push({ replicas: desired, at: now });
  return desired >= current
    ? { replicas, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation', recs: next }
    : { replicas, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation', recs: next };
}

/** ScaleEvent is one past rescale by the HPA: how many pods it added (or removed) and when. */
export interface ScaleEvent {
  change: number;
  at: number;
}

function changedWithin(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff).reduce((n, e) => n + e.change, 0);
}

/**
 * scaleUpLimitWithRules is calculateScaleUpLimitWithScalingRules: each policy allows the count at
 * the start of its period plus its value (Pods) or × (1 + value%) rounded up (Percent); Max picks the
 * largest, Min the smallest, Disabled keeps the current count. Example: current 4 after +2 in the last
 * 15 s (period start 2), policies Pods 4 and Percent 100 → max(2 + 4, ceil(2 × 2)) = 6.
 */
export function scaleUpLimitWithRules(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changedWithin(p.periodSeconds, up, now) + changedWithin(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * scaleDownLimitWithRules is calculateScaleDownLimitWithBehaviors: each policy allows the count at
 * the start of its period minus its value (Pods) or × (1 − value%) rounded down (Percent); Max picks
 * the lowest count (the biggest change), Min the highest. Example: current 10, Percent 10 per 60 s →
 * trunc(10 × 0.9) = 9.
 */
export function scaleDownLimitWithRules(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changedWithin(p.periodSeconds, up, now) + changedWithin(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * convertDesiredReplicasWithBehaviorRate bounds a stabilised recommendation by min/max and by the
 * behavior's rate policies. Example: current 2, desired 20, max 10, default scale-up rules with no
 * recent events → limit max(2 + 4, 2 × 2) = 6 < 10 → 6 (ScaleUpLimit).
 */
export function convertDesiredReplicasWithBehaviorRate(
  current: number,
  desired: number,
  min: number,
  max: number,
  b: Behavior,
  up: ScaleEvent[],
  down: ScaleEvent[],
  now: number,
): Limited {
  if (desired > current) {
    const limit = Math.max(scaleUpLimitWithRules(current, up, down, b.scaleUp, now), current);
    const [maxAllowed, limiting] = max > limit ? [limit, UP_LIMIT] : [max, TOO_MANY];
    if (desired > maxAllowed) return { replicas: maxAllowed, ...limiting };
  } else if (desired < current) {
    const limit = Math.min(scaleDownLimitWithRules(current, up, down, b.scaleDown, now), current);
    const [minAllowed, limiting] = min < limit ? [limit, DOWN_LIMIT] : [min, TOO_FEW];
    if (desired < minAllowed) return { replicas: minAllowed, ...limiting };
  }
  return { replicas: desired, ...WITHIN_RANGE };
}

/**
 * storeScaleEvent records a rescale for the behavior's rate limits (upstream keeps them only for
 * HPAs with behavior), dropping events older than the longest policy period, which no limit reads.
 */
export function storeScaleEvent(b: Behavior | undefined, mem: { up: ScaleEvent[]; down: ScaleEvent[] }, prev: number, next: number, now: number): void {
  if (!b) return;
  const longest = (r: ScalingRules) => Math.max(0, ...r.policies.map((p) => p.periodSeconds)) * 1000;
  if (next > prev) mem.up = [...mem.up.filter((e) => e.at > now - longest(b.scaleUp)), { change: next - prev, at: now }];
  else mem.down = [...mem.down.filter((e) => e.at > now - longest(b.scaleDown)), { change: prev - next, at: now }];
}

/** cpuMillis reads a CPU quantity ("250m", "0.5", "2") as millicores; undefined when it is not one. */
export function cpuMillis(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d*)?|\.\d+)(m|k|M|G)?$/.exec(v.trim());
  if (!m) return undefined;
  const scale = { m: 1, '': 1000, k: 1e6, M: 1e9, G: 1e12 }[m[2] ?? '']!;
  return Number(m[1]) * scale;
}

/** milliQuantity writes millicores as Kubernetes prints a DecimalSI milli-quantity: 50 → "50m", 1000 → "1". */
export function milliQuantity(millis: number): string {
  const n = Math.round(millis);
  return n % 1000 === 0 ? String(n / 1000) : `${n}m`;
}

/** MAX_CPU_UTILIZATION bounds the knob: a pod may use many times its request, not unboundedly many. */
export const MAX_CPU_UTILIZATION = 10_000;

/** parseCpuUtilization reads the utilisation knob: a whole percentage of the CPU request ("50%", "50" or 50), 0 to 10000; undefined when it is not one. */
export function parseCpuUtilization(v: unknown): number | undefined {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  const m = /^(\d+)%?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= MAX_CPU_UTILIZATION ? n : undefined;
}
