/** Real-world YAML as public repositories write it: every shape below parses to the objects kubectl would see. */
import { describe, expect, test } from 'vitest';
import { type ManifestIssue, parseManifestFile } from '../../src/manifests/index.js';

const CM = (name: string, nl = '\n') => ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${name}`, ''].join(nl);

function parse(path: string, text: string | Uint8Array) {
  const issues: ManifestIssue[] = [];
  const notes: string[] = [];
  const objects = parseManifestFile({ path, content: typeof text === 'string' ? Buffer.from(text) : text }, issues, notes);
  return { names: objects.map((o) => `${o.object.kind}/${o.object.metadata.name}@${o.origin.line}`), objects, issues, notes };
}

describe('real-world YAML', () => {
  test('YAML 1.1 octal integers read as Kubernetes reads them (defaultMode: 0755 is 493); other integers and strings unchanged', () => {
    const issues: ManifestIssue[] = [];
    const [p] = parseManifestFile({ path: 'cron.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {mode: 0755, neg: -0644, zero: 0, dec: 08, hex: 0x1F, plain: 42, quoted: "0755", ports: 1:20}\n' }, issues);
    expect(issues).toEqual([]);
    expect(p!.object.spec).toEqual({ mode: 493, neg: -420, zero: 0, dec: 8, hex: 31, plain: 42, quoted: '0755', ports: '1:20' });
  });
  test('a leading ---', () => {
    expect(parse('a.yaml', `---\n${CM('a')}`)).toMatchObject({ names: ['ConfigMap/a@2'], issues: [], notes: [] });
  });
  test('a comment header, then ---', () => {
    expect(parse('a.yaml', `# Copyright 2024 someone\n# SPDX-License-Identifier: Apache-2.0\n---\n${CM('a')}---\n${CM('b')}`)).toMatchObject({ names: ['ConfigMap/a@4', 'ConfigMap/b@9'], issues: [] });
  });
  test('an empty file gives nothing, silently', () => {
    expect(parse('a.yaml', '')).toMatchObject({ names: [], issues: [], notes: [] });
  });
  test('comment-only documents are skipped', () => {
    expect(parse('a.yaml', `# nothing here\n---\n# nor here\n---\n${CM('a')}`)).toMatchObject({ names: ['ConfigMap/a@5'], issues: [], notes: [] });
  });
  test('a trailing --- and a ... document end', () => {
    expect(parse('a.yaml', `${CM('a')}---\n`)).toMatchObject({ names: ['ConfigMap/a@1'], issues: [] });
    expect(parse('a.yaml', `${CM('a')}...\n---\n${CM('b')}...\n`)).toMatchObject({ names: ['ConfigMap/a@1', 'ConfigMap/b@7'], issues: [] });
  });
  test('a byte-order mark, on a single document and before a leading ---', () => {
    expect(parse('a.yaml', `\uFEFF${CM('a')}`)).toMatchObject({ names: ['ConfigMap/a@1'], issues: [] });
    expect(parse('a.yaml', `\uFEFF---\n${CM('a')}---\n${CM('b')}`)).toMatchObject({ names: ['ConfigMap/a@2', 'ConfigMap/b@7'], issues: [] });
  });
  test('CRLF line ends', () => {
    const r = parse('a.yaml', `${CM('a', '\r\n')}---\r\n${CM('b', '\r\n')}`);
    expect(r).toMatchObject({ names: ['ConfigMap/a@1', 'ConfigMap/b@6'], issues: [] });
    expect(r.objects[1]!.object.metadata.name).toBe('b');
  });
  test('anchors and merge keys', () => {
    const r = parse('a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &common\n    app: web\n  annotations:\n    <<: *common\n    team: blue\n');
    expect(r.issues).toEqual([]);
    expect(r.objects[0]!.object.metadata.annotations).toEqual({ app: 'web', team: 'blue' });
  });
  test('List and typed *List kinds are unpacked', () => {
    const items = '- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n';
    expect(parse('a.yaml', `apiVersion: v1\nkind: List\nitems:\n${items}`)).toMatchObject({ names: ['ConfigMap/a@1', 'ConfigMap/b@1'], issues: [] });
    expect(parse('a.yaml', `apiVersion: v1\nkind: ConfigMapList\nitems:\n${items}`)).toMatchObject({ names: ['ConfigMap/a@1', 'ConfigMap/b@1'], issues: [] });
    const roles = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleList\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: r}\n  rules: []\n';
    expect(parse('a.yaml', roles)).toMatchObject({ names: ['Role/r@1'], issues: [] });
  });
  test('.yml and .json files', () => {
    expect(parse('a.yml', CM('a'))).toMatchObject({ names: ['ConfigMap/a@1'] });
    expect(parse('a.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } }))).toMatchObject({ names: ['ConfigMap/j@1'], issues: [] });
  });
  test('a file that holds no Kubernetes object (Helm values, a CI workflow, a JSON config) is skipped with a note naming it', () => {
    for (const [path, text] of [
      ['chart/values.yaml', 'replicaCount: 2\nimage:\n  repository: nginx\n  tag: "1.27"\n'],
      ['ci/workflow.yml', 'name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n'],
      ['renovate.json', '{"extends": ["config:base"]}'],
    ] as const) {
      const r = parse(path, text);
      expect(r.names).toEqual([]);
      expect(r.issues).toEqual([]);
      expect(r.notes).toEqual([`${path}: skipped: no Kubernetes object in it (no document has an apiVersion or a kind)`]);
    }
  });
  test('a document with apiVersion and kind that is broken is still an error; so is a broken file', () => {
    const r = parse('a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n');
    expect(r.issues.map((i) => [i.code, i.line, i.message])).toEqual([['InvalidManifest', 1, 'ConfigMap: missing metadata.name']]);
    expect(r.notes).toEqual([]);
    const bad = parse('b.yaml', 'replicaCount: [1\n');
    expect(bad.issues[0]!.code).toBe('YAMLSyntax');
    expect(bad.notes).toEqual([]);
    // One Kubernetes document makes the whole file manifests: the other document must be one too.
    expect(parse('c.yaml', `${CM('a')}---\nfoo: bar\n`).issues[0]!.code).toBe('InvalidManifest');
  });
});

describe('block scalars at the end of a file, as go-yaml (kubectl) reads them', () => {
  const cm = (tail: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  conf: ${tail}`;
  const value = (text: string) => {
    const issues: ManifestIssue[] = [];
    const objs = parseManifestFile({ path: 'c.yaml', content: text }, issues);
    expect(issues).toEqual([]);
    return (objs[0]!.object.data as Record<string, string>).conf;
  };
  test.each([
    ['literal, no final line break: no newline', '|\n    a\n    b', 'a\nb'],
    ['literal, final line break kept once', '|\n    a\n    b\n', 'a\nb\n'],
    ['keep, no final line break: nothing to keep', '|+\n    a', 'a'],
    ['folded, no final line break', '>\n    a\n    b', 'a b'],
    ['strip stays stripped', '|-\n    a\n', 'a'],
    ['trailing blank lines are clipped to one', '|\n    a\n\n\n', 'a\n'],
    ['CRLF', '|\r\n    a\r\n', 'a\n'],
  ])('%s', (_name, tail, want) => {
    expect(value(cm(tail))).toBe(want);
  });

  test('the last document of a multi-document file, and a file ending in a second document', () => {
    expect(value(`---\n${cm('|\n    x')}`)).toBe('x');
    const issues: ManifestIssue[] = [];
    const objs = parseManifestFile({ path: 'c.yaml', content: `${cm('|\n    first')}\n---\n${cm('|\n    last').replace('name: c', 'name: d')}` }, issues);
    expect(objs.map((o) => (o.object.data as Record<string, string>).conf)).toEqual(['first\n', 'last']);
  });
});
