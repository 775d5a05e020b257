/**
 * `kubectl describe` text, modelled on kubectl v1.31 (k8s.io/kubectl v0.31, describe.go).
 *
 * kubectl builds describe output with a "prefix writer" (each call indents by 2 spaces per level)
 * into one tabwriter(minwidth 0, tabwidth 8, padding 2, ' '). We do the same: the builders below
 * produce tab-separated text and `tabwrite` aligns it at the end, so alignment quirks come out
 * exactly as kubectl's (e.g. the Conditions table shares its first column with the
 * OldReplicaSets/NewReplicaSet lines, hence "  Type           Status").
 *
 * Version notes (kubectl 1.31 behaviour is what we print):
 * - Pod Template ends with "Node-Selectors:" and "Tolerations:" lines (added in kubectl 1.30).
 * - OldReplicaSets lists every old ReplicaSet, including "(0/0 replicas created)" ones (≥ 1.27).
 */

import type { KubeEvent, KubeObject } from '../../core/object.js';
import { parseRFC3339 } from '../../core/clock.js';
import { age, GO_ZERO_TIME_RFC1123Z, humanDuration, rfc1123z } from './duration.js';
import { formatLabels, selectorString } from './labels.js';
import { DESCRIBE_TABWRITER, tabwrite } from './tabwriter.js';
import { byCreation, findNewReplicaSet } from '../../cluster/sim/controllers/deployment/util.js';

/** DescribeOptions carries `now` (epoch ms, cluster clock) for event ages and the display zone for CreationTimestamp. */
export interface DescribeOptions {
  now: number;
  /** tzOffsetMinutes is the display zone east of UTC (kubectl uses the local zone; +540 is JST). */
  tzOffsetMinutes?: number;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_ANNOTATION_LEN = 140;

/** PrefixWriter mirrors kubectl's describe.PrefixWriter: write() indents the start of `text` by 2×level spaces. */
class PrefixWriter {
  private readonly parts: string[] = [];
  write(level: number, text: string): void {
    this.parts.push('  '.repeat(level) + text);
  }
  /** writeLine is fmt.Sprintln: the text then a newline, no indentation. */
  writeLine(text: string): void {
    this.parts.push(text + '\n');
  }
  toString(): string {
    return this.parts.join('');
  }
}

const byteLen = (s: string): number => Buffer.byteLength(s, 'utf8');

// Go's s[:n] on a string cuts bytes, not characters.
function shorten(s: string, max: number): string {
  if (byteLen(s) <= max) return s;
  return Buffer.from(s, 'utf8').subarray(0, max).toString('utf8') + '...';
}

function sortedKeys(m: Record<string, unknown> | undefined | null): string[] {
  return Object.keys(m ?? {}).sort();
}

/** printLabelsMultiline: "Title:\tk=v" then "\tk2=v2" per further label, or "Title:\t<none>". */
function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined | null): void {
  w.write(0, `${title}:\t`);
  const keys = sortedKeys(labels);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${k}=${labels![k]}\n`);
  });
}

/** printAnnotationsMultiline: "Title:\tk: v" per annotation (skipping last-applied-configuration); long or multi-line values go below the key. */
function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined | null): void {
  w.write(0, `${title}:\t`);
  const keys = sortedKeys(annotations).filter((k) => k !== LAST_APPLIED);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  const indent = '\t';
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, indent);
    const value = String(annotations![k]).replace(/\n$/, '');
    if (byteLen(value) + byteLen(k) + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${k}:\n`);
      for (const s of value.split('\n')) w.write(0, `${indent}  ${shorten(s, MAX_ANNOTATION_LEN - 2)}\n`);
    } else {
      w.write(0, `${k}: ${value}\n`);
    }
  });
}

const orNone = (s: string): string => (s === '' ? '<none>' : s);
const protocolOf = (p: any): string => p?.protocol ?? 'TCP';

// IntOrString.String(): ints in decimal, strings verbatim.
const intOrString = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function describeProbe(p: any): string {
  const attrs =
    `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s ` +
    `#success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const scheme = String(p.httpGet.scheme ?? 'HTTP').toLowerCase();
    const port = intOrString(p.httpGet.port);
    const hostname: string = p.httpGet.host ?? '';
    const host = port ? (hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`) : hostname;
    let path: string = p.httpGet.path ?? '';
    if (path && !path.startsWith('/') && host) path = '/' + path;
    return `http-get ${scheme}://${host}${path} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${intOrString(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function resourceFieldValue(container: any, ref: any): string {
  const resource: string = ref.resource ?? '';
  const [bucket, name] = resource.split('.', 2);
  const table = bucket === 'limits' ? container.resources?.limits : bucket === 'requests' ? container.resources?.requests : undefined;
  const v = name !== undefined ? table?.[name] : undefined;
  const value = v === undefined ? '0' : String(v);
  if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) return 'node allocatable';
  return value;
}

function describeContainer(w: PrefixWriter, c: any, space: string): void {
  const nameIndent = space.length > 0 ? ' ' : '';
  w.write(1, `${nameIndent}${c.name}:\n`);
  w.write(2, `Image:\t${c.image ?? ''}\n`);
  const ports: any[] = c.ports ?? [];
  const portString = ports.map((p) => `${p.containerPort}/${protocolOf(p)}`).join(', ');
  if (portString.includes(',')) w.write(2, `Ports:\t${portString}\n`);
  else w.write(2, `Port:\t${orNone(portString)}\n`);
  const hostPortString = ports.map((p) => `${p.hostPort ?? 0}/${protocolOf(p)}`).join(', ');
  if (hostPortString.includes(',')) w.write(2, `Host Ports:\t${hostPortString}\n`);
  else w.write(2, `Host Port:\t${orNone(hostPortString)}\n`);
  const seccomp = c.securityContext?.seccompProfile;
  if (seccomp) {
    w.write(2, `SeccompProfile:\t${seccomp.type}\n`);
    if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
  }
  // Command and args
  for (const [title, list] of [
    ['Command', c.command],
    ['Args', c.args],
  ] as const) {
    if (Array.isArray(list) && list.length > 0) {
      w.write(2, `${title}:\n`);
      for (const item of list) for (const s of String(item).split('\n')) w.write(3, `${s}\n`);
    }
  }
  // Resources
  for (const [title, table] of [
    ['Limits', c.resources?.limits],
    ['Requests', c.resources?.requests],
  ] as const) {
    const names = sortedKeys(table);
    if (names.length > 0) w.write(2, `${title}:\n`);
    for (const n of names) w.write(3, `${n}:\t${String(table[n])}\n`);
  }
  // Probes
  if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
  if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
  if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
  // Environment variables from ConfigMaps/Secrets
  const envFrom: any[] = c.envFrom ?? [];
  if (envFrom.length > 0) {
    w.write(2, 'Environment Variables from:\n');
    for (const e of envFrom) {
      const ref = e.configMapRef ?? e.secretRef ?? {};
      const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
      const optional = ref.optional === true;
      if (!e.prefix) w.write(3, `${ref.name ?? ''}\t${from}\tOptional: ${optional}\n`);
      else w.write(3, `${ref.name ?? ''}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n`);
    }
  }
  // Environment
  const env: any[] = c.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const vf = e.valueFrom;
    if (!vf) {
      String(e.value ?? '')
        .split('\n')
        .forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
    } else if (vf.fieldRef) {
      // No resolver for templates: the value part stays empty, as in kubectl.
      w.write(3, `${e.name}:\t (${vf.fieldRef.apiVersion ?? 'v1'}:${vf.fieldRef.fieldPath})\n`);
    } else if (vf.resourceFieldRef) {
      w.write(3, `${e.name}:\t${resourceFieldValue(c, vf.resourceFieldRef)} (${vf.resourceFieldRef.resource})\n`);
    } else if (vf.secretKeyRef) {
      const r = vf.secretKeyRef;
      w.write(3, `${e.name}:\t<set to the key '${r.key}' in secret '${r.name}'>\tOptional: ${r.optional === true}\n`);
    } else if (vf.configMapKeyRef) {
      const r = vf.configMapKeyRef;
      w.write(3, `${e.name}:\t<set to the key '${r.key}' of config map '${r.name}'>\tOptional: ${r.optional === true}\n`);
    }
  }
  // Mounts
  const mounts: any[] = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw'];
    if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
    w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
  const devices: any[] = [...(c.volumeDevices ?? [])].sort((a, b) => (a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0));
  if (devices.length > 0) {
    w.write(2, 'Devices:\n');
    for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
  }
}

function describeVolumes(w: PrefixWriter, volumes: any[] | undefined, space: string): void {
  const vols = volumes ?? [];
  if (vols.length === 0) {
    w.write(0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(0, `${space}Volumes:\n`);
  const nameIndent = space.length > 0 ? ' ' : '';
  for (const v of vols) {
    w.write(1, `${nameIndent}${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path ?? ''}\n    HostPathType:\t${v.hostPath.type || '<none>'}\n`);
    } else if (v.emptyDir) {
      const limit = v.emptyDir.sizeLimit !== undefined && String(v.emptyDir.sizeLimit) !== '0' ? String(v.emptyDir.sizeLimit) : '<unset>';
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${limit}\n`);
    } else if (v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`);
    } else if (v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`);
    } else if (v.persistentVolumeClaim) {
      w.write(
        2,
        `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${v.persistentVolumeClaim.claimName ?? ''}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`,
      );
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

function describeTopologySpreadConstraints(w: PrefixWriter, tscs: any[] | undefined, space: string): void {
  const list = [...(tscs ?? [])].sort((a, b) => (a.topologyKey < b.topologyKey ? -1 : a.topologyKey > b.topologyKey ? 1 : 0));
  if (list.length === 0) return;
  w.write(0, `${space}Topology Spread Constraints:\t`);
  list.forEach((t, i) => {
    if (i !== 0) w.write(0, `${space}\t`);
    let s = `${t.topologyKey}:${t.whenUnsatisfiable} when max skew ${t.maxSkew} is exceeded`;
    if (t.labelSelector) s += ` for selector ${selectorString(t.labelSelector) || '<none>'}`;
    w.write(0, s + '\n');
  });
}

function printTolerations(w: PrefixWriter, title: string, tolerations: any[] | undefined): void {
  w.write(0, `${title}:\t`);
  const list = [...(tolerations ?? [])].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  if (list.length === 0) {
    w.writeLine('<none>');
    return;
  }
  list.forEach((t, i) => {
    if (i !== 0) w.write(0, '\t');
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) s += ` for ${t.tolerationSeconds}s`;
    w.write(0, s + '\n');
  });
}

function writePodTemplate(w: PrefixWriter, template: any): void {
  w.write(0, 'Pod Template:\n');
  if (!template) {
    w.write(1, '<unset>');
    return;
  }
  const spec = template.spec ?? {};
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', template.metadata.annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  const space = '  ';
  for (const [label, list] of [
    ['Init Containers', spec.initContainers],
    ['Containers', spec.containers],
  ] as const) {
    const containers: any[] = list ?? [];
    if (label === 'Init Containers' && containers.length === 0) continue;
    w.write(0, `${space}${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
    for (const c of containers) describeContainer(w, c, space);
  }
  describeVolumes(w, spec.volumes, space);
  describeTopologySpreadConstraints(w, spec.topologySpreadConstraints, space);
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerations(w, '  Tolerations', spec.tolerations);
}

/**
 * describePodTemplate is kubectl's DescribePodTemplate as raw prefix-writer text: fields are
 * separated by literal tabs and NOT aligned (this is what `kubectl rollout history --revision N`
 * prints); describe pipes the same text through the describe tabwriter.
 */
export function describePodTemplate(template: any): string {
  const w = new PrefixWriter();
  writePodTemplate(w, template);
  return w.toString();
}

function timeOf(ts: string | undefined): number {
  if (!ts) return Number.NEGATIVE_INFINITY;
  const t = parseRFC3339(ts);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * eventInterval is the describe Events "Age" cell: the age of the first occurrence, or
 * "<last> (xN over <first>)" for an event seen N > 1 times. Example: "30s (x2 over 5m)".
 */
export function eventInterval(e: Partial<KubeEvent> & { eventTime?: string; series?: { count: number; lastObservedTime: string } }, now: number): string {
  const first = e.eventTime ? age(e.eventTime, now) : age(e.firstTimestamp, now);
  if (e.series) return `${age(e.series.lastObservedTime, now)} (x${e.series.count} over ${first})`;
  if ((e.count ?? 0) > 1) return `${age(e.lastTimestamp, now)} (x${e.count} over ${first})`;
  return first;
}

function writeEvents(w: PrefixWriter, events: KubeEvent[], now: number): void {
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  // kubectl sorts by lastTimestamp (sort.Sort, which is an insertion sort — stable — for the
  // ≤ 12 events describe usually shows); we sort stably always.
  const sorted = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => timeOf(a.e.lastTimestamp) - timeOf(b.e.lastTimestamp) || a.i - b.i)
    .map((x) => x.e);
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const source = e.source?.component || String((e as any).reportingController ?? '');
    w.write(1, `${e.type}\t${e.reason}\t${eventInterval(e as any, now)}\t${source}\t${String(e.message ?? '').trim()}\n`);
  }
}

/** findNewReplicaSet is the controller's own rule (oldest ReplicaSet whose template matches, ignoring pod-template-hash), shared so describe and the simulator never disagree. */
export { findNewReplicaSet };

/** findOldReplicaSets returns every other ReplicaSet, oldest first (kubectl ≥ 1.27 lists 0/0 ones too). */
export function findOldReplicaSets(d: KubeObject, rss: KubeObject[]): KubeObject[] {
  const fresh = findNewReplicaSet(d, rss);
  const same = (a: KubeObject, b: KubeObject): boolean => (a.metadata.uid && b.metadata.uid ? a.metadata.uid === b.metadata.uid : a === b || a.metadata.name === b.metadata.name);
  return [...rss].sort(byCreation).filter((rs) => !fresh || !same(rs, fresh));
}

function replicaSetsText(rss: KubeObject[]): string {
  const list = rss.map((rs) => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 1} replicas created)`).join(', ');
  return list === '' ? '<none>' : list;
}

function creationText(o: KubeObject, tz: number): string {
  const ts = o.metadata.creationTimestamp;
  const t = ts ? parseRFC3339(ts) : NaN;
  return Number.isNaN(t) ? GO_ZERO_TIME_RFC1123Z : rfc1123z(t, tz);
}

/**
 * describeDeployment renders `kubectl describe deployment` (kubectl 1.31) for `d`, the ReplicaSets
 * it owns and the events about it (any order; shown sorted by lastTimestamp). Example lines:
 * "Annotations:            deployment.kubernetes.io/revision: 3",
 * "RollingUpdateStrategy:  10% max unavailable, 30% max surge", "Events:  <none>"-style empty events.
 */
export function describeDeployment(d: KubeObject, rss: KubeObject[], events: KubeEvent[], opts: DescribeOptions): string {
  const tz = opts.tzOffsetMinutes ?? 0;
  const spec = d.spec ?? {};
  const status = d.status ?? {};
  const w = new PrefixWriter();
  w.write(0, `Name:\t${d.metadata.name}\n`);
  w.write(0, `Namespace:\t${d.metadata.namespace ?? ''}\n`);
  w.write(0, `CreationTimestamp:\t${creationText(d, tz)}\n`);
  printLabelsMultiline(w, 'Labels', d.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', d.metadata.annotations);
  w.write(0, `Selector:\t${selectorString(spec.selector)}\n`);
  w.write(
    0,
    `Replicas:\t${spec.replicas ?? 1} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ` +
      `${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable\n`,
  );
  const strategyType: string = spec.strategy?.type ?? 'RollingUpdate';
  w.write(0, `StrategyType:\t${strategyType}\n`);
  w.write(0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
  if (strategyType === 'RollingUpdate') {
    // The apiserver defaults both fields to 25%; values are printed verbatim (IntOrString).
    const ru = spec.strategy?.rollingUpdate ?? {};
    w.write(0, `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable ?? '25%')} max unavailable, ${intOrString(ru.maxSurge ?? '25%')} max surge\n`);
  }
  writePodTemplate(w, spec.template);
  const conditions: any[] = status.conditions ?? [];
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(1, '----\t------\t------\n');
    for (const c of conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  if (rss.length > 0) {
    const fresh = findNewReplicaSet(d, rss);
    w.write(0, `OldReplicaSets:\t${replicaSetsText(findOldReplicaSets(d, rss))}\n`);
    w.write(0, `NewReplicaSet:\t${replicaSetsText(fresh ? [fresh] : [])}\n`);
  }
  writeEvents(w, events, opts.now);
  return tabwrite(w.toString(), DESCRIBE_TABWRITER);
}

/** PodCounts is getPodStatusForController's tally of a controller's pods by phase (Pending counts as Waiting). */
export interface PodCounts {
  running: number;
  waiting: number;
  succeeded: number;
  failed: number;
}

/** podCounts tallies pods by phase for "Pods Status:". */
export function podCounts(pods: KubeObject[]): PodCounts {
  const c: PodCounts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const p of pods) {
    const phase = p.status?.phase ?? 'Pending';
    if (phase === 'Running') c.running++;
    else if (phase === 'Pending') c.waiting++;
    else if (phase === 'Succeeded') c.succeeded++;
    else if (phase === 'Failed') c.failed++;
  }
  return c;
}

const podsStatusLine = (c: PodCounts): string => `Pods Status:\t${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed\n`;

/** printIndentedMap is printLabelsMultilineWithIndent with initial indent "  " and inner indent a tab. */
function printIndentedMap(w: PrefixWriter, title: string, m: Record<string, string> | undefined | null, sep: string): void {
  w.write(0, `  ${title}:\t`);
  const keys = sortedKeys(m);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '  \t');
    w.write(0, `${k}${sep}${m![k]}\n`);
  });
}

/** goSlice prints a []string as Go's %s does: "[a b]". */
const goSlice = (v: unknown): string => `[${((v as string[] | undefined) ?? []).join(' ')}]`;

/**
 * describeStatefulSet renders `kubectl describe statefulset` (describe.go describeStatefulSet):
 * "Replicas:  3 desired | 3 total", "Update Strategy:  RollingUpdate" with "  Partition:  0" when
 * rollingUpdate is set, the pod template, "Volume Claims:" from volumeClaimTemplates, and events.
 */
export function describeStatefulSet(sts: KubeObject, pods: KubeObject[], events: KubeEvent[], opts: DescribeOptions): string {
  const tz = opts.tzOffsetMinutes ?? 0;
  const spec = sts.spec ?? {};
  const w = new PrefixWriter();
  w.write(0, `Name:\t${sts.metadata.name}\n`);
  w.write(0, `Namespace:\t${sts.metadata.namespace ?? ''}\n`);
  w.write(0, `CreationTimestamp:\t${creationText(sts, tz)}\n`);
  w.write(0, `Selector:\t${selectorString(spec.selector)}\n`);
  printLabelsMultiline(w, 'Labels', sts.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', sts.metadata.annotations);
  w.write(0, `Replicas:\t${spec.replicas ?? 1} desired | ${sts.status?.replicas ?? 0} total\n`);
  w.write(0, `Update Strategy:\t${spec.updateStrategy?.type ?? ''}\n`);
  const ru = spec.updateStrategy?.rollingUpdate;
  if (ru && ru.partition !== undefined) {
    w.write(1, `Partition:\t${ru.partition}\n`);
    if (ru.maxUnavailable !== undefined) w.write(1, `MaxUnavailable:\t${ru.maxUnavailable}\n`);
  }
  w.write(0, podsStatusLine(podCounts(pods)));
  writePodTemplate(w, spec.template);
  const claims: any[] = spec.volumeClaimTemplates ?? [];
  if (claims.length === 0) w.write(0, 'Volume Claims:\t<none>\n');
  else {
    w.write(0, 'Volume Claims:\n');
    for (const c of claims) {
      w.write(1, `Name:\t${c.metadata?.name ?? ''}\n`);
      w.write(1, `StorageClass:\t${c.spec?.storageClassName ?? c.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? ''}\n`);
      printIndentedMap(w, 'Labels', c.metadata?.labels, '=');
      printIndentedMap(w, 'Annotations', c.metadata?.annotations, '=');
      w.write(1, `Capacity:\t${c.spec?.resources?.requests?.storage ?? '<default>'}\n`);
      w.write(1, `Access Modes:\t${goSlice(c.spec?.accessModes)}\n`);
    }
  }
  writeEvents(w, events, opts.now);
  return tabwrite(w.toString(), DESCRIBE_TABWRITER);
}

/**
 * describeDaemonSet renders `kubectl describe daemonset` (describe.go describeDaemonSet): selector,
 * node selector, the five node counts from status, pod phases, the pod template and events.
 */
export function describeDaemonSet(ds: KubeObject, pods: KubeObject[], events: KubeEvent[], opts: DescribeOptions): string {
  const spec = ds.spec ?? {};
  const st = ds.status ?? {};
  const w = new PrefixWriter();
  w.write(0, `Name:\t${ds.metadata.name}\n`);
  w.write(0, `Selector:\t${selectorString(spec.selector)}\n`);
  w.write(0, `Node-Selector:\t${formatLabels(spec.template?.spec?.nodeSelector)}\n`);
  printLabelsMultiline(w, 'Labels', ds.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ds.metadata.annotations);
  w.write(0, `Desired Number of Nodes Scheduled: ${st.desiredNumberScheduled ?? 0}\n`);
  w.write(0, `Current Number of Nodes Scheduled: ${st.currentNumberScheduled ?? 0}\n`);
  w.write(0, `Number of Nodes Scheduled with Up-to-date Pods: ${st.updatedNumberScheduled ?? 0}\n`);
  w.write(0, `Number of Nodes Scheduled with Available Pods: ${st.numberAvailable ?? 0}\n`);
  w.write(0, `Number of Nodes Misscheduled: ${st.numberMisscheduled ?? 0}\n`);
  w.write(0, podsStatusLine(podCounts(pods)));
  writePodTemplate(w, spec.template);
  writeEvents(w, events, opts.now);
  return tabwrite(w.toString(), DESCRIBE_TABWRITER);
}

// fatih/camelcase.Split for the letters-and-dashes words smartLabelFor accepts.
function camelSplit(s: string): string[] {
  const cls = (ch: string): number => (/[a-z]/.test(ch) ? 1 : /[A-Z]/.test(ch) ? 2 : /[0-9]/.test(ch) ? 3 : /\p{Ll}/u.test(ch) ? 1 : /\p{Lu}/u.test(ch) ? 2 : 4);
  const runs: string[][] = [];
  let last = 0;
  for (const ch of s) {
    const c = cls(ch);
    if (c === last && runs.length > 0) runs[runs.length - 1]!.push(ch);
    else runs.push([ch]);
    last = c;
  }
  // An upper-case run followed by a lower-case run gives its last letter to that run ("HTTPServer" → "HTTP", "Server").
  for (let i = 0; i < runs.length - 1; i++) {
    const a = runs[i]!;
    const b = runs[i + 1]!;
    if (cls(a[0]!) === 2 && cls(b[0]!) === 1 && a.length > 0) {
      b.unshift(a.pop()!);
    }
  }
  return runs.filter((r) => r.length > 0).map((r) => r.join(''));
}

/** smartLabelFor is kubectl's field-name prettifier: "apiVersion" → "API Version", "creationTimestamp" → "Creation Timestamp". */
export function smartLabelFor(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  const acronyms = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);
  return camelSplit(field)
    .filter((p) => p !== '_')
    .map((p) => (acronyms.has(p.toUpperCase()) ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1)))
    .join(' ');
}

// Go's %v for values decoded from JSON.
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${sortedKeys(o)
      .map((k) => `${k}:${goValue(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function printUnstructured(w: PrefixWriter, level: number, content: Record<string, unknown>, skipPrefix: string, skip: Set<string>): void {
  for (const field of sortedKeys(content)) {
    const value = content[field];
    const expr = `${skipPrefix}.${field}`;
    if (skip.has(expr) || value === undefined) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      w.write(level, `${smartLabelFor(field)}:\n`);
      printUnstructured(w, level + 1, value as Record<string, unknown>, expr, skip);
    } else if (Array.isArray(value)) {
      w.write(level, `${smartLabelFor(field)}:\n`);
      for (const child of value) {
        if (child !== null && typeof child === 'object' && !Array.isArray(child)) printUnstructured(w, level + 1, child as Record<string, unknown>, expr, skip);
        else w.write(level + 1, `${goValue(child)}\n`);
      }
    } else {
      w.write(level, `${smartLabelFor(field)}:\t${goValue(value)}\n`);
    }
  }
}

/**
 * describeGeneric is kubectl's generic describer (used for kinds without a dedicated one, e.g.
 * custom resources): Name, Namespace, Labels, Annotations, then every other field of the object
 * with prettified names ("API Version:", "Metadata:", "Spec:" …) nested by indentation, then Events.
 */
export function describeGeneric(obj: KubeObject, events: KubeEvent[], opts: DescribeOptions): string {
  const w = new PrefixWriter();
  w.write(0, `Name:\t${obj.metadata.name}\n`);
  w.write(0, `Namespace:\t${obj.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', obj.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', obj.metadata.annotations);
  const skip = new Set(['.metadata.managedFields', '.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations']);
  printUnstructured(w, 0, JSON.parse(JSON.stringify(obj)) as Record<string, unknown>, '', skip);
  writeEvents(w, events, opts.now);
  return tabwrite(w.toString(), DESCRIBE_TABWRITER);
}

/**
 * describeJob renders `kubectl describe job` (kubectl 1.31 describeJob) for `job` and the events
 * about it. The selector and pod-template labels are those the API server generates from the
 * Job's uid (batch.kubernetes.io/controller-uid, job-name). Example lines:
 * "Pods Statuses:    0 Active (0 Ready) / 5 Succeeded / 0 Failed", "Duration:         60s".
 */
export function describeJob(job: KubeObject, events: KubeEvent[], opts: DescribeOptions): string {
  const tz = opts.tzOffsetMinutes ?? 0;
  const spec = job.spec ?? {};
  const st = job.status ?? {};
  const uid = job.metadata.uid ?? '';
  const generated: Record<string, string> = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': job.metadata.name, 'controller-uid': uid, 'job-name': job.metadata.name };
  const w = new PrefixWriter();
  w.write(0, `Name:\t${job.metadata.name}\n`);
  w.write(0, `Namespace:\t${job.metadata.namespace ?? ''}\n`);
  w.write(0, `Selector:\t${selectorString(spec.selector ?? { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } })}\n`);
  printLabelsMultiline(w, 'Labels', job.metadata.labels ?? generated);
  printAnnotationsMultiline(w, 'Annotations', job.metadata.annotations);
  const owner = job.metadata.ownerReferences?.find((o) => o.controller);
  if (owner) w.write(0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
  w.write(0, `Parallelism:\t${spec.parallelism ?? 1}\n`);
  w.write(0, `Completions:\t${spec.completions ?? '<unset>'}\n`);
  if (spec.completionMode !== undefined) w.write(0, `Completion Mode:\t${spec.completionMode}\n`);
  if (spec.suspend !== undefined) w.write(0, `Suspend:\t${spec.suspend}\n`);
  if (spec.backoffLimit !== undefined) w.write(0, `Backoff Limit:\t${spec.backoffLimit}\n`);
  if (spec.ttlSecondsAfterFinished !== undefined) w.write(0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`);
  const start = st.startTime ? parseRFC3339(st.startTime) : undefined;
  const end = st.completionTime ? parseRFC3339(st.completionTime) : undefined;
  if (start !== undefined) w.write(0, `Start Time:\t${rfc1123z(start, tz)}\n`);
  if (end !== undefined) w.write(0, `Completed At:\t${rfc1123z(end, tz)}\n`);
  if (start !== undefined && end !== undefined) w.write(0, `Duration:\t${humanDuration(end - start)}\n`);
  if (spec.activeDeadlineSeconds !== undefined) w.write(0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s\n`);
  const ready = st.ready === undefined ? '' : ` (${st.ready} Ready)`;
  w.write(0, `Pods Statuses:\t${st.active ?? 0} Active${ready} / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed\n`);
  const template = spec.template ?? {};
  writePodTemplate(w, { ...template, metadata: { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), ...generated } } });
  writeEvents(w, events, opts.now);
  return tabwrite(w.toString(), DESCRIBE_TABWRITER);
}

/**
 * formatEndpointSlices is kubectl's Endpoints line for one Service port (describe.go
 * formatEndpointSlices): the ready endpoints of the slices with a port of that name, as
 * "ip:port", the first 3 then " + N more..."; "<none>" when there are no slices at all, and an
 * empty line when none is ready. Slices without ports (a headless Service) list bare addresses.
 */
export function formatEndpointSlices(slices: KubeObject[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  const add = (e: any, text: () => string) => {
    if (list.length === max) more = true;
    // A nil ready condition means "unknown", which consumers treat as ready.
    if (e.conditions?.ready === false) return;
    if (!more) list.push(text());
    count++;
  };
  for (const s of slices) {
    const endpoints: any[] = (s.endpoints as any[] | null) ?? [];
    const ports: any[] = (s.ports as any[] | null) ?? [];
    if (ports.length === 0) {
      for (const e of endpoints) add(e, () => e.addresses[0]);
      continue;
    }
    for (const port of ports) {
      if ((port.name ?? '') !== portName) continue;
      for (const e of endpoints) add(e, () => (String(e.addresses[0]).includes(':') ? `[${e.addresses[0]}]:${port.port}` : `${e.addresses[0]}:${port.port}`));
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

/**
 * describeService renders `kubectl describe service` (kubectl 1.32 describeService): type, IPs,
 * one Port/TargetPort/NodePort/Endpoints group per port (Endpoints from the Service's
 * EndpointSlices, those labelled kubernetes.io/service-name=<name>), session affinity, traffic
 * policies and events. Example lines: "Port:              http  80/TCP",
 * "TargetPort:        http/TCP", "Endpoints:         10.244.0.5:8080,10.244.0.6:8080".
 */
export function describeService(svc: KubeObject, slices: KubeObject[], events: KubeEvent[], opts: DescribeOptions): string {
  const spec = svc.spec ?? {};
  const w = new PrefixWriter();
  w.write(0, `Name:\t${svc.metadata.name}\n`);
  w.write(0, `Namespace:\t${svc.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', svc.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', svc.metadata.annotations);
  w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy !== undefined) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  const families: string[] = spec.ipFamilies ?? [];
  w.write(0, `IP Families:\t${families.length > 0 ? families.join(',') : '<none>'}\n`);
  w.write(0, `IP:\t${spec.clusterIP ?? ''}\n`);
  const ips: string[] = spec.clusterIPs ?? [];
  w.write(0, `IPs:\t${ips.length > 0 ? ips.join(',') : '<none>'}\n`);
  const externalIPs: string[] = spec.externalIPs ?? [];
  if (externalIPs.length > 0) w.write(0, `External IPs:\t${externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
  if (spec.externalName) w.write(0, `External Name:\t${spec.externalName}\n`);
  const ingress: any[] = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length > 0) w.write(0, `LoadBalancer Ingress:\t${ingress.map((i) => (i.ip ? `${i.ip}${i.ipMode ? ` (${i.ipMode})` : ''}` : i.hostname ?? '')).join(', ')}\n`);
  for (const p of (spec.ports ?? []) as any[]) {
    const name = p.name ? String(p.name) : '<unset>';
    const protocol = p.protocol ?? '';
    w.write(0, `Port:\t${name}\t${p.port}/${protocol}\n`);
    w.write(0, `TargetPort:\t${p.targetPort ?? 0}/${protocol}\n`);
    if (p.nodePort) w.write(0, `NodePort:\t${name}\t${p.nodePort}/${protocol}\n`);
    w.write(0, `Endpoints:\t${formatEndpointSlices(slices, p.name ?? '')}\n`);
  }
  w.write(0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy !== undefined) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  const ranges: string[] = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) w.write(0, `LoadBalancer Source Ranges:\t${ranges.join(',')}\n`);
  writeEvents(w, events, opts.now);
  return tabwrite(w.toString(), DESCRIBE_TABWRITER);
}
