/**
 * Incremental rendering equals a cold one: a repository of overlays over shared bases under a
 * top-level kustomization with its own transformers, edited one file at a time (a base resource,
 * an overlay's kustomization, a generator's input file, a patch file, the top level itself, a
 * folder's listing). After every commit the render with the memo kept from the previous passes is
 * compared, object for object and origin for origin, with a render from an empty memo — and the
 * folders the edit did not touch are shown to have been reused, so the incremental path really ran.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { TestRepo, removeTestRepos } from '../cli/helpers.js';
import { newSourceMemo, renderDesired, type SourceMemo } from '../../src/reconcile/index.js';
import { openSource, type GitSource } from '../../src/source/index.js';

afterAll(() => removeTestRepos());

const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      serviceAccountName: runner
      containers:
      - name: main
        image: registry.example/${name}:1.0.0
        envFrom:
        - configMapRef: {name: settings}
        volumeMounts:
        - {name: files, mountPath: /etc/files}
      volumes:
      - name: files
        configMap: {name: files}
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports:
  - {port: 80, targetPort: 8080}
`;

/** shared builds two bases and three overlays (two over base-a) under a top level that sets a prefix, a label and a patch of its own. */
function sharedRepo(): TestRepo {
  const files: Record<string, string> = {
    'kustomization.yaml': 'namePrefix: top-\nlabels:\n- pairs: {tier: all}\n  includeSelectors: false\nresources:\n- overlays/one\n- overlays/two\n- overlays/three\npatches:\n- path: top-patch.yaml\n  target: {kind: Service}\n',
    'top-patch.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: any}\nspec: {type: ClusterIP}\n',
    'bases/a/kustomization.yaml': 'resources:\n- web.yaml\n- sa.yaml\nconfigMapGenerator:\n- name: settings\n  envs: [settings.env]\n- name: files\n  files: [app.conf]\n',
    'bases/a/web.yaml': deployment('web'),
    'bases/a/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: runner}\n',
    'bases/a/settings.env': 'LOG_LEVEL=info\n',
    'bases/a/app.conf': 'listen 8080\n',
    'bases/b/kustomization.yaml': 'resources:\n- api.yaml\n- sa.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [MODE=b]\n- name: files\n  literals: [x=y]\n',
    'bases/b/api.yaml': deployment('api'),
    'bases/b/sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: runner}\n',
  };
  for (const [o, base] of [
    ['one', 'a'],
    ['two', 'a'],
    ['three', 'b'],
  ] as const) {
    files[`overlays/${o}/kustomization.yaml`] = sharedKustomization(o, base);
    files[`overlays/${o}/extra.env`] = `OVERLAY=${o}\n`;
    files[`overlays/${o}/replicas.yaml`] = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: any}\nspec: {replicas: ${o.length}}\n`;
  }
  return new TestRepo().write(files);
}

/** rendered is what a render produced, in order: each object with its origin. */
function rendered(s: Awaited<ReturnType<typeof renderDesired>>) {
  return s.objects.map((p) => ({ object: p.object, origin: p.origin }));
}

/** compare renders `commit` with the kept memo and with an empty one, expects the same objects and origins, and returns the incremental render. */
async function compare(source: GitSource, commit: string, memo: SourceMemo) {
  const incremental = await renderDesired(source, commit, memo);
  const cold = await renderDesired(source, commit, newSourceMemo());
  expect(rendered(incremental)).toEqual(rendered(cold));
  expect(incremental.objects.map((p) => incremental.oidOf(p))).toEqual(cold.objects.map((p) => cold.oidOf(p)));
  return incremental;
}

/** kept snapshots which cached folder builds exist now, to tell afterwards which were reused. */
function kept(memo: SourceMemo): Map<string, unknown> {
  return new Map([...memo.render!].map(([k, v]) => [k, v.result]));
}

/** find is the rendered object of a kind and name (a Deployment and its Service share a name). */
function find(s: Awaited<ReturnType<typeof renderDesired>>, kind: string, name: string): any {
  const p = s.objects.find((x) => x.object.kind === kind && x.object.metadata.name === name);
  if (!p) throw new Error(`${kind}/${name} was not rendered`);
  return p.object;
}

/** reused names the folders whose cached build is the very one `before` held (not built again). */
function reused(memo: SourceMemo, before: Map<string, unknown>): string[] {
  return [...memo.render!].filter(([k, v]) => before.get(k) === v.result).map(([k]) => k).sort();
}

describe('incremental render equals a cold render', () => {
  test('edits to a base, an overlay, a generator input, a patch file, the top level and a listing', async () => {
    const repo = sharedRepo();
    const source = await openSource({ repo: repo.dir, stateDir: repo.state });
    const memo = newSourceMemo();
    const first = await compare(source, repo.commit('start'), memo);
    const names = first.objects.map((p) => `${p.object.kind}/${p.object.metadata.namespace ?? ''}/${p.object.metadata.name}`);
    expect(names).toContain('Deployment/ns-one/top-web-one');
    expect(names.filter((n) => n.startsWith('ConfigMap/ns-two/top-settings-two-'))).toHaveLength(1);
    const web = find(first, 'Deployment', 'top-web-one');
    // The name references follow the renames: the generated ConfigMaps' hash, the prefix and the suffix.
    expect(web.spec.template.spec.containers[0].envFrom).toEqual([{ configMapRef: { name: expect.stringMatching(/^top-settings-one-[a-z0-9]{10}$/) } }]);
    expect(web.spec.template.spec.serviceAccountName).toBe('top-runner-one');
    expect(web.spec.replicas).toBe(3);

    // A base resource: base a and its two overlays are built again, base b and overlay three are reused.
    let before = kept(memo);
    repo.write({ 'bases/a/web.yaml': deployment('web').replace('replicas: 1', 'replicas: 5').replace(':1.0.0', ':1.0.1') });
    let s = await compare(source, repo.commit('base a image'), memo);
    expect(reused(memo, before)).toEqual(['bases/b', 'overlays/three']);
    expect(find(s, 'Deployment', 'top-web-two').spec.template.spec.containers[0].image).toBe('registry.example/web:2.3');

    // An overlay's kustomization: only that overlay.
    before = kept(memo);
    repo.write({ 'overlays/two/kustomization.yaml': sharedKustomization('two', 'a').replace('nameSuffix: -two', 'nameSuffix: -second') });
    s = await compare(source, repo.commit('overlay two renamed'), memo);
    expect(reused(memo, before)).toEqual(['bases/a', 'bases/b', 'overlays/one', 'overlays/three']);
    expect(s.objects.some((p) => p.object.metadata.name === 'top-web-second')).toBe(true);

    // A generator's input file in a shared base: its ConfigMap's hash changes, and every reference to it follows.
    before = kept(memo);
    repo.write({ 'bases/a/settings.env': 'LOG_LEVEL=debug\n' });
    s = await compare(source, repo.commit('settings'), memo);
    expect(reused(memo, before)).toEqual(['bases/b', 'overlays/three']);
    const settings = s.objects.find((p) => p.object.kind === 'ConfigMap' && p.object.metadata.name.startsWith('top-settings-one-'))!.object as any;
    expect(settings.data).toEqual({ LOG_LEVEL: 'debug', OVERLAY: 'one' });
    const web1 = find(s, 'Deployment', 'top-web-one');
    expect(web1.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(settings.metadata.name);
    expect(settings.metadata.name).not.toBe((first.objects.find((p) => p.object.kind === 'ConfigMap' && p.object.metadata.name.startsWith('top-settings-one-'))!.object as any).metadata.name);

    // A generator's file source (files: [app.conf]).
    before = kept(memo);
    repo.write({ 'bases/a/app.conf': 'listen 9090\n' });
    await compare(source, repo.commit('app.conf'), memo);
    expect(reused(memo, before)).toEqual(['bases/b', 'overlays/three']);

    // An overlay's patch file.
    before = kept(memo);
    repo.write({ 'overlays/three/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: any}\nspec: {replicas: 7}\n' });
    s = await compare(source, repo.commit('three replicas'), memo);
    expect(reused(memo, before)).toEqual(['bases/a', 'bases/b', 'overlays/one', 'overlays/two']);
    expect(find(s, 'Deployment', 'top-api-three').spec.replicas).toBe(7);

    // The top level's own patch file and kustomization: every folder below is reused, the top level's transformers run on all.
    before = kept(memo);
    repo.write({ 'top-patch.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: any}\nspec: {type: NodePort}\n' });
    s = await compare(source, repo.commit('top patch'), memo);
    expect(reused(memo, before)).toEqual(['bases/a', 'bases/b', 'overlays/one', 'overlays/three', 'overlays/two']);
    expect(s.objects.filter((p) => p.object.kind === 'Service').map((p) => (p.object as any).spec.type)).toEqual(['NodePort', 'NodePort', 'NodePort']);
    repo.write({ 'kustomization.yaml': 'namePrefix: edge-\nresources:\n- overlays/one\n- overlays/three\n' });
    s = await compare(source, repo.commit('top level narrowed'), memo);
    expect(s.objects.every((p) => p.object.metadata.name.startsWith('edge-') || p.object.kind === 'Namespace')).toBe(true);

    // A base grows a file and lists it: that base and its overlay are built again.
    before = kept(memo);
    repo.write({ 'bases/b/notes.txt': 'not a resource\n', 'bases/b/kustomization.yaml': 'resources:\n- api.yaml\n- sa.yaml\n- extra.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [MODE=b]\n- name: files\n  literals: [x=y]\n', 'bases/b/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n' });
    s = await compare(source, repo.commit('base b grows'), memo);
    expect(reused(memo, before)).toEqual(['bases/a', 'overlays/one', 'overlays/two']);
    expect(s.objects.some((p) => p.object.metadata.name === 'edge-extra-three')).toBe(true);
  });
});

/** sharedKustomization is an overlay's kustomization as sharedRepo writes it. */
function sharedKustomization(o: string, base: string): string {
  return `namespace: ns-${o}\nnameSuffix: -${o}\nresources:\n- ../../bases/${base}\nimages:\n- name: registry.example/web\n  newTag: "2.${o.length}"\nconfigMapGenerator:\n- name: settings\n  behavior: merge\n  envs: [extra.env]\npatches:\n- path: replicas.yaml\n  target: {kind: Deployment}\n`;
}
