/**
 * readDesired's two ways of parsing a batch give the same answer: in-thread (what the sources do
 * under the test runner, where no compiled worker sits next to them) and with the worker thread
 * (exercised through the compiled read.js: dist/ when it is up to date, as after `npm ci`,
 * otherwise a private build). Same objects with origins, same issues with file:line:column, and
 * the parse cache still means that nothing unchanged is read twice.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newSourceMemo, readDesired, type DesiredState, type SourceMemo, type ReadDesiredOptions } from '../../src/reconcile/index.js';
import { openSource, type GitSource } from '../../src/source/index.js';
import { commit, initRepo, tempDirs } from '../source/helpers.js';

type ReadModule = typeof import('../../src/reconcile/read.js');

const ROOT = path.resolve(__dirname, '../..');
const fresh = tempDirs();
let privateBuild: string | undefined;

function newestSource(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = path.join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
  }, 0);
}

/** compiledRead finds read.js with parse-worker.js beside it: dist/ when it is newer than every source, else a private build. */
function compiledRead(): string {
  const at = (out: string) => path.join(out, 'src/reconcile/read.js');
  const dist = path.join(ROOT, 'dist');
  const upToDate = (out: string) =>
    fs.existsSync(at(out)) && fs.existsSync(path.join(out, 'src/reconcile/parse-worker.js')) && fs.statSync(at(out)).mtimeMs >= newestSource(path.join(ROOT, 'src'));
  if (upToDate(dist)) return at(dist);
  // Under node_modules, so that the build's own imports (js-yaml, isomorphic-git) resolve.
  privateBuild = path.join(ROOT, 'node_modules', '.cache', `mflux-read-test-${process.pid}`);
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json'), '--outDir', privateBuild], { stdio: 'ignore' });
  if (!upToDate(privateBuild)) throw new Error(`could not compile the sources into ${privateBuild}`);
  return at(privateBuild);
}

const deploy = (name: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  labels: {app: ${name}}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example/${name}:v1\n`;

/** FILES is a repository with every kind of content: enough plain files for several chunks, and every odd case. */
function repoFiles(): Record<string, string | { link: string }> {
  const files: Record<string, string | { link: string }> = {};
  for (let i = 0; i < 300; i++) files[`apps/app-${String(i).padStart(3, '0')}/deploy.yaml`] = deploy(`app-${i}`);
  for (let i = 0; i < 12; i++) {
    files[`multi/m-${i}.yaml`] = `# services and config for m-${i}\napiVersion: v1\nkind: Service\nmetadata:\n  name: m-${i}\n---\n\n# the config\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m-${i}\ndata:\n  n: "${i}"\n--- # last\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: m-${i}-a}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: m-${i}-b}\n`;
    files[`bad/second-doc-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first-${i}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second-${i}\n data: 1\n`;
  }
  files['bad/tab.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tab\n\tbad: 1\n';
  files['bad/unclosed.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unclosed\ndata:\n  key: [a, b\n';
  files['bad/no-name.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n';
  files['bad/scalar.yaml'] = 'just a string\n';
  files['bad/broken.json'] = '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "metadata": {"name": "j"},,\n}\n';
  files['json/ok.json'] = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-json' }, data: { a: '1' } }, null, 2);
  files['odd/values.yaml'] =
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\n  annotations:\n    shared: &x {k: v}\n    again: *x\n__proto__: {polluted: true}\nnums: [.nan, -0.0, .inf, 0x1F, 12345678901234567890]\nempty: ~\nquoted: "line\\nbreak"\n';
  files['same/a.yaml'] = deploy('same');
  files['same/b.yaml'] = deploy('same');
  files['linked.yaml'] = { link: 'apps/app-000/deploy.yaml' };
  files['README.md'] = '# not a manifest\n';
  return files;
}

/** counting wraps a source and counts what it is asked to list and read. */
function counting(source: GitSource) {
  const counts = { listings: 0, blobCalls: 0, blobs: 0 };
  const wrapped: GitSource = {
    resolve: (p) => source.resolve(p),
    listManifests: (c, onFile) => {
      counts.listings++;
      return source.listManifests(c, onFile);
    },
    readBlobs: (oids) => source.readBlobs(oids),
    readBlobBytes: (oids) => {
      counts.blobCalls++;
      counts.blobs += oids.length;
      return source.readBlobBytes(oids);
    },
    changedPaths: (a, b) => source.changedPaths(a, b),
    commitsBetween: (a, b) => source.commitsBetween(a, b),
    readCommit: (c) => source.readCommit(c),
    path: source.path,
    listDir: (c, d) => source.listDir(c, d),
  };
  return { source: wrapped, counts };
}

describe('readDesired: the worker thread and the in-thread path', () => {
  let compiled: ReadModule;
  let repo = '';
  let first = '';

  beforeAll(async () => {
    compiled = (await import(pathToFileURL(compiledRead()).href)) as ReadModule;
    repo = initRepo(fresh());
    first = commit(repo, 'everything', repoFiles());
  }, 180_000);
  afterAll(() => {
    if (privateBuild) fs.rmSync(privateBuild, { recursive: true, force: true });
  });

  const open = async () => openSource({ repo, ref: 'main', stateDir: fresh() });
  const read = async (mod: { readDesired: typeof readDesired }, source: GitSource, commitSha: string, cache: SourceMemo, opts: ReadDesiredOptions) => {
    let stats: { files: number; inWorker: number } | undefined;
    const r = await mod.readDesired(source, commitSha, cache, { ...opts, onParsed: (s) => (stats = s) });
    return { r, stats };
  };
  /** same: the same objects (with origins) and issues, in the same order (`reread` is compared where it matters). */
  const same = (a: DesiredState, b: DesiredState) => {
    expect({ objects: a.objects, issues: a.issues }).toStrictEqual({ objects: b.objects, issues: b.issues });
    expect(isDeepStrictEqual([a.objects, a.issues], [b.objects, b.issues])).toBe(true);
  };

  test('the same objects with origins and the same issues (file:line:column), multi-document files included', async () => {
    const inThread = await read({ readDesired }, await open(), first, newSourceMemo(), { workerMinFiles: Infinity });
    expect(inThread.stats).toEqual({ files: 334, inWorker: 0 });
    const viaWorker = await read(compiled, await open(), first, newSourceMemo(), { workerMinFiles: 1, workerParsesAll: true });
    expect(viaWorker.stats).toEqual({ files: 334, inWorker: 334 });
    same(viaWorker.r, inThread.r);
    // Shared (the default): who parses which chunk depends on timing, the result does not.
    const shared = await read(compiled, await open(), first, newSourceMemo(), { workerMinFiles: 1 });
    expect(shared.stats!.files).toBe(334);
    same(shared.r, inThread.r);

    const { objects, issues } = viaWorker.r;
    const where = (name: string) => objects.filter((p) => p.object.metadata.name === name).map((p) => `${p.origin.file}:${p.origin.line}`);
    // Multi-document: each document's first content line; a List's items share their document's line.
    expect(where('m-3')).toEqual(['multi/m-3.yaml:2', 'multi/m-3.yaml:9']);
    expect([...where('m-3-a'), ...where('m-3-b')]).toEqual(['multi/m-3.yaml:16', 'multi/m-3.yaml:16']);
    expect(where('first-5')).toEqual(['bad/second-doc-5.yaml:1']);
    expect(where('app-0')).toEqual(['apps/app-000/deploy.yaml:1', 'linked.yaml:1']);
    expect(where('same')).toEqual(['same/a.yaml:1', 'same/b.yaml:1']);
    const at = (file: string) => issues.filter((i) => i.file === file).map((i) => `${i.code} ${i.file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}`);
    expect(at('bad/second-doc-5.yaml')).toEqual(['YAMLSyntax bad/second-doc-5.yaml:10:2']);
    expect(at('bad/tab.yaml')).toEqual(['YAMLSyntax bad/tab.yaml:5:1']);
    expect(at('bad/unclosed.yaml')).toHaveLength(1);
    expect(at('bad/unclosed.yaml')[0]).toMatch(/^YAMLSyntax bad\/unclosed\.yaml:\d+:\d+$/);
    expect(at('bad/broken.json')).toEqual(['YAMLSyntax bad/broken.json:3:28']);
    expect(at('bad/no-name.yaml')).toEqual(['InvalidManifest bad/no-name.yaml:1']);
    expect(at('bad/scalar.yaml')).toEqual(['InvalidManifest bad/scalar.yaml:1']);
    expect(issues).toHaveLength(12 + 5);

    // Values a structured clone could get wrong: aliases stay one object, NaN and -0 stay, __proto__ stays a key.
    const odd = objects.find((p) => p.object.metadata.name === 'odd')!.object as any;
    expect(odd.metadata.annotations.again).toBe(odd.metadata.annotations.shared);
    expect(Object.getPrototypeOf(odd)).toBe(Object.prototype);
    expect(Object.keys(odd)).toContain('__proto__');
    expect(odd.polluted).toBeUndefined();
    expect(Object.is(odd.nums[0], NaN)).toBe(true);
    expect(Object.is(odd.nums[1], -0)).toBe(true);
    expect(odd.nums.slice(2)).toEqual([Infinity, 31, 12345678901234567000]);
  });

  test('a second read of the same commit reads nothing, and a new commit rereads only what changed (worker or not)', async () => {
    for (const [mod, opts] of [
      [compiled, { workerMinFiles: 1, workerParsesAll: true }],
      [{ readDesired }, { workerMinFiles: Infinity }],
    ] as const) {
      const { source, counts } = counting(await open());
      const cache = newSourceMemo();
      const once = await read(mod, source, first, cache, opts);
      expect(once.r.reread).toBe(334);
      expect(once.stats!.inWorker).toBe(mod === compiled ? 334 : 0);
      const before = { ...counts };
      const twice = await read(mod, source, first, cache, opts);
      expect(counts).toEqual(before);
      expect(twice.r.reread).toBe(0);
      expect(twice.stats).toEqual({ files: 0, inWorker: 0 });
      same(twice.r, once.r);
    }

    const second = commit(repo, 'a few changes', {
      'apps/app-007/deploy.yaml': deploy('app-7').replace(':v1', ':v2'),
      'apps/app-008/deploy.yaml': null,
      'apps/new/deploy.yaml': deploy('new-app'),
      'bad/tab.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tab\n',
    });
    const { source, counts } = counting(await open());
    const cache = newSourceMemo();
    await compiled.readDesired(source, first, cache, { workerMinFiles: 1, workerParsesAll: true });
    const blobsBefore = counts.blobs;
    const next = await read(compiled, source, second, cache, { workerMinFiles: 1, workerParsesAll: true });
    expect(next.r.reread).toBe(3);
    expect(next.stats).toEqual({ files: 3, inWorker: 3 });
    expect(counts.blobs - blobsBefore).toBe(3);
    const fromScratch = await read({ readDesired }, await open(), second, newSourceMemo(), { workerMinFiles: Infinity });
    same(next.r, fromScratch.r);
    expect(next.r.issues.some((i) => i.file === 'bad/tab.yaml')).toBe(false);
    expect(next.r.objects.some((p) => p.origin.file === 'apps/app-008/deploy.yaml')).toBe(false);
    expect(cache.files.has('apps/app-008/deploy.yaml')).toBe(false);
  });

  test('without a compiled worker next to it (sources run as .ts) a large batch is parsed in-thread, silently', async () => {
    const forced = await read({ readDesired }, await open(), first, newSourceMemo(), { workerMinFiles: 1 });
    expect(forced.stats).toEqual({ files: 334, inWorker: 0 });
    const plain = await read({ readDesired }, await open(), first, newSourceMemo(), { workerMinFiles: Infinity });
    same(forced.r, plain.r);
  });

  test('files heard twice from a retried listing are read once; a failed read rejects and leaves the cache untouched', async () => {
    const real = await open();
    const { source, counts } = counting(real);
    const twice: GitSource = {
      ...source,
      listManifests: async (c, onFile) => {
        const all = await source.listManifests(c);
        for (const f of all) onFile?.(f);
        for (const f of all) onFile?.({ ...f });
        return all;
      },
    };
    const viaWorker = await read(compiled, twice, first, newSourceMemo(), { workerMinFiles: 1, workerParsesAll: true });
    expect(viaWorker.stats).toEqual({ files: 334, inWorker: 334 });
    // 334 files, a few of them the same blob: each read at most once per chunk, never once per report.
    expect(counts.blobs).toBeGreaterThanOrEqual(332);
    expect(counts.blobs).toBeLessThanOrEqual(334);
    const plain = await read({ readDesired }, await open(), first, newSourceMemo(), { workerMinFiles: Infinity });
    same(viaWorker.r, plain.r);

    // The blob of one file in the middle of the batch (in the second chunk the worker path reads) is missing.
    const missing = (await real.listManifests(first)).find((f) => f.path === 'apps/app-200/deploy.yaml')!.oid;
    const failing: GitSource = {
      ...source,
      readBlobBytes: async (oids) => {
        if (oids.includes(missing)) throw new Error('blob went missing');
        return source.readBlobBytes(oids);
      },
    };
    for (const [mod, workerParsesAll] of [
      [compiled, true],
      [compiled, false],
      [{ readDesired }, false],
    ] as const) {
      const cache = newSourceMemo();
      await expect(mod.readDesired(failing, first, cache, { workerMinFiles: 1, workerParsesAll })).rejects.toThrow('blob went missing');
      expect(cache.files.size).toBe(0);
      expect(cache.listing).toBeUndefined();
    }
    // Give the event loop a turn: a stray rejection from the chunks after the failed one would show up as an error here.
    await new Promise((resolve) => setImmediate(resolve));
  });
});
