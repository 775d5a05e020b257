/**
 * The change history `mflux serve` replays watches from. The state store keeps only the latest
 * version of each object, so the server records what it sees: every list and every watch poll
 * snapshots the whole state, and the difference from the previous snapshot is appended to the
 * history as ADDED/MODIFIED/DELETED changes. A watch from resourceVersion R replays the changes
 * after the first snapshot taken at R — which exists whenever R came from a list this server
 * answered — and R older than anything recorded is 410 Expired.
 */
import type { KubeObject } from '../../core/index.js';
import type { ClusterSession } from '../session.js';

/** WatchEvent is one watch event in the history. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: KubeObject;
}

interface Entry {
  /** seq numbers entries from the start of the history. */
  seq: number;
  /** rv is the store's resourceVersion when the snapshot that produced these changes was taken. */
  rv: number;
  changes: WatchEvent[];
}

type Snapshot = Map<string, { obj: KubeObject; stamp: string }>;

/** MAX_ENTRIES bounds the history; older resourceVersions then become 410 Expired. */
const MAX_ENTRIES = 10_000;

function snapshotOf(s: ClusterSession): Snapshot {
  const m: Snapshot = new Map();
  for (const kind of s.sim.api.kinds()) {
    for (const o of s.sim.api.list(kind)) m.set(`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, { obj: o, stamp: String(o.metadata.resourceVersion ?? '') });
  }
  // Events carry no resourceVersion: the whole event (count, lastTimestamp) is its version.
  for (const e of s.sim.listEvents()) m.set(`Event/${e.metadata.namespace ?? ''}/${e.metadata.name}`, { obj: e, stamp: JSON.stringify(e) });
  return m;
}

/** History records the changes between successive snapshots of the state. */
export class History {
  private last: Snapshot | undefined;
  private lastRv = -1;
  private readonly entries: Entry[] = [];
  private nextSeq = 0;
  /** firstRv is the oldest resourceVersion a watch can start from. */
  private firstRv = -1;

  /** observe snapshots the session's state and records what changed since the last snapshot; returns the state's resourceVersion. */
  observe(s: ClusterSession): number {
    const rv = s.sim.api.resourceVersion;
    const next = snapshotOf(s);
    const changes: WatchEvent[] = [];
    if (this.last) {
      for (const [k, v] of next) {
        const old = this.last.get(k);
        if (!old) changes.push({ type: 'ADDED', obj: v.obj });
        else if (old.stamp !== v.stamp) changes.push({ type: 'MODIFIED', obj: v.obj });
      }
      for (const [k, v] of this.last) if (!next.has(k)) changes.push({ type: 'DELETED', obj: v.obj });
      const order = (c: WatchEvent) => Number(c.obj.metadata.resourceVersion ?? rv);
      changes.sort((a, b) => order(a) - order(b));
    } else {
      this.firstRv = rv;
    }
    // An entry is kept even without changes, so every observed resourceVersion has a place to start from.
    if (!this.last || changes.length > 0 || rv !== this.lastRv) {
      this.entries.push({ seq: this.nextSeq++, rv, changes });
      if (this.entries.length > MAX_ENTRIES) {
        this.entries.shift();
        this.firstRv = this.entries[0]!.rv;
      }
    }
    this.last = next;
    this.lastRv = rv;
    return rv;
  }

  /** cursorAt is where a watch from resourceVersion `rv` starts (the first entry taken at rv), or undefined when rv is too old. */
  cursorAt(rv: number): number | undefined {
    if (rv > this.lastRv) return this.nextSeq; // a future version: wait for what comes
    if (rv < this.firstRv) return undefined;
    const e = this.entries.find((x) => x.rv >= rv);
    if (!e || e.rv !== rv) return undefined; // never observed at exactly rv: its changes cannot be told apart
    return e.seq + 1;
  }

  /** end is the cursor after every recorded change. */
  get end(): number {
    return this.nextSeq;
  }

  /** since returns the changes recorded from cursor on. */
  since(cursor: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (const e of this.entries) if (e.seq >= cursor) out.push(...e.changes);
    return out;
  }
}
