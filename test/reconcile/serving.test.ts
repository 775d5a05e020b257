/**
 * Reconcile records serving capacity in the ledger: for each pass, the fewest ready endpoints of
 * every Service it could affect while it waited — so `mflux history` shows which commit cut
 * traffic. Through the CLI on a real git repository, on the persisted virtual clock (pods Ready 10 s
 * after they are created).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { TestRepo, mflux, removeTestRepos } from '../cli/helpers.js';

afterAll(removeTestRepos);

function web(image: string, recreate: boolean): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    type: ${recreate ? 'Recreate' : 'RollingUpdate'}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: ${image}
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: http
`;
}

describe('the ledger keeps each pass\'s minimum ready endpoints per Service', () => {
  test('history service/web and the MIN READY column show the commit that cut traffic', async () => {
    const repo = new TestRepo();
    const subjects = ['web v1 (Recreate)', 'web v2, rolling', 'web v3, Recreate again', 'config only'];
    repo.write({ 'web.yaml': web('web:1', true) });
    repo.commit(subjects[0]!);
    expect((await mflux(repo.state, 'reconcile', '--repo', repo.dir)).code).toBe(0);
    repo.write({ 'web.yaml': web('web:2', false) });
    repo.commit(subjects[1]!);
    expect((await mflux(repo.state, 'reconcile', '--repo', repo.dir)).code).toBe(0);
    repo.write({ 'web.yaml': web('web:3', true) });
    const cut = repo.commit(subjects[2]!);
    expect((await mflux(repo.state, 'reconcile', '--repo', repo.dir)).code).toBe(0);
    // A pass that touches neither the Service nor its pods records nothing for it.
    repo.write({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  a: "1"\n' });
    repo.commit(subjects[3]!);
    expect((await mflux(repo.state, 'reconcile', '--repo', repo.dir)).code).toBe(0);

    const json = JSON.parse((await mflux(repo.state, 'history', 'service/web', '-o', 'json')).stdout);
    // Created from nothing: 0 before, 0 until the pods are Ready. Rolling (surge 1, unavailable 0): never below 3.
    // Recreate: every old pod stops at the apply; the new ones are Ready 10 s later.
    expect(json.items.map((i: any) => [i.subject, i.outcome, i.readyBefore, i.minReady, i.readyAfter, i.desired, i.secondsAtZero])).toEqual([
      [subjects[0], 'Applied', 0, 0, 3, 3, 10],
      [subjects[1], 'Applied', 3, 3, 3, 3, 0],
      [subjects[2], 'Applied', 3, 0, 3, 3, 10],
    ]);
    expect(json.items[2].commit).toBe(cut);

    const text = (await mflux(repo.state, 'history', 'svc/web')).stdout.split('\n');
    expect(text[0]).toMatch(/^PASS +COMMIT +SUBJECT +OUTCOME +BEFORE +MIN READY +AFTER +DESIRED +AT ZERO +APPLIED$/);
    expect(text[3]).toMatch(new RegExp(`^3 +${cut.slice(0, 7)} +web v3, Recreate again +Applied +3 +0 +3 +3 +10s +\\S+Z$`));

    const all = (await mflux(repo.state, 'history')).stdout.split('\n');
    expect(all[0]).toMatch(/ DURATION +MIN READY +REASON$/);
    expect(all[3]).toMatch(/ web v3, Recreate again +Applied +10s +web 0\/3 *$/);
    expect(all[2]).toMatch(/ web v2, rolling +Applied +\S+ +web 3\/3 *$/);
    expect(all[4]).toMatch(/ config only +Applied +0s *$/);
    const passes = JSON.parse((await mflux(repo.state, 'history', '-o', 'json')).stdout).items;
    expect(passes.map((p: any) => p.services.length)).toEqual([1, 1, 1, 0]);

    expect((await mflux(repo.state, 'history', 'service/api')).stderr).toBe('No history found for service "api" in namespace "default".\n');
  });
});
