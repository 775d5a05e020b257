/** `mflux get` resolves resource words through the kind registry: short names, categories, CRD names, unknown types as kubectl reports them. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mflux, tempDir, writeManifest } from './helpers.js';

let state: string;

const MANIFESTS = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:16}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: prometheuses.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Cluster
  names: {kind: Prometheus, plural: prometheuses, singular: prometheus, shortNames: [prom], categories: [monitoring]}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main}
spec: {replicas: 1}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:aggregated-metrics-reader"}
rules: []
`;

beforeAll(async () => {
  const root = tempDir('mflux-registry-');
  state = path.join(root, 'state');
  const file = writeManifest(root, 'all.yaml', MANIFESTS);
  const r = await mflux(state, 'apply', '-f', file);
  expect(r.code, r.stderr).toBe(0);
});

describe('mflux get through the kind registry', () => {
  it('get sts (and statefulsets, statefulset.apps) lists the StatefulSet with kubectl\'s columns', async () => {
    const r = await mflux(state, 'get', 'sts');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+READY\s+AGE\ndb\s+\d\/2\s+\S+\n$/);
    for (const w of ['statefulsets', 'statefulset.apps', 'StatefulSet']) expect((await mflux(state, 'get', w)).stdout, w).toBe(r.stdout);
  });

  it('an unknown resource type is kubectl\'s error, exit 1, no table', async () => {
    const r = await mflux(state, 'get', 'foo');
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'error: the server doesn\'t have a resource type "foo"\n' });
    const mixed = await mflux(state, 'get', 'deploy,foos');
    expect(mixed).toEqual({ code: 1, stdout: '', stderr: 'error: the server doesn\'t have a resource type "foos"\n' });
  });

  it('get all lists the all category in kubectl\'s order, each table with its kind prefix', async () => {
    const r = await mflux(state, 'get', 'all');
    expect(r.code, r.stderr).toBe(0);
    const prefixes = r.stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('NAME'))
      .map((l) => l.split(/\s+/)[0]!.split('/')[0]);
    expect([...new Set(prefixes)]).toEqual(['pod', 'service', 'deployment.apps', 'replicaset.apps', 'statefulset.apps']);
    expect(r.stdout).toMatch(/\nNAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nservice\/web\s+ClusterIP\s+/);
    expect(r.stdout).toMatch(/\nNAME\s+READY\s+AGE\nstatefulset\.apps\/db\s+\d\/2\s+/);
    expect((await mflux(state, 'get', 'all', '-n', 'kube-public')).stderr).toBe('No resources found in kube-public namespace.\n');
  });

  it('a CRD\'s plural, singular, short name and category all resolve; its cluster-scoped objects have no namespace', async () => {
    const r = await mflux(state, 'get', 'prometheuses');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+AGE\nmain\s+\S+\n$/);
    for (const w of ['prometheus', 'prom', 'prometheuses.monitoring.coreos.com', 'Prometheus']) expect((await mflux(state, 'get', w)).stdout, w).toBe(r.stdout);
    // One kind in the result: no kind prefix, as kubectl prints it.
    expect((await mflux(state, 'get', 'monitoring')).stdout).toBe(r.stdout);
    expect((await mflux(state, 'get', 'prom,sts')).stdout).toMatch(/^NAME\s+AGE\nprometheus\.monitoring\.coreos\.com\/main\s+\S+\n\nNAME\s+READY\s+AGE\nstatefulset\.apps\/db\s+/);
    const obj = JSON.parse((await mflux(state, 'get', 'prom', 'main', '-o', 'json')).stdout);
    expect(obj.metadata.name).toBe('main');
    expect(obj.metadata.namespace).toBeUndefined();
  });

  it('RBAC names are path segments: system:aggregated-metrics-reader is applied', async () => {
    const r = await mflux(state, 'get', 'clusterroles', 'system:aggregated-metrics-reader');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+AGE\nsystem:aggregated-metrics-reader\s+/);
  });

  it('create-only resources cannot be listed; served-but-empty ones say so', async () => {
    expect(await mflux(state, 'get', 'tokenreviews')).toEqual({ code: 1, stdout: '', stderr: 'Error from server (MethodNotAllowed): the server does not allow this method on the requested resource\n' });
    expect(await mflux(state, 'get', 'apiservices')).toEqual({ code: 0, stdout: '', stderr: 'No resources found\n' });
    expect(await mflux(state, 'get', 'leases')).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  });
});
