/**
 * The real daemon process on 127.0.0.1: polling, the ref watcher, coalescing, webhooks, /status
 * and /metrics, SIGTERM and kill -9 during a rollout, a bad config, an unreachable remote.
 * Everything runs in real time (the daemon's cluster follows the wall clock), so pods are made
 * ready after 1 s and the tests poll the daemon's HTTP surface until a condition holds.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, TestRepo, git, mflux, removeTestRepos, tempDir } from '../cli/helpers.js';
import { closedPort, makeRemote, startGitServer, type GitServer } from '../source/helpers.js';
import { type DaemonProcess, ensureBuilt, killAll, sourceStatus, startDaemon, until } from './helpers.js';

const SECRET = 'hook-secret-1234567890';
const execFileAsync = promisify(execFile);
const servers: GitServer[] = [];

beforeAll(() => ensureBuilt(), 180_000);
afterAll(async () => {
  killAll();
  for (const s of servers) await s.close().catch(() => undefined);
  removeTestRepos();
});

function deployment(image: string, replicas = 2, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: front
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: front${extra}}
  template:
    metadata:
      labels: {app: front${extra}}
    spec:
      containers:
        - name: web
          image: ${image}
`;
}

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: front
spec:
  selector: {app: front}
  ports: [{port: 80}]
`;

function config(state: string, sources: string, extra = ''): string {
  return `state: ${state}
listen: 127.0.0.1:0
log: {level: debug, format: json}
simulation: {podReadyAfter: 1s}
webhook: {secretEnv: HOOK_SECRET}
${extra}sources:
${sources}`;
}

const localSource = (name: string, repo: string, interval = '1h') => `  - {name: ${name}, repo: ${repo}, ref: main, interval: ${interval}, timeout: 1m}\n`;

function newRepo(image = 'nginx:1.0'): TestRepo {
  const r = new TestRepo('mflux-daemon-');
  r.write({ 'deploy/front.yaml': deployment(image), 'deploy/service.yaml': SERVICE }).commit('front v1');
  return r;
}

const head = (dir: string) => git(dir, 'rev-parse', 'HEAD');

async function appliedRevision(d: DaemonProcess, name: string): Promise<string | null> {
  return (await sourceStatus(d, name))?.lastAppliedRevision ?? null;
}

async function historyJSON(state: string): Promise<any[]> {
  const r = await mflux(state, 'history', '-o', 'json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).items;
}

/**
 * remoteDaemon serves a repository with one commit through git http-backend and starts a daemon
 * whose one source polls it; `push` commits a new image and pushes it, returning the SHA.
 */
async function remoteDaemon(name: string, interval: string, password?: string): Promise<{ d: DaemonProcess; push: (version: string) => string }> {
  const root = tempDir('mflux-daemon-remote-');
  const { work } = makeRemote(root);
  const push = (v: string) => {
    fs.mkdirSync(path.join(work, 'deploy'), { recursive: true });
    fs.writeFileSync(path.join(work, 'deploy/front.yaml'), deployment(`nginx:${v}`));
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', `front ${v}`);
    git(work, 'push', '-q', 'origin', 'main');
    return git(work, 'rev-parse', 'HEAD');
  };
  push('1.0');
  const server = await startGitServer(root, password ? { auth: { basic: { username: 'git', password } } } : {});
  servers.push(server);
  const auth = password ? ', auth: {username: git, passwordEnv: GIT_PW}' : '';
  const d = await startDaemon(root, config(path.join(root, 'state'), `  - {name: ${name}, repo: ${server.url}/repo.git, ref: main, interval: ${interval}, timeout: 1m${auth}}\n`), { HOOK_SECRET: SECRET, ...(password ? { GIT_PW: password } : {}) });
  await until('the first pass', async () => (await d.get('/readyz')).status === 200, 20_000, d);
  return { d, push };
}

/** rolloutUnderWay starts a daemon (pods ready after 3 s), commits a 4-replica v2 and returns once its rollout is under way. */
async function rolloutUnderWay(): Promise<{ repo: TestRepo; cfg: string; sha: string; daemon: DaemonProcess }> {
  const repo = newRepo();
  const cfg = config(repo.state, localSource('app', repo.dir)).replace('podReadyAfter: 1s', 'podReadyAfter: 3s');
  const daemon = await startDaemon(repo.root, cfg, { HOOK_SECRET: SECRET });
  await until('the first pass', async () => (await daemon.get('/readyz')).status === 200, 30_000, daemon);
  repo.write({ 'deploy/front.yaml': deployment('nginx:2.0', 4) });
  const sha = repo.commit('front v2, 4 replicas');
  await until('the rollout to be under way', async () => (await sourceStatus(daemon, 'app')).deployments[0]?.state === 'Progressing', 10_000, daemon);
  return { repo, cfg, sha, daemon };
}

/** restartUntilComplete starts the daemon again on the same state and waits until the rollout is complete and the source ready. */
async function restartUntilComplete(repo: TestRepo, cfg: string): Promise<DaemonProcess> {
  const d = await startDaemon(repo.root, cfg, { HOOK_SECRET: SECRET });
  await until('the rollout to complete', async () => (await sourceStatus(d, 'app'))?.deployments[0]?.state === 'Complete' && (await d.get('/readyz')).status === 200, 30_000, d);
  return d;
}

describe('mflux daemon (real process)', () => {
  test('a commit on a local repository is picked up by the watcher within 1 s (interval 1h); status, history and get read the state while it runs', async () => {
    const repo = newRepo();
    const d = await startDaemon(repo.root, config(repo.state, localSource('app', repo.dir)), { HOOK_SECRET: SECRET });
    await until('the first pass', async () => (await d.get('/readyz')).status === 200, 20_000, d);
    expect(await appliedRevision(d, 'app')).toBe(`main@sha1:${head(repo.dir)}`);

    repo.write({ 'deploy/front.yaml': deployment('nginx:2.0') });
    const sha = repo.commit('front v2');
    const t0 = performance.now();
    await until('the watcher to start a pass', async () => (await sourceStatus(d, 'app')).lastAttemptedRevision === `main@sha1:${sha}`, 5_000, d);
    const picked = performance.now() - t0;
    expect(picked).toBeLessThan(1000);
    const pass = await until('the pass to finish', () => d.passes('app').find((l) => l.revision === `main@sha1:${sha}`), 20_000, d);
    expect(pass).toMatchObject({ outcome: 'Applied', trigger: 'watch', source: 'app' });
    expect(typeof pass.commitToReadyMs).toBe('number');
    // Time to production: commit (whole seconds) → both pods of the new ReplicaSet ready (1 s after creation).
    expect(pass.commitToReadyMs as number).toBeGreaterThanOrEqual(1000);
    expect(pass.commitToReadyMs as number).toBeLessThan(10_000);
    const metrics = (await d.get('/metrics')).text;
    expect(metrics).toMatch(/^mflux_commit_to_ready_seconds_count\{source="app"\} 1$/m);
    expect(Number(/^mflux_commit_to_ready_seconds_sum\{source="app"\} (\S+)$/m.exec(metrics)?.[1])).toBeCloseTo((pass.commitToReadyMs as number) / 1000, 3);

    // Another shell reads the same state while the daemon holds the writer lock.
    const get = await mflux(repo.state, 'get', 'rs');
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^front-\S+\s+2\s+2\s+2\s+/m);
    const hist = await mflux(repo.state, 'history', 'deployment/front');
    expect(hist.stdout).toContain(sha.slice(0, 7));
    expect(hist.stdout).toMatch(/^2\s+\S+\s+front v2\s+Applied/m);
    const describe = await mflux(repo.state, 'describe', 'deployment', 'front');
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^\s+Image:\s+nginx:2\.0$/m);
    expect(describe.stdout).toMatch(/^NewReplicaSet:\s+front-\S+ \(2\/2 replicas created\)$/m);
    const status = await mflux(repo.state, 'rollout', 'history', 'deployment/front');
    expect(status.stdout).toContain(`front v2 (${sha.slice(0, 7)})`);
    const stopped = await d.stop();
    expect(stopped.code).toBe(0);
  });

  test('polling picks up a commit on an http remote (git http-backend, basic auth from the environment): no watcher there, the interval finds it', async () => {
    const password = 'pw-never-shown-4242';
    const { d, push } = await remoteDaemon('remote', '2s', password);
    const sha = push('2.0');
    const pass = await until('a polled pass of the new commit', () => d.passes('remote').find((l) => l.revision === `main@sha1:${sha}`), 15_000, d);
    expect(pass).toMatchObject({ outcome: 'Applied', trigger: 'interval' });
    // The password reaches git's server and nothing else: not the log, /status, /metrics or the page.
    for (const p of ['/status', '/metrics', '/']) expect((await d.get(p)).text).not.toContain(password);
    expect(d.raw()).not.toContain(password);
    expect((await d.stop()).code).toBe(0);
  });

  test('three quick commits are coalesced: one pass of the newest, the two skipped ones recorded as Superseded', async () => {
    const repo = newRepo();
    const d = await startDaemon(repo.root, config(repo.state, localSource('app', repo.dir)), { HOOK_SECRET: SECRET });
    await until('the first pass', async () => (await d.get('/readyz')).status === 200, 20_000, d);
    // Three commits built on a side branch land on main in one ref move, as a push of three commits does.
    git(repo.dir, 'checkout', '-q', '-b', 'work');
    const shas = ['2.0', '3.0', '4.0'].map((v) => repo.write({ 'deploy/front.yaml': deployment(`nginx:${v}`) }).commit(`front ${v}`));
    git(repo.dir, 'update-ref', 'refs/heads/main', shas[2]!);
    await until('the newest commit to be applied', async () => (await appliedRevision(d, 'app')) === `main@sha1:${shas[2]}`, 20_000, d);
    const passes = await historyJSON(repo.state);
    const byCommit = (sha: string) => passes.filter((p) => p.commit === sha).map((p) => p.outcome);
    expect(byCommit(shas[0]!)).toEqual(['Superseded']);
    expect(byCommit(shas[1]!)).toEqual(['Superseded']);
    expect(byCommit(shas[2]!)).toEqual(['Applied']);
    // The Deployment went from revision 1 straight to revision 2 (v4), never through v2 or v3.
    const hist = await mflux(repo.state, 'rollout', 'history', 'deployment/front');
    expect(hist.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).map((l) => l.split(/\s+/)[0])).toEqual(['1', '2']);
    expect(hist.stdout).toContain(`front 4.0 (${shas[2]!.slice(0, 7)})`);
    expect(d.passes('app').filter((l) => l.outcome === 'Applied')).toHaveLength(2);
    expect((await d.stop()).code).toBe(0);
  });

  test('webhook: a good HMAC signature or bearer token starts a pass (202); a wrong or missing one is 401 and triggers nothing; over 1 MiB is 413', async () => {
    const { d, push } = await remoteDaemon('app', '1h');
    const sha2 = push('2.0');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha2 });
    const sign = (b: string, secret: string) => `sha256=${createHmac('sha256', secret).update(b).digest('hex')}`;

    expect((await d.post('/hook/app', body, { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, 'wrong-secret') })).status).toBe(401);
    expect((await d.post('/hook/app', body, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await d.post('/hook/app', body, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await d.post('/hook/app', Buffer.alloc(1024 * 1024 + 1, 'x'), { 'x-hub-signature-256': sign('x', SECRET) })).status).toBe(413);
    expect((await d.post('/hook/nosuch', body, { 'x-hub-signature-256': sign(body, SECRET) })).status).toBe(404);
    // Nothing was triggered: the source still has not seen the pushed commit.
    const passesBefore = d.passes('app').length;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await sourceStatus(d, 'app')).lastAttemptedRevision).not.toBe(`main@sha1:${sha2}`);
    expect(d.passes('app')).toHaveLength(passesBefore);

    const good = await d.post('/hook/app', body, { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, SECRET) });
    expect(good.status).toBe(202);
    expect(JSON.parse(good.text)).toEqual({ accepted: true, source: 'app' });
    const pass2 = await until('the webhook pass', () => d.passes('app').find((l) => l.revision === `main@sha1:${sha2}`), 15_000, d);
    expect(pass2).toMatchObject({ outcome: 'Applied', trigger: 'webhook' });

    const sha3 = push('3.0');
    expect((await d.post('/hook/app', '{}', { authorization: `Bearer ${SECRET}` })).status).toBe(202);
    const pass3 = await until('the bearer webhook pass', () => d.passes('app').find((l) => l.revision === `main@sha1:${sha3}`), 15_000, d);
    expect(pass3).toMatchObject({ outcome: 'Applied', trigger: 'webhook' });
    // The secret never reaches the log.
    expect(d.raw()).not.toContain(SECRET);
    expect((await d.stop()).code).toBe(0);
  });

  test('/status, /metrics and the page: revisions, outcomes, rollouts, counters; a blocked commit is counted and not retried', async () => {
    const repo = newRepo();
    const d = await startDaemon(repo.root, config(repo.state, localSource('app', repo.dir, '2s')), { HOOK_SECRET: SECRET });
    await until('the first pass', async () => (await d.get('/readyz')).status === 200, 20_000, d);
    const sha1 = head(repo.dir);
    const st = await sourceStatus(d, 'app');
    expect(st).toMatchObject({
      name: 'app',
      url: repo.dir,
      ref: 'main',
      lastAttemptedRevision: `main@sha1:${sha1}`,
      lastAppliedRevision: `main@sha1:${sha1}`,
      failures: 0,
      deployments: [{ object: 'Deployment/default/front', revision: 1, state: 'Complete', replicas: 2, updated: 2, ready: 2, available: 2, message: 'deployment "front" successfully rolled out' }],
    });
    expect(['Applied', 'NoChange']).toContain(st.outcome);
    expect(Date.parse(st.nextRunAt)).toBeGreaterThan(Date.parse((await d.get('/status')).json().time) - 1000);
    expect((await d.get('/healthz')).status).toBe(200);

    // A selector change is immutable: the guard blocks it; the next interval passes do not retry it.
    repo.write({ 'deploy/front.yaml': deployment('nginx:1.0', 2, '-v2') });
    const bad = repo.commit('change the selector');
    await until('the blocked pass', () => d.passes('app').find((l) => l.revision === `main@sha1:${bad}`), 15_000, d);
    await until('an interval pass after it', async () => (await sourceStatus(d, 'app')).waiting, 10_000, d);
    const blocked = await sourceStatus(d, 'app');
    expect(blocked.outcome).toBe('Blocked');
    expect(blocked.waiting).toBe(`main@sha1:${bad} ended Blocked; waiting for a new commit`);
    expect(blocked.reasons.map((r: any) => r.code)).toContain('ImmutableFieldChange');
    expect(blocked.lastAppliedRevision).toBe(`main@sha1:${sha1}`);
    expect(d.passes('app').filter((l) => l.revision === `main@sha1:${bad}`)).toHaveLength(1);

    const m = await d.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const metric = (re: RegExp) => {
      const line = m.text.split('\n').find((l) => re.test(l));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(metric(/^mflux_reconcile_total\{source="app",outcome="Applied"\} /)).toBe(1);
    expect(metric(/^mflux_reconcile_total\{source="app",outcome="Blocked"\} /)).toBe(1);
    expect(metric(/^mflux_reconcile_duration_seconds_count\{source="app",outcome="Applied"\} /)).toBe(1);
    expect(metric(new RegExp(`^mflux_source_info\\{source="app",revision="main@sha1:${sha1}"\\} `))).toBe(1);
    // The only applied commit was made before the daemon started: it would measure the daemon's absence, not the pipeline.
    expect(metric(/^mflux_commit_to_ready_seconds_count\{source="app"\} /)).toBeUndefined();
    expect(metric(/^mflux_blocked_changes_total\{source="app",code="ImmutableFieldChange"\} /)).toBe(1);
    expect(metric(/^mflux_drift_objects\{source="app"\} /)).toBe(0);
    expect(metric(/^mflux_process_resident_memory_bytes /)).toBeGreaterThan(10_000_000);

    const page = await d.get('/');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<meta http-equiv="refresh"');
    expect(page.text).toContain('Blocked');
    expect(page.text).toContain(`main@sha1:${sha1}`);
    expect(page.text).toContain('Deployment/default/front rev 1');
    expect((await d.get('/nope')).status).toBe(404);
    expect((await d.stop()).code).toBe(0);
  });

  test('SIGTERM during a rollout: exit 0 within 10 s, the pass is Interrupted; a restart applies nothing (NoChange) and the rollout completes', async () => {
    const { repo, cfg, sha, daemon } = await rolloutUnderWay();
    let d = daemon;
    const stopped = await d.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(d.passes('app').find((l) => l.revision === `main@sha1:${sha}`)?.outcome).toBe('Interrupted');
    const interrupted = (await historyJSON(repo.state)).filter((p) => p.commit === sha);
    expect(interrupted.map((p) => p.outcome)).toEqual(['Interrupted']);
    const revBefore = JSON.parse((await mflux(repo.state, 'get', 'deploy', 'front', '-o', 'json')).stdout).metadata.annotations['deployment.kubernetes.io/revision'];
    expect(revBefore).toBe('2');

    d = await restartUntilComplete(repo, cfg);
    const after = d.passes('app');
    expect(after.map((l) => l.outcome)).not.toContain('Applied');
    expect(after[0]).toMatchObject({ outcome: 'NoChange', revision: `main@sha1:${sha}` });
    const passes = await historyJSON(repo.state);
    expect(passes.filter((p) => p.commit === sha).map((p) => p.outcome)).toEqual(['Interrupted', 'NoChange']);
    const rs = await mflux(repo.state, 'get', 'rs');
    expect(rs.stdout).toMatch(/^front-\S+\s+4\s+4\s+4\s+/m);
    expect(rs.stdout).toMatch(/^front-\S+\s+0\s+0\s+0\s+/m);
    expect((await d.stop()).code).toBe(0);
  });

  test('kill -9 during a rollout: the restart finds a consistent state (the cut pass recorded as Interrupted, revision kept), applies nothing and completes the rollout', async () => {
    const { repo, cfg, sha, daemon } = await rolloutUnderWay();
    let d = daemon;
    const killed = await d.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    // What the dead process left: the pass without an outcome, its Deployment record already written.
    const hist = await mflux(repo.state, 'history', 'deployment/front');
    expect(hist.code).toBe(0);
    expect(hist.stdout).toMatch(new RegExp(`^2\\s+${sha.slice(0, 7)}\\s+front v2, 4 replicas`, 'm'));

    d = await restartUntilComplete(repo, cfg);
    expect(d.lines.some((l) => /1 pass\(es\) were cut short/.test(l.message))).toBe(true);
    expect(d.passes('app').map((l) => l.outcome)).not.toContain('Applied');
    const passes = await historyJSON(repo.state);
    expect(passes.filter((p) => p.commit === sha).map((p) => p.outcome)).toEqual(['Interrupted', 'NoChange']);
    expect(passes.every((p) => p.outcome)).toBe(true);
    const dep = JSON.parse((await mflux(repo.state, 'get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(dep.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    expect(dep.status).toMatchObject({ replicas: 4, updatedReplicas: 4, availableReplicas: 4 });
    expect((await d.stop()).code).toBe(0);
  });

  test('an unreachable remote backs off (visible in /status) while the other source is unaffected; /readyz names it', async () => {
    const repo = newRepo();
    const port = await closedPort();
    const d = await startDaemon(
      repo.root,
      config(repo.state, localSource('good', repo.dir) + `  - {name: gone, repo: http://127.0.0.1:${port}/repo.git, ref: main, interval: 8s, timeout: 5s}\n`),
      { HOOK_SECRET: SECRET },
    );
    const gone = await until('three failures', async () => {
      const s = await sourceStatus(d, 'gone');
      return s.failures >= 3 ? s : undefined;
    }, 30_000, d);
    expect(gone.outcome).toBe('Failed');
    expect(gone.reasons[0].code).toBe('SourceUnreachable');
    // 1 s, 2 s, 4 s, … (±10%), never more than the 8 s interval.
    expect(gone.retryInMs).toBeGreaterThan(0);
    expect(gone.retryInMs).toBeLessThanOrEqual(8000 * 1.1);
    const fails = d.passes('gone').filter((l) => l.outcome === 'Failed');
    expect(fails.slice(0, 3).map((l) => l.trigger)).toEqual(['start', 'retry', 'retry']);
    const delays = fails.slice(0, 3).map((l) => l.retryInMs as number);
    expect(delays[0]).toBeGreaterThanOrEqual(900);
    expect(delays[0]).toBeLessThanOrEqual(1100);
    expect(delays[1]).toBeGreaterThanOrEqual(1800);
    expect(delays[1]).toBeLessThanOrEqual(2200);
    expect(delays[2]).toBeGreaterThanOrEqual(3600);
    expect(delays[2]).toBeLessThanOrEqual(4400);
    const good = await sourceStatus(d, 'good');
    expect(good.outcome).toBe('Applied');
    expect(good.deployments[0].state).toBe('Complete');
    const ready = await d.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toContain('gone: SourceUnreachable');
    expect((await d.stop()).code).toBe(0);
  });

  test('drift: a change made behind Git\'s back while the daemon was down is put back on restart and counted in mflux_drift_objects', async () => {
    const repo = newRepo();
    const cfg = config(repo.state, localSource('app', repo.dir));
    let d = await startDaemon(repo.root, cfg, { HOOK_SECRET: SECRET });
    await until('the first pass', async () => (await d.get('/readyz')).status === 200, 20_000, d);
    expect((await d.stop()).code).toBe(0);
    // Someone scales the Deployment by hand (kubectl apply, here mflux apply on the same state).
    const manual = path.join(repo.root, 'manual.yaml');
    fs.writeFileSync(manual, deployment('nginx:1.0', 5));
    const applied = await mflux(repo.state, 'apply', '-f', manual, '--no-wait');
    expect(applied.code, applied.stderr).toBe(0);

    d = await startDaemon(repo.root, cfg, { HOOK_SECRET: SECRET });
    const pass = await until('the first pass after the restart', () => d.passes('app')[0], 20_000, d);
    expect(pass).toMatchObject({ outcome: 'Applied', revision: `main@sha1:${head(repo.dir)}` });
    const m = (await d.get('/metrics')).text;
    expect(m).toMatch(/^mflux_drift_objects\{source="app"\} 1$/m);
    const dep = JSON.parse((await mflux(repo.state, 'get', 'deploy', 'front', '-o', 'json')).stdout);
    expect(dep.spec.replicas).toBe(2);
    // SIGINT (Ctrl-C) stops as cleanly as SIGTERM.
    expect((await d.stop('SIGINT')).code).toBe(0);
  });

  test('sources run concurrently, but one source never runs two passes at once: triggers during a pass make one more pass after it', async () => {
    const slow = newRepo();
    const fast = new TestRepo('mflux-daemon-');
    fast.write({ 'deploy/cfg.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fast}\ndata: {v: "1"}\n' }).commit('fast v1');
    const cfg = config(slow.state, localSource('slow', slow.dir) + localSource('fast', fast.dir)).replace('podReadyAfter: 1s', 'podReadyAfter: 3s');
    const d = await startDaemon(slow.root, cfg, { HOOK_SECRET: SECRET });
    await until('the first passes', async () => (await d.get('/readyz')).status === 200, 30_000, d);
    const slowV1 = head(slow.dir);

    slow.write({ 'deploy/front.yaml': deployment('nginx:2.0') });
    const slowSha = slow.commit('slow v2');
    await until('the slow rollout to be under way', async () => (await sourceStatus(d, 'slow')).running, 10_000, d);
    // While slow's pass waits for its pods, fast's commit is applied, and slow is asked again (twice).
    fast.write({ 'deploy/cfg.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fast}\ndata: {v: "2"}\n' });
    const fastSha = fast.commit('fast v2');
    const fastPass = await until('fast to be applied', () => d.passes('fast').find((l) => l.revision === `main@sha1:${fastSha}`), 10_000, d);
    expect(fastPass.outcome).toBe('Applied');
    expect((await sourceStatus(d, 'slow')).running).toBe(true);
    for (let i = 0; i < 2; i++) expect((await d.post('/hook/slow', '{}', { authorization: `Bearer ${SECRET}` })).status).toBe(202);

    await until('slow to be applied and asked once more', () => d.passes('slow').length >= 3, 20_000, d);
    // Time for a (wrong) fourth pass to show up if the two triggers were not folded into one.
    await new Promise((r) => setTimeout(r, 1000));
    const slowPasses = d.passes('slow');
    expect(slowPasses.map((l) => [l.revision, l.outcome, l.trigger])).toEqual([
      [`main@sha1:${slowV1}`, 'Applied', 'start'],
      [`main@sha1:${slowSha}`, 'Applied', 'watch'],
      [`main@sha1:${slowSha}`, 'NoChange', 'webhook'],
    ]);
    // No two passes of slow overlap: each starts after the previous one ended.
    const spans = slowPasses.map((l) => ({ end: Date.parse(l.timestamp as string), start: Date.parse(l.timestamp as string) - (l.durationMs as number) }));
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect((await d.stop()).code).toBe(0);
  });

  test('a second daemon on the same state dir exits 2 (StateLocked, naming the holder) and the first keeps running', async () => {
    const repo = newRepo();
    const d = await startDaemon(repo.root, config(repo.state, localSource('app', repo.dir)), { HOOK_SECRET: SECRET });
    await until('the first pass', async () => (await d.get('/readyz')).status === 200, 20_000, d);
    const file = path.join(repo.root, 'second.yaml');
    fs.writeFileSync(file, config(repo.state, localSource('app', repo.dir)));
    let second: { status: number | null; stderr: string } = { status: 0, stderr: '' };
    try {
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist/src/cli/main.js'), 'daemon', '--config', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOOK_SECRET: SECRET } });
    } catch (err: any) {
      second = { status: err.status, stderr: err.stderr };
    }
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`locked by pid ${d.proc.pid}`);
    expect(second.stderr).toContain('[StateLocked]');
    expect((await d.get('/healthz')).status).toBe(200);
    expect((await d.stop()).code).toBe(0);
  });

  test('a bad config exits 2 naming the file, the key path and the problem; nothing is started', () => {
    const dir = tempDir('mflux-daemon-badcfg-');
    const file = path.join(dir, 'mflux.yaml');
    fs.writeFileSync(file, 'listen: 127.0.0.1:0\nsources:\n  - name: app\n    repo: ./repo\n    interval: 1x\n');
    let out: { status: number | null; stderr: string };
    try {
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist/src/cli/main.js'), 'daemon', '--config', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      out = { status: 0, stderr: '' };
    } catch (err: any) {
      out = { status: err.status, stderr: err.stderr };
    }
    expect(out.status).toBe(2);
    expect(out.stderr).toContain(`${file}: sources[0].interval: invalid duration "1x"`);
    expect(out.stderr).toContain('[ConfigInvalid]');
    expect(fs.existsSync(path.join(dir, '.mflux'))).toBe(false);
  });
});

describe('the daemon serves its cluster to kubectl (apiServer.listen)', () => {
  test('kubectl rollout status -w follows a rollout the daemon runs, line by line, until "successfully rolled out"', async () => {
    const KUBECTL = process.env.KUBECTL ?? 'kubectl';
    const repo = newRepo();
    const cfg = config(repo.state, localSource('app', repo.dir), 'apiServer: {listen: 127.0.0.1:0}\n').replace('podReadyAfter: 1s', 'podReadyAfter: 2s');
    const d = await startDaemon(repo.root, cfg, { HOOK_SECRET: SECRET });
    const apiURL = await until('the API server address', () => d.lines.find((l) => l.message.startsWith('Kubernetes API'))?.url as string | undefined, 10_000, d);
    await until('the first pass', async () => (await d.get('/readyz')).status === 200, 30_000, d);
    const kubeconfig = path.join(repo.root, 'kubeconfig');
    fs.writeFileSync(kubeconfig, execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist/src/cli/main.js'), 'kubeconfig', '--listen', apiURL.slice('http://'.length)], { encoding: 'utf8' }));

    repo.write({ 'deploy/front.yaml': deployment('nginx:2.0', 3) });
    repo.commit('front v2, 3 replicas');
    await until('the rollout to start', async () => (await sourceStatus(d, 'app')).deployments[0]?.state === 'Progressing', 10_000, d);
    // Run asynchronously: a blocked event loop would leave fetch a keep-alive socket the daemon has since closed.
    const kubectl = async (...args: string[]) =>
      (await execFileAsync(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(repo.root, 'kube-cache'), ...args], { encoding: 'utf8', env: { ...process.env, HOME: repo.root, KUBECONFIG: '' } })).stdout;
    const out = await kubectl('rollout', 'status', 'deploy/front', '-w', '--timeout=60s');
    const lines = out.trim().split('\n');
    expect(lines.at(-1)).toBe('deployment "front" successfully rolled out');
    // It watched the rollout happen (the daemon's pump saves every step), not just its end.
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^Waiting for deployment "front" rollout to finish: /);
    const rev = await kubectl('rollout', 'history', 'deploy/front');
    expect(rev).toMatch(/^2\s+front v2, 3 replicas \(/m);

    // mflux rollout status from another shell follows the daemon's rollout too (the daemon holds the writer lock).
    repo.write({ 'deploy/front.yaml': deployment('nginx:3.0', 3) });
    repo.commit('front v3');
    await until('the next rollout to start', async () => (await sourceStatus(d, 'app')).deployments[0]?.state === 'Progressing', 10_000, d);
    const follow = await mflux(repo.state, 'rollout', 'status', 'deployment/front');
    expect(follow.code).toBe(0);
    const followed = follow.stdout.trim().split('\n');
    expect(followed.at(-1)).toBe('deployment "front" successfully rolled out');
    expect(followed.length).toBeGreaterThan(1);
    expect((await d.stop()).code).toBe(0);
  });
});
