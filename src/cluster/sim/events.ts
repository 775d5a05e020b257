/** The simulator's event log: core/v1 Events in the order they happened, with upstream-style aggregation. */
import { type KubeEvent, type KubeObject, parseRFC3339, toRFC3339 } from '../../core/index.js';
import type { StoredEvent } from '../../store/index.js';
import type { IdSource } from './ids.js';

/** EVENT_TTL_MS is how long an event lives after its last occurrence: the API server's --event-ttl default (1h). */
export const EVENT_TTL_MS = 60 * 60 * 1000;

/** EXPIRE_EVERY_MS spaces expiry scans (a scan walks every event; once a minute of cluster time is plenty for a 1h TTL). */
const EXPIRE_EVERY_MS = 60 * 1000;

/** InvolvedObject is what an event names: the object, as of the version it was recorded about. */
type InvolvedObject = StoredEvent['involvedObject'];

/**
 * Entry is one distinct event. A cluster of 100k pods records several hundred thousand events,
 * so an event is kept as one flat record — the stored form plus its last occurrence in epoch ms —
 * and built into a KubeEvent only when listed; events of one instant share their timestamp
 * string, and a controller's events about one object version share one involvedObject.
 */
interface Entry extends StoredEvent {
  /** last is lastTimestamp in epoch ms (whole seconds, as the timestamp holds). */
  last: number;
}

/** EventLog records events, folding an identical repeat (same object, type, reason, message) into a count. */
export class EventLog {
  private items: Entry[] = [];
  private readonly expired: number[] = [];
  private lastExpiry = Number.NEGATIVE_INFINITY;
  // Aggregation looks events up by a 32-bit hash of their identity (a number key costs nothing to
  // keep; the identity string would cost more than the event), then compares the fields.
  private readonly byHash = new Map<number, Entry | Entry[]>();
  private indexed: boolean;
  /**
   * What the next drainChanges hands out: every event from seq `unsavedFrom` on (new since the last
   * drain: the tail of `items`, which is in seq order), and the older ones counted on since, in
   * `recounted`. A set of every new seq cost more than the 370k events of a 100k-pod rollout.
   */
  private unsavedFrom: number;
  private readonly recounted = new Set<Entry>();
  private nextSeq: number;
  private lastNow = Number.NaN;
  private lastStamp = '';
  private lastStampMs = 0;
  private lastInvolved: InvolvedObject | undefined;

  /**
   * The log takes `initial` (events loaded from the state store) as its own entries. The index
   * repeats fold through is built when an event is first recorded: a command that only reads
   * (`get`, `describe`) never needs it, and a 100k-pod cluster has several hundred thousand events.
   */
  constructor(
    private readonly ids: IdSource,
    initial: StoredEvent[] = [],
  ) {
    for (const ev of initial) {
      const entry = ev as Entry;
      const stampMs = (entry.last = parseRFC3339(ev.lastTimestamp));
      // An unreadable timestamp (NaN) expires at the first scan, as it always has.
      if (!(stampMs >= this.oldestLast)) this.oldestLast = Number.isNaN(stampMs) ? Number.NEGATIVE_INFINITY : stampMs;
      this.items.push(entry);
    }
    // The list is kept in seq order (the store loads events so; anything else is put in order).
    if (this.items.some((e, i) => i > 0 && e.seq <= this.items[i - 1]!.seq)) this.items.sort((a, b) => a.seq - b.seq);
    this.indexed = initial.length === 0;
    this.nextSeq = Math.max(this.items.at(-1)?.seq ?? 0, 0) + 1;
    this.unsavedFrom = this.nextSeq;
  }

  // ensureIndex files every event by identity, in order: a later event with the same identity replaces an earlier one as the one repeats fold into.
  private ensureIndex(): void {
    if (this.indexed) return;
    this.indexed = true;
    for (const e of this.items) this.remember(e, true);
  }

  private readonly occurrenceListeners: ((event: KubeEvent) => void)[] = [];

  /** onOccurrence registers a listener called for every occurrence, a repeat folded into a count included (a watch on events sees those too). */
  onOccurrence(listener: (event: KubeEvent) => void): void {
    this.occurrenceListeners.push(listener);
  }

  /** record adds an event about `obj` at cluster time `now`. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, now: number): void {
    const entry = this.recordOnce(obj, type, reason, message, component, now);
    if (this.occurrenceListeners.length > 0) {
      const event = toEvent(entry);
      for (const l of this.occurrenceListeners) l(event);
    }
  }

  private recordOnce(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, now: number): Entry {
    const ts = this.stamp(now);
    const last = this.lastStampMs;
    const io = this.involved(obj);
    this.ensureIndex();
    const hash = identityHash(io, type, reason, message, component);
    let existing = this.find(hash, io, type, reason, message, component);
    if (existing) {
      // A drained event is frozen (the caller may still hold it): it counts on as a new copy in its place.
      if (Object.isFrozen(existing)) existing = this.replace(existing, hash);
      existing.count += 1;
      existing.lastTimestamp = ts;
      existing.last = last;
      if (existing.seq < this.unsavedFrom) this.recounted.add(existing);
      return existing;
    }
    const entry: Entry = {
      seq: this.nextSeq++,
      last,
      count: 1,
      lastTimestamp: ts,
      name: `${obj.metadata.name}.${hex8(this.ids.next32())}${hex8(this.ids.next32())}`,
      namespace: obj.metadata.namespace ?? 'default',
      firstTimestamp: ts,
      involvedObject: io,
      reason,
      message,
      type,
      component,
    };
    this.items.push(entry);
    if (last < this.oldestLast) this.oldestLast = last;
    this.remember(entry, false, hash);
    return entry;
  }

  // replace puts an unfrozen copy of `e` in its place, in the list and in the index, and returns it.
  private replace(e: Entry, hash: number): Entry {
    const copy: Entry = { ...e };
    this.items[this.indexOf(e)] = copy;
    const hit = this.byHash.get(hash);
    if (hit === e) this.byHash.set(hash, copy);
    else if (Array.isArray(hit)) hit[hit.indexOf(e)] = copy;
    return copy;
  }

  // indexOf finds a listed event's place in the list (by its seq; by a scan should seqs repeat, which only hand-made events can).
  private indexOf(e: Entry): number {
    const i = this.firstFrom(e.seq);
    if (this.items[i] === e) return i;
    const j = this.items.indexOf(e);
    if (j < 0) throw new Error(`event ${e.seq} is not listed`);
    return j;
  }

  // firstFrom is the index of the first listed event with seq ≥ `seq` (the list's length when none is), by a binary search: the list is in seq order.
  private firstFrom(seq: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** list returns events in order, optionally only those about one object (by kind, namespace and name). */
  list(involved?: { kind: string; namespace?: string; name: string }): KubeEvent[] {
    const out: KubeEvent[] = [];
    for (const e of this.items) {
      if (involved) {
        const io = e.involvedObject;
        if (io.kind !== involved.kind || io.name !== involved.name || (involved.namespace !== undefined && io.namespace !== involved.namespace)) continue;
      }
      out.push(toEvent(e));
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
    // Nothing is old enough yet: no event's last occurrence is before the oldest one at the last scan.
    if (cutoff <= this.oldestLast) return;
    const keep: Entry[] = [];
    let oldest = Infinity;
    for (const e of this.items) {
      if (e.last >= cutoff) {
        keep.push(e);
        if (e.last < oldest) oldest = e.last;
        continue;
      }
      this.expired.push(e.seq);
      this.recounted.delete(e);
      if (this.indexed) this.forget(e);
    }
    this.items = keep;
    this.oldestLast = oldest;
  }

  // oldestLast is at most the earliest last occurrence of any listed event (occurrences only move
  // later; loading and recording lower it), so expire can skip a scan that would find nothing.
  private oldestLast = Number.POSITIVE_INFINITY;

  /**
   * drainChanges returns (and forgets) events added, updated or expired since the last call, in seq
   * order. The events are the log's own records, frozen rather than copied (a 100k-pod rollout drains
   * 370k): a later repeat counts on a copy, so what was drained never moves.
   */
  drainChanges(): { events: StoredEvent[]; expired: number[] } {
    const events: Entry[] = [...this.recounted].sort((a, b) => a.seq - b.seq);
    for (let i = this.firstFrom(this.unsavedFrom); i < this.items.length; i++) events.push(this.items[i]!);
    for (const e of events) Object.freeze(e);
    this.recounted.clear();
    this.unsavedFrom = this.nextSeq;
    return { events, expired: this.expired.splice(0) };
  }

  // stamp formats `now` once per instant, and keeps that timestamp in epoch ms (whole seconds) as lastStampMs.
  private stamp(now: number): string {
    if (now !== this.lastNow) {
      this.lastNow = now;
      this.lastStamp = toRFC3339(now);
      this.lastStampMs = parseRFC3339(this.lastStamp);
    }
    return this.lastStamp;
  }

  private involved(obj: KubeObject): InvolvedObject {
    const m = obj.metadata;
    const last = this.lastInvolved;
    if (last && last.name === m.name && last.uid === m.uid && last.resourceVersion === m.resourceVersion && last.kind === obj.kind && last.namespace === m.namespace && last.apiVersion === obj.apiVersion) {
      return last;
    }
    return (this.lastInvolved = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion });
  }

  private find(hash: number, io: InvolvedObject, type: string, reason: string, message: string, component: string): Entry | undefined {
    const hit = this.byHash.get(hash);
    if (hit === undefined) return undefined;
    for (const e of Array.isArray(hit) ? hit : [hit]) {
      const eio = e.involvedObject;
      if (
        e.message === message &&
        e.reason === reason &&
        e.type === type &&
        e.component === component &&
        (eio.uid ?? '') === (io.uid ?? '') &&
        eio.name === io.name &&
        eio.kind === io.kind &&
        (eio.namespace ?? '') === (io.namespace ?? '')
      ) {
        return e;
      }
    }
    return undefined;
  }

  // remember makes `e` the event its identity's repeats fold into (replacing an earlier one when `replace`).
  private remember(e: Entry, replace: boolean, hash = identityHash(e.involvedObject, e.type, e.reason, e.message, e.component)): void {
    if (replace) {
      const prior = this.find(hash, e.involvedObject, e.type, e.reason, e.message, e.component);
      if (prior) this.forget(prior, hash);
    }
    const hit = this.byHash.get(hash);
    if (hit === undefined) this.byHash.set(hash, e);
    else if (Array.isArray(hit)) hit.push(e);
    else this.byHash.set(hash, [hit, e]);
  }

  private forget(e: Entry, hash = identityHash(e.involvedObject, e.type, e.reason, e.message, e.component)): void {
    const hit = this.byHash.get(hash);
    if (hit === e) this.byHash.delete(hash);
    else if (Array.isArray(hit)) {
      const rest = hit.filter((x) => x !== e);
      if (rest.length === 0) this.byHash.delete(hash);
      else this.byHash.set(hash, rest.length === 1 ? rest[0]! : rest);
    }
  }
}

// toEvent builds the core/v1 Event an entry stands for.
function toEvent(e: Entry): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: e.name, namespace: e.namespace, creationTimestamp: e.firstTimestamp },
    involvedObject: e.involvedObject,
    reason: e.reason,
    message: e.message,
    type: e.type,
    source: { component: e.component },
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    count: e.count,
    reportingComponent: e.component,
  } as KubeEvent;
}


function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

// identityHash is FNV-1a over what makes two events the same (the fields upstream's aggregator
// keys on), separated so that ("ab", "c") and ("a", "bc") differ.
function identityHash(io: InvolvedObject, type: string, reason: string, message: string, component: string): number {
  let h = 0x811c9dc5;
  for (const part of [io.uid ?? '', io.kind, io.namespace ?? '', io.name, type, reason, message, component]) {
    for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x7c, 0x01000193);
  }
  return h >>> 0;
}
