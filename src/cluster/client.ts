/** The ClusterClient interface: the only way the GitOps path touches a cluster. */
import type { Operation } from 'fast-json-patch';
import type { KubeEvent, KubeObject } from '../core/index.js';

/** ApplyAction says what an apply did, in kubectl's words. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** ApplyResult is the outcome of applying one object. */
export interface ApplyResult {
  action: ApplyAction;
  object: KubeObject;
}

/** ListOptions narrows a list to one namespace (undefined: all namespaces). */
export interface ListOptions {
  namespace?: string;
}

/** ClusterClient is what reconcile, apply and check use to read and write a cluster (simulated or real). */
export interface ClusterClient {
  /** get returns one object or undefined when absent. */
  get(kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** list returns the objects of a kind, sorted by namespace then name. */
  list(kind: string, opts?: ListOptions): Promise<KubeObject[]>;
  /** apply creates or updates in place (declarative apply; never delete + create). */
  apply(obj: KubeObject): Promise<ApplyResult>;
  /**
   * patch applies an RFC 6902 patch to one object — to an empty document when there is none (a
   * create) — and stores the result. A failing `test` operation (the object changed since the
   * patch was made) is a `Conflict`, and nothing is written.
   */
  patch(kind: string, namespace: string | undefined, name: string, ops: Operation[]): Promise<ApplyResult>;
  /** delete removes one object (dependents are garbage-collected); false when it was absent. */
  delete(kind: string, namespace: string | undefined, name: string): Promise<boolean>;
  /** validate dry-runs a batch as if applied together (namespaces and CRDs in it count); one error per rejected object, by index; `only` limits which indexes are checked. */
  validate(objs: KubeObject[], only?: number[]): Promise<{ index: number; error: Error & { code?: string } }[]>;
  /** nextChangeAt is, for a simulated cluster, the cluster time of its next self-driven change (a pod becoming ready, a deadline); undefined when none is pending or unknown. */
  nextChangeAt?(): number | undefined;
  /** redact returns an object as this cluster keeps it when the cluster keeps no Secret values (the simulator: keyed digests), so plans compare like with like; idempotent. */
  redact(obj: KubeObject): KubeObject;
  /** events returns events in the order they happened, optionally only those about one object. */
  events(involved?: { kind: string; namespace?: string; name: string }): Promise<KubeEvent[]>;
}
