/** The pure checks behind the input limits and the API server's decoding and validation messages. */
import { describe, expect, test } from 'vitest';
import { isMfluxError, renderFieldError } from '../../src/core/index.js';
import { renderKustomization } from '../../src/render/index.js';
import { memReader } from '../render/helpers.js';
import {
  MAX_DEPTH,
  base64Error,
  configKeyErrors,
  decodeError,
  invalidUtf8At,
  jsonTooDeepAt,
  labelValueErrors,
  measureValue,
  parseManifestFile,
  qualifiedNameErrors,
  validateConfigMap,
  validateLabelSelector,
  type ManifestIssue,
} from '../../src/manifests/index.js';

const parse = (path: string, content: string | Uint8Array) => {
  const issues: ManifestIssue[] = [];
  const objects = parseManifestFile({ path, content }, issues);
  return { objects, issues };
};

describe('limits', () => {
  test('invalidUtf8At finds the first bad byte: lone continuation, overlong, surrogate, beyond U+10FFFF, cut short', () => {
    expect(invalidUtf8At(Buffer.from('grüße, 日本, 🎉'))).toBe(-1);
    expect(invalidUtf8At(Uint8Array.from([0x61, 0x80]))).toBe(1);
    expect(invalidUtf8At(Uint8Array.from([0xc0, 0xaf]))).toBe(0);
    expect(invalidUtf8At(Uint8Array.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(invalidUtf8At(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
    expect(invalidUtf8At(Uint8Array.from([0x61, 0x62, 0xe6, 0x97]))).toBe(2);
  });

  test('a UTF-8 BOM is dropped, not parsed', () => {
    const { objects, issues } = parse('bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bom}\n')]));
    expect(issues).toEqual([]);
    expect(objects[0]!.object.apiVersion).toBe('v1');
  });

  test('jsonTooDeepAt ignores brackets inside strings', () => {
    expect(jsonTooDeepAt('{"a": "[[[[[[", "b": [[1]]}', 3)).toBe(-1);
    expect(jsonTooDeepAt('{"a": "\\"[[[[", "b": [[[1]]]}', 3)).toBe(23);
  });

  test('measureValue counts aliases at full size, in time proportional to the text, and spots a cycle', () => {
    let v: unknown = 'lol';
    for (let i = 0; i < 30; i++) v = [v, v, v, v, v, v, v, v, v, v];
    const t = performance.now();
    const shape = measureValue(v);
    expect(performance.now() - t).toBeLessThan(50);
    expect(shape.shared).toBe(true);
    expect(shape.depth).toBe(30);
    expect(shape.bytes).toBeGreaterThan(1e30);
    const loop: any = { a: [] };
    loop.a.push(loop);
    expect(measureValue(loop).cyclic).toBe(true);
    // Without escapes the estimate is the JSON length exactly.
    const plain = { a: { b: [1, 'xy', true, null] }, c: 'd' };
    expect(measureValue(plain)).toEqual({ bytes: JSON.stringify(plain).length, depth: 3, shared: false, cyclic: false });
  });

  test('an alias-built chain deeper than the limit is refused even though each anchor is shallow', () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: chain}', 'x0: &x0 [1]'];
    for (let i = 1; i <= MAX_DEPTH; i++) lines.push(`x${i}: &x${i} [*x${i - 1}]`);
    const { issues } = parse('chain.yaml', `${lines.join('\n')}\n`);
    expect(issues).toEqual([{ code: 'YAMLAliasLimit', file: 'chain.yaml', line: 1, message: `YAML aliases expand this document deeper than ${MAX_DEPTH} levels` }]);
  });

  test('kustomize resources and kustomizations obey the same limits, with the same codes', async () => {
    const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'data:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const c of 'bcdefghi') bomb.push(`  ${c}: &${c} [${Array(9).fill(`*${String.fromCharCode(c.charCodeAt(0) - 1)}`).join(',')}]`);
    const failure = async (files: Record<string, string>) => {
      try {
        await renderKustomization(memReader(files), 'app');
      } catch (err) {
        if (isMfluxError(err)) return { code: err.code, message: err.message };
        throw err;
      }
      throw new Error('expected the render to fail');
    };
    const t = performance.now();
    const e = await failure({ 'app/kustomization.yaml': 'resources:\n- lol.yaml\n', 'app/lol.yaml': `${bomb.join('\n')}\n` });
    expect(performance.now() - t).toBeLessThan(1000);
    expect(e).toEqual({ code: 'YAMLAliasLimit', message: "app/lol.yaml:1: YAML aliases expand this document beyond 3145728 bytes, the API server's request limit" });
    const deep = await failure({ 'app/kustomization.yaml': `resources: ${'['.repeat(5000)}${']'.repeat(5000)}\n` });
    expect(deep.code).toBe('ManifestTooDeep');
  });

  test('a few harmless aliases are fine', () => {
    const { objects, issues } = parse('ok.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  labels: &l {app: x}\n  annotations: *l\n');
    expect(issues).toEqual([]);
    expect(objects[0]!.object.metadata.annotations).toEqual({ app: 'x' });
  });
});

describe("the API server's decoding (encoding/json's wording)", () => {
  const deploy = (spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec });
  const prefix = 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal';

  test.each([
    [{ replicas: 'three' }, 'string into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ replicas: 2.5 }, 'number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ replicas: 2147483648 }, 'number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ replicas: -2147483649 }, 'number -2147483649 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ replicas: true }, 'bool into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ strategy: 'Recreate' }, 'string into Go struct field DeploymentSpec.spec.strategy of type v1.DeploymentStrategy'],
    [{ template: { spec: { containers: {} } } }, 'object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container'],
    [{ template: { spec: { containers: ['nginx'] } } }, 'string into Go struct field PodSpec.spec.template.spec.containers of type v1.Container'],
    [{ template: { metadata: { labels: { app: 1 } } } }, 'number into Go struct field ObjectMeta.spec.template.metadata.labels of type string'],
  ])('%j', (spec, msg) => {
    expect(decodeError(deploy(spec) as any)).toBe(`${prefix} ${msg}`);
  });

  test('a whole spec of the wrong type, valid objects, and null', () => {
    expect(decodeError({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: 'x' } as any)).toBe(
      `${prefix} string into Go struct field Deployment.spec of type v1.DeploymentSpec`,
    );
    expect(decodeError(deploy({ replicas: 3, strategy: null, template: { spec: { containers: [{ name: 'a', image: 'b' }] } } }) as any)).toBeUndefined();
    expect(decodeError({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: 'b' } }, spec: 'anything' } as any)).toBeUndefined();
  });

  test("base64Error reports the offset Go's StdEncoding does", () => {
    expect(base64Error('aGVsbG8=')).toBeUndefined();
    expect(base64Error('aGVs\nbG8=\n')).toBeUndefined();
    expect(base64Error('')).toBeUndefined();
    expect(base64Error('abc')).toBe('illegal base64 data at input byte 0');
    expect(base64Error('ab!d')).toBe('illegal base64 data at input byte 2');
    expect(base64Error('aGVsbG8')).toBe('illegal base64 data at input byte 4');
    expect(base64Error('aGVsbG8=x')).toBe('illegal base64 data at input byte 8');
    expect(base64Error('aGVsbA=')).toBe('illegal base64 data at input byte 7');
    expect(base64Error('a===')).toBe('illegal base64 data at input byte 1');
  });
});

describe('labels, selectors and config keys (apimachinery validation texts)', () => {
  test('qualified names: prefix and name parts', () => {
    expect(qualifiedNameErrors('app.kubernetes.io/name')).toEqual([]);
    expect(qualifiedNameErrors('/name')).toEqual(['prefix part must be non-empty']);
    expect(qualifiedNameErrors('Example.com/x')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain must consist of/);
    expect(qualifiedNameErrors('a'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(qualifiedNameErrors('a/b/c')[0]).toMatch(/^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
    expect(qualifiedNameErrors('')).toEqual([
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
  });

  test('label values may be empty, at most 63 characters', () => {
    expect(labelValueErrors('')).toEqual([]);
    expect(labelValueErrors('v1.2_3-x')).toEqual([]);
    expect(labelValueErrors('x'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(labelValueErrors('-x')).toHaveLength(1);
  });

  test('selectors: operators and their values', () => {
    const errs = validateLabelSelector(
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }, { key: 'b', operator: 'Exists', values: ['x'] }, { key: 'c', operator: 'Near' }] },
      'spec.selector',
    ).map(renderFieldError);
    expect(errs).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ]);
  });

  test("config keys, binaryData duplicates, and the ConfigMap's 1 MiB (decoded binaryData counts)", () => {
    expect(configKeyErrors('..x')).toEqual(["must not start with '..'"]);
    expect(configKeyErrors('.')).toEqual(["must not be '.'"]);
    const cm = (data: Record<string, string>, binaryData: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data, binaryData }) as any;
    expect(validateConfigMap(cm({ a: 'x' }, { a: 'eA==' })).map(renderFieldError)).toEqual(['data[a]: Invalid value: "a": duplicate of key present in binaryData']);
    const half = 512 * 1024;
    expect(validateConfigMap(cm({ a: 'x'.repeat(half) }, { b: Buffer.alloc(half).toString('base64') }))).toEqual([]);
    expect(validateConfigMap(cm({ a: 'x'.repeat(half + 1) }, { b: Buffer.alloc(half).toString('base64') })).map(renderFieldError)).toEqual(['[]: Too long: must have at most 1048576 bytes']);
  });
});
