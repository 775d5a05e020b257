/** SimClient: the ClusterClient over the simulated cluster (declarative apply: create or update in place). */
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import type { KubeEvent, KubeObject } from '../../core/index.js';
import { MfluxError, cloneObject, objectRef, resourceName } from '../../core/index.js';
import type { ApplyResult, ClusterClient, ListOptions } from '../client.js';
import type { Simulation } from './sim.js';

/** SYSTEM_ANNOTATION_PREFIXES mark annotations that controllers own; an apply keeps the live values. */
export const SYSTEM_ANNOTATION_PREFIXES = ['deployment.kubernetes.io/'];

/** mergeForApply builds the object an apply writes: the manifest, plus live annotations that controllers own. */
export function mergeForApply(desired: KubeObject, live: KubeObject): KubeObject {
  const liveAnn = live.metadata.annotations ?? {};
  const kept = Object.fromEntries(Object.entries(liveAnn).filter(([k]) => SYSTEM_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))));
  const annotations = { ...(desired.metadata.annotations ?? {}), ...kept };
  return {
    ...desired,
    metadata: { ...desired.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) },
  };
}

/** SimClient adapts a Simulation to ClusterClient; every write is followed by the controllers settling. */
export class SimClient implements ClusterClient {
  constructor(readonly sim: Simulation) {}

  // Reads first bring the cluster up to the clock: whatever was due by now happens before we look.
  async get(kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    this.sim.fireDue();
    return this.sim.api.get(kind, this.namespaceOf(kind, namespace), name);
  }

  async list(kind: string, opts: ListOptions = {}): Promise<KubeObject[]> {
    this.sim.fireDue();
    return this.sim.api.list(kind, opts.namespace);
  }

  async apply(obj: KubeObject): Promise<ApplyResult> {
    return this.applySync(obj);
  }

  /** applySync is apply without the promise, for callers already inside the simulator's loop. */
  applySync(obj: KubeObject): ApplyResult {
    this.sim.fireDue();
    const ns = this.namespaceOf(obj.kind, obj.metadata.namespace);
    const live = this.sim.api.get(obj.kind, ns, obj.metadata.name);
    return this.store(live, live ? mergeForApply(obj, live) : obj);
  }

  /** store writes `next` as a create (no live object) or an in-place update, then lets the controllers settle. */
  private store(live: KubeObject | undefined, next: KubeObject): ApplyResult {
    if (!live) {
      const created = this.sim.api.create(next);
      this.sim.settle();
      return { action: 'created', object: created };
    }
    const stored = this.sim.api.update(next);
    this.sim.settle();
    return { action: stored === live ? 'unchanged' : 'configured', object: stored };
  }

  /** namespaceOf is the namespace an object of `kind` lives in: the given one or default, none for cluster-scoped kinds (CRDs included). */
  private namespaceOf(kind: string, namespace: string | undefined): string | undefined {
    return this.sim.api.discovery.isNamespaced(kind) ? namespace ?? 'default' : undefined;
  }

  async patch(kind: string, namespace: string | undefined, name: string, ops: Operation[]): Promise<ApplyResult> {
    this.sim.fireDue();
    const ns = this.namespaceOf(kind, namespace);
    const live = this.sim.api.get(kind, ns, name);
    const subject = objectRef(kind, ns, name);
    let next: KubeObject;
    try {
      // validate: a malformed operation is refused before anything is applied; the document is our own copy.
      next = fastJsonPatch.applyPatch(live ? cloneObject(live) : {}, ops, true, true).newDocument as KubeObject;
    } catch (err) {
      const e = err as Error & { name?: string };
      if (e.name === 'TEST_OPERATION_FAILED') {
        const info = this.sim.api.discovery.kindInfo(kind);
        const what = live ? 'the object has been modified' : 'the object was deleted';
        throw new MfluxError('Conflict', `Operation cannot be fulfilled on ${info ? resourceName(info) : kind.toLowerCase()} "${name}": ${what}; please apply your changes to the latest version and try again`, { subject });
      }
      throw new MfluxError('Invalid', `the patch does not apply: ${e.message.split('\n')[0]}`, { subject });
    }
    return this.store(live, next);
  }

  async delete(kind: string, namespace: string | undefined, name: string): Promise<boolean> {
    const gone = this.sim.api.delete(kind, this.namespaceOf(kind, namespace), name);
    this.sim.settle();
    return gone;
  }

  async validate(objs: KubeObject[], only?: number[]): Promise<{ index: number; error: Error & { code?: string } }[]> {
    this.sim.fireDue();
    return this.sim.api.dryRun(objs, only);
  }

  nextChangeAt(): number | undefined {
    return this.sim.nextTimerAt();
  }

  redact(obj: KubeObject): KubeObject {
    return this.sim.secrets.redact(obj);
  }

  async events(involved?: { kind: string; namespace?: string; name: string }): Promise<KubeEvent[]> {
    return this.sim.listEvents(involved);
  }
}
