/** Bad input through the CLI: each a clear error with a stable code, and nothing lost or half-applied. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { StateStore } from '../../src/store/index.js';
import { mflux, tempDir, writeManifest } from './helpers.js';

const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: app
          image: nginx:1.25${extra}
`;

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  key: value
`;

const dirs: string[] = [];
function workspace(): { dir: string; state: string } {
  const dir = tempDir();
  dirs.push(dir);
  return { dir, state: path.join(dir, 'state') };
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const sha = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

describe('invalid manifests', () => {
  test('an invalid Deployment is rejected with the API server message and nothing in the batch is applied', async () => {
    const { dir, state } = workspace();
    writeManifest(dir, 'm/a-config.yaml', configMap('settings'));
    writeManifest(
      dir,
      'm/web.yaml',
      deployment('front').replace('  replicas: 2\n', '  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 0\n'),
    );
    const r = await mflux(state, 'apply', '-f', path.join(dir, 'm'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'm/web.yaml:1: Deployment/default/front: The Deployment "front" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0 [Invalid]',
    );
    expect(r.stderr).toContain('nothing was applied: 1 of 2 objects were rejected');
    expect(r.stdout).toBe('');
    const cms = await mflux(state, 'get', 'configmaps');
    expect(cms.stderr).toBe('No resources found in default namespace.\n');
  });

  test('a YAML syntax error names file:line:column', async () => {
    const { dir, state } = workspace();
    writeManifest(dir, 'bad.yaml', `${configMap('one')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  a: b: c\n`);
    const r = await mflux(state, 'apply', '-f', path.join(dir, 'bad.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:13:7: YAML syntax error: bad indentation of a mapping entry \[YAMLSyntax\]/);
    expect(fs.existsSync(path.join(state, 'state.db'))).toBe(false);
  });

  test('missing apiVersion/kind/name is InvalidManifest with file:line of the document', async () => {
    const { dir, state } = workspace();
    writeManifest(dir, 'x.yaml', `${configMap('ok')}---\n# no kind here\napiVersion: v1\nmetadata:\n  name: nokind\n`);
    const r = await mflux(state, 'apply', '-f', path.join(dir, 'x.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('x.yaml:9: missing kind [InvalidManifest]');
  });

  test('the same object twice is refused, naming both places', async () => {
    const { dir, state } = workspace();
    writeManifest(dir, 'm/one.yaml', configMap('dup'));
    writeManifest(dir, 'm/two.yaml', configMap('dup'));
    const r = await mflux(state, 'apply', '-f', path.join(dir, 'm'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/m\/two\.yaml:1: ConfigMap\/default\/dup is defined twice \(also at .*m\/one\.yaml:1\) \[DuplicateObject\]/);
  });

  test('an unknown kind is rejected until its CRD is applied; then it is stored as given', async () => {
    const { dir, state } = workspace();
    const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n';
    writeManifest(dir, 'w.yaml', widget);
    let r = await mflux(state, 'apply', '-f', path.join(dir, 'w.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no matches for kind "Widget" in version "example.com/v1"; ensure CRDs are installed first [UnknownKind]');
    writeManifest(
      dir,
      'crd/crd.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions:\n    - {name: v1, served: true, storage: true}\n',
    );
    writeManifest(dir, 'crd/w.yaml', widget);
    r = await mflux(state, 'apply', '-f', path.join(dir, 'crd'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\nwidget.example.com/w1 created\n');
    r = await mflux(state, 'get', 'Widget', 'w1', '-o', 'json');
    expect(JSON.parse(r.stdout).spec).toEqual({ size: 3 });
  });

  test('a namespace that does not exist is an error unless the batch creates it', async () => {
    const { dir, state } = workspace();
    const cm = configMap('c').replace('  name: c\n', '  name: c\n  namespace: shop\n');
    writeManifest(dir, 'a/cm.yaml', cm);
    let r = await mflux(state, 'apply', '-f', path.join(dir, 'a'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ConfigMap/shop/c: namespaces "shop" not found [NotFound]');
    writeManifest(dir, 'b/cm.yaml', cm);
    writeManifest(dir, 'b/ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n');
    r = await mflux(state, 'apply', '-f', path.join(dir, 'b'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('namespace/shop created\nconfigmap/c created\n');
  });
});

describe('apply is declarative and loses nothing', () => {
  test('re-applying the same manifests writes nothing; a rejected change leaves the live object as it was', async () => {
    const { dir, state } = workspace();
    const file = writeManifest(dir, 'web.yaml', deployment('web'));
    expect((await mflux(state, 'apply', '-f', file)).code).toBe(0);
    const before = JSON.parse((await mflux(state, 'get', 'deploy', 'web', '-o', 'json')).stdout);
    const again = await mflux(state, 'apply', '-f', file);
    expect(again.stdout.split('\n')[0]).toBe('deployment.apps/web unchanged');
    const same = JSON.parse((await mflux(state, 'get', 'deploy', 'web', '-o', 'json')).stdout);
    expect(same.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

    writeManifest(dir, 'web.yaml', deployment('web').replace('matchLabels: {app: web}', 'matchLabels: {app: web, tier: x}').replace('labels: {app: web}', 'labels: {app: web, tier: x}'));
    const r = await mflux(state, 'apply', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/web\.yaml:1: Deployment\/default\/web: spec\.selector is immutable: .* create the object under a new name .* \[ImmutableFieldChange\]/);
    expect(r.stderr).not.toContain('field is immutable');
    const after = JSON.parse((await mflux(state, 'get', 'deploy', 'web', '-o', 'json')).stdout);
    expect(after).toEqual(before);
  });
});

describe('state dir problems', () => {
  test('a second writer gets StateLocked naming the holder pid; readers still work', async () => {
    const { dir, state } = workspace();
    const file = writeManifest(dir, 'web.yaml', deployment('web'));
    expect((await mflux(state, 'apply', '-f', file)).code).toBe(0);
    const holder = StateStore.open(state, 'write');
    try {
      const r = await mflux(state, 'apply', '-f', file);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`is locked by pid ${process.pid}`);
      expect(r.stderr).toContain('[StateLocked]');
      const g = await mflux(state, 'get', 'deploy');
      expect(g.code).toBe(0);
      expect(g.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/2\s+2\s+2\s+\d+s\n$/);
    } finally {
      holder.close();
    }
    expect((await mflux(state, 'apply', '-f', file)).code).toBe(0);
  });

  test('an unwritable state dir is StateUnwritable', async () => {
    const { dir } = workspace();
    const file = writeManifest(dir, 'web.yaml', deployment('web'));
    fs.writeFileSync(path.join(dir, 'plainfile'), 'x');
    const r = await mflux(path.join(dir, 'plainfile', 'state'), 'apply', '-f', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[StateUnwritable]');
  });

  test('a corrupt state.db is reported and left byte-for-byte untouched', async () => {
    const { dir, state } = workspace();
    const file = writeManifest(dir, 'web.yaml', deployment('web'));
    fs.mkdirSync(state, { recursive: true });
    const db = path.join(state, 'state.db');
    fs.writeFileSync(db, 'definitely not sqlite '.repeat(200));
    const digest = sha(db);
    for (const args of [['apply', '-f', file], ['get', 'deploy']]) {
      const r = await mflux(state, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('[StateCorrupt]');
    }
    expect(sha(db)).toBe(digest);
  });

  test('a state.db from a newer mflux is refused and left untouched', async () => {
    const { dir, state } = workspace();
    const file = writeManifest(dir, 'web.yaml', deployment('web'));
    expect((await mflux(state, 'apply', '-f', file)).code).toBe(0);
    const db = path.join(state, 'state.db');
    const h = new Database(db);
    h.pragma('user_version = 999');
    h.close();
    const digest = sha(db);
    const r = await mflux(state, 'apply', '-f', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[StateSchemaTooNew]');
    expect(sha(db)).toBe(digest);
  });
});

describe('rollout failures', () => {
  test('a failing image stops at ProgressDeadlineExceeded with kubectl rollout status text, exit 1', async () => {
    const { dir, state } = workspace();
    expect((await mflux(state, 'apply', '-f', writeManifest(dir, 'web.yaml', deployment('web')))).code).toBe(0);
    const r = await mflux(state, 'apply', '-f', writeManifest(dir, 'web.yaml', deployment('web', '-broken')), '--fail-images', '*-broken');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: deployment "web" exceeded its progress deadline\n');
    const d = JSON.parse((await mflux(state, 'get', 'deploy', 'web', '-o', 'json')).stdout);
    const progressing = d.status.conditions.find((c: any) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(d.status.availableReplicas).toBe(2);
    const status = await mflux(state, 'rollout', 'status', 'deployment/web');
    expect(status.code).toBe(1);
    expect(status.stderr).toBe('error: deployment "web" exceeded its progress deadline\n');
  });
});
