/**
 * bench:render — a generated repository of 10,000 objects as 100 overlays over 10 shared bases
 * (each base: 33 Deployments, 33 Services, 31 ConfigMaps and a configMapGenerator; each overlay:
 * its Namespace object, a strategic-merge patch on every Deployment, an images: entry and its own
 * configMapGenerator), under one top-level kustomization listing every overlay.
 * Measures, side by side in the same run: a cold `mflux build` of the top-level kustomization
 * (the built CLI, as a user runs it) and `kubectl kustomize` of the same folder; then in-process
 * passes as the daemon runs them: the first, one after a one-file change in a shared base, and
 * one with no new commit. Targets: build ≤ kubectl (ratio ≤ 1); one-file pass ≤ 1 s;
 * no-new-commit pass ≤ 50 ms; peak RSS ≤ 500 MB.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { passRunner } from './pass.js';
import { git } from './repo.js';

const BASES = 10;
const OVERLAYS = Number(process.env.BENCH_OVERLAYS ?? 100);
const PAIRS = 33;
const MAPS = 31;

const pad = (i: number, n = 2) => String(i).padStart(n, '0');

function deployment(i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${pad(i)}
  labels: {app: svc-${pad(i)}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: svc-${pad(i)}}
  template:
    metadata:
      labels: {app: svc-${pad(i)}}
    spec:
      containers:
      - name: main
        image: registry.example/svc:1.0.0
        envFrom:
        - configMapRef: {name: settings}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: svc-${pad(i)}
spec:
  selector: {app: svc-${pad(i)}}
  ports:
  - port: 80
    targetPort: 8080
`;
}

/** writeRepo writes the bases, the overlays and the top-level kustomization, and commits them. */
function writeRepo(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (let b = 0; b < BASES; b++) {
    const bd = path.join(dir, 'bases', `base-${pad(b)}`);
    fs.mkdirSync(bd, { recursive: true });
    const resources: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      fs.writeFileSync(path.join(bd, `svc-${pad(i)}.yaml`), deployment(i));
      resources.push(`svc-${pad(i)}.yaml`);
    }
    for (let i = 0; i < MAPS; i++) {
      fs.writeFileSync(path.join(bd, `cm-${pad(i)}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${pad(i)}\ndata:\n  base: "${b}"\n  key: value-${i}\n`);
      resources.push(`cm-${pad(i)}.yaml`);
    }
    fs.writeFileSync(path.join(bd, 'settings.env'), `LOG_LEVEL=info\nBASE=${b}\n`);
    fs.writeFileSync(path.join(bd, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nlabels:\n- pairs: {base: base-${pad(b)}}\nresources:\n${resources.map((r) => `- ${r}`).join('\n')}\nconfigMapGenerator:\n- name: settings\n  envs: [settings.env]\n`);
  }
  const overlays: string[] = [];
  for (let o = 0; o < OVERLAYS; o++) {
    const od = path.join(dir, 'overlays', `env-${pad(o, 3)}`);
    fs.mkdirSync(od, { recursive: true });
    fs.writeFileSync(
      path.join(od, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: env-${pad(o, 3)}
resources:
- namespace.yaml
- ../../bases/base-${pad(o % BASES)}
images:
- name: registry.example/svc
  newTag: "1.${o}.0"
configMapGenerator:
- name: overlay-info
  literals: [OVERLAY=env-${pad(o, 3)}]
patches:
- target: {kind: Deployment}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        metadata:
          annotations: {overlay: env-${pad(o, 3)}}
`,
    );
    fs.writeFileSync(path.join(od, 'namespace.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: env-${pad(o, 3)}\n`);
    overlays.push(`overlays/env-${pad(o, 3)}`);
  }
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${overlays.map((r) => `- ${r}`).join('\n')}\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'bases and overlays');
}

let peakRss = 0;
const rss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

/** KUBECTL_TIMEOUT_MS bounds the kubectl run (kustomize itself is slow at this size); a timeout still gives a ratio bound. */
const KUBECTL_TIMEOUT_MS = Number(process.env.BENCH_KUBECTL_TIMEOUT_MS ?? 900_000);

function timed(cmd: string, args: string[], timeout?: number): { ms: number; out: string; status: number | null; err: string; timedOut: boolean } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, encoding: 'utf8', timeout });
  return { ms: performance.now() - t0, out: r.stdout ?? '', status: r.status, err: (r.stderr ?? '').slice(0, 400), timedOut: r.signal === 'SIGTERM' };
}

async function main(): Promise<void> {
  if (process.env.BENCH_WRITE_ONLY) {
    writeRepo(process.env.BENCH_WRITE_ONLY);
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-bench-render-'));
  const repo = path.join(work, 'repo');
  const tGen = performance.now();
  writeRepo(repo);
  console.log(`bench:render ${OVERLAYS} overlays over ${BASES} bases (${OVERLAYS * 100} objects), generated in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);

  // Side by side: the CLI as a user runs it, and kubectl kustomize on the same folder.
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
  const mine = timed(process.execPath, [cli, 'build', '--repo', repo, '--state', path.join(work, 'cli-state')]);
  if (mine.status !== 0) throw new Error(`mflux build failed: ${mine.err}`);
  const docs = mine.out.split('\n---\n').length;
  console.log(`  cold mflux build: ${mine.ms.toFixed(0)} ms (${docs} objects)`);
  const kube = process.env.BENCH_SKIP_KUBECTL ? { ms: 0, out: '', status: null, err: 'skipped (BENCH_SKIP_KUBECTL)', timedOut: false } : timed('kubectl', ['kustomize', repo], KUBECTL_TIMEOUT_MS);
  // A kubectl that ran out of time took at least that long: the ratio is then an upper bound.
  const kubeOk = kube.status === 0 || kube.timedOut;
  console.log(`  kubectl kustomize: ${kube.status === 0 ? `${kube.ms.toFixed(0)} ms (${kube.out.split('\n---\n').length} objects)` : kube.timedOut ? `> ${kube.ms.toFixed(0)} ms (stopped)` : `not measured (${kube.err.split('\n')[0]})`}`);
  const ratio = kubeOk ? mine.ms / kube.ms : NaN;

  const runner = await passRunner(work, repo, rss);
  const pass = async (label: string) => {
    const t = await runner.pass();
    console.log(`  ${label.padEnd(18)} ${t.outcome.padEnd(9)} total ${t.total.toFixed(0).padStart(6)} ms | render ${t.read.toFixed(0)} ms, plan ${t.plan.toFixed(0)} ms, apply+rollouts+ledger ${t.apply.toFixed(0)} ms${t.reason ? ` | ${t.reason}` : ''}`);
    return t;
  };
  await pass('first pass');
  const again = await pass('no new commit');
  const file = path.join(repo, 'bases', 'base-03', 'cm-07.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('key: value-7', 'key: changed'));
  git(repo, 'commit', '-q', '-am', 'change one ConfigMap in a shared base');
  const one = await pass('one-file commit');
  runner.close();
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`  peak RSS (in-process passes) ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(
    `  targets: build/kubectl ratio ${kubeOk ? `${kube.timedOut ? '< ' : ''}${ratio.toFixed(2)}` : 'n/a'} (≤ 1) ${kubeOk ? (ratio <= 1 ? 'met' : 'MISSED') : 'not measured'}; one-file pass ${one.total.toFixed(0)} ms (≤ 1000) ${one.total <= 1000 ? 'met' : 'MISSED'}; no-new-commit pass ${again.total.toFixed(0)} ms (≤ 50) ${again.total <= 50 ? 'met' : 'MISSED'}; RSS ≤ 500 MB ${peakRss <= 500 * 1024 * 1024 ? 'met' : 'MISSED'}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
