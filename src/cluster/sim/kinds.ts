/** The simulated API server's discovery: which apiVersion/kind pairs it serves. */
import { MfluxError } from '../../core/index.js';

/** KindInfo describes one served kind. */
export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** plural is the lower-case resource name kubectl uses (deployments, replicasets, ...). */
  plural: string;
  namespaced: boolean;
  /** hasStatus marks kinds with a status subresource (status is kept apart from spec). */
  hasStatus: boolean;
}

function k(group: string, version: string, kind: string, plural: string, namespaced = true, hasStatus = false): KindInfo {
  return { group, version, kind, plural, namespaced, hasStatus };
}

/** BUILTIN_KINDS lists what a stock API server (v1.31) serves, as far as GitOps repos use it. */
export const BUILTIN_KINDS: readonly KindInfo[] = [
  k('', 'v1', 'Namespace', 'namespaces', false, true),
  k('', 'v1', 'Node', 'nodes', false, true),
  k('', 'v1', 'Pod', 'pods', true, true),
  k('', 'v1', 'Service', 'services', true, true),
  k('', 'v1', 'ConfigMap', 'configmaps'),
  k('', 'v1', 'Secret', 'secrets'),
  k('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  k('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, true),
  k('', 'v1', 'PersistentVolume', 'persistentvolumes', false, true),
  k('', 'v1', 'Endpoints', 'endpoints'),
  k('', 'v1', 'Event', 'events'),
  k('', 'v1', 'LimitRange', 'limitranges'),
  k('', 'v1', 'ResourceQuota', 'resourcequotas', true, true),
  k('apps', 'v1', 'Deployment', 'deployments', true, true),
  k('apps', 'v1', 'ReplicaSet', 'replicasets', true, true),
  k('apps', 'v1', 'StatefulSet', 'statefulsets', true, true),
  k('apps', 'v1', 'DaemonSet', 'daemonsets', true, true),
  k('apps', 'v1', 'ControllerRevision', 'controllerrevisions'),
  k('batch', 'v1', 'Job', 'jobs', true, true),
  k('batch', 'v1', 'CronJob', 'cronjobs', true, true),
  k('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, true),
  k('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  k('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies'),
  k('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  k('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  k('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  k('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  k('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, true),
  k('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, true),
  k('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, true),
  k('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, true),
  k('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false),
  k('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false),
  k('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  k('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  k('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
];

/** splitApiVersion splits "apps/v1" into group "apps" and version "v1" ("v1" → group ""). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Discovery answers "is this apiVersion/kind served?", including kinds added by CustomResourceDefinitions. */
export class Discovery {
  private readonly byGVK = new Map<string, KindInfo>();
  private readonly byKind = new Map<string, KindInfo>();

  constructor() {
    for (const info of BUILTIN_KINDS) this.add(info);
  }

  /** add registers a served kind (built-in or from a CRD). */
  add(info: KindInfo): void {
    this.byGVK.set(`${info.group}/${info.version}/${info.kind}`, info);
    if (!this.byKind.has(info.kind)) this.byKind.set(info.kind, info);
  }

  /** clone copies the served kinds, so a dry run can add a batch's CRDs without serving them. */
  clone(): Discovery {
    const d = new Discovery();
    for (const info of this.byGVK.values()) d.add(info);
    return d;
  }

  /** lookup returns the kind served at apiVersion, or throws UnknownKind with kubectl's wording. */
  lookup(apiVersion: string, kind: string): KindInfo {
    const { group, version } = splitApiVersion(apiVersion);
    const info = this.byGVK.get(`${group}/${version}/${kind}`);
    if (!info) {
      throw new MfluxError('UnknownKind', `no matches for kind "${kind}" in version "${apiVersion}"; ensure CRDs are installed first`, {
        subject: `${kind}`,
        details: { apiVersion, kind },
      });
    }
    return info;
  }

  /** served lists every served group/version/kind, built-in first, then those added by CRDs. */
  served(): KindInfo[] {
    return [...this.byGVK.values()];
  }

  /** kindInfo returns what is known of a kind by its name alone (first served version). */
  kindInfo(kind: string): KindInfo | undefined {
    return this.byKind.get(kind);
  }

  /** registerCRD adds every served version of a CustomResourceDefinition. */
  registerCRD(crd: { spec?: any }): void {
    const spec = crd.spec ?? {};
    const names = spec.names ?? {};
    if (!spec.group || !names.kind) return;
    for (const v of spec.versions ?? []) {
      if (v && v.served !== false && v.name) {
        this.add({
          group: spec.group,
          version: v.name,
          kind: names.kind,
          plural: names.plural ?? `${String(names.kind).toLowerCase()}s`,
          namespaced: spec.scope !== 'Cluster',
          hasStatus: Boolean(v.subresources?.status),
        });
      }
    }
  }
}
