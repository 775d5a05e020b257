/** The kind registry: every name form resolves, CRDs extend it with their scope and names, and names are validated per kind with the API server's messages. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_KINDS, InvalidObjectError, KindRegistry, type KubeObject, isNamespaced, isMfluxError } from '../../src/core/index.js';
import { LABEL1035_MSG, LABEL_MSG, SUBDOMAIN_MSG, validateObject } from '../../src/manifests/index.js';
import { computePlan } from '../../src/plan/index.js';

/** API_RESOURCES is `kubectl api-resources` on a fresh 1.32 API server: name, short names, apiVersion, namespaced, kind. */
const API_RESOURCES = `
bindings - v1 true Binding
componentstatuses cs v1 false ComponentStatus
configmaps cm v1 true ConfigMap
endpoints ep v1 true Endpoints
events ev v1 true Event
limitranges limits v1 true LimitRange
namespaces ns v1 false Namespace
nodes no v1 false Node
persistentvolumeclaims pvc v1 true PersistentVolumeClaim
persistentvolumes pv v1 false PersistentVolume
pods po v1 true Pod
podtemplates - v1 true PodTemplate
replicationcontrollers rc v1 true ReplicationController
resourcequotas quota v1 true ResourceQuota
secrets - v1 true Secret
serviceaccounts sa v1 true ServiceAccount
services svc v1 true Service
mutatingwebhookconfigurations - admissionregistration.k8s.io/v1 false MutatingWebhookConfiguration
validatingadmissionpolicies - admissionregistration.k8s.io/v1 false ValidatingAdmissionPolicy
validatingadmissionpolicybindings - admissionregistration.k8s.io/v1 false ValidatingAdmissionPolicyBinding
validatingwebhookconfigurations - admissionregistration.k8s.io/v1 false ValidatingWebhookConfiguration
customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition
apiservices - apiregistration.k8s.io/v1 false APIService
controllerrevisions - apps/v1 true ControllerRevision
daemonsets ds apps/v1 true DaemonSet
deployments deploy apps/v1 true Deployment
replicasets rs apps/v1 true ReplicaSet
statefulsets sts apps/v1 true StatefulSet
selfsubjectreviews - authentication.k8s.io/v1 false SelfSubjectReview
tokenreviews - authentication.k8s.io/v1 false TokenReview
localsubjectaccessreviews - authorization.k8s.io/v1 true LocalSubjectAccessReview
selfsubjectaccessreviews - authorization.k8s.io/v1 false SelfSubjectAccessReview
selfsubjectrulesreviews - authorization.k8s.io/v1 false SelfSubjectRulesReview
subjectaccessreviews - authorization.k8s.io/v1 false SubjectAccessReview
horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler
cronjobs cj batch/v1 true CronJob
jobs - batch/v1 true Job
certificatesigningrequests csr certificates.k8s.io/v1 false CertificateSigningRequest
leases - coordination.k8s.io/v1 true Lease
endpointslices - discovery.k8s.io/v1 true EndpointSlice
events ev events.k8s.io/v1 true Event
flowschemas - flowcontrol.apiserver.k8s.io/v1 false FlowSchema
prioritylevelconfigurations - flowcontrol.apiserver.k8s.io/v1 false PriorityLevelConfiguration
ingressclasses - networking.k8s.io/v1 false IngressClass
ingresses ing networking.k8s.io/v1 true Ingress
networkpolicies netpol networking.k8s.io/v1 true NetworkPolicy
runtimeclasses - node.k8s.io/v1 false RuntimeClass
poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget
clusterrolebindings - rbac.authorization.k8s.io/v1 false ClusterRoleBinding
clusterroles - rbac.authorization.k8s.io/v1 false ClusterRole
rolebindings - rbac.authorization.k8s.io/v1 true RoleBinding
roles - rbac.authorization.k8s.io/v1 true Role
priorityclasses pc scheduling.k8s.io/v1 false PriorityClass
csidrivers - storage.k8s.io/v1 false CSIDriver
csinodes - storage.k8s.io/v1 false CSINode
csistoragecapacities - storage.k8s.io/v1 true CSIStorageCapacity
storageclasses sc storage.k8s.io/v1 false StorageClass
volumeattachments - storage.k8s.io/v1 false VolumeAttachment
`
  .trim()
  .split('\n')
  .map((l) => l.split(' '));

const gv = (i: { group: string; version: string }) => (i.group ? `${i.group}/${i.version}` : i.version);

function crd(scope: 'Namespaced' | 'Cluster'): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'prometheuses.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      scope,
      names: { kind: 'Prometheus', plural: 'prometheuses', singular: 'prometheus', shortNames: ['prom'], categories: ['monitoring'] },
      versions: [{ name: 'v1', served: true, storage: true }],
    },
  };
}

describe('built-in kinds (Kubernetes 1.32)', () => {
  it('serves exactly what kubectl api-resources lists, with its short names, preferred version and scope', () => {
    const preferred = new Map<string, string>();
    for (const i of BUILTIN_KINDS.served()) if (!preferred.has(`${i.group}/${i.plural}`)) preferred.set(`${i.group}/${i.plural}`, gv(i));
    expect(preferred.size).toBe(API_RESOURCES.length);
    for (const [name, shorts, apiVersion, namespaced, kind] of API_RESOURCES) {
      const group = apiVersion!.includes('/') ? apiVersion!.split('/')[0]! : '';
      const info = BUILTIN_KINDS.lookup(apiVersion!, kind!);
      expect({ plural: info.plural, shortNames: info.shortNames.join(',') || '-', namespaced: String(info.namespaced) }, `${name}.${group}`).toEqual({ plural: name, shortNames: shorts, namespaced });
      expect(preferred.get(`${group}/${name}`), name).toBe(apiVersion);
    }
    expect(BUILTIN_KINDS.lookup('autoscaling/v1', 'HorizontalPodAutoscaler').plural).toBe('horizontalpodautoscalers');
  });

  it('resolves every name form kubectl takes: plural, singular, short name, Kind, plural.group, plural.version.group', () => {
    const kindOf = (w: string) => BUILTIN_KINDS.resolveResource(w)?.kind;
    for (const w of ['sts', 'statefulsets', 'statefulset', 'StatefulSet', 'STATEFULSETS', 'statefulsets.apps', 'statefulset.apps', 'statefulsets.v1.apps']) expect(kindOf(w), w).toBe('StatefulSet');
    expect(['ds', 'cj', 'hpa', 'ing', 'pvc', 'sa', 'netpol', 'pdb', 'rc', 'csr', 'quota', 'limits', 'crd', 'crds', 'pc', 'sc', 'cs', 'ep', 'no', 'pv'].map(kindOf)).toEqual([
      'DaemonSet', 'CronJob', 'HorizontalPodAutoscaler', 'Ingress', 'PersistentVolumeClaim', 'ServiceAccount', 'NetworkPolicy', 'PodDisruptionBudget', 'ReplicationController',
      'CertificateSigningRequest', 'ResourceQuota', 'LimitRange', 'CustomResourceDefinition', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'ComponentStatus', 'Endpoints', 'Node', 'PersistentVolume',
    ]);
    expect(BUILTIN_KINDS.resolveResource('apiservices')).toMatchObject({ kind: 'APIService', group: 'apiregistration.k8s.io', namespaced: false });
    expect(BUILTIN_KINDS.resolveResource('horizontalpodautoscalers.v1.autoscaling')?.version).toBe('v1');
    expect(BUILTIN_KINDS.resolveResource('hpa')?.version).toBe('v2');
    // Bare "events" is the core group's; the events.k8s.io one needs its group.
    expect(BUILTIN_KINDS.resolveResource('events')?.group).toBe('');
    expect(BUILTIN_KINDS.resolveResource('events.events.k8s.io')?.group).toBe('events.k8s.io');
    expect(BUILTIN_KINDS.resolveResource('foo')).toBeUndefined();
    expect(BUILTIN_KINDS.resolveResource('deployments.batch')).toBeUndefined();
  });

  it('the all category is kubectl get all, in discovery order', () => {
    expect(BUILTIN_KINDS.category('all').map((i) => i.plural)).toEqual(['pods', 'replicationcontrollers', 'services', 'daemonsets', 'deployments', 'replicasets', 'statefulsets', 'horizontalpodautoscalers', 'cronjobs', 'jobs']);
    expect(BUILTIN_KINDS.category('api-extensions').map((i) => i.plural).sort()).toEqual(['apiservices', 'customresourcedefinitions', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations']);
  });

  it('scope and apply order', () => {
    expect(['Namespace', 'Node', 'APIService', 'ClusterRole', 'CSIDriver', 'PriorityClass'].map((k) => isNamespaced(k))).toEqual([false, false, false, false, false, false]);
    expect(['Pod', 'Lease', 'Role', 'CSIStorageCapacity', 'Widget'].map((k) => isNamespaced(k))).toEqual([true, true, true, true, true]);
    const r = BUILTIN_KINDS;
    expect(r.applyRank('Namespace')).toBeLessThan(r.applyRank('CustomResourceDefinition'));
    expect(r.applyRank('ConfigMap')).toBeLessThan(r.applyRank('Deployment'));
    expect(r.applyRank('Service')).toBeLessThan(r.applyRank('ValidatingWebhookConfiguration'));
    expect(r.applyRank('ValidatingWebhookConfiguration')).toBeLessThan(r.applyRank('Prometheus'));
  });

  it('unknown apiVersion/kind is UnknownKind with kubectl\'s wording', () => {
    let err: unknown;
    try {
      BUILTIN_KINDS.lookup('monitoring.coreos.com/v1', 'Prometheus');
    } catch (e) {
      err = e;
    }
    expect(isMfluxError(err, 'UnknownKind')).toBe(true);
    expect((err as Error).message).toBe('Prometheus: no matches for kind "Prometheus" in version "monitoring.coreos.com/v1"; ensure CRDs are installed first');
  });
});

describe('CRD extension', () => {
  it('a CRD adds its kind with plural, singular, short names, categories and scope', () => {
    const r = KindRegistry.withCRDs([crd('Cluster')]);
    for (const w of ['prometheuses', 'prometheus', 'prom', 'Prometheus', 'prometheuses.monitoring.coreos.com', 'prometheuses.v1.monitoring.coreos.com']) {
      expect(r.resolveResource(w)?.kind, w).toBe('Prometheus');
    }
    expect(r.isNamespaced('Prometheus')).toBe(false);
    expect(r.category('monitoring').map((i) => i.kind)).toEqual(['Prometheus']);
    expect(r.lookup('monitoring.coreos.com/v1', 'Prometheus').singular).toBe('prometheus');
    // The built-in registry is untouched.
    expect(BUILTIN_KINDS.resolveResource('prom')).toBeUndefined();
    expect(KindRegistry.withCRDs([crd('Namespaced')]).isNamespaced('Prometheus')).toBe(true);
  });

  it('the planner gives a cluster-scoped custom resource no namespace, a namespaced one "default"', () => {
    const cr: KubeObject = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'main' }, spec: {} };
    const cluster = computePlan({ desired: [{ object: crd('Cluster') }, { object: cr }], live: new Map(), inventory: new Map() }).entries[1]!;
    expect(cluster.ref).toBe('Prometheus/main');
    expect(cluster.namespace).toBeUndefined();
    expect(cluster.manifest!.metadata.namespace).toBeUndefined();
    // The CRD already in the cluster (not in this commit) counts too.
    const fromLive = computePlan({ desired: [{ object: { ...cr, metadata: { name: 'main', namespace: 'x' } } }], live: new Map(), inventory: new Map(), kinds: KindRegistry.withCRDs([crd('Cluster')]) }).entries[0]!;
    expect(fromLive.ref).toBe('Prometheus/main');
    expect(fromLive.manifest!.metadata.namespace).toBeUndefined();
    const namespaced = computePlan({ desired: [{ object: crd('Namespaced') }, { object: cr }], live: new Map(), inventory: new Map() }).entries[1]!;
    expect(namespaced.ref).toBe('Prometheus/default/main');
  });
});

describe('name validation per kind (API server messages)', () => {
  const obj = (apiVersion: string, kind: string, name: string, spec?: unknown): KubeObject => ({ apiVersion, kind, metadata: { name }, ...(spec ? { spec } : {}) });
  const messages = (o: KubeObject) => validateObject(o, BUILTIN_KINDS.kindInfo(o.kind)?.nameRule).map((e) => `${e.field}: ${e.detail}`);

  it('RBAC objects take path-segment names', () => {
    expect(messages(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:aggregated-metrics-reader'))).toEqual([]);
    expect(messages(obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'System:Metrics_Server'))).toEqual([]);
    expect(messages(obj('rbac.authorization.k8s.io/v1', 'Role', '..'))).toEqual(["metadata.name: may not be '..'"]);
    expect(messages(obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'a/b%c'))).toEqual(["metadata.name: may not contain '/'", "metadata.name: may not contain '%'"]);
    const err = new InvalidObjectError('ClusterRole', 'a/b', validateObject(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'a/b'), 'path-segment'));
    expect(err.message).toBe('The ClusterRole "a/b" is invalid: metadata.name: Invalid value: "a/b": may not contain \'/\'');
  });

  it('most kinds take DNS subdomains; Namespace a DNS-1123 label; Service a DNS-1035 label', () => {
    expect(messages(obj('v1', 'ConfigMap', 'system:x'))).toEqual([`metadata.name: ${SUBDOMAIN_MSG}`]);
    expect(messages(obj('v1', 'ConfigMap', 'a.b-c'))).toEqual([]);
    expect(messages(obj('v1', 'ConfigMap', `${'a'.repeat(254)}.`))).toEqual(['metadata.name: must be no more than 253 characters', `metadata.name: ${SUBDOMAIN_MSG}`]);
    expect(messages(obj('v1', 'Namespace', 'a.b'))).toEqual([`metadata.name: ${LABEL_MSG}`]);
    expect(messages(obj('v1', 'Namespace', 'a'.repeat(64)))).toEqual(['metadata.name: must be no more than 63 characters']);
    expect(messages(obj('v1', 'Service', '1web'))).toEqual([`metadata.name: ${LABEL1035_MSG}`]);
    expect(messages(obj('v1', 'Service', 'web-1'))).toEqual([]);
    expect(messages(obj('v1', 'Pod', '1web'))).toEqual([]);
    expect(messages(obj('certificates.k8s.io/v1', 'CertificateSigningRequest', 'Any:Name'))).toEqual([]);
    expect(messages(obj('batch/v1', 'CronJob', 'c'.repeat(53)))).toEqual(['metadata.name: must be no more than 52 characters']);
  });

  it('a CRD is named plural.group; an APIService version.group', () => {
    expect(messages(crd('Cluster'))).toEqual([]);
    expect(messages({ ...crd('Cluster'), metadata: { name: 'prom.monitoring.coreos.com' } })).toEqual(['metadata.name: must be spec.names.plural+"."+spec.group']);
    expect(messages(obj('apiregistration.k8s.io/v1', 'APIService', 'v1beta1.metrics.k8s.io', { group: 'metrics.k8s.io', version: 'v1beta1' }))).toEqual([]);
    expect(messages(obj('apiregistration.k8s.io/v1', 'APIService', 'metrics', { group: 'metrics.k8s.io', version: 'v1beta1' }))).toEqual(['metadata.name: must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"']);
  });
});
