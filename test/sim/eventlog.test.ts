/** EventLog aggregation and persistence shape: repeats fold into a count, events round-trip through their stored form. */
import { expect, test } from 'vitest';
import type { KubeObject } from '../../src/core/index.js';
import { EventLog } from '../../src/cluster/sim/events.js';
import { IdSource } from '../../src/cluster/sim/ids.js';
import type { StoredEvent } from '../../src/store/index.js';

const T0 = Date.UTC(2026, 0, 1);

function rs(name: string, resourceVersion: string, uid = `uid-${name}`): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid, resourceVersion } };
}

test('an identical repeat (same object, type, reason, message, component) folds into the first event, even about a newer version', () => {
  const log = new EventLog(new IdSource());
  log.record(rs('web-1', '10'), 'Normal', 'SuccessfulCreate', 'Created pod: web-1-a', 'replicaset-controller', T0);
  log.record(rs('web-1', '11'), 'Normal', 'SuccessfulCreate', 'Created pod: web-1-b', 'replicaset-controller', T0);
  log.record(rs('web-1', '12'), 'Normal', 'SuccessfulCreate', 'Created pod: web-1-a', 'replicaset-controller', T0 + 5_500);
  log.record(rs('web-1', '12'), 'Warning', 'SuccessfulCreate', 'Created pod: web-1-a', 'replicaset-controller', T0 + 6_000);
  log.record(rs('web-1', '12'), 'Normal', 'SuccessfulCreate', 'Created pod: web-1-a', 'other-controller', T0 + 6_000);
  log.record(rs('web-1', '12', 'another-uid'), 'Normal', 'SuccessfulCreate', 'Created pod: web-1-a', 'replicaset-controller', T0 + 6_000);
  const events = log.list();
  expect(events.map((e) => [e.message, e.type, e.source.component, e.involvedObject.uid, e.count])).toEqual([
    ['Created pod: web-1-a', 'Normal', 'replicaset-controller', 'uid-web-1', 2],
    ['Created pod: web-1-b', 'Normal', 'replicaset-controller', 'uid-web-1', 1],
    ['Created pod: web-1-a', 'Warning', 'replicaset-controller', 'uid-web-1', 1],
    ['Created pod: web-1-a', 'Normal', 'other-controller', 'uid-web-1', 1],
    ['Created pod: web-1-a', 'Normal', 'replicaset-controller', 'another-uid', 1],
  ]);
  // The folded event keeps the version it was first recorded about and its first timestamp.
  expect(events[0]).toMatchObject({ firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:00:05Z', involvedObject: { resourceVersion: '10' } });
  expect(Object.keys(events[0]!)).toEqual(['apiVersion', 'kind', 'metadata', 'involvedObject', 'reason', 'message', 'type', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'reportingComponent']);
  expect(events[0]!.metadata.name).toMatch(/^web-1\.[0-9a-f]{16}$/);
  expect(log.list({ kind: 'ReplicaSet', namespace: 'default', name: 'web-1' })).toHaveLength(5);
  expect(log.list({ kind: 'ReplicaSet', name: 'web-2' })).toEqual([]);
});

test('events loaded from the store are listed as recorded, and a repeat of the latest of equal ones counts on it', () => {
  const first = new EventLog(new IdSource());
  const obj = rs('api-1', '7');
  first.record(obj, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set api-1 to 3', 'deployment-controller', T0);
  first.record(obj, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set api-1 to 3', 'deployment-controller', T0 + 1_000);
  const drained = first.drainChanges();
  expect(drained.events.map((e) => [e.seq, e.count])).toEqual([[1, 2]]);
  expect(first.drainChanges().events).toEqual([]);
  // The drained copy does not move when the log counts on.
  first.record(obj, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set api-1 to 3', 'deployment-controller', T0 + 2_000);
  expect(drained.events[0]!.count).toBe(2);
  // The log counted on a copy in its place: it lists 3, the next drain hands that copy out, and the one after nothing.
  expect(first.list()[0]!.count).toBe(3);
  first.record(obj, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set api-1 to 3', 'deployment-controller', T0 + 3_000);
  const recounted = first.drainChanges().events;
  expect(recounted.map((e) => [e.seq, e.count, e.lastTimestamp])).toEqual([[1, 4, '2026-01-01T00:00:03Z']]);
  expect(first.drainChanges().events).toEqual([]);
  expect(drained.events[0]!.count).toBe(2);
  const stored = drained.events.map((e) => JSON.parse(JSON.stringify(e)) as StoredEvent);
  // A second copy under a later seq (as an older build could leave): repeats fold into the later one.
  const copy: StoredEvent = { ...stored[0]!, seq: 2, name: 'api-1.copy' };
  const second = new EventLog(new IdSource(), [...stored, copy]);
  const listed = second.list();
  expect(listed).toEqual([first.list()[0]!, { ...first.list()[0]!, metadata: { ...first.list()[0]!.metadata, name: 'api-1.copy' } }].map((e) => ({ ...e, count: 2, lastTimestamp: '2026-01-01T00:00:01Z' })));
  expect(Object.keys(listed[0]!)).toEqual(['apiVersion', 'kind', 'metadata', 'involvedObject', 'reason', 'message', 'type', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'reportingComponent']);
  second.record(obj, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set api-1 to 3', 'deployment-controller', T0 + 9_000);
  second.record(obj, 'Normal', 'ScalingReplicaSet', 'Scaled down replica set api-1 to 0', 'deployment-controller', T0 + 9_000);
  const after = second.drainChanges().events;
  expect(after.map((e) => [e.seq, e.name, e.count, e.lastTimestamp])).toEqual([
    [2, 'api-1.copy', 3, '2026-01-01T00:00:09Z'],
    [3, after[1]!.name, 1, '2026-01-01T00:00:09Z'],
  ]);
  // Expiry reads a loaded event's last occurrence from its timestamp: at 01:00:09 the one last seen at 00:00:01 is gone, those seen at 00:00:09 stay.
  second.expire(T0 + 9_000 + 60 * 60 * 1000);
  expect(second.list().map((e) => e.metadata.name)).toEqual(['api-1.copy', after[1]!.name]);
});

test('expiry drops an event an hour after its last occurrence and forgets it for aggregation', () => {
  const log = new EventLog(new IdSource());
  const obj = rs('job-1', '3');
  log.record(obj, 'Normal', 'Completed', 'Job completed', 'job-controller', T0);
  log.drainChanges();
  log.expire(T0 + 60 * 60 * 1000);
  expect(log.size).toBe(1);
  log.expire(T0 + 60 * 60 * 1000 + 61_000);
  expect(log.size).toBe(0);
  expect(log.drainChanges().expired).toEqual([1]);
  log.record(obj, 'Normal', 'Completed', 'Job completed', 'job-controller', T0 + 2 * 60 * 60 * 1000);
  expect(log.list().map((e) => [e.count, e.firstTimestamp])).toEqual([[1, '2026-01-01T02:00:00Z']]);
});

test('occurrence listeners see every occurrence, a repeat with its count', () => {
  const log = new EventLog(new IdSource());
  const seen: [string, number][] = [];
  log.onOccurrence((e) => seen.push([e.message, e.count]));
  const obj = rs('web-2', '4');
  log.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: web-2-a', 'replicaset-controller', T0);
  log.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: web-2-a', 'replicaset-controller', T0 + 1_000);
  log.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: web-2-b', 'replicaset-controller', T0 + 1_000);
  expect(seen).toEqual([
    ['Created pod: web-2-a', 1],
    ['Created pod: web-2-a', 2],
    ['Created pod: web-2-b', 1],
  ]);
});

test('loaded events expire before anything is recorded, and a later repeat of an expired one is a new event', () => {
  const first = new EventLog(new IdSource());
  const obj = rs('old-1', '5');
  first.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: old-1-a', 'replicaset-controller', T0);
  first.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: old-1-b', 'replicaset-controller', T0 + 30 * 60 * 1000);
  const stored = first.drainChanges().events.map((e) => JSON.parse(JSON.stringify(e)) as StoredEvent);
  const log = new EventLog(new IdSource(), stored);
  // 01:00:01: the first (last seen 00:00:00) is past the 1h TTL, the second (00:30:00) is not.
  log.expire(T0 + 60 * 60 * 1000 + 1_000);
  expect(log.list().map((e) => e.message)).toEqual(['Created pod: old-1-b']);
  log.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: old-1-a', 'replicaset-controller', T0 + 61 * 60 * 1000);
  log.record(obj, 'Normal', 'SuccessfulCreate', 'Created pod: old-1-b', 'replicaset-controller', T0 + 61 * 60 * 1000);
  expect(log.list().map((e) => [e.message, e.count])).toEqual([
    ['Created pod: old-1-b', 2],
    ['Created pod: old-1-a', 1],
  ]);
  expect(log.drainChanges()).toMatchObject({ expired: [1] });
});
