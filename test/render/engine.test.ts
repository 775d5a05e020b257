/** The kustomize engine's pieces: kustomize's generator hash, origins, tolerant YAML, and every refusal by code. */
import { describe, expect, test } from 'vitest';
import { isMfluxError } from '../../src/core/errors.js';
import { renderKustomization, splitImage } from '../../src/render/index.js';
import { memReader } from './helpers.js';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isMfluxError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected the render to fail');
}

describe('generator hash suffix is kustomize\'s', () => {
  // Expected names printed by `kubectl kustomize` (kustomize v5.5.0) for the same tree.
  const bin = String.fromCharCode(0x78, 0x00, 0xff, 0xfe);
  const files = {
    'kustomization.yaml': [
      'configMapGenerator:',
      '- name: empty',
      '- name: lit',
      "  literals: [a=1, b=two, 'c=\"quoted\"']",
      '- name: html',
      "  literals: ['x=<a href=\"y\">&amp;</a>', 'u=ünïcödé ✓']",
      '- name: bin',
      '  files: [bin.dat]',
      'secretGenerator:',
      '- name: s1',
      '  literals: [password=example]',
      '- name: s2',
      '  type: kubernetes.io/tls',
      '  files: [tls.crt=long.txt, tls.key=bin.dat]',
      '- name: empty-secret',
    ].join('\n'),
    'long.txt': 'a'.repeat(200),
  };
  test('names match kubectl kustomize for empty, literal, HTML-escaped, unicode, binary and Secret inputs', async () => {
    const reader = memReader(files);
    const base = reader.readFile;
    // bin.dat holds bytes that are not UTF-8, so it is served as bytes.
    reader.readFile = (p: string) => (p === 'bin.dat' ? Uint8Array.from([...bin].map((c) => c.charCodeAt(0))) : base(p));
    const origList = reader.list;
    reader.list = (d: string) => {
      const l = origList(d) as { name: string; type: 'file' | 'dir' }[];
      return d === '' ? [...l, { name: 'bin.dat', type: 'file' }] : l;
    };
    const docs = await renderKustomization(reader, '');
    expect(docs.map((d) => d.object.metadata.name)).toEqual([
      'bin-ch2ddccct4',
      'empty-6ct58987ht',
      'html-h6cm8bbfc4',
      'lit-6fgdm968bk',
      'empty-secret-46f8b28mk5',
      's1-845mkcm2cd',
      's2-fgmk6bt67k',
    ]);
    const binCm = docs.find((d) => d.object.metadata.name.startsWith('bin-'))!.object as any;
    expect(binCm.binaryData).toEqual({ 'bin.dat': 'eAD//g==' });
    expect(binCm.data).toBeUndefined();
  });
});

describe('origins', () => {
  test('each object names its file and line, and the kustomizations that changed it', async () => {
    const docs = await renderKustomization(
      memReader({
        'base/kustomization.yaml': 'resources:\n- app.yaml\n',
        'base/app.yaml': '---\n# leading separator and comments\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untouched\n',
        'prod/kustomization.yaml': 'resources:\n- ../base\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data: {k: v}\nconfigMapGenerator:\n- name: gen\n  literals: [x=1]\n',
      }),
      'prod',
    );
    const byName = Object.fromEntries(docs.map((d) => [d.object.metadata.name.replace(/-[a-z0-9]{10}$/, ''), d.origin]));
    expect(byName.a).toEqual({ file: 'base/app.yaml', line: 4, kustomizations: ['prod/kustomization.yaml'] });
    expect(byName.untouched).toEqual({ file: 'base/app.yaml', line: 9, kustomizations: [] });
    expect(byName.gen).toEqual({ file: 'prod/kustomization.yaml', line: 10, kustomizations: ['prod/kustomization.yaml'] });
  });
});

describe('refusals', () => {
  const base = { 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' };
  const k = (text: string) => memReader({ ...base, 'app/kustomization.yaml': text });

  test('helmCharts is refused by name', async () => {
    const e = await codeOf(renderKustomization(k('resources: [cm.yaml]\nhelmCharts:\n- name: redis\n  repo: https://charts.example.com\n'), 'app'));
    expect(e.code).toBe('KustomizeUnsupported');
    expect(e.message).toMatch(/^app\/kustomization\.yaml:2: helmCharts: /);
  });

  test('a field not implemented is refused (vars)', async () => {
    const e = await codeOf(renderKustomization(k('resources: [cm.yaml]\nvars:\n- name: X\n'), 'app'));
    expect(e).toMatchObject({ code: 'KustomizeUnsupported' });
    expect(e.message).toMatch(/^app\/kustomization\.yaml:2: vars: .*replacements/);
  });

  test('remote resources are refused (URL and git reference)', async () => {
    for (const r of ['https://github.com/org/repo//deploy?ref=v1', 'github.com/org/repo/deploy?ref=main', 'git@github.com:org/repo.git']) {
      const e = await codeOf(renderKustomization(k(`resources:\n- cm.yaml\n- ${r}\n`), 'app'));
      expect(e.code).toBe('KustomizeUnsupported');
      expect(e.message).toContain('remote resource');
      expect(e.message).toMatch(/^app\/kustomization\.yaml:3: resources: /);
    }
  });

  test('exec and container plugins are never run', async () => {
    const fn = 'apiVersion: example.com/v1\nkind: Sops\nmetadata:\n  name: x\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./plugin.sh\n';
    const e = await codeOf(renderKustomization(memReader({ ...base, 'app/fn.yaml': fn, 'app/kustomization.yaml': 'resources: [cm.yaml]\ntransformers: [fn.yaml]\n' }), 'app'));
    expect(e.code).toBe('KustomizeUnsupported');
    expect(e.message).toContain('never run');
    const g = await codeOf(renderKustomization(memReader({ ...base, 'app/fn.yaml': fn, 'app/kustomization.yaml': 'resources: [cm.yaml]\ngenerators: [fn.yaml]\n' }), 'app'));
    expect(g.code).toBe('KustomizeUnsupported');
  });

  test('a file outside the root is a PathEscape', async () => {
    const e = await codeOf(renderKustomization(k('resources:\n- cm.yaml\n- ../../etc/passwd\n'), 'app'));
    expect(e.code).toBe('PathEscape');
    expect(e.message).toMatch(/^app\/kustomization\.yaml:3: resources: /);
    const abs = await codeOf(renderKustomization(k('resources:\n- /etc/passwd\n'), 'app'));
    expect(abs.code).toBe('PathEscape');
    const gen = await codeOf(renderKustomization(k('configMapGenerator:\n- name: x\n  files: [../../secret.txt]\n'), 'app'));
    expect(gen.code).toBe('PathEscape');
  });

  test('a missing file is a KustomizeError with file and line', async () => {
    const e = await codeOf(renderKustomization(k('resources:\n- cm.yaml\n- missing.yaml\n'), 'app'));
    expect(e.code).toBe('KustomizeError');
    expect(e.message).toMatch(/^app\/kustomization\.yaml:3: resources: "missing\.yaml" does not exist/);
  });

  test('a cycle between kustomizations is a KustomizeError', async () => {
    const e = await codeOf(
      renderKustomization(memReader({ 'a/kustomization.yaml': 'resources: [../b]\n', 'b/kustomization.yaml': 'resources:\n- ../a\n' }), 'a'),
    );
    expect(e.code).toBe('KustomizeError');
    expect(e.message).toContain('cycle between kustomizations: a -> b -> a');
    expect(e.message).toMatch(/^b\/kustomization\.yaml:1: /);
  });

  test('a Component listed as a resource, and a Kustomization listed as a component, are refused', async () => {
    const files = { ...base, 'c/kustomization.yaml': 'kind: Component\n', 'app/kustomization.yaml': 'resources: [cm.yaml, ../c]\n' };
    expect((await codeOf(renderKustomization(memReader(files), 'app'))).code).toBe('KustomizeError');
    const files2 = { ...base, 'c/kustomization.yaml': 'resources: []\n', 'app/kustomization.yaml': 'resources: [cm.yaml]\ncomponents: [../c]\n' };
    expect((await codeOf(renderKustomization(memReader(files2), 'app'))).message).toContain("expected kind 'Component'");
  });

  test('two objects with one id, and YAML syntax errors, are KustomizeErrors', async () => {
    const dup = await codeOf(renderKustomization(memReader({ ...base, 'app/cm2.yaml': base['app/cm.yaml'], 'app/kustomization.yaml': 'resources: [cm.yaml, cm2.yaml]\n' }), 'app'));
    expect(dup.code).toBe('KustomizeError');
    expect(dup.message).toContain('already registered id');
    const bad = await codeOf(renderKustomization(memReader({ 'app/cm.yaml': 'apiVersion: v1\nkind: [\n', 'app/kustomization.yaml': 'resources: [cm.yaml]\n' }), 'app'));
    expect(bad.code).toBe('KustomizeError');
    expect(bad.message).toMatch(/^app\/cm\.yaml:\d+:\d+: YAML syntax error/);
  });

  test('a generator merging into nothing, and a patch matching nothing, are KustomizeErrors', async () => {
    const m = await codeOf(renderKustomization(k('configMapGenerator:\n- name: nope\n  behavior: merge\n  literals: [a=b]\n'), 'app'));
    expect(m.code).toBe('KustomizeError');
    const p = await codeOf(renderKustomization(k('resources: [cm.yaml]\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: other}\n'), 'app'));
    expect(p.message).toContain('no resource matches');
  });
});

describe('images', () => {
  test('splitImage keeps a registry port in the name', () => {
    expect(splitImage('registry:5000/team/app:1.2@sha256:abc')).toEqual(['registry:5000/team/app', '1.2', 'sha256:abc']);
    expect(splitImage('nginx')).toEqual(['nginx', '', '']);
    expect(splitImage('nginx@sha256:abc')).toEqual(['nginx', '', 'sha256:abc']);
    expect(splitImage('localhost:5000/app')).toEqual(['localhost:5000/app', '', '']);
  });
});
