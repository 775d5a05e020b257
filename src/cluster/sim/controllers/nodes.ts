/**
 * Simulated nodes: the `nodes` knob's Node objects (named as kind names its workers:
 * mflux-sim-node, mflux-sim-node2, …), the scheduler's choice of node for a new pod, and the
 * scheduling predicates a DaemonSet needs (nodeSelector, taints against tolerations).
 */
import type { KubeObject } from '../../../core/index.js';
import type { ApiServer } from '../apiserver.js';
import { fnv1a32 } from '../ids.js';

/** NODE_PREFIX is the first node's name; later ones append their 1-based index (mflux-sim-node2). */
export const NODE_PREFIX = 'mflux-sim-node';

/** SIM_NODE_LABEL marks the nodes the simulation made (only those follow the knob). */
export const SIM_NODE_LABEL = 'mflux.dev/simulated-node';

/** KUBELET_VERSION is what every simulated node reports (the API server is 1.31). */
export const KUBELET_VERSION = 'v1.31.0';

/** simNodeName is the name of the i-th simulated node (0-based). Example: 0 → mflux-sim-node, 2 → mflux-sim-node3. */
export function simNodeName(i: number): string {
  return i === 0 ? NODE_PREFIX : `${NODE_PREFIX}${i + 1}`;
}

/** simNodeIP is the i-th node's InternalIP (the first keeps 172.18.0.2, as the single node had). */
export function simNodeIP(i: number): string {
  return `172.18.0.${i + 2}`;
}

/**
 * nodeUID is a simulated node's uid, derived from its name rather than drawn from the id
 * sequence, so adding nodes does not shift the names and uids of everything created after.
 * Example: mflux-sim-node → "6d666c78-…" shaped like a v4 UUID, the same in every cluster.
 */
export function nodeUID(name: string): string {
  const h = (s: string) => fnv1a32(s).toString(16).padStart(8, '0');
  const a = h(name);
  const b = h(`${name}/1`);
  const c = h(`${name}/2`);
  const d = h(`${name}/3`);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/** nodeIP returns a node's InternalIP, if it reports one. */
export function nodeIP(node: KubeObject | undefined): string | undefined {
  return (node?.status?.addresses as any[] | undefined)?.find((a) => a.type === 'InternalIP')?.address;
}

function nodeStatus(name: string, ip: string, at: string): any {
  const resources = { cpu: '8', 'ephemeral-storage': '102400000Ki', memory: '16318712Ki', pods: '110' };
  return {
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: name },
    ],
    allocatable: { ...resources },
    capacity: { ...resources },
    conditions: [
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
      { type: 'PIDPressure', status: 'False', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
      { type: 'Ready', status: 'True', lastHeartbeatTime: at, lastTransitionTime: at, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      architecture: 'amd64',
      bootID: '',
      containerRuntimeVersion: 'containerd://1.7.18',
      kernelVersion: '6.8.0-mflux',
      kubeProxyVersion: KUBELET_VERSION,
      kubeletVersion: KUBELET_VERSION,
      machineID: '',
      operatingSystem: 'linux',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      systemUUID: '',
    },
  };
}

/**
 * ensureNodes makes the simulated nodes match the knob: creates the missing ones (Ready at once)
 * and removes simulated nodes beyond `count`. Nodes a user applied are left alone. Returns whether
 * anything changed.
 */
export function ensureNodes(api: ApiServer, count: number, at: string): boolean {
  let changed = false;
  for (let i = 0; i < count; i++) {
    const name = simNodeName(i);
    if (api.get('Node', undefined, name)) continue;
    api.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          [SIM_NODE_LABEL]: 'true',
        },
      },
      spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
    }, { uid: nodeUID(name) });
    api.updateStatus('Node', undefined, name, nodeStatus(name, simNodeIP(i), at));
    changed = true;
  }
  for (const n of api.list('Node')) {
    if (n.metadata.labels?.[SIM_NODE_LABEL] !== 'true') continue;
    const m = /^mflux-sim-node(\d*)$/.exec(n.metadata.name);
    const index = m ? (m[1] ? Number(m[1]) - 1 : 0) : -1;
    if (index >= count) {
      api.delete('Node', undefined, n.metadata.name);
      changed = true;
    }
  }
  return changed;
}

/** toleratesTaint is v1helper's Toleration.ToleratesTaint: same effect (or any), and key/value matched by Equal or Exists. */
export function toleratesTaint(t: any, taint: any): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  // Operator Equal (the default): an empty key only tolerates with Exists.
  if (!t.key) return false;
  return (t.value ?? '') === (taint.value ?? '');
}

/** untoleratedTaint returns the first NoSchedule/NoExecute taint of `node` that `tolerations` do not tolerate. */
export function untoleratedTaint(node: KubeObject, tolerations: any[] | undefined): any {
  for (const taint of (node.spec?.taints ?? []) as any[]) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!(tolerations ?? []).some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

/** nodeSelectorMatches: every nodeSelector pair is a label of the node. */
export function nodeSelectorMatches(node: KubeObject, nodeSelector: Record<string, string> | undefined): boolean {
  // for…in: the scheduler asks this of every node for every pod it binds, and most pods have no nodeSelector.
  for (const k in nodeSelector) if (node.metadata.labels?.[k] !== nodeSelector[k]) return false;
  return true;
}

/** isNodeReady: the node's Ready condition is True. */
export function isNodeReady(node: KubeObject): boolean {
  return (node.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/** requiredNodeName returns the node a pod's required node affinity pins it to (`matchFields metadata.name In [x]`, as DaemonSet pods carry), if any. */
export function requiredNodeName(pod: KubeObject): string | undefined {
  const terms: any[] = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/**
 * pickNode is the scheduler's choice for a new pod: the node its affinity pins it to, else among
 * Ready nodes that match its nodeSelector and whose taints it tolerates the one running the fewest
 * pods by `load` (ties by name) — which spreads a StatefulSet's web-0, web-1, web-2 over three
 * nodes in turn. Undefined when no node fits (the pod stays Pending).
 */
export function pickNode(api: ApiServer, pod: KubeObject, load: (nodeName: string) => number): KubeObject | undefined {
  const pinned = requiredNodeName(pod);
  if (pinned !== undefined) return api.get('Node', undefined, pinned);
  let best: KubeObject | undefined;
  let bestLoad = Infinity;
  for (const n of api.list('Node')) {
    if (!isNodeReady(n) || n.spec?.unschedulable || !nodeSelectorMatches(n, pod.spec?.nodeSelector) || untoleratedTaint(n, pod.spec?.tolerations)) continue;
    const l = load(n.metadata.name);
    if (l < bestLoad) {
      best = n;
      bestLoad = l;
    }
  }
  return best;
}
