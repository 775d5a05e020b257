/** `mflux serve` with a HorizontalPodAutoscaler: the real kubectl's get matches `mflux get hpa`, and its describe reads our status, conditions and events. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, type KRun, runKubectl } from './helpers.js';
import { type ApiServerHandle, kubeconfigFor, startApiServer } from '../../src/cli/serve/server.js';
import { mflux, tempDir } from '../cli/helpers.js';

let root: string;
let state: string;
let kubeconfig: string;
let server: ApiServerHandle;

const kubectl = (...args: string[]): Promise<KRun> => runKubectl(kubeconfig, root, ...args);

const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.20", resources: {requests: {cpu: 200m}}}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`;

beforeAll(async () => {
  root = tempDir('mflux-serve-hpa-');
  state = path.join(root, 'state');
  const file = path.join(root, 'app.yaml');
  fs.writeFileSync(file, APP);
  const a = await mflux(state, 'apply', '-f', file, '--clock-start', '2021-10-10T00:02:34Z');
  expect(a.code, a.stderr).toBe(0);
  expect((await mflux(state, 'advance', '60s', '--cpu-utilization', '100%')).code).toBe(0);
  server = await startApiServer({ stateDir: state, host: '127.0.0.1', port: 0, pollMs: 20 });
  kubeconfig = path.join(root, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigFor(server.url));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe(`real kubectl (${KUBECTL}) against mflux serve: HPA`, () => {
  test('get hpa matches mflux get hpa', async () => {
    for (const args of [['get', 'hpa'], ['get', 'horizontalpodautoscalers.autoscaling', 'web']]) {
      const k = await kubectl(...args);
      const m = await mflux(state, ...args);
      expect({ code: k.code, stdout: k.stdout, stderr: k.stderr }, args.join(' ')).toEqual({ code: m.code, stdout: m.stdout, stderr: m.stderr });
    }
    expect((await kubectl('get', 'hpa')).stdout).toMatch(/^web\s+Deployment\/web\s+cpu: 100%\/50%\s+1\s+5\s+5\s+70s$/m);
  });

  test('kubectl describe hpa reads the metrics, counts, conditions and events', async () => {
    const k = await kubectl('describe', 'hpa', 'web');
    expect(k.code, k.stderr).toBe(0);
    const squash = (s: string) => s.replace(/[ \t]+/g, ' ');
    const out = squash(k.stdout);
    expect(out).toContain('resource cpu on pods (as a percentage of request): 100% (200m) / 50%');
    expect(out).toContain('Deployment pods: 5 current / 5 desired');
    expect(out).toContain('AbleToScale True ReadyForNewScale recommended size matches current size');
    expect(out).toContain('ScalingActive True ValidMetricFound the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    expect(out).toContain('ScalingLimited True TooManyReplicas the desired replica count is more than the maximum replica count');
    expect(out).toMatch(/Normal SuccessfulRescale \S+ horizontal-pod-autoscaler New size: 5; reason: cpu resource utilization \(percentage of request\) above target/);
  });
});
