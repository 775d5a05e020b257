/**
 * The render stage in the pass, on real git repositories: an overlay reconciled and re-reconciled
 * (NoChange), `mflux build` output, errors at file:line naming the kustomization, origins naming
 * the kustomization that changed an object, .sourceignore and skipped non-Kubernetes files, and
 * the per-folder build cache (only the changed folders are built again).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { load } from 'js-yaml';
import { TestRepo, mflux, removeTestRepos } from '../cli/helpers.js';
import { newSourceMemo, renderDesired } from '../../src/reconcile/index.js';
import { openSource } from '../../src/source/index.js';

afterAll(() => removeTestRepos());

const deployment = `---
# a comment header, then the object
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        envFrom:
        - configMapRef: {name: web-config}
`;

function overlayRepo(): TestRepo {
  return new TestRepo().write({
    'base/web.yaml': deployment,
    'base/kustomization.yaml': 'resources:\n- web.yaml\nconfigMapGenerator:\n- name: web-config\n  literals: [MODE=base]\n',
    'overlays/prod/kustomization.yaml': 'resources:\n- ../../base\nnamePrefix: prod-\nimages:\n- name: nginx\n  newTag: "1.27"\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec: {replicas: 3}\n',
    'overlays/dev/kustomization.yaml': 'resources:\n- ../../base\nnamePrefix: dev-\n',
    '.github/workflows/ci.yml': 'name: CI\non: [push]\n',
  });
}

describe('the render stage', () => {
  test('an overlay reconciles (prefix, image, patch, generated ConfigMap with its hash) and a second pass is NoChange', async () => {
    const repo = overlayRepo();
    repo.commit('overlay');
    const first = await mflux(repo.state, 'reconcile', '--repo', repo.dir, '--path', 'overlays/prod', '-o', 'json');
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout);
    expect(r.outcome).toBe('Applied');
    expect(r.changes.map((c: { object: string }) => c.object).sort()).toEqual(['ConfigMap/default/prod-web-config-btf6f9dc9c', 'Deployment/default/prod-web']);
    const d = JSON.parse((await mflux(repo.state, 'get', 'deployments', 'prod-web', '-o', 'json')).stdout);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    expect(d.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe('prod-web-config-btf6f9dc9c');
    const again = JSON.parse((await mflux(repo.state, 'reconcile', '--repo', repo.dir, '--path', 'overlays/prod', '-o', 'json')).stdout);
    expect(again.outcome).toBe('NoChange');
  });

  test('mflux build prints the rendered objects in apply order, as rendered, Secret values masked; -o json is a List', async () => {
    const repo = overlayRepo().write({ 'overlays/prod/kustomization.yaml': 'resources:\n- ../../base\nnamePrefix: prod-\nsecretGenerator:\n- name: creds\n  literals: [password=hunter2]\n' });
    repo.commit('with a secret');
    const y = await mflux(repo.state, 'build', '--repo', repo.dir, '--path', 'overlays/prod');
    expect(y.code).toBe(0);
    const docs = y.stdout.split(/^---$/m).map((t) => load(t) as any);
    // mflux's apply order (the kind registry's): Secrets, then ConfigMaps, then workloads.
    expect(docs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([expect.stringMatching(/^Secret\/prod-creds-/), 'ConfigMap/prod-web-config-btf6f9dc9c', 'Deployment/prod-web']);
    expect(y.stdout).not.toContain('hunter2');
    expect(y.stdout).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(docs[0].data).toEqual({ password: '***' });
    // Exactly as rendered: no defaults added.
    expect(docs[2].spec.strategy).toBeUndefined();
    const j = await mflux(repo.state, 'build', '--repo', repo.dir, '--path', 'overlays/prod', '-o', 'json');
    expect(JSON.parse(j.stdout)).toMatchObject({ kind: 'List', items: [{ kind: 'Secret' }, { kind: 'ConfigMap' }, { kind: 'Deployment' }] });
  });

  test('a folder without a kustomization but with some below it follows Flux: each built whole; CI files are excluded by default', async () => {
    const repo = overlayRepo();
    repo.commit('root');
    const r = await mflux(repo.state, 'build', '--repo', repo.dir, '-o', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).items.map((o: any) => o.metadata.name).sort()).toEqual(['dev-web', 'dev-web-config-btf6f9dc9c', 'prod-web', 'prod-web-config-btf6f9dc9c', 'web', 'web-config-btf6f9dc9c']);
  });

  test('a bad kustomization is Invalid at its file:line, nothing applied; build exits 1', async () => {
    const repo = overlayRepo().write({ 'overlays/prod/kustomization.yaml': 'resources:\n- ../../base\n- missing.yaml\n' });
    repo.commit('broken');
    const r = await mflux(repo.state, 'reconcile', '--repo', repo.dir, '--path', 'overlays/prod', '-o', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe('Invalid');
    expect(j.reasons[0]).toMatchObject({ code: 'KustomizeError', file: 'overlays/prod/kustomization.yaml', line: 3 });
    expect(j.reasons[0].message).toMatch(/^overlays\/prod\/kustomization\.yaml:3: resources: "missing\.yaml" does not exist/);
    expect(JSON.parse((await mflux(repo.state, 'get', 'deployments', '-o', 'json')).stdout).items).toEqual([]);
    const b = await mflux(repo.state, 'build', '--repo', repo.dir, '--path', 'overlays/prod');
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^error: overlays\/prod\/kustomization\.yaml:3: .*\[KustomizeError\]/);
    const u = overlayRepo().write({ 'overlays/prod/kustomization.yaml': 'resources:\n- ../../base\nhelmCharts:\n- name: x\n' });
    u.commit('helm');
    const h = await mflux(u.state, 'build', '--repo', u.dir, '--path', 'overlays/prod');
    expect(h.code).toBe(1);
    expect(h.stderr).toContain('overlays/prod/kustomization.yaml:3: helmCharts: Helm charts are not rendered');
  });

  test('origins name the file:line and the kustomizations that changed the object; a validation error shows them', async () => {
    const repo = overlayRepo();
    const sha = repo.commit('overlay');
    const source = await openSource({ repo: repo.dir, path: 'overlays/prod', stateDir: repo.state });
    const s = await renderDesired(source, sha, newSourceMemo());
    expect(s.rendered).toBe(true);
    const web = s.objects.find((p) => p.object.kind === 'Deployment')!;
    expect(web.origin).toEqual({ file: 'base/web.yaml', line: 3, kustomizations: expect.arrayContaining(['overlays/prod/kustomization.yaml']) });
    const bad = overlayRepo().write({ 'overlays/prod/kustomization.yaml': 'resources:\n- ../../base\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec: {replicas: -1}\n' });
    bad.commit('negative');
    const r = JSON.parse((await mflux(bad.state, 'reconcile', '--repo', bad.dir, '--path', 'overlays/prod', '-o', 'json')).stdout);
    expect(r.outcome).toBe('Invalid');
    expect(r.reasons[0].message).toMatch(/^overlays\/prod\/kustomization\.yaml patched base\/web\.yaml:3: .*replicas/);
  });

  test('a plain folder: files with no Kubernetes object are skipped with a warning; .sourceignore is honoured', async () => {
    const repo = new TestRepo().write({
      'apps/web.yaml': deployment.replace('        envFrom:\n        - configMapRef: {name: web-config}\n', ''),
      'apps/values.yaml': 'replicaCount: 2\n',
      'apps/scratch/draft.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n',
      '.sourceignore': '# drafts are not deployed\napps/scratch/\n',
    });
    repo.commit('plain');
    const r = JSON.parse((await mflux(repo.state, 'reconcile', '--repo', repo.dir, '-o', 'json')).stdout);
    expect(r.outcome).toBe('Applied');
    expect(r.warnings).toContain('apps/values.yaml: skipped: no Kubernetes object in it (no document has an apiVersion or a kind)');
    expect(r.changes.map((c: { object: string }) => c.object)).toEqual(['Deployment/default/web']);
    // Without the ignore rule the broken draft is an error again.
    repo.write({ '.sourceignore': null });
    repo.commit('no ignore');
    const again = JSON.parse((await mflux(repo.state, 'reconcile', '--repo', repo.dir, '-o', 'json')).stdout);
    expect(again.outcome).toBe('Invalid');
    expect(again.reasons[0].message).toMatch(/^apps\/scratch\/draft\.yaml:1: ConfigMap: missing metadata\.name/);
  });

  test('what public repositories hold besides manifests: a Helm chart is refused whole, an empty folder warns, generateName is explained', async () => {
    const repo = new TestRepo().write({
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'charts/web/values.yaml': 'replicaCount: 1\n',
      'charts/web/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n',
      'jsonnet/app.jsonnet': '{ apiVersion: "v1" }\n',
      'hooks/job.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n',
    });
    repo.commit('odd folders');
    const chart = await mflux(repo.state, 'build', '--repo', repo.dir, '--path', 'charts');
    expect(chart.code).toBe(1);
    // One error naming the chart, not one YAML syntax error per template.
    expect(chart.stderr.trim().split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      'error: charts/web/Chart.yaml:1: charts/web is a Helm chart; mflux renders plain manifests and Kustomize, not Helm templates: commit the output of `helm template` as manifests, or point --path at a folder of manifests [KustomizeUnsupported]',
    ]);
    const empty = await mflux(repo.state, 'build', '--repo', repo.dir, '--path', 'jsonnet');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('warning: jsonnet: no Kubernetes manifests (.yaml/.yml/.json) found below it; nothing to apply');
    const hook = await mflux(repo.state, 'build', '--repo', repo.dir, '--path', 'hooks');
    expect(hook.code).toBe(1);
    expect(hook.stderr).toContain('hooks/job.yaml:1: Job: missing metadata.name (metadata.generateName "migrate-" cannot be applied declaratively');
  });

  test('incremental: a pass re-renders only the folders whose inputs changed', async () => {
    const repo = overlayRepo().write({ 'kustomization.yaml': 'resources:\n- overlays/prod\n- overlays/dev\n', 'other/kustomization.yaml': 'resources: [cm.yaml]\n', 'other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n' });
    const first = repo.commit('top');
    const source = await openSource({ repo: repo.dir, stateDir: repo.state });
    const memo = newSourceMemo();
    await renderDesired(source, first, memo);
    expect([...memo.render!.keys()].sort()).toEqual(['base', 'overlays/dev', 'overlays/prod']);
    repo.write({ 'overlays/dev/kustomization.yaml': 'resources:\n- ../../base\nnamePrefix: dev2-\n' });
    const second = repo.commit('dev renamed');
    const before = new Map([...memo.render!].map(([k, v]) => [k, v.result]));
    const s = await renderDesired(source, second, memo);
    expect(s.objects.map((p) => p.object.metadata.name).sort()).toEqual(['dev2-web', 'dev2-web-config-btf6f9dc9c', 'prod-web', 'prod-web-config-btf6f9dc9c']);
    // base and prod were reused as they were; only dev was built again.
    expect(memo.render!.get('base')!.result).toBe(before.get('base'));
    expect(memo.render!.get('overlays/prod')!.result).toBe(before.get('overlays/prod'));
    expect(memo.render!.get('overlays/dev')!.result).not.toBe(before.get('overlays/dev'));
    repo.write({ 'base/web.yaml': deployment.replace('nginx:1.25', 'nginx:1.26') });
    const third = repo.commit('base image');
    const t = await renderDesired(source, third, memo);
    expect(memo.render!.get('base')!.result).not.toBe(before.get('base'));
    expect(t.objects.find((p) => p.object.metadata.name === 'dev2-web')!.object.spec.template.spec.containers[0].image).toBe('nginx:1.26');
  });
});
