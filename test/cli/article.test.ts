/**
 * The seed article's kubectl session, reproduced on the simulated cluster through the mflux CLI.
 * Pod readiness is 10.5 s (the article's events are ~10.5 s apart) and cluster time is moved so
 * every age the article prints comes out the same. ReplicaSet hashes cannot match the article's
 * (upstream hashes a Go-specific dump), so they are read from our own output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, mflux, tempDir, writeManifest } from './helpers.js';

const MANIFEST = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: front
  name: front
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 30%
      maxUnavailable: 10%
  selector:
    matchLabels:
      app: front
  template:
    metadata:
      labels:
        app: front
    spec:
      containers:
        - image: ${image}
          name: front
`;

describe('the seed article, step by step', () => {
  const dir = tempDir();
  const state = path.join(dir, 'state');
  const file = path.join(dir, 'deployment.yaml');
  const savedTZ = process.env.TZ;
  let oldRS = '';
  let newRS = '';

  beforeAll(() => {
    process.env.TZ = 'Asia/Tokyo';
  });
  afterAll(() => {
    process.env.TZ = savedTZ;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl apply -f deployment.yaml (v1.0.0)', async () => {
    writeManifest(dir, 'deployment.yaml', MANIFEST('xxx/frontend:v1.0.0'));
    const r = await mflux(state, 'apply', '-f', file, '--no-wait', '--pod-ready-after', '10.5s', '--pod-ready-jitter', '5s', '--clock-start', '2021-10-10T00:02:34Z');
    expect(r).toMatchObject({ code: 0, stdout: 'deployment.apps/front created\n', stderr: '' });
  });

  test('kubectl rollout status deploy front', async () => {
    const r = await mflux(state, 'rollout', 'status', 'deploy/front');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Waiting for deployment "front" rollout to finish: 0 of 3 updated replicas are available...',
        'Waiting for deployment "front" rollout to finish: 1 of 3 updated replicas are available...',
        'Waiting for deployment "front" rollout to finish: 2 of 3 updated replicas are available...',
        'deployment "front" successfully rolled out',
        '',
      ].join('\n'),
    );
  });

  test('kubectl describe deploy front (revision 1)', async () => {
    const r = await mflux(state, 'describe', 'deploy', 'front');
    expect(r.code).toBe(0);
    oldRS = /NewReplicaSet:\s+(front-[a-z0-9]+) /.exec(r.stdout)![1]!;
    expect(r.stdout).toContain(
      [
        'Name:                   front',
        'Namespace:              default',
        'CreationTimestamp:      Sun, 10 Oct 2021 09:02:34 +0900',
        'Labels:                 app=front',
        'Annotations:            deployment.kubernetes.io/revision: 1',
        'Selector:               app=front',
        'Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable',
        'StrategyType:           RollingUpdate',
        'MinReadySeconds:        0',
        'RollingUpdateStrategy:  10% max unavailable, 30% max surge',
      ].join('\n'),
    );
    expect(r.stdout).toContain(
      ['Conditions:', '  Type           Status  Reason', '  ----           ------  ------', '  Available      True    MinimumReplicasAvailable', '  Progressing    True    NewReplicaSetAvailable'].join('\n'),
    );
    expect(oldRS).toMatch(/^front-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  test('v2.0.0: kubectl apply, get deploy mid-rollout, get rs, describe events', async () => {
    // The article applies v2 2m39s after creating front; API timestamps are whole seconds, which the ages below depend on.
    let r = await mflux(state, 'advance', '--to', '2021-10-10T00:05:13Z');
    expect(r.code).toBe(0);
    writeManifest(dir, 'deployment.yaml', MANIFEST('xxx/frontend:v2.0.0'));
    r = await mflux(state, 'apply', '-f', file, '--no-wait', '--pod-ready-jitter', '0s');
    expect(r.stdout).toBe('deployment.apps/front configured\n');

    await mflux(state, 'advance', '16.5s');
    r = await mflux(state, 'get', 'deploy');
    expect(r.stdout).toBe('NAME    READY   UP-TO-DATE   AVAILABLE   AGE\nfront   3/3     2            3           2m55s\n');

    r = await mflux(state, 'rollout', 'status', 'deployment/front');
    expect(r.code).toBe(0);
    await mflux(state, 'advance', '11s');
    r = await mflux(state, 'get', 'rs');
    newRS = /^(front-\S+)\s+3\s/m.exec(r.stdout)![1]!;
    const w = Math.max(oldRS.length, newRS.length, 4) + 3;
    expect(r.stdout).toBe(
      `${'NAME'.padEnd(w)}DESIRED   CURRENT   READY   AGE\n` + `${oldRS.padEnd(w)}0         0         0       3m21s\n` + `${newRS.padEnd(w)}3         3         3       42s\n`,
    );

    await mflux(state, 'advance', '22s');
    r = await mflux(state, 'describe', 'deploy', 'front');
    const events = r.stdout.slice(r.stdout.indexOf('Events:'));
    expect(events).toBe(
      [
        'Events:',
        '  Type    Reason             Age    From                   Message',
        '  ----    ------             ----   ----                   -------',
        `  Normal  ScalingReplicaSet  3m43s  deployment-controller  Scaled up replica set ${oldRS} to 3`,
        `  Normal  ScalingReplicaSet  64s    deployment-controller  Scaled up replica set ${newRS} to 1`,
        `  Normal  ScalingReplicaSet  54s    deployment-controller  Scaled down replica set ${oldRS} to 2`,
        `  Normal  ScalingReplicaSet  54s    deployment-controller  Scaled up replica set ${newRS} to 2`,
        `  Normal  ScalingReplicaSet  43s    deployment-controller  Scaled down replica set ${oldRS} to 1`,
        `  Normal  ScalingReplicaSet  43s    deployment-controller  Scaled up replica set ${newRS} to 3`,
        `  Normal  ScalingReplicaSet  33s    deployment-controller  Scaled down replica set ${oldRS} to 0`,
        '',
      ].join('\n'),
    );
  });

  test('back to v1.0.0: revision 3, the first ReplicaSet reused', async () => {
    writeManifest(dir, 'deployment.yaml', MANIFEST('xxx/frontend:v1.0.0'));
    let r = await mflux(state, 'apply', '-f', file);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('deployment.apps/front configured');
    r = await mflux(state, 'describe', 'deploy', 'front');
    expect(r.stdout).toContain('Annotations:            deployment.kubernetes.io/revision: 3\n');
    expect(r.stdout).toContain(`NewReplicaSet:   ${oldRS} (3/3 replicas created)`);
    r = await mflux(state, 'get', 'rs', '-o', 'json');
    const items = JSON.parse(r.stdout).items as any[];
    expect(items.map((i) => i.metadata.name).sort()).toEqual([oldRS, newRS].sort());
    const reused = items.find((i) => i.metadata.name === oldRS);
    expect(reused.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
    expect(reused.metadata.annotations['deployment.kubernetes.io/revision-history']).toBe('1');
    r = await mflux(state, 'rollout', 'history', 'deployment/front');
    expect(r.stdout).toBe('deployment.apps/front \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
  });

  test('get events -o json: a List in the order things happened, with kubectl event fields and cluster-clock times', async () => {
    const r = await mflux(state, 'get', 'events', '-o', 'json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe('List');
    const scaling = list.items.filter((e: any) => e.reason === 'ScalingReplicaSet');
    expect(scaling[0]).toMatchObject({
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled up replica set ${oldRS} to 3`,
      involvedObject: { kind: 'Deployment', namespace: 'default', name: 'front' },
      source: { component: 'deployment-controller' },
      firstTimestamp: '2021-10-10T00:02:34Z',
      count: 2,
    });
    expect(scaling.map((e: any) => e.message).slice(1, 7)).toEqual([
      `Scaled up replica set ${newRS} to 1`,
      `Scaled down replica set ${oldRS} to 2`,
      `Scaled up replica set ${newRS} to 2`,
      `Scaled down replica set ${oldRS} to 1`,
      `Scaled up replica set ${newRS} to 3`,
      `Scaled down replica set ${oldRS} to 0`,
    ]);
    const times = list.items.map((e: any) => Date.parse(e.firstTimestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const created = list.items.filter((e: any) => e.reason === 'SuccessfulCreate');
    expect(created[0]).toMatchObject({ involvedObject: { kind: 'ReplicaSet', name: oldRS }, source: { component: 'replicaset-controller' } });
    expect(created[0].message).toMatch(new RegExp(`^Created pod: ${oldRS}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
  });

  test('the demo script uses fixtures that exist', () => {
    const demo = fs.readFileSync(path.join(REPO_ROOT, 'scripts/demo.sh'), 'utf8');
    for (const m of demo.matchAll(/fixtures-repo\/([\w-]+)/g)) expect(fs.existsSync(path.join(REPO_ROOT, 'fixtures-repo', m[1]!))).toBe(true);
  });
});
