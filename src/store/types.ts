/** Shapes of what the state store keeps. */
import type { KubeEvent, KubeObject } from '../core/index.js';

/** StoreMode says whether a command only reads state or also writes it (and so takes the writer lock). */
export type StoreMode = 'read' | 'write';

/**
 * StoredEvent is one core/v1 Event as the simulator's event log records it, field by field, plus
 * its position in the order events happened (seq, ascending). These fields are the whole event:
 * the rest of a KubeEvent (apiVersion, kind, creationTimestamp = firstTimestamp, source and
 * reportingComponent = component) follows from them.
 */
export interface StoredEvent {
  seq: number;
  name: string;
  namespace: string;
  /** involvedObject is the object the event is about, as of the version it was recorded about. */
  involvedObject: KubeEvent['involvedObject'] & { resourceVersion?: string };
  type: KubeEvent['type'];
  reason: string;
  message: string;
  component: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/**
 * SnapshotChanges is one atomic write: objects to upsert (keyed by kind/namespace/name),
 * object keys to delete, events to upsert (by seq), events to delete (expired, by seq), and key/value metadata to set.
 */
export interface SnapshotChanges {
  upserts: KubeObject[];
  deletes: string[];
  events: StoredEvent[];
  /** eventDeletes are the seqs of events that expired (the API server's event TTL). */
  eventDeletes?: number[];
  meta: Record<string, string>;
}
