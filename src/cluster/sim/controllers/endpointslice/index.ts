/**
 * The endpoint controllers' informer index: which Services select which pods, kept up to date from
 * the watch so a pod change wakes only the Services whose selector matches its old or new labels
 * (upstream's getPodServiceMemberships), and a Service's sync reads its pods without listing the
 * namespace. Each Service is filed under one `key=value` pair of its selector (the smallest key),
 * so a pod finds its candidate Services through its own few labels: O(labels) per pod change,
 * however many Services the namespace has.
 */
import type { KubeObject } from '../../../../core/index.js';
import { isPodTerminal, readyCondition, selectsLabels, serviceSelector } from '../../../serving.js';

interface Entry {
  namespace: string;
  selector: Record<string, string>;
  /** pair is the `key=value` the Service is filed under ('' for an empty selector, which selects every pod). */
  pair: string;
  /** pods are the names of the pods the selector matches now (any phase: the sync decides what is an endpoint). */
  pods: Set<string>;
}

const pairOf = (selector: Record<string, string>): string => {
  const keys = Object.keys(selector).sort();
  return keys.length === 0 ? '' : `${keys[0]}=${selector[keys[0]!]}`;
};

// NONE is onPod's answer for a change that wakes no Service (most pod changes, in a cluster without Services every one).
const NONE: readonly string[] = Object.freeze([]);

/** serviceKey is the work-queue key of a Service ("Service/ns/name"). */
export function serviceKey(namespace: string | undefined, name: string): string {
  return `Service/${namespace ?? ''}/${name}`;
}

/** ServiceIndex maps Services with a selector to the pods they select, per namespace. */
export class ServiceIndex {
  private readonly entries = new Map<string, Entry>();
  /** filed: namespace → pair → Service keys. */
  private readonly filed = new Map<string, Map<string, Set<string>>>();

  /**
   * onService files a stored Service change. `listPods` lists a namespace's pods; it is called only
   * when a selector appears or changes (one listing per selector change). Returns whether the
   * Service has a selector now.
   */
  onService(type: string, svc: KubeObject, listPods: (namespace: string) => Iterable<KubeObject>): boolean {
    const key = serviceKey(svc.metadata.namespace, svc.metadata.name);
    const selector = type === 'DELETED' ? undefined : serviceSelector(svc);
    const before = this.entries.get(key);
    if (before && selector && sameSelector(before.selector, selector)) return true;
    if (before) this.unfile(key, before);
    if (!selector) return false;
    const namespace = svc.metadata.namespace ?? '';
    const entry: Entry = { namespace, selector: { ...selector }, pair: pairOf(selector), pods: new Set() };
    for (const p of listPods(namespace)) if (selectsLabels(selector, p.metadata.labels)) entry.pods.add(p.metadata.name);
    this.entries.set(key, entry);
    let byPair = this.filed.get(namespace);
    if (!byPair) this.filed.set(namespace, (byPair = new Map()));
    let keys = byPair.get(entry.pair);
    if (!keys) byPair.set(entry.pair, (keys = new Set()));
    keys.add(key);
    return true;
  }

  /**
   * onPod updates memberships for a stored pod change and returns the keys of the Services whose
   * selector matches the pod's old or new labels, when the change can move their endpoints
   * (podEndpointsChanged); otherwise none.
   */
  onPod(type: string, pod: KubeObject, old: KubeObject | undefined): readonly string[] {
    const byPair = this.filed.get(pod.metadata.namespace ?? '');
    if (!byPair) return NONE;
    const moved = podEndpointsChanged(type, pod, old);
    // An update that moves nothing kept the pod's labels, so its memberships too.
    if (!moved && type === 'MODIFIED') return NONE;
    const out: string[] = [];
    this.visit(byPair, type, pod, old, pod.metadata.labels, out);
    if (old && old.metadata.labels !== pod.metadata.labels) this.visit(byPair, type, pod, old, old.metadata.labels, out);
    return moved ? out : NONE;
  }

  // visit files the pod with the Services filed under '' or under one of `labels`' pairs whose selector matches its old or new labels, adding their keys to `out`.
  private visit(byPair: Map<string, Set<string>>, type: string, pod: KubeObject, old: KubeObject | undefined, labels: Record<string, string> | undefined, out: string[]): void {
    this.visitPair(byPair.get(''), type, pod, old, out);
    for (const k in labels) this.visitPair(byPair.get(`${k}=${labels[k]}`), type, pod, old, out);
  }

  private visitPair(keys: Set<string> | undefined, type: string, pod: KubeObject, old: KubeObject | undefined, out: string[]): void {
    if (!keys) return;
    for (const key of keys) {
      if (out.includes(key)) continue;
      const e = this.entries.get(key)!;
      const wasIn = old !== undefined && selectsLabels(e.selector, old.metadata.labels);
      const isIn = type !== 'DELETED' && selectsLabels(e.selector, pod.metadata.labels);
      if (!wasIn && !isIn) continue;
      if (isIn) e.pods.add(pod.metadata.name);
      else e.pods.delete(pod.metadata.name);
      out.push(key);
    }
  }

  /** podNames lists the names of the pods a Service selects (empty for an unknown Service). */
  podNames(namespace: string, name: string): Iterable<string> {
    return this.entries.get(serviceKey(namespace, name))?.pods ?? [];
  }

  private unfile(key: string, e: Entry): void {
    this.entries.delete(key);
    const byPair = this.filed.get(e.namespace);
    const keys = byPair?.get(e.pair);
    keys?.delete(key);
    if (keys && keys.size === 0) byPair!.delete(e.pair);
  }
}

/**
 * podEndpointsChanged: whether a pod change can change what the endpoint controllers publish for
 * it, as upstream's podEndpointsChanged decides before it queues a Service (a pod's status is
 * written several times on its way to Running; most writes move nothing an endpoint shows). What an
 * endpoint reads of a pod: its labels (membership), IP, terminal phase, spec (ports, node,
 * hostname), deletion, and its Ready condition — status and transition time, which the
 * last-change-trigger-time annotation follows. A new pod with no IP and no Ready condition yet (as
 * the ReplicaSet controller creates it) is no endpoint and moves nothing either.
 */
export function podEndpointsChanged(type: string, pod: KubeObject, old: KubeObject | undefined): boolean {
  if (type === 'DELETED') return true;
  if (!old) return Boolean(pod.status?.podIP) || readyCondition(pod) !== undefined;
  if (pod.spec !== old.spec || pod.metadata.deletionTimestamp !== old.metadata.deletionTimestamp) return true;
  const s = pod.status;
  const o = old.status;
  if (s?.podIP !== o?.podIP || isPodTerminal(pod) !== isPodTerminal(old)) return true;
  if (s?.conditions !== o?.conditions) {
    const a = readyCondition(pod);
    const b = readyCondition(old);
    if (a?.status !== b?.status || a?.lastTransitionTime !== b?.lastTransitionTime) return true;
  }
  return !sameSelector(pod.metadata.labels ?? {}, old.metadata.labels ?? {});
}

function sameSelector(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] === a[k]);
}
