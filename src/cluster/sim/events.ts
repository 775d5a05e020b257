/** The simulator's event log: core/v1 Events in the order they happened, with upstream-style aggregation. */
import { type KubeEvent, type KubeObject, parseRFC3339, toRFC3339 } from '../../core/index.js';
import type { IdSource } from './ids.js';

/** EVENT_TTL_MS is how long an event lives after its last occurrence: the API server's --event-ttl default (1h). */
export const EVENT_TTL_MS = 60 * 60 * 1000;

/** EXPIRE_EVERY_MS spaces expiry scans (a scan walks every event; once a minute of cluster time is plenty for a 1h TTL). */
const EXPIRE_EVERY_MS = 60 * 1000;

/** EventLog records events, folding an identical repeat (same object, type, reason, message) into a count. */
export class EventLog {
  private items: { seq: number; event: KubeEvent }[] = [];
  private readonly expired: number[] = [];
  private lastExpiry = Number.NEGATIVE_INFINITY;
  private readonly byKey = new Map<string, { seq: number; event: KubeEvent }>();
  private readonly dirty = new Set<number>();
  private nextSeq: number;

  constructor(
    private readonly ids: IdSource,
    initial: { seq: number; event: KubeEvent }[] = [],
  ) {
    for (const e of initial) {
      this.items.push(e);
      this.byKey.set(aggKey(e.event), e);
    }
    this.nextSeq = initial.reduce((m, e) => Math.max(m, e.seq), 0) + 1;
  }

  private readonly occurrenceListeners: ((event: KubeEvent) => void)[] = [];

  /** onOccurrence registers a listener called for every occurrence, a repeat folded into a count included (a watch on events sees those too). */
  onOccurrence(listener: (event: KubeEvent) => void): void {
    this.occurrenceListeners.push(listener);
  }

  /** record adds an event about `obj` at cluster time `now`. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, now: number): void {
    this.recordOnce(obj, type, reason, message, component, now);
    if (this.occurrenceListeners.length > 0) {
      const last = this.byKey.get(aggKey({ involvedObject: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, type, reason, message, source: { component } } as any));
      if (last) for (const l of this.occurrenceListeners) l(last.event);
    }
  }

  private recordOnce(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, now: number): void {
    const ts = toRFC3339(now);
    const involvedObject = {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    const probe = { involvedObject, type, reason, message, source: { component } };
    const existing = this.byKey.get(aggKey(probe));
    if (existing) {
      existing.event = { ...existing.event, count: existing.event.count + 1, lastTimestamp: ts };
      this.dirty.add(existing.seq);
      return;
    }
    const entry = {
      seq: this.nextSeq++,
      event: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${obj.metadata.name}.${this.ids.next32().toString(16).padStart(8, '0')}${this.ids.next32().toString(16).padStart(8, '0')}`,
          namespace: obj.metadata.namespace ?? 'default',
          creationTimestamp: ts,
        },
        involvedObject,
        reason,
        message,
        type,
        source: { component },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        reportingComponent: component,
      } as KubeEvent,
    };
    this.items.push(entry);
    this.byKey.set(aggKey(entry.event), entry);
    this.dirty.add(entry.seq);
  }

  /** list returns events in order, optionally only those about one object (by kind, namespace and name). */
  list(involved?: { kind: string; namespace?: string; name: string }): KubeEvent[] {
    const out: KubeEvent[] = [];
    for (const { event } of this.items) {
      if (involved) {
        const io = event.involvedObject;
        if (io.kind !== involved.kind || io.name !== involved.name || (involved.namespace !== undefined && io.namespace !== involved.namespace)) continue;
      }
      out.push(event);
    }
    return out;
  }

  /** size is the number of distinct events. */
  get size(): number {
    return this.items.length;
  }

  /**
   * expire drops events whose last occurrence is more than EVENT_TTL_MS before `now`, as the API
   * server does — without it a long-running daemon's cluster would keep every event forever.
   * Example: an event last seen at 10:00 is listed until 11:00 and gone from the first scan after.
   */
  expire(now: number): void {
    if (now - this.lastExpiry < EXPIRE_EVERY_MS) return;
    this.lastExpiry = now;
    const cutoff = now - EVENT_TTL_MS;
    const keep: { seq: number; event: KubeEvent }[] = [];
    for (const e of this.items) {
      if (parseRFC3339(e.event.lastTimestamp) >= cutoff) {
        keep.push(e);
        continue;
      }
      this.expired.push(e.seq);
      this.dirty.delete(e.seq);
      if (this.byKey.get(aggKey(e.event)) === e) this.byKey.delete(aggKey(e.event));
    }
    this.items = keep;
  }

  /** drainChanges returns (and forgets) events added, updated or expired since the last call. */
  drainChanges(): { events: { seq: number; event: KubeEvent }[]; expired: number[] } {
    const events = this.dirty.size === 0 ? [] : this.items.filter((e) => this.dirty.has(e.seq));
    this.dirty.clear();
    return { events, expired: this.expired.splice(0) };
  }
}

function aggKey(e: Pick<KubeEvent, 'involvedObject' | 'type' | 'reason' | 'message' | 'source'>): string {
  const io = e.involvedObject;
  return `${io.uid ?? ''}|${io.kind}|${io.namespace ?? ''}|${io.name}|${e.type}|${e.reason}|${e.message}|${e.source.component}`;
}
