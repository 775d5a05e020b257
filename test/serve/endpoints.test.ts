/**
 * The real kubectl against `mflux serve` for a Service's endpoints: `get endpoints|endpointslices`
 * (server-side tables) and `describe service` (kubectl's client-side describer, which lists the
 * Service's EndpointSlices by label) print what `mflux` prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, type KRun, runKubectl } from './helpers.js';
import { type ApiServerHandle, kubeconfigFor, startApiServer } from '../../src/cli/serve/server.js';
import { mflux, tempDir, writeManifest } from '../cli/helpers.js';

const MANIFESTS = `
apiVersion: v1
kind: Service
metadata: {name: front, labels: {tier: web}}
spec:
  selector: {app: front}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9100}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: 4
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: app, image: "nginx:1.20", ports: [{name: http, containerPort: 8080}]}]}
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
  root = tempDir('mflux-serve-endpoints-');
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

describe(`real kubectl (${KUBECTL}) on endpoints through mflux serve`, () => {
  test('get endpoints and endpointslices print what mflux get prints', async () => {
    for (const [kargs, margs] of [
      [['get', 'endpoints'], ['get', 'endpoints']],
      [['get', 'ep', 'front'], ['get', 'ep', 'front']],
      [['get', 'endpointslices'], ['get', 'endpointslices']],
      [['get', 'endpointslices.discovery.k8s.io'], ['get', 'endpointslices']],
    ] as const) {
      const k = await kubectl(...kargs);
      expect(k.stderr, kargs.join(' ')).toBe('');
      expect(k.stdout, kargs.join(' ')).toBe(await ok(...margs));
    }
    expect((await kubectl('get', 'endpoints')).stdout).toMatch(/\nfront\s+10\.244\.0\.2:8080,10\.244\.0\.3:8080,10\.244\.0\.4:8080 \+ 5 more\.\.\.\s+\S+\n$/);
    expect((await kubectl('get', 'endpointslices')).stdout).toMatch(/\nempty-\S+\s+IPv4\s+<unset>\s+<unset>\s+\S+\n/);
  });

  test('-o yaml/json: kubectl shows the objects mflux stores', async () => {
    const k = await kubectl('get', 'ep', 'front', '-o', 'json');
    expect(k.stderr).toBe('');
    const ep = JSON.parse(k.stdout);
    expect(ep.subsets[0].addresses.map((a: any) => a.ip)).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5']);
    expect(ep).toEqual(JSON.parse(await ok('get', 'ep', 'front', '-o', 'json')));
    const slices = JSON.parse((await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=front', '-o', 'json')).stdout);
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0]).toMatchObject({ addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }] });
    expect(slices.items[0].endpoints.every((e: any) => e.conditions.ready === true && e.targetRef.kind === 'Pod')).toBe(true);
  });

  test("describe service: kubectl's describer (EndpointSlices by label) prints what mflux describe prints", async () => {
    for (const name of ['front', 'empty']) {
      const k = await kubectl('describe', 'service', name);
      expect(k.stderr, name).toBe('');
      expect(k.stdout, name).toBe(await ok('describe', 'service', name));
    }
    expect((await kubectl('describe', 'svc', 'front')).stdout).toMatch(/\nEndpoints: +\S+:8080,\S+:8080,\S+:8080 \+ 1 more\.\.\.\n/);
  });
});
