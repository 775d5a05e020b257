/** Shapes of what the state store keeps. */
import type { KubeEvent, KubeObject } from '../core/index.js';

/** StoreMode says whether a command only reads state or also writes it (and so takes the writer lock). */
export type StoreMode = 'read' | 'write';

/** StoredEvent is an event plus its position in the order events happened (seq, ascending). */
export interface StoredEvent {
  seq: number;
  event: KubeEvent;
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
