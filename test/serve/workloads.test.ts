/**
 * The real kubectl against `mflux serve` for a StatefulSet and a DaemonSet: `get` tables,
 * `rollout status` (kubectl's own viewers, run client-side on the objects we serve) and
 * `rollout history` (kubectl reads our ControllerRevisions) say what `mflux` says.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, type KRun, runKubectl } from './helpers.js';
import { type ApiServerHandle, kubeconfigFor, startApiServer } from '../../src/cli/serve/server.js';
import { mflux, tempDir, writeManifest } from '../cli/helpers.js';


const MANIFESTS = `
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
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "agent:1.0"}]}
`;

let root: string;
let state: string;
let server: ApiServerHandle;
let kubeconfig: string;


/** kubectl runs the real binary against this file's server. */
const kubectl = (...args: string[]): Promise<KRun> => runKubectl(kubeconfig, root, ...args);

async function ok(...args: string[]): Promise<string> {
  const r = await mflux(state, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  root = tempDir('mflux-serve-workloads-');
  state = path.join(root, 'state');
  await ok('apply', '-f', writeManifest(root, 'all.yaml', MANIFESTS));
  server = await startApiServer({ stateDir: state, host: '127.0.0.1', port: 0, pollMs: 20 });
  kubeconfig = path.join(root, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigFor(server.url));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe(`real kubectl (${KUBECTL}) on StatefulSets and DaemonSets through mflux serve`, () => {
  test('get sts, ds, controllerrevisions, pvc, nodes print what mflux get prints', async () => {
    for (const [kargs, margs] of [
      [['get', 'sts'], ['get', 'statefulsets']],
      [['get', 'sts', '-o', 'wide'], ['get', 'sts', '-o', 'wide']],
      [['get', 'ds'], ['get', 'daemonsets']],
      [['get', 'ds', '-o', 'wide'], ['get', 'ds', '-o', 'wide']],
      [['get', 'controllerrevisions'], ['get', 'controllerrevisions']],
      [['get', 'pvc'], ['get', 'pvc']],
      [['get', 'pv'], ['get', 'pv']],
      [['get', 'sc'], ['get', 'storageclasses']],
      [['get', 'nodes'], ['get', 'nodes']],
      [['get', 'nodes', '-o', 'wide'], ['get', 'nodes', '-o', 'wide']],
    ] as const) {
      const k = await kubectl(...kargs);
      expect(k.stderr, kargs.join(' ')).toBe('');
      expect(k.stdout, kargs.join(' ')).toBe(await ok(...margs));
    }
    expect((await kubectl('get', 'sts')).stdout).toMatch(/^NAME\s+READY\s+AGE\nweb\s+3\/3\s+\S+\n$/);
    expect((await kubectl('get', 'ds')).stdout).toMatch(/\nagent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\S+\n$/);
  });

  test('describe sts/ds: kubectl\'s client-side describers print what mflux describe prints (events aside: kubectl ages them by its own clock)', async () => {
    for (const [kind, name] of [
      ['statefulset', 'web'],
      ['daemonset', 'agent'],
    ] as const) {
      const k = await kubectl('describe', kind, name);
      expect(k.stderr, kind).toBe('');
      const m = await ok('describe', kind, name);
      expect(k.stdout.split('\nEvents:')[0], kind).toBe(m.split('\nEvents:')[0]);
      const reasons = (t: string) => t.split('\nEvents:')[1]!.split('\n').slice(3).filter(Boolean).map((l) => l.trim().split(/\s{2,}/).filter((_, i) => i !== 2));
      expect(reasons(k.stdout), kind).toEqual(reasons(m));
    }
  });

  test('rollout status of a finished rollout: kubectl\'s viewers agree with mflux', async () => {
    const sts = await kubectl('rollout', 'status', 'statefulset/web');
    expect(sts).toMatchObject({ code: 0, stdout: 'partitioned roll out complete: 3 new pods have been updated...\n' });
    expect(sts.stdout).toBe(await ok('rollout', 'status', 'statefulset/web', '--watch=false'));
    const ds = await kubectl('rollout', 'status', 'daemonset/agent');
    expect(ds).toMatchObject({ code: 0, stdout: 'daemon set "agent" successfully rolled out\n' });
    expect(ds.stdout).toBe(await ok('rollout', 'status', 'ds/agent', '--watch=false'));
  });

  test('rollout status follows a rollout another command runs; rollout history reads our revisions', async () => {
    await ok('apply', '--no-wait', '-f', writeManifest(root, 'all.yaml', MANIFESTS.replace('nginx:1.20', 'nginx:1.21').replace('agent:1.0', 'agent:2.0')));
    // Controllers react at once, so web-2 and the first node's agent are already being replaced: kubectl's words and ours.
    for (const [kind, line] of [
      ['statefulset/web', 'Waiting for 1 pods to be ready...\n'],
      ['daemonset/agent', 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...\n'],
    ] as const) {
      const k = await kubectl('rollout', 'status', kind, '--watch=false');
      expect(k.stdout, kind).toBe(line);
      expect(await ok('rollout', 'status', kind, '--watch=false')).toBe(line);
    }
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(root, 'kube-cache'), 'rollout', 'status', 'statefulset/web'], { env: { ...process.env, HOME: root, KUBECONFIG: '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      while (!out.includes('\n')) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await ok('advance', '1m');
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
    expect(out.split('\n').at(-2)).toBe('partitioned roll out complete: 3 new pods have been updated...');
    expect((await kubectl('rollout', 'status', 'daemonset/agent')).stdout).toBe('daemon set "agent" successfully rolled out\n');

    for (const kind of ['statefulset/web', 'daemonset/agent']) {
      const k = await kubectl('rollout', 'history', kind);
      expect(k.stderr, kind).toBe('');
      expect(k.stdout, kind).toBe(await ok('rollout', 'history', kind));
      expect(k.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
      const k2 = await kubectl('rollout', 'history', kind, '--revision', '2');
      expect(k2.stdout, kind).toBe(await ok('rollout', 'history', kind, '--revision', '2'));
    }
  }, 30_000);
});
