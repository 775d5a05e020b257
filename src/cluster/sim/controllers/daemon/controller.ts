/**
 * The DaemonSet controller (upstream pkg/controller/daemon, daemon_controller.go + update.go, 1.31):
 * one pod per node that should run it (nodeSelector, taints against the pod's tolerations plus
 * the ones every daemon pod gets), pinned to its node by node affinity; a RollingUpdate replaces
 * pods within maxUnavailable, or surges new ones within maxSurge and deletes the old pod once the
 * new one is available; OnDelete leaves replacing to the user. Nodes are walked in name order
 * (upstream walks a Go map, in no fixed order).
 */
import { type KubeObject, cloneObject, isMfluxError } from '../../../../core/index.js';
import { scaledValue } from '../../../../manifests/index.js';
import type { ControllerContext } from '../context.js';
import { CONTROLLER_REVISION_HASH_LABEL, syncRevisions, truncateHistory } from '../history/revisions.js';
import { nodeSelectorMatches, requiredNodeName, untoleratedTaint } from '../nodes.js';
import { isPodAvailable, isPodReady, readySince } from '../replicaset.js';

/** COMPONENT is the event source of the DaemonSet controller. */
export const COMPONENT = 'daemonset-controller';

/** DAEMON_TOLERATIONS are what AddOrUpdateDaemonPodTolerations gives every daemon pod, so it runs on not-ready or pressured nodes. */
export const DAEMON_TOLERATIONS: readonly any[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** CREATE_RETRY_MS is how long the controller waits before retrying after a create failed. */
const CREATE_RETRY_MS = 1000;

/** daemonTolerations merges the template's tolerations with DAEMON_TOLERATIONS (a template toleration of the same key and effect wins). */
export function daemonTolerations(template: any): any[] {
  const own: any[] = template?.spec?.tolerations ?? [];
  const extra = DAEMON_TOLERATIONS.filter((d) => !own.some((t) => t.key === d.key && t.effect === d.effect));
  return [...own, ...extra.map((t) => ({ ...t }))];
}

/** nodeShouldRunDaemonPod is NodeShouldRunDaemonPod's predicates: the template's nodeSelector matches and every NoSchedule/NoExecute taint is tolerated. */
export function nodeShouldRunDaemonPod(node: KubeObject, ds: KubeObject): boolean {
  const template = ds.spec?.template;
  return nodeSelectorMatches(node, template?.spec?.nodeSelector) && !untoleratedTaint(node, daemonTolerations(template));
}

/** dsPodNode is the node a daemon pod is on, or is pinned to while not yet bound. */
function dsPodNode(pod: KubeObject): string | undefined {
  return pod.spec?.nodeName || requiredNodeName(pod);
}

/** byCreation is podByCreationTimestampAndPhase: bound pods first, then oldest, then by name. */
function byCreation(a: KubeObject, b: KubeObject): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '');
  const tb = Date.parse(b.metadata.creationTimestamp ?? '');
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** newDaemonPod is the pod for one node: the template, the revision hash label, the daemon tolerations and node affinity to exactly that node. */
export function newDaemonPod(ds: KubeObject, hash: string, nodeName: string): KubeObject {
  const t = ds.spec?.template ?? {};
  const spec = cloneObject(t.spec ?? {});
  spec.tolerations = daemonTolerations(t);
  // ReplaceDaemonSetPodNodeNameNodeAffinity: the scheduler, not the controller, binds the pod.
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/** fenceposts resolves maxSurge and maxUnavailable against the desired number of nodes (both rounding up; 0 and 0 means 1 unavailable). Example: 3 nodes, maxUnavailable 34% → 2. */
export function fenceposts(ds: KubeObject, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge ?? 0, desired, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

interface World {
  ds: KubeObject;
  hash: string;
  nodes: KubeObject[];
  /** shouldRun says per node name whether it should run the daemon (worked out once per sync). */
  shouldRun: Map<string, boolean>;
  /** byNode maps a node name to its daemon pods, oldest first — terminating ones included (a node waits for its old pod to be gone). */
  byNode: Map<string, KubeObject[]>;
  now: number;
}

/** ownedPods returns the pods `uid` controls. */
function ownedPods(ctx: ControllerContext, uid: string): KubeObject[] {
  return ctx.api.ownedBy(uid, 'Pod').filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid));
}

/** groupByNode maps node names to the daemon pods on (or pinned to) them, oldest first. */
function groupByNode(pods: KubeObject[]): Map<string, KubeObject[]> {
  const byNode = new Map<string, KubeObject[]>();
  for (const p of pods) {
    if (p.metadata.deletionTimestamp && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded')) continue;
    const n = dsPodNode(p);
    if (!n) continue;
    const list = byNode.get(n);
    if (list) list.push(p);
    else byNode.set(n, [p]);
  }
  for (const list of byNode.values()) if (list.length > 1) list.sort(byCreation);
  return byNode;
}

/** syncDaemonSet runs one sync of the DaemonSet `namespace/name`; `podGraceMs` is how long a deleted pod takes to terminate. */
export function syncDaemonSet(ctx: ControllerContext, namespace: string, name: string, podGraceMs: number): void {
  const ds = ctx.api.get('DaemonSet', namespace, name);
  if (!ds || ds.metadata.deletionTimestamp) return;
  const { update, all } = syncRevisions(ctx, ds, undefined);
  const hash = update.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
  const key = `DaemonSet/${namespace}/${name}`;
  const uid = ds.metadata.uid!;
  // One sync is O(nodes): the nodes, which of them should run the daemon (the template's
  // tolerations are merged once) and the owned pods grouped by node are each worked out once, and
  // the pods again only when this sync created or deleted some. A sync per pod change over every
  // node is what makes a rolling update O(nodes²) per DaemonSet, so its constant matters.
  const nodes = ctx.api.list('Node');
  const template = ds.spec?.template;
  const tolerations = daemonTolerations(template);
  const shouldRun = new Map(nodes.map((n) => [n.metadata.name, nodeSelectorMatches(n, template?.spec?.nodeSelector) && !untoleratedTaint(n, tolerations)]));
  const now = ctx.now();
  let pods = ownedPods(ctx, uid);
  const w: World = { ds, hash, nodes, shouldRun, byNode: groupByNode(pods), now };

  // Upstream skips the rolling update until the manage step's creates and deletes are observed
  // (expectations); here that is the next sync at the same instant.
  const m = manage(w);
  let wrote = false;
  if (m.del.length + m.create.length > 0) {
    syncNodes(ctx, ds, hash, m.del, m.create, podGraceMs, key);
    wrote = true;
  } else if (ds.spec?.updateStrategy?.type !== 'OnDelete') {
    const r = rollingUpdate(w);
    if (r.del.length + r.create.length > 0) {
      syncNodes(ctx, ds, hash, r.del, r.create, podGraceMs, key);
      wrote = true;
    }
  }

  if (wrote) pods = ownedPods(ctx, uid);
  const after: World = wrote ? { ...w, byNode: groupByNode(pods) } : w;
  const runningHashes = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]));
  truncateHistory(ctx, ds, all, new Set([update.metadata.name, ...all.filter((r) => runningHashes.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL])).map((r) => r.metadata.name)]));
  const { status, nextAvailableAt } = computeStatus(after);
  ctx.api.updateStatus('DaemonSet', namespace, name, status);
  if (nextAvailableAt !== Infinity) ctx.requeueAt('daemonset', key, nextAvailableAt);
}

/**
 * manage is the controller's manage + podsShouldBeOnNode: a node that should run the daemon and
 * has no pod gets one; a failed pod is deleted; with surge allowed, of several pods the old one
 * goes once the oldest new one is available (or at once when it is not ready); without surge only
 * the oldest pod stays; a node that should not run it loses its pods, as do pods on nodes that are gone.
 */
function manage(w: World): { del: KubeObject[]; create: string[] } {
  const del: KubeObject[] = [];
  const create: string[] = [];
  const surge = isSurgeConfigured(w.ds);
  const minReady = w.ds.spec?.minReadySeconds ?? 0;
  const known = new Set(w.nodes.map((n) => n.metadata.name));
  for (const node of w.nodes) {
    const pods = w.byNode.get(node.metadata.name) ?? [];
    if (!w.shouldRun.get(node.metadata.name)) {
      del.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
      continue;
    }
    if (pods.length === 0) {
      create.push(node.metadata.name);
      continue;
    }
    const running: KubeObject[] = [];
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') del.push(p);
      else running.push(p);
    }
    if (running.length < 2) continue;
    if (surge) {
      let oldestNew: KubeObject | undefined;
      let oldestOld: KubeObject | undefined;
      for (const p of running) {
        if (p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === w.hash) {
          if (!oldestNew) oldestNew = p;
          else del.push(p);
        } else if (!oldestOld) oldestOld = p;
        else del.push(p);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, w.now))) del.push(oldestOld);
    } else {
      del.push(...running.slice(1));
    }
  }
  for (const [n, pods] of w.byNode) if (!known.has(n)) del.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
  return { del, create };
}

function isSurgeConfigured(ds: KubeObject): boolean {
  const v = ds.spec?.updateStrategy?.rollingUpdate?.maxSurge;
  return ds.spec?.updateStrategy?.type !== 'OnDelete' && v !== undefined && v !== 0 && v !== '0%';
}

/** findUpdatedPodsOnNode splits a node's pods into the new one and the old one; not ok when either kind appears twice. */
function findUpdatedPodsOnNode(pods: KubeObject[], hash: string): { newPod?: KubeObject; oldPod?: KubeObject; ok: boolean } {
  let newPod: KubeObject | undefined;
  let oldPod: KubeObject | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * rollingUpdate is update.go's rollingUpdate. Without surge: old pods that are not available are
 * replaced at once, and available ones are deleted while fewer than maxUnavailable nodes are
 * unavailable. Example: 3 nodes, maxUnavailable 1 → one node at a time, each waited for. With
 * surge: a new pod is created next to an old available one on up to maxSurge nodes; the old one
 * goes (in manage) when the new one is available. Example: 3 nodes, maxSurge 1 → one node at a time,
 * never fewer than 3 available pods.
 */
function rollingUpdate(w: World): { del: KubeObject[]; create: string[] } {
  const minReady = w.ds.spec?.minReadySeconds ?? 0;
  const shouldRun = w.shouldRun;
  const desired = [...shouldRun.values()].filter(Boolean).length;
  const { maxSurge, maxUnavailable } = fenceposts(w.ds, desired);
  const available = (p: KubeObject) => isPodAvailable(p, minReady, w.now);
  const nodeNames = [...w.byNode.keys()].sort();
  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: KubeObject[] = [];
    const candidates: KubeObject[] = [];
    for (const n of nodeNames) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(w.byNode.get(n)!, w.hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        numUnavailable++;
        continue;
      }
      if (newPod) {
        if (!available(newPod)) numUnavailable++;
        continue;
      }
      if (!available(oldPod!)) allowed.push(oldPod!);
      else if (numUnavailable < maxUnavailable) candidates.push(oldPod!);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { del: [...allowed, ...candidates.slice(0, remaining)], create: [] };
  }
  const del: KubeObject[] = [];
  const shouldNotRun: KubeObject[] = [];
  const candidates: string[] = [];
  const allowedNew: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const n of nodeNames) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(w.byNode.get(n)!, w.hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun.get(n)) shouldNotRun.push(oldPod);
        else allowedNew.push(n);
      } else if (numSurge < maxSurge) candidates.push(n);
      continue;
    }
    if (!available(newPod)) {
      numSurge++;
      continue;
    }
    del.push(oldPod);
  }
  const deletable = numAvailable - desired;
  if (deletable >= 0) del.push(...shouldNotRun.slice(0, deletable));
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidates.length);
  return { del, create: [...allowedNew, ...candidates.slice(0, remaining)] };
}

/** syncNodes deletes then creates, with upstream's events ("Deleted pod: x", "Created pod: x"). */
function syncNodes(ctx: ControllerContext, ds: KubeObject, hash: string, del: KubeObject[], create: string[], podGraceMs: number, key: string): void {
  const seen = new Set<string>();
  for (const p of del) {
    if (seen.has(p.metadata.name)) continue;
    seen.add(p.metadata.name);
    ctx.api.delete('Pod', p.metadata.namespace, p.metadata.name, podGraceMs);
    ctx.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
  }
  for (const nodeName of create) {
    let pod: KubeObject;
    try {
      pod = ctx.api.create(newDaemonPod(ds, hash, nodeName));
    } catch (err) {
      if (!isMfluxError(err)) throw err;
      ctx.record(ds, 'Warning', 'FailedCreate', `Error creating: ${err.message}`, COMPONENT);
      ctx.requeueAt('daemonset', key, ctx.now() + CREATE_RETRY_MS);
      return;
    }
    ctx.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
  }
}

/**
 * computeStatus is updateDaemonSetStatus: per node that should run the daemon, the oldest of its
 * pods decides ready/available/updated (so a surged new pod counts as updated only once the old
 * one is gone); pods on nodes that should not run it are misscheduled.
 */
function computeStatus(w: World): { status: any; nextAvailableAt: number } {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  let nextAvailableAt = Infinity;
  const minReady = w.ds.spec?.minReadySeconds ?? 0;
  for (const node of w.nodes) {
    const list = w.byNode.get(node.metadata.name) ?? [];
    if (!w.shouldRun.get(node.metadata.name)) {
      if (list.length > 0) misscheduled++;
      continue;
    }
    desired++;
    if (list.length === 0) continue;
    current++;
    const pod = list[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, w.now)) available++;
      else nextAvailableAt = Math.min(nextAvailableAt, (readySince(pod) ?? w.now) + minReady * 1000 + 1000);
    }
    if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === w.hash) updated++;
  }
  const status: any = {
    currentNumberScheduled: current,
    desiredNumberScheduled: desired,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    observedGeneration: w.ds.metadata.generation,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  // numberAvailable, numberUnavailable and updatedNumberScheduled are omitempty.
  for (const k of ['numberAvailable', 'numberUnavailable', 'updatedNumberScheduled'] as const) if (status[k] === 0) delete status[k];
  return { status, nextAvailableAt };
}
