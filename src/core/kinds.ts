/**
 * The kind registry (a RESTMapper): the only place kinds are described. Every resource type a
 * fresh Kubernetes 1.32 API server serves is built in — group, versions, kind, resource (plural),
 * singular, short names, categories, scope, apply order and name rule — and a registry instance
 * is extended by CustomResourceDefinitions. Discovery (`mflux serve`), `mflux get`'s resource
 * words, object references and namespace defaulting are all derived from it.
 */
import { MfluxError } from './errors.js';

/**
 * NameRule is how the API server validates metadata.name for a kind (its ValidateObjectMeta nameFn):
 * `subdomain` NameIsDNSSubdomain, `label` NameIsDNSLabel (Namespace), `label1035` NameIsDNS1035Label
 * (Service), `path-segment` path.IsValidPathSegmentName (RBAC, APIService), `any` no rule (CSR).
 */
export type NameRule = 'subdomain' | 'label' | 'label1035' | 'path-segment' | 'any';

/** KindInfo describes one served group/version/kind. */
export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** plural is the resource name in URLs and kubectl (deployments, replicasets, ...). */
  plural: string;
  /** singular is the lower-case singular resource name (deployment). */
  singular: string;
  shortNames: readonly string[];
  /** categories group resources for `kubectl get <category>` (`all`, `api-extensions`). */
  categories: readonly string[];
  namespaced: boolean;
  /** hasStatus marks kinds with a status subresource (status is kept apart from spec). */
  hasStatus: boolean;
  /** nameRule is the API server's metadata.name validation for this kind. */
  nameRule: NameRule;
  /** listable is false for create-only virtual resources (reviews, bindings): discovery offers them `create` only. */
  listable: boolean;
}

/** KindLookup is the read side of a registry: what every consumer outside the API server needs. */
export interface KindLookup {
  /** lookup returns the kind served at apiVersion, or throws UnknownKind with kubectl's wording. */
  lookup(apiVersion: string, kind: string): KindInfo;
  /** served lists every served group/version/kind in discovery order (built-in first, then CRDs). */
  served(): KindInfo[];
  /** kindInfo returns a kind's preferred version by its Kind name alone (core group first). */
  kindInfo(kind: string): KindInfo | undefined;
  /** isNamespaced tells whether objects of a kind live in a namespace (unknown kinds: yes, as most do). */
  isNamespaced(kind: string): boolean;
  /** resolveResource maps a kubectl resource word (plural, singular, short name, Kind, `plural.group`, `plural.version.group`) to its preferred kind. */
  resolveResource(word: string): KindInfo | undefined;
  /** category lists the preferred kinds of a category (`all`) in discovery order. */
  category(name: string): KindInfo[];
  /** applyRank orders kinds for apply: lower first; kinds without a rank (custom resources) after all built-ins. */
  applyRank(kind: string): number;
}

interface BuiltinRow {
  group: string;
  /** versions are served versions, preferred first. */
  versions: string[];
  kind: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  hasStatus?: boolean;
  nameRule?: NameRule;
  listable?: boolean;
}

const ALL = ['all'];
const EXT = ['api-extensions'];

/**
 * BUILTIN_ROWS: what `kubectl api-resources` lists on a fresh 1.32 API server, in discovery order
 * (/apis group priority; resources alphabetical within a group, as the server lists them). Short
 * names and categories are the registries' ShortNames()/Categories() (pkg/registry/.../storage.go).
 */
const BUILTIN_ROWS: BuiltinRow[] = [
  { group: '', versions: ['v1'], kind: 'Binding', plural: 'bindings', namespaced: true, listable: false },
  { group: '', versions: ['v1'], kind: 'ComponentStatus', plural: 'componentstatuses', shortNames: ['cs'], namespaced: false },
  { group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'], namespaced: true },
  { group: '', versions: ['v1'], kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'], namespaced: true },
  { group: '', versions: ['v1'], kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true },
  { group: '', versions: ['v1'], kind: 'LimitRange', plural: 'limitranges', shortNames: ['limits'], namespaced: true },
  { group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, hasStatus: true, nameRule: 'label' },
  { group: '', versions: ['v1'], kind: 'Node', plural: 'nodes', shortNames: ['no'], namespaced: false, hasStatus: true },
  { group: '', versions: ['v1'], kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', shortNames: ['pvc'], namespaced: true, hasStatus: true },
  { group: '', versions: ['v1'], kind: 'PersistentVolume', plural: 'persistentvolumes', shortNames: ['pv'], namespaced: false, hasStatus: true },
  { group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', shortNames: ['po'], categories: ALL, namespaced: true, hasStatus: true },
  { group: '', versions: ['v1'], kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
  { group: '', versions: ['v1'], kind: 'ReplicationController', plural: 'replicationcontrollers', shortNames: ['rc'], categories: ALL, namespaced: true, hasStatus: true },
  { group: '', versions: ['v1'], kind: 'ResourceQuota', plural: 'resourcequotas', shortNames: ['quota'], namespaced: true, hasStatus: true },
  { group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'], namespaced: true },
  { group: '', versions: ['v1'], kind: 'Service', plural: 'services', shortNames: ['svc'], categories: ALL, namespaced: true, hasStatus: true, nameRule: 'label1035' },
  { group: 'apiregistration.k8s.io', versions: ['v1'], kind: 'APIService', plural: 'apiservices', categories: EXT, namespaced: false, hasStatus: true, nameRule: 'path-segment' },
  { group: 'apps', versions: ['v1'], kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
  { group: 'apps', versions: ['v1'], kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], categories: ALL, namespaced: true, hasStatus: true },
  { group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], categories: ALL, namespaced: true, hasStatus: true },
  { group: 'apps', versions: ['v1'], kind: 'ReplicaSet', plural: 'replicasets', shortNames: ['rs'], categories: ALL, namespaced: true, hasStatus: true },
  { group: 'apps', versions: ['v1'], kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], categories: ALL, namespaced: true, hasStatus: true },
  { group: 'events.k8s.io', versions: ['v1'], kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true },
  { group: 'authentication.k8s.io', versions: ['v1'], kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, listable: false, nameRule: 'any' },
  { group: 'authentication.k8s.io', versions: ['v1'], kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, listable: false, nameRule: 'any' },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, listable: false, nameRule: 'any' },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, listable: false, nameRule: 'any' },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, listable: false, nameRule: 'any' },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, listable: false, nameRule: 'any' },
  { group: 'autoscaling', versions: ['v2', 'v1'], kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', shortNames: ['hpa'], categories: ALL, namespaced: true, hasStatus: true },
  { group: 'batch', versions: ['v1'], kind: 'CronJob', plural: 'cronjobs', shortNames: ['cj'], categories: ALL, namespaced: true, hasStatus: true },
  { group: 'batch', versions: ['v1'], kind: 'Job', plural: 'jobs', categories: ALL, namespaced: true, hasStatus: true },
  // "We don't care what you call your certificate requests" (ValidateCertificateRequestName).
  { group: 'certificates.k8s.io', versions: ['v1'], kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', shortNames: ['csr'], namespaced: false, hasStatus: true, nameRule: 'any' },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], namespaced: true, hasStatus: true },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], namespaced: true },
  { group: 'policy', versions: ['v1'], kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], namespaced: true, hasStatus: true },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false, nameRule: 'path-segment' },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRole', plural: 'clusterroles', namespaced: false, nameRule: 'path-segment' },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'RoleBinding', plural: 'rolebindings', namespaced: true, nameRule: 'path-segment' },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'Role', plural: 'roles', namespaced: true, nameRule: 'path-segment' },
  { group: 'storage.k8s.io', versions: ['v1'], kind: 'CSIDriver', plural: 'csidrivers', namespaced: false },
  { group: 'storage.k8s.io', versions: ['v1'], kind: 'CSINode', plural: 'csinodes', namespaced: false },
  { group: 'storage.k8s.io', versions: ['v1'], kind: 'CSIStorageCapacity', plural: 'csistoragecapacities', namespaced: true },
  { group: 'storage.k8s.io', versions: ['v1'], kind: 'StorageClass', plural: 'storageclasses', shortNames: ['sc'], namespaced: false },
  { group: 'storage.k8s.io', versions: ['v1'], kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, hasStatus: true },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', categories: EXT, namespaced: false },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies', categories: EXT, namespaced: false, hasStatus: true },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', categories: EXT, namespaced: false },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', categories: EXT, namespaced: false },
  { group: 'apiextensions.k8s.io', versions: ['v1'], kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', shortNames: ['crd', 'crds'], categories: EXT, namespaced: false, hasStatus: true },
  { group: 'scheduling.k8s.io', versions: ['v1'], kind: 'PriorityClass', plural: 'priorityclasses', shortNames: ['pc'], namespaced: false },
  { group: 'coordination.k8s.io', versions: ['v1'], kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'node.k8s.io', versions: ['v1'], kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false },
  { group: 'discovery.k8s.io', versions: ['v1'], kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  { group: 'flowcontrol.apiserver.k8s.io', versions: ['v1'], kind: 'FlowSchema', plural: 'flowschemas', namespaced: false, hasStatus: true },
  { group: 'flowcontrol.apiserver.k8s.io', versions: ['v1'], kind: 'PriorityLevelConfiguration', plural: 'prioritylevelconfigurations', namespaced: false, hasStatus: true },
];

/**
 * APPLY_ORDER: namespaces and definitions first, then what workloads use, the workloads, what
 * points at them, and admission hooks last (a webhook applied before its Service would refuse
 * the rest of the batch). Kinds absent here (custom resources) come after all of these.
 */
const APPLY_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'FlowSchema',
  'RuntimeClass',
  'StorageClass',
  'CSIDriver',
  'ResourceQuota',
  'LimitRange',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'Secret',
  'ConfigMap',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'Endpoints',
  'EndpointSlice',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'ReplicaSet',
  'PodTemplate',
  'Pod',
  'IngressClass',
  'Ingress',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'Lease',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
];

/** splitApiVersion splits "apps/v1" into group "apps" and version "v1" ("v1" → group ""). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** groupVersion writes an info's apiVersion ("apps/v1", "v1"). */
export function groupVersion(info: Pick<KindInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** resourceName writes a kind the way API errors name it: "deployments.apps", "services". */
export function resourceName(info: Pick<KindInfo, 'group' | 'plural'>): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** KindRegistry is a RESTMapper: the built-in kinds, extended by the CRDs it is told about. */
export class KindRegistry implements KindLookup {
  private readonly byGVK = new Map<string, KindInfo>();
  /** preferred maps "group/Kind" to its preferred (first registered) version. */
  private readonly preferred = new Map<string, KindInfo>();
  /** byKind maps a bare Kind name to the first group serving it (core before events.k8s.io for Event). */
  private readonly byKind = new Map<string, KindInfo>();

  constructor() {
    for (const row of BUILTIN_ROWS) {
      for (const version of row.versions) {
        this.add({
          group: row.group,
          version,
          kind: row.kind,
          plural: row.plural,
          singular: row.kind.toLowerCase(),
          shortNames: row.shortNames ?? [],
          categories: row.categories ?? [],
          namespaced: row.namespaced,
          hasStatus: row.hasStatus ?? false,
          nameRule: row.nameRule ?? 'subdomain',
          listable: row.listable ?? true,
        });
      }
    }
  }

  /** withCRDs is a registry with the built-ins plus the given objects' CustomResourceDefinitions (other kinds are ignored). */
  static withCRDs(objects: Iterable<{ kind?: unknown; spec?: any }>): KindRegistry {
    const r = new KindRegistry();
    for (const o of objects) if (o?.kind === 'CustomResourceDefinition') r.registerCRD(o);
    return r;
  }

  /** add registers a served group/version/kind (built-in or from a CRD); a re-registration replaces it (a CRD's names or scope changed). */
  add(info: KindInfo): void {
    const key = `${info.group}/${info.version}/${info.kind}`;
    this.byGVK.set(key, info);
    const gk = `${info.group}/${info.kind}`;
    const pref = this.preferred.get(gk);
    if (!pref || pref.version === info.version) this.preferred.set(gk, info);
    const first = this.byKind.get(info.kind);
    if (!first || (first.group === info.group && first.version === info.version)) this.byKind.set(info.kind, info);
  }

  /** clone copies the registry, so a dry run can add a batch's CRDs without serving them. */
  clone(): KindRegistry {
    const r = new KindRegistry();
    for (const info of this.byGVK.values()) r.add(info);
    return r;
  }

  lookup(apiVersion: string, kind: string): KindInfo {
    const { group, version } = splitApiVersion(apiVersion);
    const info = this.byGVK.get(`${group}/${version}/${kind}`);
    if (!info) {
      throw new MfluxError('UnknownKind', `no matches for kind "${kind}" in version "${apiVersion}"; ensure CRDs are installed first`, {
        subject: kind,
        details: { apiVersion, kind },
      });
    }
    return info;
  }

  served(): KindInfo[] {
    return [...this.byGVK.values()];
  }

  kindInfo(kind: string): KindInfo | undefined {
    return this.byKind.get(kind);
  }

  isNamespaced(kind: string): boolean {
    return this.byKind.get(kind)?.namespaced ?? true;
  }

  resolveResource(word: string): KindInfo | undefined {
    const lower = word.toLowerCase();
    const preferred = [...this.preferred.values()];
    // kubectl expands short names first, then matches resources (plural, singular, Kind), bare or with .group / .version.group.
    const byName = (name: string, group?: string, version?: string): KindInfo | undefined => {
      const matches = (i: KindInfo) => (group === undefined || i.group === group) && (i.plural === name || i.singular === name || i.kind.toLowerCase() === name);
      if (version !== undefined) return this.served().find((i) => i.version === version && matches(i));
      return preferred.find(matches);
    };
    const short = preferred.find((i) => i.shortNames.includes(lower));
    if (short) return short;
    const bare = byName(lower);
    if (bare) return bare;
    const dot = lower.indexOf('.');
    if (dot < 0) return undefined;
    const name = lower.slice(0, dot);
    const rest = lower.slice(dot + 1);
    const second = rest.indexOf('.');
    if (second > 0) {
      const withVersion = byName(name, rest.slice(second + 1), rest.slice(0, second));
      if (withVersion) return withVersion;
    }
    return byName(name, rest);
  }

  category(name: string): KindInfo[] {
    return [...this.preferred.values()].filter((i) => i.categories.includes(name));
  }

  applyRank(kind: string): number {
    const i = APPLY_ORDER.indexOf(kind);
    return i < 0 ? APPLY_ORDER.length : i;
  }

  /** registerCRD adds every served version of a CustomResourceDefinition, with its scope and names. */
  registerCRD(crd: { spec?: any }): void {
    const spec = crd.spec ?? {};
    const names = spec.names ?? {};
    if (!spec.group || !names.kind) return;
    const kind = String(names.kind);
    for (const v of spec.versions ?? []) {
      if (v && v.served !== false && v.name) {
        this.add({
          group: String(spec.group),
          version: String(v.name),
          kind,
          plural: String(names.plural ?? `${kind.toLowerCase()}s`),
          singular: String(names.singular || kind.toLowerCase()),
          shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
          categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
          namespaced: spec.scope !== 'Cluster',
          hasStatus: Boolean(v.subresources?.status),
          nameRule: 'subdomain',
          listable: true,
        });
      }
    }
  }
}

/** BUILTIN_KINDS is the registry of a fresh API server with no CRDs: for callers with no cluster or manifests at hand. */
export const BUILTIN_KINDS: KindLookup = new KindRegistry();
