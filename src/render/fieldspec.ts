/**
 * Field specs: which fields of which kinds a transformer touches (kustomize's builtin
 * configuration, re-expressed as compact tables), and the walk that visits them.
 */

/** FieldSpec selects a field path (slash-separated; lists are walked element by element) in objects of a group/version/kind. */
export interface FieldSpec {
  group?: string;
  version?: string;
  kind?: string;
  path: string;
  create?: boolean;
}

/** Gvk is an object's group, version and kind. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** gvkOf splits an object's apiVersion and kind. */
export function gvkOf(obj: { apiVersion?: unknown; kind?: unknown }): Gvk {
  const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = av.lastIndexOf('/');
  return { group: slash < 0 ? '' : av.slice(0, slash), version: slash < 0 ? av : av.slice(slash + 1), kind: typeof obj.kind === 'string' ? obj.kind : '' };
}

/** gvkSelected tells whether a selector's non-empty group/version/kind all equal the given ones (kustomize's IsSelected). */
export function gvkSelected(x: Gvk, sel: { group?: string; version?: string; kind?: string }): boolean {
  if (sel.group && sel.group !== x.group) return false;
  if (sel.version && sel.version !== x.version) return false;
  if (sel.kind && sel.kind !== x.kind) return false;
  return true;
}

/** splitPath cuts a field-spec path at '/', keeping '\/' as a literal slash (annotation keys). */
export function splitPath(path: string, delimiter = '/'): string[] {
  const parts = path.split(delimiter);
  if (parts.length > 1 && parts[0] === '') parts.shift();
  const out: string[] = [parts[0]!];
  for (let i = 1; i < parts.length; i++) {
    const last = out.length - 1;
    if (out[last]!.endsWith('\\')) out[last] = `${out[last]!.slice(0, -1)}${delimiter}${parts[i]}`;
    else out.push(parts[i]!);
  }
  return out;
}

const SEGMENTS = new Map<string, string[]>();

/** segmentsOf is splitPath remembered: the specs are a few hundred fixed paths visited on every object. */
function segmentsOf(path: string): string[] {
  let segs = SEGMENTS.get(path);
  if (!segs) {
    segs = splitPath(path);
    if (SEGMENTS.size < 10_000) SEGMENTS.set(path, segs);
  }
  return segs;
}

/**
 * visitFieldSpec calls `fn(container, key)` for every field the path reaches in `obj`. Lists met
 * on the way are walked element by element; with `create`, missing maps on the way (never list
 * elements, never `name[]` segments) and the last field are created with `createValue()`.
 */
export function visitFieldSpec(obj: unknown, path: string, create: (() => unknown) | null, fn: (container: Record<string, unknown>, key: string) => void): void {
  const segs = segmentsOf(path);
  const walk = (node: unknown, i: number): void => {
    if (node === null || node === undefined) return;
    if (Array.isArray(node)) {
      for (const el of node) walk(el, i);
      return;
    }
    if (typeof node !== 'object') return;
    const map = node as Record<string, unknown>;
    const raw = segs[i]!;
    const isSeq = raw.endsWith('[]');
    const name = isSeq ? raw.slice(0, -2) : raw;
    const last = i === segs.length - 1;
    let v = map[name];
    if ((v === undefined || v === null) && create && !isSeq) {
      map[name] = last ? create() : {};
      v = map[name];
    }
    if (v === undefined || v === null) return;
    if (last) {
      fn(map, name);
      return;
    }
    walk(v, i + 1);
  };
  walk(obj, 0);
}

/** matchesFieldSpec tells whether a field spec applies to an object of this group/version/kind. */
export function matchesFieldSpec(fs: FieldSpec, gvk: Gvk): boolean {
  return gvkSelected(gvk, fs);
}

type Row = [path: string, kind?: string, group?: string, version?: string, create?: boolean];
const rows = (rs: Row[]): FieldSpec[] => rs.map(([path, kind, group, version, create]) => ({ path, kind, group, version, create }));

const TEMPLATE_LABELS: FieldSpec[] = rows([
  ['spec/template/metadata/labels', 'ReplicationController', '', 'v1', true],
  ['spec/template/metadata/labels', 'Deployment', '', '', true],
  ['spec/template/metadata/labels', 'ReplicaSet', '', '', true],
  ['spec/template/metadata/labels', 'DaemonSet', '', '', true],
  ['spec/template/metadata/labels', 'StatefulSet', 'apps', '', true],
  ['spec/template/metadata/labels', 'Job', 'batch', '', true],
  ['spec/jobTemplate/metadata/labels', 'CronJob', 'batch', '', true],
  ['spec/jobTemplate/spec/template/metadata/labels', 'CronJob', 'batch', '', true],
  ['spec/volumeClaimTemplates[]/metadata/labels', 'StatefulSet', 'apps', '', true],
]);

/** METADATA_LABELS are the label fields every label transformer sets: metadata.labels plus pod-template and claim-template labels. */
export const METADATA_LABELS: FieldSpec[] = [{ path: 'metadata/labels', create: true }, ...TEMPLATE_LABELS];

/** TEMPLATE_LABEL_SPECS are the fields `labels[].includeTemplates` adds (kustomize's templateLabels config). */
export const TEMPLATE_LABEL_SPECS: FieldSpec[] = METADATA_LABELS;

const affinity = (kind: string): Row[] =>
  [
    'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
    'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
    'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
    'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
    'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels',
  ].map((p): Row => [p, kind, 'apps', '', false]);

/** COMMON_LABEL_SPECS are the fields `commonLabels` (and `labels[].includeSelectors`) set: selectors too. */
export const COMMON_LABEL_SPECS: FieldSpec[] = [
  ...rows([
    ['spec/selector', 'Service', '', 'v1', true],
    ['spec/selector', 'ReplicationController', '', 'v1', true],
    ['spec/selector/matchLabels', 'Deployment', '', '', true],
    ...affinity('Deployment'),
    ['spec/selector/matchLabels', 'ReplicaSet', '', '', true],
    ['spec/selector/matchLabels', 'DaemonSet', '', '', true],
    ['spec/selector/matchLabels', 'StatefulSet', 'apps', '', true],
    ...affinity('StatefulSet'),
    ['spec/selector/matchLabels', 'Job', 'batch', '', false],
    ['spec/jobTemplate/spec/selector/matchLabels', 'CronJob', 'batch', '', false],
    ['spec/selector/matchLabels', 'PodDisruptionBudget', 'policy', '', false],
    ['spec/podSelector/matchLabels', 'NetworkPolicy', 'networking.k8s.io', '', false],
    ['spec/ingress/from/podSelector/matchLabels', 'NetworkPolicy', 'networking.k8s.io', '', false],
    ['spec/egress/to/podSelector/matchLabels', 'NetworkPolicy', 'networking.k8s.io', '', false],
  ]),
  ...METADATA_LABELS,
];

/** COMMON_ANNOTATION_SPECS are the fields `commonAnnotations` sets. */
export const COMMON_ANNOTATION_SPECS: FieldSpec[] = rows([
  ['metadata/annotations', '', '', '', true],
  ['spec/template/metadata/annotations', 'ReplicationController', '', 'v1', true],
  ['spec/template/metadata/annotations', 'Deployment', '', '', true],
  ['spec/template/metadata/annotations', 'ReplicaSet', '', '', true],
  ['spec/template/metadata/annotations', 'DaemonSet', '', '', true],
  ['spec/template/metadata/annotations', 'StatefulSet', '', '', true],
  ['spec/template/metadata/annotations', 'Job', 'batch', '', true],
  ['spec/jobTemplate/metadata/annotations', 'CronJob', 'batch', '', true],
  ['spec/jobTemplate/spec/template/metadata/annotations', 'CronJob', 'batch', '', true],
]);

/** IMAGE_SPECS are the image fields `images` rewrites (besides any containers/initContainers list anywhere). */
export const IMAGE_SPECS: FieldSpec[] = rows([
  ['spec/containers[]/image', '', '', '', true],
  ['spec/initContainers[]/image', '', '', '', true],
  ['spec/template/spec/containers[]/image', '', '', '', true],
  ['spec/template/spec/initContainers[]/image', '', '', '', true],
]);

/** REPLICA_SPECS are the fields `replicas` sets. */
export const REPLICA_SPECS: FieldSpec[] = rows([
  ['spec/replicas', 'Deployment', '', '', true],
  ['spec/replicas', 'ReplicationController', '', '', true],
  ['spec/replicas', 'ReplicaSet', '', '', true],
  ['spec/replicas', 'StatefulSet', '', '', true],
]);

/** NAMESPACE_SPECS are the fields besides metadata.namespace that `namespace` sets. */
export const NAMESPACE_SPECS: FieldSpec[] = rows([
  ['metadata/name', 'Namespace', '', '', true],
  ['spec/service/namespace', 'APIService', 'apiregistration.k8s.io', '', true],
  ['spec/conversion/webhook/clientConfig/service/namespace', 'CustomResourceDefinition', 'apiextensions.k8s.io', '', false],
]);

/** NameBackReference is one kind that can be referred to by name, and the fields that refer to it. */
export interface NameBackReference {
  target: Gvk;
  referrers: FieldSpec[];
}

/** Where the pod spec sits in each workload kind (kustomize's nameReference config repeats each field per kind). */
const POD_SPEC_AT: [kind: string, prefix: string, version: string][] = [
  ['Pod', 'spec', 'v1'],
  ['PodTemplate', 'template/spec', ''],
  ['Deployment', 'spec/template/spec', ''],
  ['ReplicaSet', 'spec/template/spec', ''],
  ['DaemonSet', 'spec/template/spec', ''],
  ['StatefulSet', 'spec/template/spec', ''],
  ['Job', 'spec/template/spec', ''],
  ['CronJob', 'spec/jobTemplate/spec/template/spec', ''],
];

function inPodSpecs(fields: string[], kinds = POD_SPEC_AT): FieldSpec[] {
  return kinds.flatMap(([kind, prefix, version]) => fields.map((f) => ({ path: `${prefix}/${f}`, kind, version: version || undefined })));
}

const SA_KINDS = (['Pod', 'StatefulSet', 'Deployment', 'ReplicationController', 'CronJob', 'Job', 'DaemonSet'] as const).map(
  (k): [string, string, string] => [k, k === 'Pod' ? 'spec' : k === 'CronJob' ? 'spec/jobTemplate/spec/template/spec' : 'spec/template/spec', ''],
);

const rbac = 'rbac.authorization.k8s.io';

/** NAME_REFERENCES is kustomize's nameReference config: after names change (prefix, suffix, hash), these fields follow. */
export const NAME_REFERENCES: NameBackReference[] = [
  ...['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map((kind) => ({
    target: { group: '', version: '', kind },
    referrers: [{ path: 'spec/scaleTargetRef/name', kind: 'HorizontalPodAutoscaler' }],
  })),
  {
    target: { group: '', version: 'v1', kind: 'ConfigMap' },
    referrers: [
      ...inPodSpecs([
        'volumes/configMap/name',
        'containers/env/valueFrom/configMapKeyRef/name',
        'initContainers/env/valueFrom/configMapKeyRef/name',
        'containers/envFrom/configMapRef/name',
        'initContainers/envFrom/configMapRef/name',
        'volumes/projected/sources/configMap/name',
      ]),
      { path: 'spec/configSource/configMap', kind: 'Node' },
      { path: 'rules/resourceNames', kind: 'Role' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap', kind: 'Ingress' },
    ],
  },
  {
    target: { group: '', version: 'v1', kind: 'Secret' },
    referrers: [
      ...inPodSpecs([
        'volumes/secret/secretName',
        'containers/env/valueFrom/secretKeyRef/name',
        'initContainers/env/valueFrom/secretKeyRef/name',
        'containers/envFrom/secretRef/name',
        'initContainers/envFrom/secretRef/name',
        'imagePullSecrets/name',
        'volumes/projected/sources/secret/name',
      ]),
      { path: 'spec/tls/secretName', kind: 'Ingress' },
      { path: 'metadata/annotations/ingress.kubernetes.io\\/auth-secret', kind: 'Ingress' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret', kind: 'Ingress' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret', kind: 'Ingress' },
      { path: 'imagePullSecrets/name', kind: 'ServiceAccount' },
      { path: 'parameters/secretName', kind: 'StorageClass' },
      { path: 'parameters/adminSecretName', kind: 'StorageClass' },
      { path: 'parameters/userSecretName', kind: 'StorageClass' },
      { path: 'parameters/secretRef', kind: 'StorageClass' },
      { path: 'rules/resourceNames', kind: 'Role' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
      { path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name', kind: 'Service', group: 'serving.knative.dev', version: 'v1' },
      { path: 'spec/azureFile/secretName', kind: 'PersistentVolume' },
    ],
  },
  {
    target: { group: '', version: 'v1', kind: 'Service' },
    referrers: [
      { path: 'spec/serviceName', kind: 'StatefulSet', group: 'apps' },
      { path: 'spec/rules/http/paths/backend/serviceName', kind: 'Ingress' },
      { path: 'spec/backend/serviceName', kind: 'Ingress' },
      { path: 'spec/rules/http/paths/backend/service/name', kind: 'Ingress' },
      { path: 'spec/defaultBackend/service/name', kind: 'Ingress' },
      { path: 'spec/service/name', kind: 'APIService', group: 'apiregistration.k8s.io' },
      { path: 'webhooks/clientConfig/service', kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io' },
      { path: 'webhooks/clientConfig/service', kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io' },
    ],
  },
  { target: { group: rbac, version: '', kind: 'Role' }, referrers: [{ path: 'roleRef/name', kind: 'RoleBinding', group: rbac }] },
  {
    target: { group: rbac, version: '', kind: 'ClusterRole' },
    referrers: [
      { path: 'roleRef/name', kind: 'RoleBinding', group: rbac },
      { path: 'roleRef/name', kind: 'ClusterRoleBinding', group: rbac },
    ],
  },
  {
    target: { group: '', version: 'v1', kind: 'ServiceAccount' },
    referrers: [
      { path: 'subjects', kind: 'RoleBinding', group: rbac },
      { path: 'subjects', kind: 'ClusterRoleBinding', group: rbac },
      ...inPodSpecs(['serviceAccountName'], SA_KINDS).map((f) => ({ ...f, version: undefined })),
    ],
  },
  {
    target: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
    referrers: inPodSpecs(['volumes/persistentVolumeClaim/claimName'], SA_KINDS).map((f) => ({ ...f, version: undefined })),
  },
  {
    target: { group: '', version: 'v1', kind: 'PersistentVolume' },
    referrers: [
      { path: 'spec/volumeName', kind: 'PersistentVolumeClaim' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
    ],
  },
  {
    target: { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' },
    referrers: [
      { path: 'spec/storageClassName', kind: 'PersistentVolume' },
      { path: 'spec/storageClassName', kind: 'PersistentVolumeClaim' },
      { path: 'spec/volumeClaimTemplates/spec/storageClassName', kind: 'StatefulSet' },
    ],
  },
  {
    target: { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' },
    referrers: inPodSpecs(['priorityClassName'], SA_KINDS).map((f) => ({ ...f, version: undefined })),
  },
  // kustomize 5.5 spells this group "networking.k8s.io/v1", so it never matches; kept for fidelity.
  { target: { group: 'networking.k8s.io/v1', version: 'v1', kind: 'IngressClass' }, referrers: [{ path: 'spec/ingressClassName', kind: 'Ingress' }] },
];
