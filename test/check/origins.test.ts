/**
 * Check findings about a rendered object name the kustomization that changed it: the JSON field
 * `kustomization`, the Markdown location, and the GitHub annotation's text — which still points at
 * the document's file (a file that exists in the pull request).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { Repo, cleanup } from './helpers.js';

afterAll(() => cleanup());

const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`;

const overlay = (patch: string) => `resources:
- ../../base
namePrefix: prod-
${patch}`;

const recreate = `patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      strategy: {type: Recreate}
      template:
        spec:
          containers:
          - {name: web, image: nginx:1.26}
`;

describe('check findings on rendered objects', () => {
  test('a downtime warning caused by an overlay patch names the base document and the overlay', async () => {
    const repo = new Repo().write({ 'base/web.yaml': web, 'base/kustomization.yaml': 'resources: [web.yaml]\n', 'overlays/prod/kustomization.yaml': overlay('') });
    const base = repo.commit('base');
    repo.write({ 'overlays/prod/kustomization.yaml': overlay(recreate) });
    const head = repo.commit('recreate');
    const { report } = await repo.checkJSON(base, head, '--path', 'overlays/prod');
    const f = report.findings.find((x: any) => x.code === 'RecreateDowntime');
    expect(f).toMatchObject({ object: 'Deployment/default/prod-web', file: 'base/web.yaml', line: 1, kustomization: 'overlays/prod/kustomization.yaml' });
    const md = (await repo.check(base, head, '--path', 'overlays/prod', '--format', 'markdown')).stdout;
    expect(md).toContain('**RecreateDowntime** `Deployment/default/prod-web` at `overlays/prod/kustomization.yaml` patched `base/web.yaml:1`');
    const gh = (await repo.check(base, head, '--path', 'overlays/prod', '--format', 'github')).stdout;
    const line = gh.split('\n').find((l) => l.startsWith('::warning '))!;
    expect(line).toMatch(/^::warning file=base\/web\.yaml,line=1,title=RecreateDowntime Deployment\/default\/prod-web::/);
    expect(line).toContain('(changed by overlays/prod/kustomization.yaml)');
  });

  test('a guard block caused by an overlay: the message starts with the kustomization and the document', async () => {
    const repo = new Repo().write({ 'base/web.yaml': web, 'base/kustomization.yaml': 'resources: [web.yaml]\n', 'overlays/prod/kustomization.yaml': overlay('') });
    const base = repo.commit('base');
    repo.write({ 'overlays/prod/kustomization.yaml': overlay('labels:\n- pairs: {tier: front}\n  includeSelectors: true\n') });
    const head = repo.commit('selector');
    const { code, report } = await repo.checkJSON(base, head, '--path', 'overlays/prod');
    expect(code).toBe(1);
    const f = report.findings.find((x: any) => x.code === 'ImmutableFieldChange' && x.object === 'Deployment/default/prod-web');
    expect(f).toMatchObject({ file: 'base/web.yaml', line: 1, kustomization: 'overlays/prod/kustomization.yaml' });
    expect(f.message).toMatch(/^overlays\/prod\/kustomization\.yaml patched base\/web\.yaml:1: Deployment\/default\/prod-web: spec\.selector/);
  });

  test('a plain file has no kustomization field', async () => {
    const repo = new Repo().write({ 'apps/web.yaml': web });
    const base = repo.commit('base');
    repo.write({ 'apps/web.yaml': web.replace('replicas: 2\n', 'replicas: 2\n  strategy: {type: Recreate}\n').replace('nginx:1.25', 'nginx:1.26') });
    const head = repo.commit('recreate');
    const { report } = await repo.checkJSON(base, head);
    const f = report.findings.find((x: any) => x.code === 'RecreateDowntime');
    expect(f).toMatchObject({ file: 'apps/web.yaml', line: 1 });
    expect(f).not.toHaveProperty('kustomization');
  });
});
