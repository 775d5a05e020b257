/**
 * The CLI over StatefulSets, DaemonSets, claims, revisions and nodes: apply follows their rollouts
 * with kubectl's lines, get/describe/rollout history print kubectl's text, and the nodes knob is
 * kept in the state dir like the other knobs. Cluster time is virtual: 10 s per pod to Ready.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mflux, tempDir, writeManifest } from './helpers.js';

const STS = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: nginx
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: "nginx:1.20"}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

const ds = (image: string) => `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "${image}"}]}
`;

let root: string;
let state: string;

async function ok(...args: string[]): Promise<string> {
  const r = await mflux(state, ...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  root = tempDir('mflux-workloads-');
  state = path.join(root, 'state');
});

describe('StatefulSet through the CLI', () => {
  it('apply follows the ordered rollout; get, describe and rollout history speak kubectl', async () => {
    expect(await ok('apply', '-f', writeManifest(root, 'web.yaml', STS))).toBe(
      [
        'storageclass.storage.k8s.io/standard created',
        'statefulset.apps/web created',
        'Waiting for 3 pods to be ready...',
        'Waiting for 2 pods to be ready...',
        'Waiting for 1 pods to be ready...',
        'partitioned roll out complete: 3 new pods have been updated...',
        '',
      ].join('\n'),
    );
    expect(await ok('get', 'sts')).toBe('NAME   READY   AGE\nweb    3/3     30s\n');
    const pvc = await ok('get', 'pvc');
    expect(pvc.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/);
    expect(pvc).toMatch(/\nwww-web-0\s+Bound\s+pvc-[0-9a-f-]{36}\s+1Gi\s+RWO\s+standard\s+<unset>\s+30s\n/);
    expect(pvc).toMatch(/\nwww-web-2\s+Bound\s+pvc-[0-9a-f-]{36}\s+1Gi\s+RWO\s+standard\s+<unset>\s+10s\n$/);
    expect(await ok('get', 'sc')).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\nstandard \(default\)\s+rancher\.io\/local-path\s+Delete\s+Immediate\s+false\s+30s\n$/);
    const revs = await ok('get', 'controllerrevisions');
    expect(revs).toMatch(/^NAME\s+CONTROLLER\s+REVISION\s+AGE\nweb-[bcdfghjklmnpqrstvwxz2456789]+\s+statefulset\.apps\/web\s+1\s+30s\n$/);
    expect(await ok('get', 'pods', '-o', 'wide')).toMatch(/\nweb-0 .*mflux-sim-node .*\nweb-1 .*mflux-sim-node2 .*\nweb-2 .*mflux-sim-node3 /);

    const d = await ok('describe', 'statefulset', 'web');
    for (const line of [
      'Selector:           app=web',
      'Replicas:           3 desired | 3 total',
      'Update Strategy:    RollingUpdate',
      '  Partition:        0',
      'Pods Status:        3 Running / 0 Waiting / 0 Succeeded / 0 Failed',
      'Volume Claims:',
      '  Name:          www',
      '  Capacity:      1Gi',
      '  Access Modes:  [ReadWriteOnce]',
    ]) {
      expect(d.split('\n'), line).toContain(line);
    }
    expect(d).toMatch(/Normal {2}SuccessfulCreate {2}30s {3}statefulset-controller {2}create Claim www-web-0 Pod web-0 in StatefulSet web success\n/);

    // A new image with partition 2: kubectl's partition lines, history with two revisions.
    const v2 = STS.replace('nginx:1.20', 'nginx:1.21').replace('  serviceName: nginx', '  serviceName: nginx\n  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}');
    expect(await ok('apply', '-f', writeManifest(root, 'web.yaml', v2))).toBe(
      ['storageclass.storage.k8s.io/standard unchanged', 'statefulset.apps/web configured', 'Waiting for 1 pods to be ready...', 'partitioned roll out complete: 1 new pods have been updated...', ''].join('\n'),
    );
    expect(await ok('rollout', 'status', 'sts/web', '--watch=false')).toBe('partitioned roll out complete: 1 new pods have been updated...\n');
    expect(await ok('rollout', 'history', 'statefulset/web')).toBe('statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n');
    const rev2 = await ok('rollout', 'history', 'statefulset.apps/web', '--revision', '2');
    expect(rev2.startsWith('statefulset.apps/web with revision #2\nPod Template:\n')).toBe(true);
    expect(rev2).toContain('Image:\tnginx:1.21\n');
    const missing = await mflux(state, 'rollout', 'history', 'sts/web', '--revision', '7');
    expect(missing).toMatchObject({ code: 1, stderr: 'error: unable to find the specified revision\n' });
  });

  it('OnDelete has no rollout status (kubectl refuses); other kinds are a usage error', async () => {
    const onDelete = STS.replace('  serviceName: nginx', '  serviceName: nginx\n  updateStrategy: {type: OnDelete}').replace('name: web}', 'name: db}').replaceAll('app: web', 'app: db');
    await ok('apply', '-f', writeManifest(root, 'db.yaml', onDelete));
    const r = await mflux(state, 'rollout', 'status', 'statefulset/db');
    expect(r).toMatchObject({ code: 1, stderr: 'error: rollout status is only available for RollingUpdate strategy type\n' });
    const bad = await mflux(state, 'rollout', 'status', 'pod/web-0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected deployment/NAME, statefulset/NAME or daemonset/NAME, got "pod/web-0"');
  });
});

describe('DaemonSet and the nodes knob through the CLI', () => {
  it('rolls out one node at a time; --nodes grows and shrinks the cluster and is remembered', async () => {
    expect(await ok('apply', '-f', writeManifest(root, 'ds.yaml', ds('agent:1.0')))).toBe(
      'daemonset.apps/agent created\nWaiting for daemon set "agent" rollout to finish: 0 of 3 updated pods are available...\ndaemon set "agent" successfully rolled out\n',
    );
    expect(await ok('get', 'ds')).toBe('NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE\nagent   3         3         3       3            3           <none>          10s\n');
    expect(await ok('apply', '--no-wait', '-f', writeManifest(root, 'ds.yaml', ds('agent:2.0')))).toBe('daemonset.apps/agent configured\n');
    expect(await ok('rollout', 'status', 'daemonset/agent')).toBe(
      [
        'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...',
        'Waiting for daemon set "agent" rollout to finish: 2 out of 3 new pods have been updated...',
        'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...',
        'daemon set "agent" successfully rolled out',
        '',
      ].join('\n'),
    );
    expect(await ok('rollout', 'history', 'ds/agent')).toBe('daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n');
    const d = await ok('describe', 'ds', 'agent');
    expect(d).toContain('\nDesired Number of Nodes Scheduled: 3\nCurrent Number of Nodes Scheduled: 3\nNumber of Nodes Scheduled with Up-to-date Pods: 3\nNumber of Nodes Scheduled with Available Pods: 3\nNumber of Nodes Misscheduled: 0\n');
    expect(d).toContain('Node-Selector:  <none>\n');

    await ok('advance', '10s', '--nodes', '5');
    expect(await ok('get', 'nodes')).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n(mflux-sim-node\d?\s+Ready\s+<none>\s+\S+\s+v1\.31\.0\n){5}$/);
    expect(await ok('get', 'ds')).toMatch(/\nagent\s+5\s+5\s+5\s+5\s+5\s+<none>/);
    // The knob is kept: a later command without --nodes still has 5 nodes.
    await ok('advance', '1s');
    expect((await ok('get', 'nodes')).trim().split('\n')).toHaveLength(6);

    await ok('advance', '30s', '--nodes', '2');
    expect(await ok('get', 'nodes', '-o', 'wide')).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\nmflux-sim-node\s+Ready\s+<none>\s+\S+\s+v1\.31\.0\s+172\.18\.0\.2\s+<none>\s+.*\nmflux-sim-node2\s+Ready\s+.*172\.18\.0\.3\s+.*\n$/);
    expect(await ok('get', 'ds')).toMatch(/\nagent\s+2\s+2\s+2\s+2\s+2\s+<none>/);
    // Pods on the removed nodes were collected; the StatefulSet re-created web-2 on a node that exists.
    const pods = await ok('get', 'pods', '-o', 'wide');
    expect(pods).not.toMatch(/mflux-sim-node[345]/);
    expect(pods).toMatch(/\nweb-2\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+mflux-sim-node2? /);
    expect(await ok('get', 'sts', 'web')).toMatch(/\nweb\s+3\/3\s/);

    const bad = await mflux(state, 'advance', '1s', '--nodes', '0');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('invalid value for --nodes: "0" (use a whole number from 1 to 1000)') });
  });
});
