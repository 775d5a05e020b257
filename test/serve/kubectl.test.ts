/**
 * `mflux serve`: the real kubectl reads the simulated cluster through the Kubernetes API, and sees
 * exactly what `mflux get`/`describe`/`rollout history` print (the virtual clock does not move
 * between commands, so even AGE matches); writes are refused with the Git message.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, type KRun, runKubectl } from './helpers.js';
import { type ApiServerHandle, READ_ONLY_MESSAGE, kubeconfigFor, startApiServer } from '../../src/cli/serve/server.js';
import { REPO_ROOT, mflux, tempDir } from '../cli/helpers.js';

const FIXTURES = path.join(REPO_ROOT, 'fixtures-repo');

let root: string;
let state: string;
let server: ApiServerHandle;
let kubeconfig: string;
/** clientMinor is the kubectl client's minor version (describe's client-side layout changed over releases). */
let clientMinor: number;


/** kubectl runs the real binary against this file's server. */
const kubectl = (...args: string[]): Promise<KRun> => runKubectl(kubeconfig, root, ...args);

async function api(p: string, init?: RequestInit): Promise<{ status: number; body: any; type: string | null }> {
  const res = await fetch(`${server.url}${p}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, type: res.headers.get('content-type') };
}

async function ok(...args: string[]): Promise<string> {
  const r = await mflux(state, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  // Fail loudly (not skip) when kubectl is missing: CI installs it (.ci/run).
  const version = JSON.parse(execFileSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }));
  clientMinor = Number.parseInt(version.clientVersion.minor, 10);
  root = tempDir('mflux-serve-');
  state = path.join(root, 'state');
  await ok('apply', '-f', path.join(FIXTURES, '01-v1'));
  await ok('apply', '-f', path.join(FIXTURES, '02-image-v2'));
  fs.writeFileSync(
    path.join(root, 'extra.yaml'),
    [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: {name: widgets.example.com}',
      'spec:',
      '  group: example.com',
      '  scope: Namespaced',
      '  names: {kind: Widget, plural: widgets, singular: widget}',
      '  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]',
      '---',
      'apiVersion: example.com/v1',
      'kind: Widget',
      'metadata: {name: w1, labels: {tier: a}}',
      'spec: {size: 3}',
      '---',
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: s1}',
      'stringData: {password: hunter2}',
      '',
    ].join('\n'),
  );
  await ok('apply', '-f', path.join(root, 'extra.yaml'));
  server = await startApiServer({ stateDir: state, host: '127.0.0.1', port: 0, pollMs: 20 });
  kubeconfig = path.join(root, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigFor(server.url));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe(`real kubectl (${KUBECTL}) against mflux serve`, () => {
  test('get deploy / get rs -o wide / get pods -l / get events show what mflux get shows', async () => {
    for (const [kargs, margs] of [
      [['get', 'deploy'], ['get', 'deploy']],
      [['get', 'deployments.apps', '-o', 'wide'], ['get', 'deployments', '-o', 'wide']],
      [['get', 'rs'], ['get', 'rs']],
      [['get', 'rs', '-o', 'wide'], ['get', 'rs', '-o', 'wide']],
      [['get', 'pods', '-l', 'app=front'], ['get', 'pods']],
      [['get', 'po', '-A'], ['get', 'pods', '-A']],
      [['get', 'events'], ['get', 'events']],
      [['get', 'ev', '-o', 'wide'], ['get', 'events', '-o', 'wide']],
      [['get', 'svc'], ['get', 'services']],
      [['get', 'ns'], ['get', 'namespaces']],
      [['get', 'deploy', 'front'], ['get', 'deploy', 'front']],
      [['get', 'deploy,rs,svc'], ['get', 'deploy,rs,svc']],
      [['get', 'deployments,pods', '-o', 'wide'], ['get', 'deployments,pods', '-o', 'wide']],
    ] as const) {
      const k = await kubectl(...kargs);
      // A 1.32 server gives events.k8s.io events the short name "ev" too; kubectl warns about the lower-priority match.
      expect(k.stderr, kargs.join(' ')).toBe(kargs[1] === 'ev' ? 'Warning: short name "ev" could also match lower priority resource events.events.k8s.io\n' : '');
      expect(k.stdout, kargs.join(' ')).toBe(await ok(...margs));
    }
    expect((await kubectl('get', 'deploy')).stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nfront\s+3\/3\s+3\s+3\s+\d+s\n$/);
  });

  test('kind registry: get all, short names, api-resources and unknown types match kubectl', async () => {
    for (const [kargs, margs] of [
      [['get', 'all'], ['get', 'all']],
      [['get', 'all', '-A'], ['get', 'all', '-A']],
      [['get', 'sts'], ['get', 'statefulsets']],
      [['get', 'widget'], ['get', 'widgets']],
      [['get', 'crd'], ['get', 'customresourcedefinitions']],
      [['get', 'clusterroles'], ['get', 'clusterroles']],
    ] as const) {
      const k = await kubectl(...kargs);
      const m = await mflux(state, ...margs);
      expect({ code: k.code, stdout: k.stdout, stderr: k.stderr }, kargs.join(' ')).toEqual({ code: m.code, stdout: m.stdout, stderr: m.stderr });
    }
    const unknown = await kubectl('get', 'foo');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: the server doesn\'t have a resource type "foo"\n');
    const m = await mflux(state, 'get', 'foo');
    expect({ code: m.code, stderr: m.stderr }).toEqual({ code: 1, stderr: unknown.stderr });
    const names = (await kubectl('api-resources', '-o', 'name')).stdout.split('\n').filter(Boolean);
    for (const n of ['bindings', 'componentstatuses', 'apiservices.apiregistration.k8s.io', 'events.events.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io', 'tokenreviews.authentication.k8s.io', 'flowschemas.flowcontrol.apiserver.k8s.io', 'csistoragecapacities.storage.k8s.io', 'runtimeclasses.node.k8s.io', 'widgets.example.com']) {
      expect(names, n).toContain(n);
    }
    expect(names.length).toBe(59);
    const table = (await kubectl('api-resources')).stdout;
    expect(table).toMatch(/\nstatefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet\n/);
    expect(table).toMatch(/\nhorizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler\n/);
    expect((await kubectl('api-resources', '--categories', 'all', '-o', 'name')).stdout).toBe(
      ['pods', 'replicationcontrollers', 'services', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps', 'horizontalpodautoscalers.autoscaling', 'cronjobs.batch', 'jobs.batch', ''].join('\n'),
    );
  });

  test('label selectors: !=, in/notin, exists; no match prints kubectl\'s own message', async () => {
    const all = (await kubectl('get', 'pods')).stdout;
    expect(all.split('\n').filter((l) => l.startsWith('front-')).length).toBe(3);
    expect((await kubectl('get', 'pods', '-l', 'app in (front,back),pod-template-hash')).stdout).toBe(all);
    const none = await kubectl('get', 'pods', '-l', 'app notin (front)');
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('No resources found in default namespace.\n');
    expect((await kubectl('get', 'pods', '-l', '!app')).stderr).toBe('No resources found in default namespace.\n');
    expect((await kubectl('get', 'rs', '-l', 'app!=front')).stderr).toBe('No resources found in default namespace.\n');
  });

  test('get deploy -o json is the stored object', async () => {
    const k = JSON.parse((await kubectl('get', 'deploy', '-o', 'json')).stdout);
    const m = JSON.parse(await ok('get', 'deploy', '-o', 'json'));
    expect(k.kind).toBe('List');
    expect(k.items).toEqual(m.items);
    const one = JSON.parse((await kubectl('get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(one).toEqual(m.items[0]);
  });

  test('describe deploy front matches mflux describe (event ages are computed by kubectl from its own clock)', async () => {
    const k = await kubectl('describe', 'deploy', 'front');
    expect(k.stderr).toBe('');
    const m = await ok('describe', 'deployment', 'front');
    const [kHead, kEvents] = k.stdout.split('\nEvents:\n');
    const [mHead, mEvents] = m.split('\nEvents:\n');
    // mflux describe renders like kubectl ≥ 1.30; older clients lay out (and omit) a few pod-template lines differently.
    if (clientMinor >= 30) expect(kHead).toBe(mHead);
    const norm = (text: string) => text.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    const mLines = new Set(norm(mHead!));
    expect(norm(kHead!).filter((l) => !mLines.has(l))).toEqual([]);
    // kubectl sorts by time and prints ages from the wall clock; compare the events without the Age column.
    const rows = (text: string) =>
      text
        .split('\n')
        .slice(2)
        .filter((l) => l.trim())
        .map((l) => l.trim().split(/\s{2,}/))
        .map((c) => [c[0], c[1], c[c.length - 2], c[c.length - 1]].join('|'))
        .sort();
    expect(rows(kEvents!)).toEqual(rows(mEvents!));
    expect(rows(kEvents!).length).toBe(7);
  });

  test('rollout history deploy/front matches mflux rollout history', async () => {
    const k = await kubectl('rollout', 'history', 'deploy/front');
    expect(k.stdout).toBe(await ok('rollout', 'history', 'deployment/front'));
    expect(k.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+\S.*\n2\s+/);
  });

  test('delete and apply are refused with the Git message; nothing changes', async () => {
    const before = await ok('get', 'deploy', '-o', 'json');
    const del = await kubectl('delete', 'deploy', 'front');
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('Error from server (MethodNotAllowed)');
    expect(del.stderr).toContain('changes go through Git');
    // Default client-side validation reads the (empty) OpenAPI document, then the PATCH meets the refusal.
    const applied = await kubectl('apply', '-f', path.join(FIXTURES, '01-v1', 'front.yaml'));
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toContain(READ_ONLY_MESSAGE);
    expect(applied.stderr).not.toContain('failed to download openapi');
    const unvalidated = await kubectl('apply', '--validate=false', '-f', path.join(FIXTURES, '01-v1', 'front.yaml'));
    expect(unvalidated.code).not.toBe(0);
    expect(unvalidated.stderr).toContain(READ_ONLY_MESSAGE);
    const created = await kubectl('create', 'configmap', 'x', '--from-literal=a=b');
    expect(created.stderr).toContain('changes go through Git');
    expect(await ok('get', 'deploy', '-o', 'json')).toBe(before);
    expect((await kubectl('get', 'cm', 'x')).stderr).toContain('configmaps "x" not found');
  });

  test('bad requests get Status errors and the server keeps serving', async () => {
    const unknown = await kubectl('get', 'foos');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('the server doesn\'t have a resource type "foos"');
    const missing = await kubectl('get', 'deploy', 'nope');
    expect(missing.stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    // mflux get says it in the same words, for one kind or several.
    const both = await kubectl('get', 'deploy,pods', 'nope');
    const mine = await mflux(state, 'get', 'deploy,pods', 'nope');
    expect(mine.stderr).toBe(both.stderr);
    expect(mine.code).toBe(1);
    const badSel = await kubectl('get', 'pods', '-l', 'app in (front');
    expect(badSel.stderr).toContain('Error from server (BadRequest)');
    const badField = await kubectl('get', 'pods', '--field-selector', 'spec.bogus=1');
    expect(badField.stderr).toContain('field label not supported: spec.bogus');
    expect((await kubectl('get', 'deploy')).stdout).toContain('front');
  });

  test('field selectors: pods by status.phase and spec.nodeName select; an unsupported label is the API server\'s 400 with its text', async () => {
    const pods = JSON.parse(await ok('get', 'pods', '-o', 'json')).items as any[];
    expect(pods.length).toBeGreaterThan(0);
    const node = pods[0].spec.nodeName as string;
    expect(node).toBeTruthy();
    const names = (r: KRun) => r.stdout.trim().split('\n').filter(Boolean).sort();
    const all = pods.map((p) => `pod/${p.metadata.name}`).sort();
    const byPhase = await kubectl('get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name');
    expect(byPhase.code, byPhase.stderr).toBe(0);
    expect(names(byPhase)).toEqual(pods.filter((p) => p.status.phase === 'Running').map((p) => `pod/${p.metadata.name}`).sort());
    // Pods are spread over the simulated nodes; the selector picks exactly those on one of them.
    const onNode = pods.filter((p) => p.spec.nodeName === node).map((p) => `pod/${p.metadata.name}`).sort();
    expect(onNode.length).toBeGreaterThan(0);
    expect(onNode.length).toBeLessThan(all.length);
    expect(names(await kubectl('get', 'pods', '--field-selector', `spec.nodeName=${node}`, '-o', 'name'))).toEqual(onNode);
    const none = await kubectl('get', 'pods', '--field-selector', 'spec.nodeName=no-such-node');
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toBe('No resources found in default namespace.\n');
    // kubectl wraps the server's message in its own words; the server's part is upstream's exact text.
    const badPod = await kubectl('get', 'pods', '--field-selector', 'foo=bar');
    expect(badPod.code).toBe(1);
    expect(badPod.stderr).toBe('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "foo=bar": field label not supported: foo\n');
    const badDeploy = await kubectl('get', 'deploy', '--field-selector', 'spec.replicas=3');
    expect(badDeploy.code).toBe(1);
    expect(badDeploy.stderr).toBe('Error from server (BadRequest): Unable to find "apps/v1, Resource=deployments" that match label selector "", field selector "spec.replicas=3": "spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"\n');
    const raw = await api('/api/v1/pods?fieldSelector=' + encodeURIComponent('foo=bar'));
    expect(raw).toMatchObject({ status: 400, body: { kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message: 'field label not supported: foo' } });
    // A watch refuses it the same way, before streaming anything.
    const watch = await api('/api/v1/namespaces/default/pods?watch=1&fieldSelector=' + encodeURIComponent('foo=bar'));
    expect(watch).toMatchObject({ status: 400, body: { reason: 'BadRequest', message: 'field label not supported: foo' } });
  });

  test('custom kinds from stored CRDs, and Secrets with their values masked', async () => {
    expect((await kubectl('get', 'widgets', '-l', 'tier=a')).stdout).toMatch(/^NAME\s+AGE\nw1\s+\S+\n$/);
    const w = JSON.parse((await kubectl('get', 'widget.example.com', 'w1', '-o', 'json')).stdout);
    expect(w).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget', spec: { size: 3 } });
    expect((await kubectl('get', 'secrets')).stdout).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ns1\s+Opaque\s+1\s+/);
    const secret = (await kubectl('get', 'secret', 's1', '-o', 'json')).stdout;
    expect(secret).not.toContain('hunter2');
    expect(secret).not.toContain(Buffer.from('hunter2').toString('base64'));
    // Not even a digest of the value: the API is unauthenticated.
    expect(JSON.parse(secret).data).toEqual({ password: '***' });
    expect(secret).not.toMatch(/sha256/);
  });

  test('get all, api-resources and api-versions come from discovery', async () => {
    const all = await kubectl('get', 'all');
    expect(all.stdout).toContain('deployment.apps/front');
    expect(all.stdout).toContain('service/front');
    expect(all.stdout).toMatch(/replicaset\.apps\/front-\S+\s+3\s+3\s+3/);
    const res = await kubectl('api-resources');
    expect(res.stdout).toMatch(/deployments\s+deploy\s+apps(\/v1)?\s+true\s+Deployment/);
    expect(res.stdout).toMatch(/namespaces\s+ns\s+(v1\s+)?false\s+Namespace/);
    expect((await kubectl('api-versions')).stdout).toContain('apps/v1\n');
    expect((await kubectl('api-versions')).stdout).toContain('example.com/v1\n');
  });

  test('a change applied by another command is visible on the next request, and streamed to a watch', async () => {
    const list = await api('/apis/apps/v1/namespaces/default/deployments');
    const rv = list.body.metadata.resourceVersion as string;
    const res = await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments?watch=1&resourceVersion=${rv}`);
    expect(res.status).toBe(200);
    await ok('apply', '-f', path.join(FIXTURES, '04-replicas-5'));
    const reader = res.body!.getReader();
    const events: any[] = [];
    let buf = '';
    while (!events.some((e) => e.type === 'MODIFIED' && e.object.status?.readyReplicas === 5)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l) events.push(JSON.parse(l));
    }
    await reader.cancel();
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.type === 'MODIFIED' && e.object.metadata.name === 'front')).toBe(true);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    const k = await kubectl('get', 'deploy');
    expect(k.stdout).toBe(await ok('get', 'deploy'));
    expect(k.stdout).toMatch(/front\s+5\/5\s+5\s+5/);
  });
});

describe('kubectl get --watch', () => {
  test('streams the rows of a rollout applied by another command', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(root, 'kube-cache'), 'get', 'rs', '--watch'], { env: { ...process.env, HOME: root, KUBECONFIG: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const until = async (pred: () => boolean) => {
      while (!pred()) {
        if (child.exitCode !== null) throw new Error(`kubectl get --watch exited: ${err}`);
        await new Promise((r) => setImmediate(r));
      }
    };
    try {
      await until(() => out.startsWith('NAME'));
      const before = out;
      await ok('apply', '-f', path.join(FIXTURES, '02-image-v2'));
      // Every ReplicaSet's final row (as mflux get rs prints it, AGE aside) shows up in the watch output.
      const finalRows = (await ok('get', 'rs')).split('\n').slice(1).filter((l) => l).map((l) => l.split(/\s+/).slice(0, 4).join(' '));
      const watched = () => new Set(out.slice(before.length).split('\n').map((l) => l.split(/\s+/).slice(0, 4).join(' ')));
      expect(finalRows.length).toBe(2);
      await until(() => finalRows.every((r) => watched().has(r)));
      expect(err).toBe('');
    } finally {
      child.kill();
    }
  }, 30_000);
});

describe('the API surface', () => {
  test('version and discovery documents', async () => {
    expect((await api('/version')).body.gitVersion).toBe('v1.31.0-mflux');
    expect((await api('/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await api('/apis', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } })).body;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.find((g: any) => g.name === 'apps')).toMatchObject({ preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
    expect(groups.groups.find((g: any) => g.name === 'autoscaling').preferredVersion.version).toBe('v2');
    const apps = await api('/apis/apps/v1');
    expect(apps.type).toBe('application/json');
    expect(apps.body.resources.find((r: any) => r.name === 'replicasets')).toMatchObject({ singularName: 'replicaset', namespaced: true, kind: 'ReplicaSet', verbs: ['get', 'list', 'watch'], shortNames: ['rs'] });
    const core = (await api('/api/v1')).body;
    for (const [name, short] of [['pods', 'po'], ['services', 'svc'], ['configmaps', 'cm'], ['events', 'ev'], ['namespaces', 'ns'], ['serviceaccounts', 'sa']]) {
      expect(core.resources.find((r: any) => r.name === name).shortNames).toEqual([short]);
    }
    expect((await api('/apis/nope.example.com/v1')).status).toBe(404);
  });

  test('lists: List kinds, paging with continue, bad tokens, selectors', async () => {
    const rs = (await api('/apis/apps/v1/replicasets')).body;
    expect(rs).toMatchObject({ kind: 'ReplicaSetList', apiVersion: 'apps/v1' });
    expect(rs.metadata.resourceVersion).toMatch(/^\d+$/);
    const page1 = (await api('/api/v1/namespaces/default/pods?limit=2')).body;
    expect(page1.items).toHaveLength(2);
    expect(page1.metadata.remainingItemCount).toBeGreaterThan(0);
    const page2 = (await api(`/api/v1/namespaces/default/pods?limit=2&continue=${encodeURIComponent(page1.metadata.continue)}`)).body;
    const all = (await api('/api/v1/namespaces/default/pods')).body.items.map((p: any) => p.metadata.name);
    expect([...page1.items, ...page2.items].map((p: any) => p.metadata.name)).toEqual(all.slice(0, 4));
    for (const bad of ['%%%', 'bm90LWpzb24', 'x'.repeat(5000)]) {
      const r = await api(`/api/v1/namespaces/default/pods?limit=1&continue=${bad}`);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
    }
    const sel = await api('/api/v1/pods?labelSelector=' + encodeURIComponent('app=='));
    expect(sel.body.items).toEqual([]);
    expect((await api('/api/v1/pods?labelSelector=' + encodeURIComponent('a b c'))).status).toBe(400);
    const byName = (await api('/api/v1/namespaces?fieldSelector=metadata.name%3Dkube-system')).body.items;
    expect(byName.map((n: any) => n.metadata.name)).toEqual(['kube-system']);
    const evs = (await api('/api/v1/namespaces/default/events?fieldSelector=' + encodeURIComponent('involvedObject.kind=Deployment,involvedObject.name=front'))).body.items;
    expect(evs.length).toBeGreaterThan(0);
    expect(evs.every((e: any) => e.involvedObject.kind === 'Deployment')).toBe(true);
  });

  test('server-side printing: a meta.k8s.io/v1 Table with wide columns at priority 1', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const t = (await api('/apis/apps/v1/namespaces/default/deployments', { headers: { accept } })).body;
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(t.columnDefinitions.map((c: any) => [c.name, c.priority])).toEqual([
      ['NAME', 0], ['READY', 0], ['UP-TO-DATE', 0], ['AVAILABLE', 0], ['AGE', 0], ['CONTAINERS', 1], ['IMAGES', 1], ['SELECTOR', 1],
    ]);
    const printed = (await ok('get', 'deploy', '-o', 'wide')).split('\n')[1]!.split(/\s{2,}/);
    expect(t.rows[0].cells).toEqual(printed);
    expect(t.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'front' } });
    const full = (await api('/apis/apps/v1/namespaces/default/deployments/front?includeObject=Object', { headers: { accept } })).body;
    expect(full.rows[0].object.kind).toBe('Deployment');
  });

  test('errors are Status objects; every write is 405', async () => {
    const nf = await api('/apis/apps/v1/namespaces/default/deployments/x');
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "x" not found', reason: 'NotFound', details: { name: 'x', group: 'apps', kind: 'deployments' }, code: 404 });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await api('/apis/apps/v1/namespaces/default/deployments/front', { method, body: method === 'DELETE' ? undefined : '{}' });
      expect(r.status).toBe(405);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405, message: READ_ONLY_MESSAGE });
    }
    expect((await api('/api/v1/namespaces/default/nodes')).status).toBe(404);
  });

  test('watch: too old a resourceVersion is 410; without one the current objects come first as ADDED', async () => {
    const old = await api('/apis/apps/v1/deployments?watch=true&resourceVersion=1');
    expect(old.status).toBe(410);
    expect(old.body).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(old.body.message).toMatch(/^too old resource version: 1 \(\d+\)$/);
    const res = await fetch(`${server.url}/api/v1/namespaces?watch=1&timeoutSeconds=1`);
    const lines = (await res.text()).split('\n').filter((l) => l);
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['ADDED', 'ADDED', 'ADDED', 'ADDED']);
  });
});

describe('mflux kubeconfig', () => {
  test('prints a kubeconfig for the listen address', async () => {
    const r = await mflux(root, 'kubeconfig', '--listen', '127.0.0.1:7443');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('server: http://127.0.0.1:7443');
    expect(r.stdout).toContain('current-context: mflux');
    expect((await mflux(root, 'kubeconfig', '--listen', 'nope')).code).toBe(2);
  });
});
