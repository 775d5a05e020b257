/**
 * The built CLI as a real process: output to a pipe is complete (or the command fails), a reader
 * that goes away ends it quietly, an interrupted reconcile is recorded as Interrupted (SIGTERM, or
 * kill -9 and the next writer), and hostile flags fail fast with their codes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../daemon/helpers.js';
import { REPO_ROOT, TestRepo, mflux, removeTestRepos, tempDir, writeManifest } from './helpers.js';

const MAIN = path.join(REPO_ROOT, 'dist/src/cli/main.js');

const deployment = (replicas: number, image = 'nginx:1.25') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: big
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: big}
  template:
    metadata:
      labels: {app: big}
    spec:
      containers:
        - name: app
          image: ${image}
`;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** start spawns the built CLI with stdout and stderr on pipes. */
function start(args: string[]): ChildProcess & { out(): string; err(): string; exited: Promise<Exit> } {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<Exit>((resolve) =>
    proc.once('close', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return Object.assign(proc, { out: () => stdout, err: () => stderr, exited });
}

/** until polls `check` every 20 ms, failing after `ms` with `what`. */
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let big: string;

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('mflux-process-');
  big = path.join(dir, 'state-big');
  // 300 pods: `get pods -o json` is over a megabyte.
  const r = await mflux(big, 'apply', '-f', writeManifest(dir, 'big.yaml', deployment(300)));
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => {
  for (const p of running) p.kill('SIGKILL');
  removeTestRepos();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('output to a pipe', () => {
  test('a multi-megabyte -o json arrives whole through a pipe and parses; exit 0', async () => {
    const r = await start(['get', 'pods', '-o', 'json', '--state', big]).exited;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.byteLength(r.stdout)).toBeGreaterThan(1_000_000);
    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(300);
    // The same bytes as to a file.
    const file = path.join(dir, 'pods.json');
    const fd = fs.openSync(file, 'w');
    const toFile = spawnSync(process.execPath, [MAIN, 'get', 'pods', '-o', 'json', '--state', big], { stdio: ['ignore', fd, 'pipe'] });
    fs.closeSync(fd);
    expect(toFile.status).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(r.stdout);
  });

  test('a reader that goes away after the first line (| head -1) ends the command quietly: exit 141, nothing on stderr', async () => {
    const p = start(['get', 'pods', '-o', 'json', '--state', big]);
    // Like head -1: close the pipe on the first chunk, while the CLI still has a megabyte to write.
    p.stdout!.once('data', () => p.stdout!.destroy());
    const r = await p.exited;
    expect(r.stdout.length).toBeLessThan(1_000_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(141);
    expect(r.stderr).toBe('');
  });

  test('a writer whose reader went away still saves what it did (the exit code says the output was cut)', async () => {
    const state = path.join(dir, 'state-epipe');
    const p = start(['apply', '-f', writeManifest(dir, 'small.yaml', deployment(40)), '--state', state]);
    p.stdout!.once('data', () => p.stdout!.destroy());
    const r = await p.exited;
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect([0, 141]).toContain(r.code);
    const after = await mflux(state, 'get', 'deploy', 'big', '-o', 'json');
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).status).toMatchObject({ replicas: 40, availableReplicas: 40 });
  });
});

describe('an interrupted reconcile', () => {
  const rolloutUnderWay = async (repo: TestRepo) => {
    repo.write({ 'big.yaml': deployment(4) }).commit('big v1');
    // Real clock, pods Ready after 60 s: the rollout is certainly running when the signal comes.
    const p = start(['reconcile', '--repo', repo.dir, '--state', repo.state, '--clock', 'real', '--pod-ready-after', '60s']);
    await until('the rollout to start', () => p.out().includes('Waiting for deployment "big" rollout to finish'));
    return p;
  };
  const passes = async (state: string) => {
    const h = await mflux(state, 'history', '-o', 'json');
    expect(h.code, h.stderr).toBe(0);
    // A pass still open has no outcome in the JSON (the text says InProgress).
    return (JSON.parse(h.stdout).items as { outcome?: string; reasons: { code: string }[] }[]).map((x) => ({ ...x, outcome: x.outcome ?? 'InProgress' }));
  };

  test('SIGTERM during a --clock real rollout: stops at a safe point, history shows Interrupted, exit 2, the applied Deployment is saved', async () => {
    const repo = new TestRepo();
    const p = await rolloutUnderWay(repo);
    const t0 = performance.now();
    p.kill('SIGTERM');
    const r = await p.exited;
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^Interrupted: interrupted the rollouts of main@sha1:/m);
    expect(r.stderr).toContain('SIGTERM: stopping the pass at the next safe point');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const all = await passes(repo.state);
    expect(all.map((x) => x.outcome)).toEqual(['Interrupted']);
    const d = await mflux(repo.state, 'get', 'deploy', 'big', '-o', 'json');
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout).metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
  });

  test('SIGINT does the same', async () => {
    const repo = new TestRepo();
    const p = await rolloutUnderWay(repo);
    p.kill('SIGINT');
    const r = await p.exited;
    expect(r.code).toBe(2);
    expect((await passes(repo.state)).map((x) => x.outcome)).toEqual(['Interrupted']);
  });

  test('kill -9 during a rollout, then any writer: the cut pass is recorded Interrupted; the stored cluster has what the ledger says was applied', async () => {
    const repo = new TestRepo();
    const p = await rolloutUnderWay(repo);
    p.kill('SIGKILL');
    const r = await p.exited;
    expect(r.signal).toBe('SIGKILL');
    // A reader changes nothing: the pass is still open.
    expect((await passes(repo.state)).map((x) => x.outcome)).toEqual(['InProgress']);
    const d = await mflux(repo.state, 'get', 'deploy', 'big', '-o', 'json');
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout).spec.replicas).toBe(4);
    // Any writer (here `advance`, which has nothing to do with reconcile) closes it.
    const w = await mflux(repo.state, 'advance', '1s');
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).toContain('warning: 1 pass(es) were cut short by an earlier stop and are recorded as Interrupted');
    const after = await passes(repo.state);
    expect(after.map((x) => x.outcome)).toEqual(['Interrupted']);
    expect(after[0]!.reasons.map((x) => x.code)).toEqual(['Interrupted']);
    // Once closed, the next writer has nothing to say.
    expect((await mflux(repo.state, 'advance', '1s')).stderr).toBe('');
  });
});

describe('hostile flags', () => {
  test('--state under /proc fails fast with StateUnwritable naming the path (Node\'s recursive mkdir would spin forever)', () => {
    for (const state of ['/proc/mflux-x', '/proc/mflux-x/y']) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [MAIN, 'apply', '-f', path.join(dir, 'big.yaml'), '--state', state], { encoding: 'utf8', timeout: 20_000 });
      expect(r.signal, 'killed by the timeout: it spins').toBeNull();
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^error: ${state}: cannot create or write state: .*\\[StateUnwritable\\]\\n$`));
    }
  });

  test('--state that is a file, or below one, is StateUnwritable too', async () => {
    const file = path.join(dir, 'big.yaml');
    for (const state of [file, path.join(file, 'sub')]) {
      const r = await mflux(state, 'apply', '-f', file);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\[StateUnwritable\]\n$/);
      expect(r.stderr.startsWith(`error: ${state}: `)).toBe(true);
    }
  });

  test('an empty --ref (or --base/--head) is a usage error naming the flag, and touches no state', async () => {
    const repo = new TestRepo();
    repo.write({ 'big.yaml': deployment(1) }).commit('v1');
    for (const cmd of ['reconcile', 'diff']) {
      for (const ref of ['', '  ']) {
        const r = await mflux(repo.state, cmd, '--repo', repo.dir, '--ref', ref);
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(`error: invalid --ref "${ref}": must not be empty; name a branch, tag or commit SHA, or leave --ref out to follow the repository's HEAD [Usage]\n`);
      }
    }
    expect(fs.existsSync(repo.state)).toBe(false);
    const c = await mflux(repo.state, 'check', '--repo', repo.dir, '--base', '', '--head', 'main');
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('invalid --base "": must not be empty');
    const h = await mflux(repo.state, 'check', '--repo', repo.dir, '--base', 'main', '--head', ' ');
    expect(h.code).toBe(2);
    expect(h.stderr).toContain('invalid --head " ": must not be empty');
  });
});
