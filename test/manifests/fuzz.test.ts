/**
 * A seeded fuzz test of the input path: mutated manifests (truncated, byte-flipped, random YAML
 * tokens, deep nesting, alias bombs, values of the wrong type) go through parse, validate (the
 * simulated API server's dry run), plan and apply; a subset through `mflux apply -f` in-process.
 * Whatever the input: no error that is not an MfluxError with a real code, no stack trace in
 * output, and a refused apply leaves the stored state exactly as it was.
 *
 * The seed is random unless MFLUX_FUZZ_SEED is set; every failure message starts with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { MfluxError, VirtualClock } from '../../src/core/index.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { type ManifestIssue, parseManifestFile } from '../../src/manifests/index.js';
import { planObjects } from '../../src/reconcile/index.js';
import { mflux, tempDir } from '../cli/helpers.js';

const SEED = Number(process.env.MFLUX_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** BUDGET_MS bounds the in-process loop; CASES is the most it runs. */
const BUDGET_MS = 9_000;
const CASES = 6_000;
/** CLI_CASES go through `mflux apply -f` (each opens a state dir: much slower). */
const CLI_CASES = 40;

/** mulberry32 is a small seeded PRNG: the same seed gives the same cases. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CORPUS: [string, string][] = [
  [
    'web.yaml',
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: nginx:1.25
          ports: [{containerPort: 80}]
`,
  ],
  ['cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: "1"\n  b: |\n    multi\n    line\nbinaryData:\n  c: aGVsbG8=\n'],
  ['secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\ndata:\n  password: aHVudGVyMg==\nstringData:\n  user: admin\n'],
  ['svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n      targetPort: 8080\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n'],
  ['list.yaml', 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: one}\n    data: {k: v}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: two}\n'],
  ['anchors.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchors\n  labels: &l {app: x}\n  annotations: *l\ndata:\n  a: &v "shared"\n  b: *v\n'],
  ['obj.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'json', labels: { a: 'b' } }, data: { x: 'y' } }, null, 2)],
];

const TOKENS = ['&a ', '*a', '*b', '&b [*a,*a,*a,*a]', '[', ']', '{', '}', ': ', '- ', '---\n', '...\n', '"', "'", '\t', '!!binary ', '!!str ', '<<: *a\n', '? ', '|', '>-', '#', '\n  ', '%YAML 1.2\n', '\\u0000', '\u0000', '\ufeff', '\ud800', 'null', '~', '.nan', '1e400', '0x7fffffff', '2147483648', '-1', '2.5', '"three"', '__proto__: {a: 1}\n'];
const VALUES = ['"three"', '2.5', '2147483648', '-1', '0', 'null', '[]', '{}', '{a: 1}', 'true', '"-bad-"', '"a b"', '"x/y/z"', `"${'a'.repeat(70)}"`, '"not base64!"', '!!binary aGVsbG8='];

type Rand = () => number;
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** bomb builds an alias bomb of random fan-out and depth. */
function bomb(r: Rand): string {
  const fan = 2 + Math.floor(r() * 10);
  const levels = 2 + Math.floor(r() * 10);
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: bomb', 'data:', `  l0: &l0 [${Array(fan).fill('"lol"').join(',')}]`];
  for (let i = 1; i < levels; i++) lines.push(`  l${i}: &l${i} [${Array(fan).fill(`*l${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n`;
}

/** deep nests a value in random brackets (YAML flow or JSON), sometimes beyond the limit. */
function deep(r: Rand, json: boolean): string {
  const n = pick(r, [10, 500, 999, 1001, 5000, 100_000]);
  const open = r() < 0.5 ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  const inner = `${open.repeat(n)}1${close.repeat(n)}`;
  return json ? `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${inner}}` : `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nx: ${inner}\n`;
}

/** mutate makes one hostile file from the corpus. */
function mutate(r: Rand): { path: string; content: Uint8Array } {
  const [name, text] = pick(r, CORPUS);
  const kind = Math.floor(r() * 9);
  if (kind === 0) return { path: 'bomb.yaml', content: Buffer.from(bomb(r)) };
  if (kind === 1) {
    const json = r() < 0.5;
    return { path: json ? 'deep.json' : 'deep.yaml', content: Buffer.from(deep(r, json)) };
  }
  let bytes = Buffer.from(text);
  const rounds = 1 + Math.floor(r() * 4);
  for (let k = 0; k < rounds; k++) {
    const at = Math.floor(r() * (bytes.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 1: {
        // flip bytes, sometimes into invalid UTF-8
        bytes = Buffer.from(bytes);
        for (let i = 0; i < 1 + r() * 3 && bytes.length > 0; i++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
        break;
      }
      case 2: // insert a YAML token
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(r, TOKENS)), bytes.subarray(at)]);
        break;
      case 3: {
        // replace a scalar value with one of the wrong type or syntax
        const s = bytes.toString('utf8');
        const m = [...s.matchAll(/: ([^\n{}[\],]+)/g)];
        if (m.length > 0) {
          const hit = pick(r, m);
          bytes = Buffer.from(s.slice(0, hit.index! + 2) + pick(r, VALUES) + s.slice(hit.index! + hit[0].length));
        }
        break;
      }
      case 4: // duplicate a slice (repeated keys, documents)
        bytes = Buffer.concat([bytes, bytes.subarray(at)]);
        break;
      default: // random bytes
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256))), bytes.subarray(at)]);
    }
  }
  return { path: name, content: bytes };
}

/** judge says what is wrong with a thrown value: nothing for an MfluxError with a real code. */
function judge(err: unknown, where: string): string | undefined {
  if (err instanceof MfluxError && err.code !== 'Internal') return undefined;
  return `${where} threw ${err instanceof MfluxError ? `[${err.code}] ` : ''}${(err as Error)?.stack ?? String(err)}`;
}

const sizeOf = (b: Uint8Array) => b.length;

describe(`fuzz (seed ${SEED}; rerun with MFLUX_FUZZ_SEED=${SEED})`, () => {
  test('parse, validate, plan and apply: only coded errors, and nothing applied after a refusal', async () => {
    const r = mulberry32(SEED);
    const clock = new VirtualClock(Date.parse('2024-01-01T00:00:00Z'));
    const judgeSim = new Simulation(clock);
    const judgeClient = new SimClient(judgeSim);
    const failures: string[] = [];
    const stats = { cases: 0, parsedOk: 0, valid: 0, applied: 0 };
    const start = performance.now();
    for (let c = 0; c < CASES && performance.now() - start < BUDGET_MS && failures.length < 5; c++) {
      stats.cases++;
      const file = mutate(r);
      const where = `case ${c} (${file.path}, ${sizeOf(file.content)} bytes)`;
      const issues: ManifestIssue[] = [];
      let objects;
      try {
        objects = parseManifestFile(file, issues);
      } catch (err) {
        failures.push(`${where}: parse ${judge(err, 'parse') ?? 'threw instead of reporting an issue'}`);
        continue;
      }
      for (const i of issues) if (!i.code || !i.message || !(i.line >= 1)) failures.push(`${where}: an issue without code or line: ${JSON.stringify(i)}`);
      if (issues.length > 0) continue;
      stats.parsedOk++;
      let judged;
      try {
        judged = await planObjects({ objects, client: judgeClient, inventory: new Map() });
      } catch (err) {
        const bad = judge(err, 'validate/plan');
        if (bad) failures.push(`${where}: ${bad}`);
        continue;
      }
      for (const reason of judged.reasons) if (!reason.code || reason.code === 'Internal') failures.push(`${where}: reason without a real code: ${JSON.stringify(reason)}`);
      if (judged.reasons.length > 0) continue;
      stats.valid++;
      // Accepted by the dry run: every object must now apply, or the batch would be half-applied.
      const sim = new Simulation(new VirtualClock(Date.parse('2024-01-01T00:00:00Z')));
      const client = new SimClient(sim);
      try {
        // As the plan does: what is written is the manifest with Secret values already digested.
        for (const p of objects) client.applySync(client.redact(p.object));
        sim.fireDue();
        stats.applied++;
      } catch (err) {
        failures.push(`${where}: the dry run accepted it but apply failed (a partial write): ${(err as Error)?.stack ?? String(err)}`);
      }
    }
    expect(failures, `seed ${SEED}: ${failures.join('\n\n')}`).toEqual([]);
    if (process.env.MFLUX_FUZZ_STATS) console.log(JSON.stringify(stats));
    // The mutations must reach every stage, or the test proves little.
    // Several thousand cases on an idle machine; the floor allows for a loaded one (the loop is bounded in time).
    expect(stats.cases, `seed ${SEED}`).toBeGreaterThan(500);
    expect(stats.parsedOk, `seed ${SEED}: ${JSON.stringify(stats)}`).toBeGreaterThan(stats.cases / 10);
    expect(stats.applied, `seed ${SEED}: ${JSON.stringify(stats)}`).toBeGreaterThan(stats.cases / 50);
  }, 30_000);

  const dir = tempDir('mflux-fuzz-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('`mflux apply -f`: exit 0 or 1, no stack trace, no Internal, and a refused apply changes nothing', async () => {
    const r = mulberry32(SEED ^ 0x5eed);
    const state = path.join(dir, 'state');
    const seed = path.join(dir, 'seed.yaml');
    fs.writeFileSync(seed, CORPUS[0]![1]);
    expect((await mflux(state, 'apply', '-f', seed, '--no-wait')).code).toBe(0);
    const rows = () => {
      const h = new Database(path.join(state, 'state.db'), { readonly: true });
      try {
        return h.prepare('SELECT * FROM objects ORDER BY 1, 2, 3').all();
      } finally {
        h.close();
      }
    };
    const failures: string[] = [];
    for (let c = 0; c < CLI_CASES && failures.length < 3; c++) {
      const file = mutate(r);
      const p = path.join(dir, `case-${c}`, file.path);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, file.content);
      const before = rows();
      const run = await mflux(state, 'apply', '-f', p, '--no-wait');
      const where = `CLI case ${c} (${file.path}): exit ${run.code}\n${run.stderr.slice(0, 2000)}`;
      if (run.code !== 0 && run.code !== 1) failures.push(`${where}: exit code`);
      if (/\n\s+at |\[Internal\]/.test(run.stdout + run.stderr)) failures.push(`${where}: a stack trace or an Internal error`);
      if (run.code !== 0 && JSON.stringify(rows()) !== JSON.stringify(before)) failures.push(`${where}: refused, yet the stored state changed`);
    }
    expect(failures, `seed ${SEED}: ${failures.join('\n\n')}`).toEqual([]);
  }, 60_000);
});
