/** Label and field selectors as the API server parses them (`labelSelector=`, `fieldSelector=` query parameters). */
import type { KubeObject } from '../../core/index.js';
import { SelectorError } from '../../manifests/index.js';

export { SelectorError, parseLabelSelector } from '../../manifests/index.js';


type FieldGetter = (o: any) => string | undefined;

/**
 * FieldRules are one kind's field selectors as the API server has them: the labels its field
 * label conversion accepts (pkg/apis/<group>/<version>/conversion.go), how each reads an object
 * (the registry's ToSelectableFields: an accepted label the object lacks reads as ""), and the
 * conversion's own refusal text, which the API server returns as a 400 BadRequest.
 */
interface FieldRules {
  fields: Record<string, FieldGetter>;
  refuse: (label: string) => string;
}

const NAME: Record<string, FieldGetter> = { 'metadata.name': (o) => o.metadata?.name };
const NAME_NS: Record<string, FieldGetter> = { ...NAME, 'metadata.namespace': (o) => o.metadata?.namespace };
const notSupported = (label: string) => `field label not supported: ${label}`;

/** DEFAULT_RULES: a kind with no conversion of its own (apps/v1, ConfigMap, …) has apimachinery's DefaultMetaV1FieldSelectorConversion. */
const DEFAULT_RULES: FieldRules = {
  fields: NAME_NS,
  refuse: (label) => `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

/** FIELD_RULES are the kinds with their own field labels (core/v1, batch/v1), keyed by group/kind ("" for core), so a custom kind of the same name keeps the default. */
const FIELD_RULES: Record<string, FieldRules> = {
  '/Pod': {
    fields: {
      ...NAME_NS,
      // Unset fields read as the API server's defaults, which it stores on create.
      'spec.nodeName': (o) => o.spec?.nodeName,
      'spec.host': (o) => o.spec?.nodeName, // old v1 clients' name for spec.nodeName
      'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? 'Always',
      'spec.schedulerName': (o) => o.spec?.schedulerName ?? 'default-scheduler',
      'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
      'spec.hostNetwork': (o) => String(o.spec?.hostNetwork === true),
      'status.phase': (o) => o.status?.phase,
      'status.podIP': (o) => o.status?.podIPs?.[0]?.ip ?? o.status?.podIP,
      // Accepted by the conversion but not a selectable field upstream: it only matches "".
      'status.podIPs': () => undefined,
      'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
    },
    refuse: notSupported,
  },
  '/Event': {
    fields: {
      ...NAME_NS,
      'involvedObject.kind': (o) => o.involvedObject?.kind,
      'involvedObject.namespace': (o) => o.involvedObject?.namespace,
      'involvedObject.name': (o) => o.involvedObject?.name,
      'involvedObject.uid': (o) => o.involvedObject?.uid,
      'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
      'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
      'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
      reason: (o) => o.reason,
      reportingComponent: (o) => o.reportingComponent,
      source: (o) => o.source?.component,
      type: (o) => o.type,
    },
    refuse: notSupported,
  },
  // Cluster-scoped: metadata.namespace is refused, as upstream does.
  '/Namespace': { fields: { ...NAME, 'status.phase': (o) => o.status?.phase ?? 'Active' }, refuse: notSupported },
  '/Node': { fields: { ...NAME, 'spec.unschedulable': (o) => String(o.spec?.unschedulable === true) }, refuse: notSupported },
  '/Secret': { fields: { ...NAME_NS, type: (o) => o.type ?? 'Opaque' }, refuse: notSupported },
  '/Service': { fields: { ...NAME_NS, 'spec.clusterIP': (o) => o.spec?.clusterIP, 'spec.type': (o) => o.spec?.type ?? 'ClusterIP' }, refuse: notSupported },
  '/ReplicationController': { fields: { ...NAME_NS, 'status.replicas': (o) => String(o.status?.replicas ?? 0) }, refuse: notSupported },
  'batch/Job': { fields: { ...NAME_NS, 'status.successful': (o) => String(o.status?.succeeded ?? 0) }, refuse: (label) => `field label ${JSON.stringify(label)} not supported for Job` },
};

/** fieldLabels lists the field selectors a kind supports (for docs and tests). */
export function fieldLabels(kind: string, group = ''): string[] {
  return Object.keys(rulesOf(kind, group).fields);
}

function rulesOf(kind: string, group: string): FieldRules {
  return FIELD_RULES[`${group}/${kind}`] ?? DEFAULT_RULES;
}

/**
 * parseFieldSelector reads `metadata.name=x,involvedObject.kind!=Pod` (operators =, ==, !=) for a
 * kind of an API group ("" for core); a label the kind does not support is a SelectorError with the API server's text for it.
 */
export function parseFieldSelector(text: string, kind: string, group = ''): (o: KubeObject) => boolean {
  const rules = rulesOf(kind, group);
  const reqs: { get: FieldGetter; neq: boolean; value: string }[] = [];
  for (const term of text.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const label = m[1]!.trim();
    const get = Object.prototype.hasOwnProperty.call(rules.fields, label) ? rules.fields[label] : undefined;
    if (!get) throw new SelectorError(rules.refuse(label));
    reqs.push({ get, neq: m[2] === '!=', value: m[3]!.trim() });
  }
  return (o) => reqs.every((r) => ((r.get(o) ?? '') === r.value) !== r.neq);
}
