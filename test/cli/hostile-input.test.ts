/**
 * Hostile manifests through `mflux apply -f` and `mflux reconcile`: alias bombs, deep nesting,
 * huge and non-UTF-8 files, and what the API server refuses (types, labels, data). Each is refused
 * quickly with its code and file:line, and the stored state is exactly what it was before.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { MAX_FILE_BYTES } from '../../src/manifests/index.js';
import { TestRepo, mflux, removeTestRepos, tempDir, writeManifest } from './helpers.js';

const deployment = (name: string, replicas = '2', labels = `{app: ${name}}`) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: ${labels}
  template:
    metadata:
      labels: ${labels}
    spec:
      containers:
        - name: app
          image: nginx:1.25
`;

const configMap = (name: string, data = '  key: value\n') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
${data}`;

/** BOMB is the 17-line "billion laughs": 9^9 strings once expanded. */
const BOMB = `apiVersion: v1
kind: ConfigMap
metadata:
  name: lol
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
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
afterAll(removeTestRepos);

/** stored is every stored cluster object row (or null when there is no state yet): equal before and after means nothing was written. */
function stored(state: string): unknown[] | null {
  const db = path.join(state, 'state.db');
  if (!fs.existsSync(db)) return null;
  const h = new Database(db, { readonly: true });
  try {
    return h.prepare('SELECT * FROM objects ORDER BY 1, 2, 3').all();
  } finally {
    h.close();
  }
}

/** applyRefused applies files over a state holding one good ConfigMap and expects exit 1, the given stderr lines, and no write. */
async function applyRefused(files: Record<string, string | Uint8Array>, ...lines: (string | RegExp)[]): Promise<{ stderr: string; ms: number }> {
  const { dir, state } = workspace();
  writeManifest(dir, 'seed/cm.yaml', configMap('seed'));
  expect((await mflux(state, 'apply', '-f', path.join(dir, 'seed'))).code).toBe(0);
  const before = stored(state);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'm', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'm', name), content);
  }
  const t = performance.now();
  const r = await mflux(state, 'apply', '-f', path.join(dir, 'm'));
  const ms = performance.now() - t;
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  for (const l of lines) {
    if (typeof l === 'string') expect(r.stderr).toContain(l);
    else expect(r.stderr).toMatch(l);
  }
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(stored(state)).toEqual(before);
  return { stderr: r.stderr, ms };
}

describe('limits: refused before anything is built from the file', () => {
  test('a billion-laughs file is refused within a second, naming file and line', async () => {
    const heap = process.memoryUsage().heapUsed;
    const { ms } = await applyRefused(
      { 'lol.yaml': BOMB, 'ok.yaml': configMap('ok') },
      "/m/lol.yaml:1: YAML aliases expand this document beyond 3145728 bytes, the API server's request limit [YAMLAliasLimit]",
    );
    expect(ms).toBeLessThan(1000);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(200 * 1024 * 1024);
  });

  test('a recursive alias and too many aliases are refused too', async () => {
    await applyRefused({ 'self.yaml': `${configMap('self', '  a: &x {b: *x}\n')}` }, 'm/self.yaml:1: a YAML alias refers to a node that contains it (a recursive document) [YAMLAliasLimit]');
    const many = `${configMap('many', `  a: &a x\n  list: [${Array.from({ length: 1001 }, () => '*a').join(', ')}]\n`)}`;
    await applyRefused({ 'many.yaml': many }, /m\/many\.yaml:7:\d+: more than 1000 YAML aliases in one document \[YAMLAliasLimit\]/);
  });

  test('JSON nested 200,000 deep and YAML nested 2,000 deep are ManifestTooDeep, not a stack overflow', async () => {
    const deep = `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep"},\n "x": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    await applyRefused({ 'deep.json': deep }, '/m/deep.json:2:1006: nesting deeper than 1000 levels [ManifestTooDeep]');
    const yaml = `${configMap('deep', `  x: ${'['.repeat(2000)}${']'.repeat(2000)}\n`)}`;
    await applyRefused({ 'deep.yaml': yaml }, /\/m\/deep\.yaml:6:\d+: nesting deeper than 1000 levels \[ManifestTooDeep\]/);
  });

  test('a file over the size limit is ManifestTooLarge, and is not read in full', async () => {
    const big = configMap('big', `  blob: "${'x'.repeat(MAX_FILE_BYTES)}"\n`);
    await applyRefused({ 'big.yaml': big }, '/m/big.yaml:1: the file is larger than the limit of 8388608 bytes (8.0 MiB) per manifest file [ManifestTooLarge]');
  });

  test('bytes that are not UTF-8 are InvalidEncoding at their line, never replaced by U+FFFD', async () => {
    const text = Buffer.concat([Buffer.from(configMap('latin1', '  city: "M')), Buffer.from([0xfc]), Buffer.from('nchen"\n')]);
    await applyRefused({ 'latin1.yaml': text }, '/m/latin1.yaml:6:11: invalid UTF-8 (byte 0xfc): manifests must be UTF-8 text [InvalidEncoding]');
  });
});

describe("the API server's validation", () => {
  const cannot = (what: string) =>
    `/m/web.yaml:1: Deployment/default/web: Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal ${what} into Go struct field DeploymentSpec.spec.replicas of type int32 [BadRequest]`;

  test('replicas that are not an int32 do not decode: a string, 2.5, 2147483648', async () => {
    await applyRefused({ 'web.yaml': deployment('web', '"three"') }, cannot('string'));
    await applyRefused({ 'web.yaml': deployment('web', '2.5') }, cannot('number 2.5'));
    await applyRefused({ 'web.yaml': deployment('web', '2147483648') }, cannot('number 2147483648'));
    await applyRefused({ 'web.yaml': deployment('web', '-1') }, 'spec.replicas: Invalid value: -1: must be greater than or equal to 0 [Invalid]');
  });

  test('invalid label keys and values, in metadata.labels and in selectors', async () => {
    const bad = deployment('web').replace('metadata:\n  name: web\n', 'metadata:\n  name: web\n  labels: {"-bad-": ok, tier: "front end"}\n');
    await applyRefused(
      { 'web.yaml': bad },
      `The Deployment "web" is invalid: [metadata.labels: Invalid value: "-bad-": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), metadata.labels: Invalid value: "front end": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')] [Invalid]`,
    );
    await applyRefused(
      { 'web.yaml': deployment('web', '2', '{"example.com/app/x": web}') },
      `spec.selector.matchLabels: Invalid value: "example.com/app/x": a qualified name must consist of alphanumeric characters`,
      `spec.template.metadata.labels: Invalid value: "example.com/app/x"`,
    );
  });

  test('ConfigMap data: values must be strings, binaryData base64, keys config keys', async () => {
    await applyRefused(
      { 'cm.yaml': configMap('cm', '  port: 8080\n') },
      '/m/cm.yaml:1: ConfigMap/default/cm: ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string [BadRequest]',
    );
    await applyRefused({ 'cm.yaml': `${configMap('cm')}binaryData:\n  blob: "not base64!"\n` }, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 3 [BadRequest]');
    await applyRefused(
      { 'cm.yaml': configMap('cm', '  "a/b": x\n') },
      `The ConfigMap "cm" is invalid: data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+') [Invalid]`,
    );
  });

  test('a Secret with invalid base64 is refused without showing its value', async () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: hunter2-not-base64\n';
    const { stderr } = await applyRefused(
      { 'secret.yaml': secret },
      '/m/secret.yaml:1: Secret/default/creds: Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 7 [BadRequest]',
    );
    expect(stderr).not.toContain('hunter2');
  });

  test('more than 1 MiB of ConfigMap or Secret data is Too long, and the state does not grow', async () => {
    const mib = 1024 * 1024;
    await applyRefused({ 'cm.yaml': configMap('big', `  a: "${'x'.repeat(mib)}"\n  b: "y"\n`) }, 'The ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes [Invalid]');
    const b64 = Buffer.alloc(mib + 1, 1).toString('base64');
    await applyRefused(
      { 'secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\ndata:\n  a: ${b64}\n` },
      'The Secret "big" is invalid: data: Too long: must have at most 1048576 bytes [Invalid]',
    );
    // Just at the limit is accepted.
    const { dir, state } = workspace();
    writeManifest(dir, 'cm.yaml', configMap('edge', `  a: "${'x'.repeat(mib)}"\n`));
    expect((await mflux(state, 'apply', '-f', path.join(dir, 'cm.yaml'))).code).toBe(0);
  });

  test('an object beyond the 3 MiB request limit is RequestTooLarge', async () => {
    // Many keys of 1 KiB each: under the data limit per value, over the request limit in all.
    const lines = Array.from({ length: 3200 }, (_, i) => `  k${i}: "${'v'.repeat(1024)}"`).join('\n');
    await applyRefused({ 'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\n  annotations:\n${lines}\n` }, '/m/cm.yaml:1: ConfigMap/huge: Request entity too large: limit is 3145728 [RequestTooLarge]');
  });
});

describe('mflux reconcile refuses the same commits and keeps serving the last good one', () => {
  const repo = new TestRepo();
  const good = () => repo.write({ 'web.yaml': deployment('web'), 'cm.yaml': configMap('cm') }).commit('good');

  async function reconcileRefused(files: Record<string, string | Buffer>, code: string, file: string, line: number): Promise<void> {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(repo.dir, name), content);
    repo.commit(`bad ${code}`);
    const before = stored(repo.state);
    const t = performance.now();
    const r = await mflux(repo.state, 'reconcile', '--repo', repo.dir, '-o', 'json');
    expect(performance.now() - t).toBeLessThan(5000);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe('Invalid');
    expect(j.reasons[0]).toMatchObject({ code, file, line });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(stored(repo.state)).toEqual(before);
    const diff = await mflux(repo.state, 'diff', '--repo', repo.dir);
    expect(diff.stderr).toContain(`[${code}]`);
    expect(diff.code).not.toBe(0);
  }

  test('a good commit first', async () => {
    good();
    expect((await mflux(repo.state, 'reconcile', '--repo', repo.dir)).code).toBe(0);
  });

  test('billion laughs (and `mflux check` of the commit fails on it)', async () => {
    const base = repo.commit('base');
    await reconcileRefused({ 'cm.yaml': BOMB }, 'YAMLAliasLimit', 'cm.yaml', 1);
    const t = performance.now();
    const r = await mflux(repo.state + '-check', 'check', '--repo', repo.dir, '--base', base, '--head', 'HEAD', '--format', 'json');
    expect(performance.now() - t).toBeLessThan(5000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toEqual([expect.objectContaining({ severity: 'error', code: 'YAMLAliasLimit', file: 'cm.yaml', line: 1 })]);
  });

  test('non-UTF-8 bytes in a Git blob', async () => {
    await reconcileRefused({ 'cm.yaml': Buffer.concat([Buffer.from(configMap('cm', '  a: "')), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]) }, 'InvalidEncoding', 'cm.yaml', 6);
  });

  test('replicas "three"', async () => {
    await reconcileRefused({ 'cm.yaml': configMap('cm'), 'web.yaml': deployment('web', '"three"') }, 'BadRequest', 'web.yaml', 1);
  });

  test('a ConfigMap over 1 MiB of data', async () => {
    await reconcileRefused({ 'web.yaml': deployment('web'), 'cm.yaml': configMap('cm', `  a: "${'x'.repeat(1024 * 1024 + 1)}"\n`) }, 'Invalid', 'cm.yaml', 1);
  });
});
