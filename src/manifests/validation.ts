/** API-server validation with the API server's exact messages (apps/v1 Deployment and object metadata). */
import { canonicalJSON, type FieldError, type KubeObject, type NameRule, isRedacted } from '../core/index.js';
import { PERCENT_RE } from './intstr.js';
import { LABEL_MSG, nameProblems, validateName } from './names.js';
import { MAX_DATA_BYTES } from './limits.js';

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
  errs.push(...validateLabels(obj.metadata?.labels, 'metadata.labels'));
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

/** validatePodTemplate checks the template's containers the way the API server does (names and images required, probes). */
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
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) if (c?.[kind] !== undefined && c?.[kind] !== null) validateProbe(errs, c[kind], kind, `${p}.${kind}`);
  });
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

/**
 * validateProbe checks a probe as the API server does (validateProbe, validateHandler and the
 * per-kind rules in validateContainers): exactly one handler, non-negative timings, and a
 * successThreshold of 1 for liveness and startup probes — the simulated kubelet times readiness by them.
 */
function validateProbe(errs: FieldError[], probe: any, kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe', path: string): void {
  const handlers = PROBE_HANDLERS.filter((h) => probe?.[h] !== undefined && probe?.[h] !== null);
  if (handlers.length === 0) errs.push({ field: path, type: 'Required', detail: 'must specify a handler type' });
  for (const h of handlers.slice(1)) errs.push({ field: `${path}.${h}`, type: 'Forbidden', detail: 'may not specify more than 1 handler type' });
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) nonNegative(errs, probe?.[f], `${path}.${f}`);
  if (kind !== 'readinessProbe' && typeof probe?.successThreshold === 'number' && probe.successThreshold > 1) {
    errs.push({ field: `${path}.successThreshold`, type: 'Invalid', value: probe.successThreshold, detail: 'must be 1' });
  }
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
  } else if (validateLabelSelector(spec.selector, 'spec.selector').length > 0) {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  } else if (!selectorMatches(spec.selector, spec.template?.metadata?.labels)) {
    errs.push({
      field: 'spec.template.metadata.labels',
      type: 'Invalid',
      value: labelsString(spec.template?.metadata?.labels ?? {}),
      detail: '`selector` does not match template `labels`',
    });
  }
  errs.push(...validateLabels(spec.template?.metadata?.labels, 'spec.template.metadata.labels'));
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
  if (obj.kind === 'ConfigMap' && obj.apiVersion === 'v1') return [...validateMetadata(obj, rule), ...validateConfigMap(obj)];
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

// ---- labels, selectors and data keys (k8s.io/apimachinery/pkg/util/validation) -----------------

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** qualifiedNameErrors is IsQualifiedName: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const msg of nameProblems(prefix, 'subdomain')) errs.push(`prefix part ${msg}`);
  } else {
    return [`a qualified name ${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_MSG}`);
  return errs;
}

/** labelValueErrors is IsValidLabelValue: empty, or at most 63 alphanumerics, '-', '_', '.' starting and ending alphanumeric. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

/** configKeyErrors is IsConfigMapKey: the key of a ConfigMap's or Secret's data. */
export function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) errs.push(CONFIG_KEY_MSG);
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

const isMap = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** validateLabels is ValidateLabels: every key a qualified name, every value a label value; errors name the map, as upstream does. Keys are sorted (Go's map order is random). */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isMap(labels) || VALID_FROZEN_LABELS.has(labels)) return errs;
  for (const k of Object.keys(labels).sort()) {
    for (const msg of qualifiedNameErrors(k)) errs.push({ field, type: 'Invalid', value: k, detail: msg });
    const v = labels[k];
    if (typeof v === 'string') for (const msg of labelValueErrors(v)) errs.push({ field, type: 'Invalid', value: v, detail: msg });
  }
  if (errs.length === 0 && Object.isFrozen(labels)) VALID_FROZEN_LABELS.add(labels);
  return errs;
}

// VALID_FROZEN_LABELS are frozen label maps found valid: the simulator's pods share their
// ReplicaSet's, and a frozen map cannot change, so each is checked once, not once per pod.
const VALID_FROZEN_LABELS = new WeakSet<object>();

/** validateLabelSelector is ValidateLabelSelector: matchLabels like labels, each matchExpression's key, operator and values. */
export function validateLabelSelector(selector: unknown, field: string): FieldError[] {
  if (!isMap(selector)) return [];
  const errs = validateLabels(selector.matchLabels, `${field}.matchLabels`);
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  exprs.forEach((e: any, i: number) => {
    const p = `${field}.matchExpressions[${i}]`;
    const values: unknown[] = Array.isArray(e?.values) ? e.values : [];
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push({ field: `${p}.values`, type: 'Required', detail: "must be specified when `operator` is 'In' or 'NotIn'" });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push({ field: `${p}.values`, type: 'Forbidden', detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
        break;
      default:
        errs.push({ field: `${p}.operator`, type: 'Invalid', value: e?.operator, detail: 'not a valid selector operator' });
    }
    if (typeof e?.key === 'string') for (const msg of qualifiedNameErrors(e.key)) errs.push({ field: `${p}.key`, type: 'Invalid', value: e.key, detail: msg });
    values.forEach((v, j) => {
      if (typeof v === 'string') for (const msg of labelValueErrors(v)) errs.push({ field: `${p}.values[${j}]`, type: 'Invalid', value: v, detail: msg });
    });
  });
  return errs;
}

/** utf8Bytes is a string's length in UTF-8 bytes (Go's len of a string). */
function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3;
  }
  return n;
}

const TOO_LONG = `must have at most ${MAX_DATA_BYTES} bytes`;

/** validateConfigMap is ValidateConfigMap: data and binaryData keys, no key in both, and at most 1 MiB of data in all ("[]" names the whole object, as upstream). */
export function validateConfigMap(cm: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  const data = isMap(cm.data) ? cm.data : {};
  const binary = isMap(cm.binaryData) ? cm.binaryData : {};
  for (const [key, value] of Object.entries(data)) {
    for (const msg of configKeyErrors(key)) errs.push({ field: `data[${key}]`, type: 'Invalid', value: key, detail: msg });
    if (Object.prototype.hasOwnProperty.call(binary, key)) errs.push({ field: `data[${key}]`, type: 'Invalid', value: key, detail: 'duplicate of key present in binaryData' });
    if (typeof value === 'string') total += utf8Bytes(value);
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const msg of configKeyErrors(key)) errs.push({ field: `binaryData[${key}]`, type: 'Invalid', value: key, detail: msg });
    if (typeof value === 'string') total += base64DecodedLength(value);
  }
  if (total > MAX_DATA_BYTES) errs.push({ field: '[]', type: 'TooLong', detail: TOO_LONG });
  return errs;
}

/**
 * validateSecretData is ValidateSecret's data rules on the Secret as submitted (the simulator
 * stores digests, so this runs before redaction): keys of data and stringData, and at most 1 MiB
 * of decoded data once stringData is merged in. Never reports a value.
 */
export function validateSecretData(secret: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const merged = new Map<string, number>();
  for (const [bag, decode] of [
    ['data', base64DecodedLength],
    ['stringData', utf8Bytes],
  ] as const) {
    const m = secret[bag];
    if (!isMap(m)) continue;
    for (const [key, value] of Object.entries(m)) {
      for (const msg of configKeyErrors(key)) errs.push({ field: `${bag}[${key}]`, type: 'Invalid', value: key, detail: msg });
      // A digest (the client redacts before it writes) was measured raw, in the dry run.
      merged.set(key, typeof value === 'string' && !isRedacted(value) ? decode(value) : 0);
    }
  }
  let total = 0;
  for (const n of merged.values()) total += n;
  if (total > MAX_DATA_BYTES) errs.push({ field: 'data', type: 'TooLong', detail: TOO_LONG });
  return errs;
}

// ---- decoding: what the API server refuses before validation, as encoding/json reports it -------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/**
 * base64Error is Go's base64.StdEncoding.Decode verdict on `s`: undefined when valid, else
 * "illegal base64 data at input byte N" at the offset Go reports (padding required; '\r' and
 * '\n' are skipped). Example: "abc" → byte 0 (a quantum cut short), "ab!d" → byte 2.
 */
export function base64Error(s: string): string | undefined {
  const corrupt = (n: number) => `illegal base64 data at input byte ${n}`;
  const nl = (c: string | undefined) => c === '\n' || c === '\r';
  let si = 0;
  for (;;) {
    // One quantum of up to four symbols.
    let j = 0;
    for (; j < 4; j++) {
      if (si === s.length) {
        if (j === 0) return undefined;
        return corrupt(si - j);
      }
      const c = s[si]!;
      si++;
      if (B64_INDEX.has(c)) continue;
      if (nl(c)) {
        j--;
        continue;
      }
      if (c !== '=') return corrupt(si - 1);
      if (j < 2) return corrupt(si - 1);
      if (j === 2) {
        while (si < s.length && nl(s[si])) si++;
        if (si === s.length) return corrupt(s.length);
        if (s[si] !== '=') return corrupt(si - 1);
        si++;
      }
      while (si < s.length && nl(s[si])) si++;
      if (si < s.length) return corrupt(si);
      return undefined;
    }
  }
}

/** base64DecodedLength is how many bytes a (valid) base64 string decodes to. */
function base64DecodedLength(s: string): number {
  let n = 0;
  let pad = 0;
  for (const c of s) {
    if (c === '=') pad++;
    else if (c !== '\n' && c !== '\r') n++;
  }
  return Math.floor(((n + pad) * 3) / 4) - pad;
}

/** goJSONType names a decoded JSON value the way encoding/json's UnmarshalTypeError does ("string", "number 2.5", "object"). */
function goJSONType(v: unknown, literal = false): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return literal ? `number ${goNumber(v)}` : 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** goNumber writes a number as it reaches the API server in JSON (integers in full, not 2.147483648e+09). */
function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * GoType is the slice of a Go API type that decoding checks: scalars, maps, slices and structs
 * (with the fields our defaulting, validation and controllers read; others pass unchecked).
 */
type GoType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'bytes'
  | { map: GoType }
  | { slice: GoType }
  | { struct: string; fields: Record<string, GoType> };

const INT64_MAX = 2 ** 63;

function goTypeName(t: GoType): string {
  if (t === 'bytes') return '[]uint8';
  if (typeof t === 'string') return t;
  if ('map' in t) return `map[string]${goTypeName(t.map)}`;
  if ('slice' in t) return `[]${goTypeName(t.slice)}`;
  return t.struct;
}

const struct = (name: string, fields: Record<string, GoType>): GoType => ({ struct: name, fields });
const STRINGS: GoType = { map: 'string' };
const META = struct('v1.ObjectMeta', { name: 'string', generateName: 'string', namespace: 'string', labels: STRINGS, annotations: STRINGS });
const SELECTOR = struct('v1.LabelSelector', {
  matchLabels: STRINGS,
  matchExpressions: { slice: struct('v1.LabelSelectorRequirement', { key: 'string', operator: 'string', values: { slice: 'string' } }) },
});
const CONTAINER = struct('v1.Container', {
  name: 'string',
  image: 'string',
  ports: { slice: struct('v1.ContainerPort', { name: 'string', containerPort: 'int32', protocol: 'string' }) },
  env: { slice: struct('v1.EnvVar', { name: 'string', value: 'string' }) },
  imagePullPolicy: 'string',
  terminationMessagePath: 'string',
  terminationMessagePolicy: 'string',
});
const POD_SPEC = struct('v1.PodSpec', {
  containers: { slice: CONTAINER },
  initContainers: { slice: CONTAINER },
  restartPolicy: 'string',
  terminationGracePeriodSeconds: 'int64',
  dnsPolicy: 'string',
  schedulerName: 'string',
  nodeName: 'string',
  nodeSelector: STRINGS,
});
const TEMPLATE = struct('v1.PodTemplateSpec', { metadata: META, spec: POD_SPEC });
const WORKLOAD = (name: string, extra: Record<string, GoType> = {}) =>
  struct(name, { replicas: 'int32', selector: SELECTOR, template: TEMPLATE, minReadySeconds: 'int32', revisionHistoryLimit: 'int32', ...extra });

/** SCHEMAS are the Go types of the kinds whose fields we default, validate or run (top level: the object itself). */
const SCHEMAS: Record<string, GoType> = {
  Deployment: struct('v1.Deployment', {
    metadata: META,
    spec: WORKLOAD('v1.DeploymentSpec', {
      strategy: struct('v1.DeploymentStrategy', { type: 'string', rollingUpdate: struct('v1.RollingUpdateDeployment', {}) }),
      paused: 'bool',
      progressDeadlineSeconds: 'int32',
    }),
  }),
  ReplicaSet: struct('v1.ReplicaSet', { metadata: META, spec: WORKLOAD('v1.ReplicaSetSpec') }),
  StatefulSet: struct('v1.StatefulSet', {
    metadata: META,
    spec: WORKLOAD('v1.StatefulSetSpec', { serviceName: 'string', podManagementPolicy: 'string', updateStrategy: struct('v1.StatefulSetUpdateStrategy', { type: 'string' }) }),
  }),
  DaemonSet: struct('v1.DaemonSet', { metadata: META, spec: WORKLOAD('v1.DaemonSetSpec', { updateStrategy: struct('v1.DaemonSetUpdateStrategy', { type: 'string' }) }) }),
  Job: struct('v1.Job', {
    metadata: META,
    spec: struct('v1.JobSpec', { parallelism: 'int32', completions: 'int32', backoffLimit: 'int32', selector: SELECTOR, template: TEMPLATE }),
  }),
  CronJob: struct('v1.CronJob', {
    metadata: META,
    spec: struct('v1.CronJobSpec', { schedule: 'string', suspend: 'bool', jobTemplate: struct('v1.JobTemplateSpec', { metadata: META, spec: struct('v1.JobSpec', { template: TEMPLATE }) }) }),
  }),
  Pod: struct('v1.Pod', { metadata: META, spec: POD_SPEC }),
  Service: struct('v1.Service', {
    metadata: META,
    spec: struct('v1.ServiceSpec', {
      type: 'string',
      clusterIP: 'string',
      selector: STRINGS,
      sessionAffinity: 'string',
      ports: { slice: struct('v1.ServicePort', { name: 'string', protocol: 'string', port: 'int32', nodePort: 'int32' }) },
    }),
  }),
  ConfigMap: struct('v1.ConfigMap', { metadata: META, data: STRINGS, binaryData: { map: 'bytes' }, immutable: 'bool' }),
  Secret: struct('v1.Secret', { metadata: META, data: { map: 'bytes' }, stringData: STRINGS, type: 'string', immutable: 'bool' }),
};
const ANY_OBJECT = struct('unstructured', { metadata: META });

/**
 * decodeValue checks `v` against `t` like encoding/json decoding into it: the first mismatch, as
 * UnmarshalTypeError words it ("json: cannot unmarshal string into Go struct field
 * DeploymentSpec.spec.replicas of type int32"), or a base64 error for []byte. `owner` is the
 * struct holding the field (its JSON path is FIELD_PATH). null decodes into anything.
 */
function decodeValue(v: unknown, t: GoType, owner: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  switch (t) {
    case 'string':
      return typeof v === 'string' ? undefined : unmarshalError(v, t, owner, false);
    case 'bool':
      return typeof v === 'boolean' ? undefined : unmarshalError(v, t, owner, false);
    case 'int32':
    case 'int64': {
      if (typeof v !== 'number') return unmarshalError(v, t, owner, false);
      const ok = Number.isInteger(v) && (t === 'int32' ? v >= INT32_MIN && v <= INT32_MAX : Math.abs(v) < INT64_MAX);
      return ok ? undefined : unmarshalError(v, t, owner, true);
    }
    case 'bytes':
      // A Secret value the client already replaced by its digest was checked raw, in the dry run.
      if (isRedacted(v)) return undefined;
      return typeof v === 'string' ? base64Error(v) : unmarshalError(v, t, owner, false);
  }
  if ('map' in t) {
    if (!isMap(v)) return unmarshalError(v, t, owner, false);
    for (const k in v) {
      const bad = decodeValue(v[k], t.map, owner);
      if (bad) return bad;
    }
    return undefined;
  }
  if ('slice' in t) {
    if (!Array.isArray(v)) return unmarshalError(v, t, owner, false);
    for (const e of v) {
      const bad = decodeValue(e, t.slice, owner);
      if (bad) return bad;
    }
    return undefined;
  }
  if (!isMap(v)) return unmarshalError(v, t, owner, false);
  const { name, fields } = structInfo(t);
  for (const [k, ft] of fields) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    FIELD_PATH.push(k);
    const bad = decodeValue(v[k], ft, name);
    FIELD_PATH.pop();
    if (bad) return bad;
  }
  return undefined;
}

// FIELD_PATH is the JSON path of the field decodeValue is in, joined only for an error: every
// stored object is decoded (a rollout stores hundreds of thousands of pods), and building each
// field's path as a string on the way down was most of what decoding allocated.
const FIELD_PATH: string[] = [];

// unmarshalError words a mismatch as UnmarshalTypeError does, naming the field decodeValue is in.
function unmarshalError(v: unknown, t: GoType, owner: string, literal: boolean): string {
  return owner
    ? `json: cannot unmarshal ${goJSONType(v, literal)} into Go struct field ${owner}.${FIELD_PATH.join('.')} of type ${goTypeName(t)}`
    : `json: cannot unmarshal ${goJSONType(v, literal)} into Go value of type ${goTypeName(t)}`;
}

// structInfo is a struct type's printed name and fields, worked out once per type: every object
// the API server stores is decoded, and the simulator stores hundreds of thousands of pods.
const STRUCT_INFO = new WeakMap<object, { name: string; fields: [string, GoType][] }>();
function structInfo(t: { struct: string; fields: Record<string, GoType> }): { name: string; fields: [string, GoType][] } {
  let info = STRUCT_INFO.get(t);
  if (!info) STRUCT_INFO.set(t, (info = { name: t.struct.replace(/^v1\./, ''), fields: Object.entries(t.fields) }));
  return info;
}

/**
 * decodeError is what the API server answers when the object does not even decode into its Go
 * type: `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal
 * string into Go struct field DeploymentSpec.spec.replicas of type int32`. Undefined when it
 * decodes. Messages never include a string value (Secret data stays secret).
 */
export function decodeError(obj: KubeObject): string | undefined {
  const schema = SCHEMAS[obj.kind] ?? ANY_OBJECT;
  FIELD_PATH.length = 0;
  const msg = decodeValue(obj, schema, '');
  if (!msg) return undefined;
  const version = String(obj.apiVersion).split('/').pop();
  return `${obj.kind} in version "${version}" cannot be handled as a ${obj.kind}: ${msg}`;
}
