/** Event expiry: events live an hour after their last occurrence (the API server's --event-ttl), in memory and in the state dir. */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { mflux, removeTestRepos, tempDir, writeManifest } from '../cli/helpers.js';

afterAll(() => removeTestRepos());

const FRONT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: web, image: nginx:1}]}
`;

test('events are listed for an hour after they last happened, then expire from the cluster and from state.db', async () => {
  const dir = tempDir();
  const state = path.join(dir, 'state');
  const file = writeManifest(dir, 'front.yaml', FRONT);
  expect((await mflux(state, 'apply', '-f', file, '--clock-start', '2026-01-01T00:00:00Z')).code).toBe(0);
  const stored = () => {
    const db = new Database(path.join(state, 'state.db'), { readonly: true });
    try {
      return db.prepare('SELECT count(*) FROM event_rows').pluck().get() as number;
    } finally {
      db.close();
    }
  };
  const before = (await mflux(state, 'get', 'events')).stdout;
  expect(before).toMatch(/ScalingReplicaSet/);
  const count = stored();
  expect(count).toBe(3); // ScalingReplicaSet, and SuccessfulCreate for each of the two pods

  // 59 minutes later everything is still there (the rollout's last events are ~10 s after the first).
  expect((await mflux(state, 'advance', '59m')).code).toBe(0);
  expect((await mflux(state, 'get', 'events')).stdout.split('\n').length).toBe(before.split('\n').length);
  expect(stored()).toBe(count);

  // Past the hour: gone, from the listing and from the database.
  expect((await mflux(state, 'advance', '2m')).code).toBe(0);
  const after = await mflux(state, 'get', 'events');
  expect(after.stdout).toBe('');
  expect(after.stderr).toBe('No resources found in default namespace.\n');
  expect(stored()).toBe(0);
  // The objects themselves are not affected.
  expect((await mflux(state, 'get', 'deploy')).stdout).toMatch(/^front\s+2\/2\s+2\s+2\s+/m);
});
