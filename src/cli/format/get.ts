/**
 * `kubectl get` tables. Columns and cell rules follow the apiserver's table printers
 * (pkg/printers/internalversion/printers.go) as rendered by kubectl's table printer
 * (headers upper-cased, cells tab-joined, aligned by the minwidth-6/padding-3 tabwriter).
 */

import { BUILTIN_KINDS, type KindLookup } from '../../core/kinds.js';
import type { KubeEvent, KubeObject } from '../../core/object.js';
import { age, humanDuration } from './duration.js';
import { formatLabelSelector, formatLabels, selectorString } from './labels.js';
import { tabulate } from './tabwriter.js';

/** TableOptions controls one `get` listing; `now` (epoch ms, cluster clock) drives every AGE. */
export interface TableOptions {
  now: number;
  /** wide adds the priority-1 columns (`-o wide`). */
  wide?: boolean;
  /** allNamespaces prepends NAMESPACE (`-A`); ignored for cluster-scoped kinds, like kubectl. */
  allNamespaces?: boolean;
  /** namespace names the listed namespace in "No resources found in <ns> namespace." (default "default"). */
  namespace?: string;
  /** kindPrefix writes NAME as `<prefix>/<name>` (`deployment.apps/front`), as kubectl does when one get lists several kinds. */
  kindPrefix?: string;
  /** kinds is the registry that knows the kind's scope (default: the built-in kinds). */
  kinds?: KindLookup;
}

interface Column {
  header: string;
  /** wide marks a priority-1 column, shown only with -o wide. */
  wide?: boolean;
  cell: (obj: any, now: number) => string;
}

/** resolveKind maps a kubectl resource word ("deploy", "rs", "pods", "Deployment", "sts.apps") to its Kind through the built-in kind registry; unknown words are returned unchanged. */
export function resolveKind(word: string): string {
  return kindIn(BUILTIN_KINDS, word);
}

const kindIn = (kinds: KindLookup, word: string): string => kinds.resolveResource(word)?.kind ?? word;

const num = (v: unknown): string => String(typeof v === 'number' ? v : 0);
const ageOf = (o: KubeObject, now: number): string => age(o.metadata?.creationTimestamp, now);

function containerCells(containers: any[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}

const DEPLOYMENT_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'READY', cell: (o) => `${num(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}` },
  { header: 'UP-TO-DATE', cell: (o) => num(o.status?.updatedReplicas) },
  { header: 'AVAILABLE', cell: (o) => num(o.status?.availableReplicas) },
  { header: 'AGE', cell: ageOf },
  { header: 'CONTAINERS', wide: true, cell: (o) => containerCells(o.spec?.template?.spec?.containers)[0] },
  { header: 'IMAGES', wide: true, cell: (o) => containerCells(o.spec?.template?.spec?.containers)[1] },
  // printDeployment uses selector.String() (no "<none>" substitution).
  { header: 'SELECTOR', wide: true, cell: (o) => selectorString(o.spec?.selector) },
];

const REPLICASET_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'DESIRED', cell: (o) => String(o.spec?.replicas ?? 1) },
  { header: 'CURRENT', cell: (o) => num(o.status?.replicas) },
  { header: 'READY', cell: (o) => num(o.status?.readyReplicas) },
  { header: 'AGE', cell: ageOf },
  { header: 'CONTAINERS', wide: true, cell: (o) => containerCells(o.spec?.template?.spec?.containers)[0] },
  { header: 'IMAGES', wide: true, cell: (o) => containerCells(o.spec?.template?.spec?.containers)[1] },
  { header: 'SELECTOR', wide: true, cell: (o) => formatLabelSelector(o.spec?.selector) },
];

/** PodSummary is what a pod row shows: READY, STATUS and RESTARTS as printPod computes them. */
export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function isRestartableInit(c: any): boolean {
  return c?.restartPolicy === 'Always';
}

/**
 * podSummary follows printPod: STATUS starts as status.reason or phase, is replaced by init-container
 * progress ("Init:0/1", "Init:ErrImagePull"), then by a container's waiting/terminated reason
 * (e.g. "ContainerCreating", "ImagePullBackOff", "ExitCode:1"), and becomes "Terminating" when
 * deletionTimestamp is set on a non-terminal pod. READY counts ready+running containers.
 */
export function podSummary(pod: KubeObject, now: number): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs: any[] = spec.initContainers ?? [];
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let restartableRestarts = 0;
  let lastRestart = 0;
  let lastRestartableRestart = 0;
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initByName = new Map<string, any>();
  for (const c of initSpecs) {
    initByName.set(c.name, c);
    if (isRestartableInit(c)) total++;
  }
  const finishedAt = (cs: any): number => {
    const t = cs?.lastState?.terminated?.finishedAt;
    return t ? Date.parse(t) : 0;
  };

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    lastRestart = Math.max(lastRestart, finishedAt(c));
    const restartable = isRestartableInit(initByName.get(c.name));
    if (restartable) {
      restartableRestarts += c.restartCount ?? 0;
      lastRestartableRestart = Math.max(lastRestartableRestart, finishedAt(c));
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (restartable && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (wait && wait.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = (status.conditions ?? []).some((c: any) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      lastRestart = Math.max(lastRestart, finishedAt(c));
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait && wait.reason) reason = wait.reason;
      else if (term && term.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

const orNone = (s: string | undefined): string => (s ? s : '<none>');

const POD_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'READY', cell: (o, now) => podSummary(o, now).ready },
  { header: 'STATUS', cell: (o, now) => podSummary(o, now).status },
  { header: 'RESTARTS', cell: (o, now) => podSummary(o, now).restarts },
  { header: 'AGE', cell: ageOf },
  { header: 'IP', wide: true, cell: (o) => orNone(o.status?.podIPs?.[0]?.ip ?? o.status?.podIP) },
  { header: 'NODE', wide: true, cell: (o) => orNone(o.spec?.nodeName) },
  { header: 'NOMINATED NODE', wide: true, cell: (o) => orNone(o.status?.nominatedNodeName) },
  {
    header: 'READINESS GATES',
    wide: true,
    cell: (o) => {
      const gates: any[] = o.spec?.readinessGates ?? [];
      if (gates.length === 0) return '<none>';
      const conds: any[] = o.status?.conditions ?? [];
      const trueCount = gates.filter((g) => conds.find((c) => c.type === g.conditionType)?.status === 'True').length;
      return `${trueCount}/${gates.length}`;
    },
  },
];

function eventFirstSeen(e: any, now: number): string {
  if (e.firstTimestamp) return age(e.firstTimestamp, now);
  return age(e.eventTime, now);
}

function eventLastSeen(e: any, now: number): string {
  if (e.series) return age(e.series.lastObservedTime, now);
  if (e.lastTimestamp) return age(e.lastTimestamp, now);
  return eventFirstSeen(e, now);
}

/** eventObject is the OBJECT cell of `kubectl get events`: "<lower-case kind>/<name>" (just the kind when nameless). */
export function eventObject(e: Pick<KubeEvent, 'involvedObject'>): string {
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  return e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
}

function eventSource(e: any): string {
  const component = e.source?.component || e.reportingController || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

// Column order matters: SUBOBJECT and SOURCE sit between OBJECT and MESSAGE in -o wide.
const EVENT_COLUMNS: Column[] = [
  { header: 'LAST SEEN', cell: eventLastSeen },
  { header: 'TYPE', cell: (e) => e.type ?? '' },
  { header: 'REASON', cell: (e) => e.reason ?? '' },
  { header: 'OBJECT', cell: (e) => eventObject(e) },
  { header: 'SUBOBJECT', wide: true, cell: (e) => e.involvedObject?.fieldPath ?? '' },
  { header: 'SOURCE', wide: true, cell: eventSource },
  { header: 'MESSAGE', cell: (e) => String(e.message ?? '').trim() },
  { header: 'FIRST SEEN', wide: true, cell: eventFirstSeen },
  { header: 'COUNT', wide: true, cell: (e) => String(e.series ? e.series.count : e.count || 1) },
  { header: 'NAME', wide: true, cell: (e) => e.metadata?.name ?? '' },
];

const CONFIGMAP_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'DATA', cell: (o) => String(Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length) },
  { header: 'AGE', cell: ageOf },
];

function servicePorts(o: any): string {
  const ports: any[] = o.spec?.ports ?? [];
  const text = ports
    .map((p) => {
      const proto = p.protocol ?? 'TCP';
      return p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
    })
    .join(',');
  return text || '<none>';
}

function serviceExternalIP(o: any, wide: boolean): string {
  const type = o.spec?.type ?? 'ClusterIP';
  const externalIPs: string[] = o.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress: any[] = o.status?.loadBalancer?.ingress ?? [];
      const set = [...new Set(ingress.map((i) => i.ip || i.hostname).filter((x) => !!x))].sort();
      let lb = set.join(',');
      if (!wide && lb.length > 16) lb = lb.slice(0, 13) + '...';
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return o.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function serviceColumns(wide: boolean): Column[] {
  return [
    { header: 'NAME', cell: (o) => o.metadata.name },
    { header: 'TYPE', cell: (o) => o.spec?.type ?? 'ClusterIP' },
    { header: 'CLUSTER-IP', cell: (o) => orNone(o.spec?.clusterIPs?.[0] ?? o.spec?.clusterIP) },
    { header: 'EXTERNAL-IP', cell: (o) => serviceExternalIP(o, wide) },
    { header: 'PORT(S)', cell: servicePorts },
    { header: 'AGE', cell: ageOf },
    { header: 'SELECTOR', wide: true, cell: (o) => formatLabels(o.spec?.selector) },
  ];
}

const SECRET_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'TYPE', cell: (o) => o.type ?? 'Opaque' },
  // The apiserver folds stringData into data, so count the union of keys.
  { header: 'DATA', cell: (o) => String(new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {})]).size) },
  { header: 'AGE', cell: ageOf },
];

const NAMESPACE_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'STATUS', cell: (o) => o.status?.phase ?? 'Active' },
  { header: 'AGE', cell: ageOf },
];

const containersColumns = (spec: (o: any) => any): Column[] => [
  { header: 'CONTAINERS', wide: true, cell: (o) => containerCells(spec(o)?.containers)[0] },
  { header: 'IMAGES', wide: true, cell: (o) => containerCells(spec(o)?.containers)[1] },
];

// printReplicationController: a map selector printed with labels.FormatLabels.
const REPLICATIONCONTROLLER_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'DESIRED', cell: (o) => String(o.spec?.replicas ?? 1) },
  { header: 'CURRENT', cell: (o) => num(o.status?.replicas) },
  { header: 'READY', cell: (o) => num(o.status?.readyReplicas) },
  { header: 'AGE', cell: ageOf },
  ...containersColumns((o) => o.spec?.template?.spec),
  { header: 'SELECTOR', wide: true, cell: (o) => formatLabels(o.spec?.selector) },
];

const DAEMONSET_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'DESIRED', cell: (o) => num(o.status?.desiredNumberScheduled) },
  { header: 'CURRENT', cell: (o) => num(o.status?.currentNumberScheduled) },
  { header: 'READY', cell: (o) => num(o.status?.numberReady) },
  { header: 'UP-TO-DATE', cell: (o) => num(o.status?.updatedNumberScheduled) },
  { header: 'AVAILABLE', cell: (o) => num(o.status?.numberAvailable) },
  { header: 'NODE SELECTOR', cell: (o) => formatLabels(o.spec?.template?.spec?.nodeSelector) },
  { header: 'AGE', cell: ageOf },
  ...containersColumns((o) => o.spec?.template?.spec),
  { header: 'SELECTOR', wide: true, cell: (o) => formatLabelSelector(o.spec?.selector) },
];

const STATEFULSET_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'READY', cell: (o) => `${num(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}` },
  { header: 'AGE', cell: ageOf },
  ...containersColumns((o) => o.spec?.template?.spec),
];

// printControllerRevision: CONTROLLER is "<kind>.<group>/<name>" of the controller owner ("<none>" without one).
const CONTROLLERREVISION_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  {
    header: 'CONTROLLER',
    cell: (o) => {
      const ref = (o.metadata.ownerReferences ?? []).find((r: any) => r.controller);
      if (!ref) return '<none>';
      const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
      return `${String(ref.kind).toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
    },
  },
  { header: 'REVISION', cell: (o) => String(o.revision ?? 0) },
  { header: 'AGE', cell: ageOf },
];

/** nodeStatus is printNode's STATUS: Ready/NotReady/Unknown from the Ready condition, plus ",SchedulingDisabled" when cordoned. */
function nodeStatus(o: any): string {
  const ready = (o.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown'];
  if (o.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** nodeRoles is findNodeRoles: node-role.kubernetes.io/<role> label suffixes and kubernetes.io/role values, sorted. */
function nodeRoles(o: any): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((o.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

const nodeAddress = (o: any, type: string): string => (o.status?.addresses ?? []).find((a: any) => a.type === type)?.address ?? '<none>';

const NODE_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'STATUS', cell: nodeStatus },
  { header: 'ROLES', cell: nodeRoles },
  { header: 'AGE', cell: ageOf },
  { header: 'VERSION', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '' },
  { header: 'INTERNAL-IP', wide: true, cell: (o) => nodeAddress(o, 'InternalIP') },
  { header: 'EXTERNAL-IP', wide: true, cell: (o) => nodeAddress(o, 'ExternalIP') },
  { header: 'OS-IMAGE', wide: true, cell: (o) => o.status?.nodeInfo?.osImage || '<unknown>' },
  { header: 'KERNEL-VERSION', wide: true, cell: (o) => o.status?.nodeInfo?.kernelVersion || '<unknown>' },
  { header: 'CONTAINER-RUNTIME', wide: true, cell: (o) => o.status?.nodeInfo?.containerRuntimeVersion || '<unknown>' },
];

/** accessModes is GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, comma-joined. */
function accessModes(modes: string[] | undefined): string {
  const short: [string, string][] = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short.filter(([m]) => (modes ?? []).includes(m)).map(([, s]) => s).join(',');
}

const claimClass = (o: any): string => o.spec?.storageClassName ?? o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';

// printPersistentVolumeClaim: capacity and access modes only once bound to a volume.
const PVC_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'STATUS', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : o.status?.phase ?? '') },
  { header: 'VOLUME', cell: (o) => o.spec?.volumeName ?? '' },
  { header: 'CAPACITY', cell: (o) => (o.spec?.volumeName ? o.status?.capacity?.storage ?? '' : '') },
  { header: 'ACCESS MODES', cell: (o) => (o.spec?.volumeName ? accessModes(o.status?.accessModes) : '') },
  { header: 'STORAGECLASS', cell: claimClass },
  { header: 'VOLUMEATTRIBUTESCLASS', cell: (o) => o.spec?.volumeAttributesClassName || '<unset>' },
  { header: 'AGE', cell: ageOf },
  { header: 'VOLUMEMODE', wide: true, cell: (o) => o.spec?.volumeMode ?? '<unset>' },
];

const PV_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'CAPACITY', cell: (o) => o.spec?.capacity?.storage ?? '' },
  { header: 'ACCESS MODES', cell: (o) => accessModes(o.spec?.accessModes) },
  { header: 'RECLAIM POLICY', cell: (o) => o.spec?.persistentVolumeReclaimPolicy ?? '' },
  { header: 'STATUS', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : o.status?.phase ?? '') },
  { header: 'CLAIM', cell: (o) => (o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : '') },
  { header: 'STORAGECLASS', cell: (o) => o.spec?.storageClassName ?? '' },
  { header: 'VOLUMEATTRIBUTESCLASS', cell: (o) => o.spec?.volumeAttributesClassName || '<unset>' },
  { header: 'REASON', cell: (o) => o.status?.reason ?? '' },
  { header: 'AGE', cell: ageOf },
  { header: 'VOLUMEMODE', wide: true, cell: (o) => o.spec?.volumeMode ?? '<unset>' },
];

const STORAGECLASS_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => (o.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ? `${o.metadata.name} (default)` : o.metadata.name) },
  { header: 'PROVISIONER', cell: (o) => o.provisioner ?? '' },
  { header: 'RECLAIMPOLICY', cell: (o) => o.reclaimPolicy ?? 'Delete' },
  { header: 'VOLUMEBINDINGMODE', cell: (o) => o.volumeBindingMode ?? 'Immediate' },
  { header: 'ALLOWVOLUMEEXPANSION', cell: (o) => String(o.allowVolumeExpansion ?? false) },
  { header: 'AGE', cell: ageOf },
];

const hasCondition = (o: any, type: string): boolean => (o.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');

/** jobStatus is printJob's STATUS: the first of Complete, Failed, Terminating, Suspended, FailureTarget, SuccessCriteriaMet that holds, else Running. */
function jobStatus(o: any): string {
  if (hasCondition(o, 'Complete')) return 'Complete';
  if (hasCondition(o, 'Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(o, 'Suspended')) return 'Suspended';
  if (hasCondition(o, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** jobCompletions is printJob's COMPLETIONS: "succeeded/completions", or "n/1 of parallelism" for a work queue. */
function jobCompletions(o: any): string {
  const succeeded = num(o.status?.succeeded);
  if (typeof o.spec?.completions === 'number') return `${succeeded}/${o.spec.completions}`;
  const parallelism = o.spec?.parallelism;
  return typeof parallelism === 'number' && parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: any, now: number): string {
  const start = o.status?.startTime ? Date.parse(o.status.startTime) : undefined;
  if (start === undefined) return '';
  const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now;
  return humanDuration(end - start);
}

const JOB_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'STATUS', cell: jobStatus },
  { header: 'COMPLETIONS', cell: jobCompletions },
  { header: 'DURATION', cell: jobDuration },
  { header: 'AGE', cell: ageOf },
  ...containersColumns((o) => o.spec?.template?.spec),
  { header: 'SELECTOR', wide: true, cell: (o) => formatLabelSelector(o.spec?.selector) },
];

const CRONJOB_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'SCHEDULE', cell: (o) => o.spec?.schedule ?? '' },
  { header: 'TIMEZONE', cell: (o) => orNone(o.spec?.timeZone) },
  { header: 'SUSPEND', cell: (o) => (o.spec?.suspend === undefined ? '<unset>' : o.spec.suspend ? 'True' : 'False') },
  { header: 'ACTIVE', cell: (o) => String((o.status?.active ?? []).length) },
  { header: 'LAST SCHEDULE', cell: (o, now) => (o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>') },
  { header: 'AGE', cell: ageOf },
  ...containersColumns((o) => o.spec?.jobTemplate?.spec?.template?.spec),
  { header: 'SELECTOR', wide: true, cell: (o) => (o.spec?.jobTemplate?.spec?.selector ? formatLabelSelector(o.spec.jobTemplate.spec.selector) : '<none>') },
];

/** hpaTargets is printHorizontalPodAutoscaler's TARGETS for resource metrics ("cpu: 40%/80%", "<unknown>" before the first reading); other metric types print their current/target values. */
function hpaTargets(o: any): string {
  const metrics: any[] = o.spec?.metrics ?? [];
  if (metrics.length === 0) return '<none>';
  const current: any[] = o.status?.currentMetrics ?? [];
  const parts = metrics.map((m, i) => {
    if (m.type === 'Resource' && m.resource) {
      const name = m.resource.name;
      const cur = current[i]?.resource;
      const t = m.resource.target ?? {};
      if (t.type === 'Utilization' || t.averageUtilization !== undefined) {
        const now = cur && cur.current?.averageUtilization !== undefined ? `${cur.current.averageUtilization}%` : '<unknown>';
        return `${name}: ${now}/${t.averageUtilization}%`;
      }
      const now = cur?.current?.averageValue ?? '<unknown>';
      return `${name}: ${now}/${t.averageValue ?? t.value}`;
    }
    return '<unknown>/<unknown>';
  });
  // kubectl shows at most two metrics and counts the rest.
  return parts.length > 2 ? `${parts.slice(0, 2).join(', ')} + ${parts.length - 2} more...` : parts.join(', ');
}

const HPA_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'REFERENCE', cell: (o) => `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}` },
  { header: 'TARGETS', cell: hpaTargets },
  { header: 'MINPODS', cell: (o) => (o.spec?.minReplicas === undefined ? '<unset>' : String(o.spec.minReplicas)) },
  { header: 'MAXPODS', cell: (o) => String(o.spec?.maxReplicas ?? 0) },
  { header: 'REPLICAS', cell: (o) => num(o.status?.currentReplicas) },
  { header: 'AGE', cell: ageOf },
];

/**
 * formatEndpoints is printEndpoints' ENDPOINTS cell: each ready address with each port
 * ("10.244.0.5:8080"), the first 3 then " + N more...", "<none>" without subsets (an empty cell when
 * only not-ready addresses exist). `portName` keeps only that port (describe's per-port line).
 */
export function formatEndpoints(ep: any, portName?: string): string {
  const subsets: any[] = ep?.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs: any[] = ss.addresses ?? [];
    const ports: any[] = ss.ports ?? [];
    if (ports.length === 0) {
      // A headless Service may have no ports.
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      if (portName !== undefined && (port.name ?? '') !== portName) continue;
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

// net.JoinHostPort brackets IPv6 addresses.
const joinHostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

// listWithMoreString: the first 3, then " + N more...", "<unset>" when empty.
function listWithMore(items: string[]): string {
  if (items.length > 3) return `${items.slice(0, 3).join(',')} + ${items.length - 3} more...`;
  return items.length === 0 ? '<unset>' : items.join(',');
}

const ENDPOINTS_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'ENDPOINTS', cell: (o) => formatEndpoints(o) },
  { header: 'AGE', cell: ageOf },
];

const ENDPOINTSLICE_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'ADDRESSTYPE', cell: (o) => String(o.addressType ?? '') },
  { header: 'PORTS', cell: (o) => listWithMore(((o.ports ?? []) as any[]).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? String(p.name) : '*'))) },
  { header: 'ENDPOINTS', cell: (o) => listWithMore(((o.endpoints ?? []) as any[]).flatMap((e) => (e.addresses ?? []) as string[])) },
  { header: 'AGE', cell: ageOf },
];

const DEFAULT_COLUMNS: Column[] = [
  { header: 'NAME', cell: (o) => o.metadata.name },
  { header: 'AGE', cell: ageOf },
];

function columnsFor(kind: string, wide: boolean): Column[] {
  switch (kind) {
    case 'Deployment':
      return DEPLOYMENT_COLUMNS;
    case 'ReplicaSet':
      return REPLICASET_COLUMNS;
    case 'Pod':
      return POD_COLUMNS;
    case 'Event':
      return EVENT_COLUMNS;
    case 'ConfigMap':
      return CONFIGMAP_COLUMNS;
    case 'Service':
      return serviceColumns(wide);
    case 'Secret':
      return SECRET_COLUMNS;
    case 'Namespace':
      return NAMESPACE_COLUMNS;
    case 'ReplicationController':
      return REPLICATIONCONTROLLER_COLUMNS;
    case 'DaemonSet':
      return DAEMONSET_COLUMNS;
    case 'StatefulSet':
      return STATEFULSET_COLUMNS;
    case 'Job':
      return JOB_COLUMNS;
    case 'CronJob':
      return CRONJOB_COLUMNS;
    case 'HorizontalPodAutoscaler':
      return HPA_COLUMNS;
    case 'ControllerRevision':
      return CONTROLLERREVISION_COLUMNS;
    case 'Node':
      return NODE_COLUMNS;
    case 'PersistentVolumeClaim':
      return PVC_COLUMNS;
    case 'PersistentVolume':
      return PV_COLUMNS;
    case 'StorageClass':
      return STORAGECLASS_COLUMNS;
    case 'Endpoints':
      return ENDPOINTS_COLUMNS;
    case 'EndpointSlice':
      return ENDPOINTSLICE_COLUMNS;
    default:
      return DEFAULT_COLUMNS;
  }
}

// kubectl's table printer cuts a string cell at its first line break and marks the cut with "...".
function sanitizeCell(s: string): string {
  const i = s.search(/[\f\n\r]/);
  const cut = i >= 0 ? s.slice(0, i) + '...' : s;
  return cut.replace(/\t/g, ' ');
}

/**
 * noResourcesMessage is what kubectl get prints (to stderr) for an empty listing:
 * "No resources found in <ns> namespace.\n", or "No resources found\n" for -A or cluster-scoped kinds.
 */
export function noResourcesMessage(kind: string, opts: Pick<TableOptions, 'allNamespaces' | 'namespace' | 'kinds'>): string {
  const kinds = opts.kinds ?? BUILTIN_KINDS;
  if (opts.allNamespaces || !kinds.isNamespaced(kindIn(kinds, kind))) return 'No resources found\n';
  return `No resources found in ${opts.namespace ?? 'default'} namespace.\n`;
}

/** TableColumn is one column of a `get` table: its header and whether it is a priority-1 (-o wide) column. */
export interface TableColumn {
  header: string;
  wide: boolean;
}

/**
 * tableColumns gives every column of `kubectl get <kind>` (priority-1 ones marked `wide`) and, per
 * object, its cells — what the apiserver's table printer returns as a meta.k8s.io/v1 Table.
 * `opts.wide` only changes cells that print differently under -o wide (a Service's EXTERNAL-IP).
 */
export function tableColumns(kind: string, objs: KubeObject[], opts: Pick<TableOptions, 'now' | 'wide'>): { headers: TableColumn[]; rows: string[][] } {
  const columns = columnsFor(resolveKind(kind), opts.wide ?? false);
  return {
    headers: columns.map((c) => ({ header: c.header, wide: c.wide ?? false })),
    rows: objs.map((o) => columns.map((c) => sanitizeCell(c.cell(o, opts.now)))),
  };
}

/**
 * formatTable renders `kubectl get <kind>` for objects already filtered and ordered by the caller.
 * Example (Deployment): "NAME    READY   UP-TO-DATE   AVAILABLE   AGE\nfront   3/3     2            3           2m55s\n".
 * An empty list yields noResourcesMessage(kind, opts).
 */
export function formatTable(kind: string, objs: KubeObject[], opts: TableOptions): string {
  const kinds = opts.kinds ?? BUILTIN_KINDS;
  const k = kindIn(kinds, kind);
  if (objs.length === 0) return noResourcesMessage(k, opts);
  const wide = opts.wide ?? false;
  const table = tableColumns(k, objs, { now: opts.now, wide });
  const shown = table.headers.map((h, i) => (wide || !h.wide ? i : -1)).filter((i) => i >= 0);
  const withNamespace = (opts.allNamespaces ?? false) && kinds.isNamespaced(k);
  const rows: string[][] = [];
  rows.push([...(withNamespace ? ['NAMESPACE'] : []), ...shown.map((i) => table.headers[i]!.header)]);
  const nameAt = table.headers.findIndex((h) => h.header === 'NAME');
  objs.forEach((o, r) => {
    const cell = (i: number) => (i === nameAt && opts.kindPrefix ? `${opts.kindPrefix}/${table.rows[r]![i]!}` : table.rows[r]![i]!);
    rows.push([...(withNamespace ? [o.metadata?.namespace ?? ''] : []), ...shown.map(cell)]);
  });
  return tabulate(rows);
}
