/** API-server validation with the API server's exact messages (apps/v1 Deployment and object metadata). */
import { canonicalJSON, type FieldError, type KubeObject, type NameRule } from '../core/index.js';
import { PERCENT_RE } from './intstr.js';
import { LABEL_MSG, nameProblems, validateName } from './names.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

function nonNegative(errs: FieldError[], value: unknown, field: string): void {
  if (typeof value === 'number' && value < 0) {
    errs.push({ field, type: 'Invalid', value, detail: 'must be greater than or equal to 0' });
  }
}

/** validateMetadata checks metadata.name by its kind's rule (the registry's nameRule; `rule` overrides) and the namespace name (a DNS label). */
export function validateMetadata(obj: KubeObject, rule?: NameRule): FieldError[] {
  const errs: FieldError[] = validateName(obj, rule);
  const ns = obj.metadata?.namespace;
  if (ns !== undefined && ns !== '') {
    for (const detail of nameProblems(ns, 'label')) errs.push({ field: 'metadata.namespace', type: 'Invalid', value: ns, detail });
  }
  return errs;
}

/**
 * rawIntOrPercent reads the number an IntOrString holds for the "both zero" check ("0%" and 0 are
 * both 0). A string that is not a valid percent falls back to IntOrString.IntValue(), i.e. Go's
 * strconv.Atoi with errors ignored: "5" → 5, "oops" → 0 — so ("oops", 0) also fails the zero check.
 */
function rawIntOrPercent(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  if (PERCENT_RE.test(v)) return Number.parseInt(v, 10);
  return /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : 0;
}

function validateIntOrPercent(errs: FieldError[], v: unknown, field: string): void {
  if (v === undefined) return;
  if (typeof v === 'number') {
    nonNegative(errs, v, field);
  } else if (typeof v === 'string') {
    if (!PERCENT_RE.test(v)) errs.push({ field, type: 'Invalid', value: v, detail: PERCENT_MSG });
  } else {
    errs.push({ field, type: 'Invalid', value: v, detail: 'must be an integer or percentage' });
  }
}

function labelsString(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `map[string]string{${keys.map((k) => `"${k}":"${labels[k]}"`).join(', ')}}`;
}

/** selectorMatches tells whether matchLabels (and simple matchExpressions) select the given labels. */
export function selectorMatches(selector: any, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals: string[] = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** selectorIsEmpty is true when a label selector selects everything. */
export function selectorIsEmpty(selector: any): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

/** validatePodTemplate checks the template's containers the way the API server does (names and images required). */
function validatePodTemplate(errs: FieldError[], template: any, path: string): void {
  const containers = template?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push({ field: `${path}.spec.containers`, type: 'Required', detail: '' });
    return;
  }
  const seen = new Set<string>();
  containers.forEach((c: any, i: number) => {
    const p = `${path}.spec.containers[${i}]`;
    if (!c?.name) errs.push({ field: `${p}.name`, type: 'Required', detail: '' });
    else if (!DNS1123_LABEL.test(c.name)) errs.push({ field: `${p}.name`, type: 'Invalid', value: c.name, detail: LABEL_MSG });
    else if (seen.has(c.name)) errs.push({ field: `${p}.name`, type: 'Invalid', value: c.name, detail: 'Duplicate value' });
    else seen.add(c.name);
    if (!c?.image) errs.push({ field: `${p}.image`, type: 'Required', detail: '' });
  });
}

/** validateDeployment applies apps/v1 Deployment validation to a defaulted object (spec §1.4). */
export function validateDeployment(d: KubeObject): FieldError[] {
  const errs = validateMetadata(d);
  const spec = d.spec ?? {};
  nonNegative(errs, spec.replicas, 'spec.replicas');
  if (!spec.selector) {
    errs.push({ field: 'spec.selector', type: 'Required', detail: '' });
  } else if (selectorIsEmpty(spec.selector)) {
    errs.push({ field: 'spec.selector', type: 'Invalid', value: spec.selector, detail: 'empty selector is invalid for deployment' });
  } else if (!selectorMatches(spec.selector, spec.template?.metadata?.labels)) {
    errs.push({
      field: 'spec.template.metadata.labels',
      type: 'Invalid',
      value: labelsString(spec.template?.metadata?.labels ?? {}),
      detail: '`selector` does not match template `labels`',
    });
  }
  validatePodTemplate(errs, spec.template, 'spec.template');
  const strategy = spec.strategy ?? {};
  if (strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') {
    // Upstream reports the whole strategy at spec.strategy (field.NotSupported(fldPath, strategy, ...)).
    errs.push({ field: 'spec.strategy', type: 'NotSupported', value: strategy, detail: 'supported values: "Recreate", "RollingUpdate"' });
  } else if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined) {
    errs.push({ field: 'spec.strategy.rollingUpdate', type: 'Forbidden', detail: "may not be specified when strategy `type` is 'Recreate'" });
  } else if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) {
    const ru = strategy.rollingUpdate;
    const base = 'spec.strategy.rollingUpdate';
    validateIntOrPercent(errs, ru.maxUnavailable, `${base}.maxUnavailable`);
    validateIntOrPercent(errs, ru.maxSurge, `${base}.maxSurge`);
    const mu = rawIntOrPercent(ru.maxUnavailable);
    const ms = rawIntOrPercent(ru.maxSurge);
    if (mu === 0 && ms === 0) {
      errs.push({ field: `${base}.maxUnavailable`, type: 'Invalid', value: ru.maxUnavailable, detail: 'may not be 0 when `maxSurge` is 0' });
    }
    if (typeof ru.maxUnavailable === 'string' && PERCENT_RE.test(ru.maxUnavailable) && Number.parseInt(ru.maxUnavailable, 10) > 100) {
      errs.push({ field: `${base}.maxUnavailable`, type: 'Invalid', value: ru.maxUnavailable, detail: 'must not be greater than 100%' });
    }
  }
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  nonNegative(errs, spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds');
  if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    errs.push({ field: 'spec.progressDeadlineSeconds', type: 'Invalid', value: spec.progressDeadlineSeconds, detail: 'must be greater than minReadySeconds' });
  }
  return errs;
}

/** validateObject validates any object the simulated API server accepts (Deployment in full, others by metadata; `rule`: the kind's name rule from the registry serving it). */
export function validateObject(obj: KubeObject, rule?: NameRule): FieldError[] {
  if (obj.kind === 'Deployment' && obj.apiVersion === 'apps/v1') return validateDeployment(obj);
  return validateMetadata(obj, rule);
}

/** validateDeploymentUpdate adds the update-only rules: apps/v1 spec.selector is immutable. */
export function validateDeploymentUpdate(next: KubeObject, prev: KubeObject): FieldError[] {
  const errs = validateDeployment(next);
  if (canonicalJSON(next.spec?.selector) !== canonicalJSON(prev.spec?.selector)) {
    errs.push({ field: 'spec.selector', type: 'Invalid', value: next.spec?.selector, detail: 'field is immutable' });
  }
  return errs;
}
