/**
 * Issue 12, the daemon and its state dir: a save that fails (a real SQLITE_FULL, from
 * max_page_count on the daemon's own connection) is never reported as applied — the in-memory
 * cluster is rolled back to disk, the pass is Failed (DiskFull), /readyz says so, and the retry
 * applies the commit once there is room. A symlink out of the repo is judged once (Invalid), not
 * retried every few seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, wallClockNow } from '../../src/core/index.js';
import { Daemon, loadConfig } from '../../src/daemon/index.js';
import { daemonCluster } from '../../src/cli/commands/daemon.js';
import { ClusterSession } from '../../src/cli/session.js';
import { TEST_MAX_PAGES_ENV } from '../../src/store/index.js';
import { TestRepo, git, mflux, removeTestRepos } from '../cli/helpers.js';
import { ensureBuilt, killAll, sourceStatus, startDaemon, until } from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  killAll();
  removeTestRepos();
});

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: 1
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: web, image: 'nginx:1.0'}]}
`;

/** bigConfigMap is a ~300 KB ConfigMap: far more than the few free pages the tests leave. */
const BIG = `apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data:
  blob: ${'x'.repeat(300_000)}
`;

function config(state: string, repo: string, interval = '1h'): string {
  return `state: ${state}
listen: 127.0.0.1:0
log: {level: debug, format: json}
simulation: {podReadyAfter: 1s}
sources:
  - {name: app, repo: ${repo}, ref: main, interval: ${interval}, timeout: 1m}
`;
}

async function historyOf(state: string, sha: string): Promise<{ outcome: string; reasons: { code: string }[] }[]> {
  const r = await mflux(state, 'history', '-o', 'json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).items.filter((p: any) => p.commit === sha);
}

// roomFor is how many pages a "nearly full disk" leaves: 96 KiB, whatever the page size (at least two pages) — room for ledger rows and small saves, not for the 300 KB ConfigMap.
const roomFor = (pageSize: number): number => Math.max(2, Math.floor(98_304 / pageSize));

describe('daemon: a save that fails is never reported as applied', () => {
  test('in process: DiskFull (max_page_count on the daemon connection) → Failed + retries + /readyz 503, the object is nowhere; room again → the retry applies it', async () => {
    const repo = new TestRepo('mflux-state-');
    repo.write({ 'deploy/front.yaml': DEPLOYMENT }).commit('front');
    const file = path.join(repo.root, 'mflux.yaml');
    fs.writeFileSync(file, config(repo.state, repo.dir));
    const cfg = loadConfig(file);
    const session = ClusterSession.open({ stateDir: cfg.stateDir, mode: 'write', clock: 'real', knobs: cfg.simulation });
    const logStream = new PassThrough();
    let log = '';
    logStream.on('data', (c: Buffer) => (log += c.toString()));
    const daemon = new Daemon({ config: cfg, cluster: daemonCluster(session), logger: createLogger({ level: 'debug', format: 'json', stream: logStream }), wallNow: wallClockNow });
    const { url } = await daemon.start();
    const get = async (p: string) => {
      const r = await fetch(`${url}${p}`);
      return { status: r.status, text: await r.text() };
    };
    const status = async () => JSON.parse((await get('/status')).text).sources[0];
    try {
      await until('the first pass', async () => (await get('/readyz')).status === 200);
      // Fill "the disk": the database may grow by a few pages only (room for ledger rows and pump saves, not 300 KB).
      const db = session.store.database()!;
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + roomFor(db.pragma('page_size', { simple: true }) as number)}`);

      repo.write({ 'deploy/big.yaml': BIG });
      const sha = repo.commit('big config');
      const revision = `main@sha1:${sha}`;
      await until('two failed passes of the commit', async () => {
        const s = await status();
        return s.lastAttemptedRevision === revision && s.outcome === 'Failed' && s.failures >= 2;
      });
      const s = await status();
      expect(s.reasons[0].code).toBe('DiskFull');
      expect(s.reasons[0].message).toContain(path.join(repo.state, 'state.db'));
      expect(s.lastAppliedRevision).not.toBe(revision);
      expect(s.retryInMs).not.toBeNull();
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.text).toMatch(new RegExp(`^not ready\\napp: DiskFull: ${path.join(repo.state, 'state.db').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no space left to write state`));
      // Memory was rolled back: neither this daemon (its own client) nor another reader has the object.
      expect(await daemonCluster(session).client.get('ConfigMap', 'default', 'big')).toBeUndefined();
      const missing = await mflux(repo.state, 'get', 'configmap', 'big');
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('not found');
      expect(log).not.toMatch(/NoChange: main@sha1:[0-9a-f]+ is already applied/);
      expect((await historyOf(repo.state, sha)).every((p) => p.outcome === 'Failed' && p.reasons[0]?.code === 'DiskFull')).toBe(true);

      // Room again: the next retry (backoff) applies the same commit.
      db.pragma('max_page_count = 1073741823');
      await until('the retry to apply it', async () => (await status()).lastAppliedRevision === revision, 20_000);
      expect((await get('/readyz')).status).toBe(200);
      const got = await mflux(repo.state, 'get', 'configmap', 'big', '-o', 'json');
      expect(got.code).toBe(0);
      expect(JSON.parse(got.stdout).data.blob).toHaveLength(300_000);
      const passes = await historyOf(repo.state, sha);
      expect(passes.at(-1)!.outcome).toBe('Applied');
      expect(passes.slice(0, -1).map((p) => p.outcome)).toEqual(passes.slice(0, -1).map(() => 'Failed'));
      expect(passes.length).toBeGreaterThanOrEqual(3);
    } finally {
      await daemon.stop();
      session.close();
    }
  });

  test(`real process: ${TEST_MAX_PAGES_ENV} fills the database; the pass fails DiskFull, /readyz 503, nothing unsaved survives SIGTERM, and a restart with room applies it`, async () => {
    const repo = new TestRepo('mflux-state-');
    repo.write({ 'deploy/front.yaml': DEPLOYMENT }).commit('front');
    const cfg = config(repo.state, repo.dir);
    const first = await startDaemon(repo.root, cfg);
    await until('the first pass', async () => (await first.get('/readyz')).status === 200, 20_000, first);
    expect((await first.stop()).code).toBe(0);
    const raw = new Database(path.join(repo.state, 'state.db'), { readonly: true });
    const pages = raw.pragma('page_count', { simple: true }) as number;
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();

    const full = await startDaemon(repo.root, cfg, { [TEST_MAX_PAGES_ENV]: String(pages + roomFor(pageSize)) });
    await until('the start pass', async () => (await full.get('/readyz')).status === 200, 20_000, full);
    repo.write({ 'deploy/big.yaml': BIG });
    const sha = repo.commit('big config');
    await until('failed retries', async () => {
      const s = await sourceStatus(full, 'app');
      return s.lastAttemptedRevision === `main@sha1:${sha}` && s.outcome === 'Failed' && s.failures >= 2 && s;
    }, 20_000, full);
    const ready = await full.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toContain('app: DiskFull: ');
    expect((await mflux(repo.state, 'get', 'configmap', 'big')).code).not.toBe(0);
    const failed = full.passes('app').filter((l) => l.revision === `main@sha1:${sha}`);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((l) => l.outcome === 'Failed' && l.reasons?.[0]?.startsWith('DiskFull: '))).toBe(true);
    const stopped = await full.stop();
    expect(stopped.code).toBe(0);
    // What it says at the end is true: the rolled-back cluster (without the ConfigMap) is what was saved.
    expect(full.lines.at(-1)?.message).toBe('stopped: state saved, database closed');
    expect((await mflux(repo.state, 'get', 'configmap', 'big')).code).not.toBe(0);

    const roomy = await startDaemon(repo.root, cfg);
    await until('the commit to be applied', async () => (await sourceStatus(roomy, 'app')).lastAppliedRevision === `main@sha1:${sha}`, 20_000, roomy);
    expect((await mflux(repo.state, 'get', 'configmap', 'big')).code).toBe(0);
    expect((await roomy.stop()).code).toBe(0);
  });
});

describe('daemon: saves outside a pass', () => {
  test('the pump\'s save failing (a connection SQLite refuses writes on: query_only) → /readyz 503 naming the state, and stop() reports the unsaved state instead of claiming success', async () => {
    const repo = new TestRepo('mflux-state-');
    repo.write({ 'deploy/front.yaml': DEPLOYMENT }).commit('front');
    const file = path.join(repo.root, 'mflux.yaml');
    fs.writeFileSync(file, config(repo.state, repo.dir));
    const cfg = loadConfig(file);
    const session = ClusterSession.open({ stateDir: cfg.stateDir, mode: 'write', clock: 'real', knobs: cfg.simulation });
    const daemon = new Daemon({ config: cfg, cluster: daemonCluster(session), logger: createLogger({ level: 'error', format: 'json', stream: new PassThrough() }), wallNow: wallClockNow });
    const { url } = await daemon.start();
    const readyz = async () => {
      const r = await fetch(`${url}/readyz`);
      return { status: r.status, text: await r.text() };
    };
    try {
      await until('the first pass', async () => (await readyz()).status === 200);
      session.store.database()!.pragma('query_only = ON');
      const r = await until('the pump to fail a save', async () => {
        const x = await readyz();
        return x.status === 503 ? x : undefined;
      });
      expect(r.text).toMatch(/^not ready\nstate: StateWriteFailed: .*saving the cluster state failed \(StateUnwritable: .*SQLITE_READONLY/);
      await expect(daemon.stop()).rejects.toMatchObject({ code: 'StateWriteFailed' });
      session.store.database()!.pragma('query_only = OFF');
    } finally {
      await daemon.stop();
      session.close();
    }
  });
});

describe('daemon: PathEscape is a property of the commit', () => {
  test('a symlink out of the repository: one Invalid pass (PathEscape), no retries on the same commit; a fixed commit applies', async () => {
    const repo = new TestRepo('mflux-state-');
    repo.write({ 'deploy/front.yaml': DEPLOYMENT }).commit('front');
    const outside = path.join(repo.root, 'outside.yaml');
    fs.writeFileSync(outside, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\n');
    fs.symlinkSync(outside, path.join(repo.dir, 'deploy/leak.yaml'));
    const bad = repo.commit('leak');
    const d = await startDaemon(repo.root, config(repo.state, repo.dir, '1s'));
    await until('the commit to be judged', async () => (await sourceStatus(d, 'app'))?.outcome === 'Invalid', 20_000, d);
    const s = await sourceStatus(d, 'app');
    expect(s.reasons[0].code).toBe('PathEscape');
    expect(s.reasons[0].message).toContain('leads outside the repository');
    // Several intervals (1 s) later the ledger still has one pass for the commit, and the source says why it waits.
    await new Promise((r) => setTimeout(r, 3500));
    const passes = await historyOf(repo.state, bad);
    expect(passes.map((p) => p.outcome)).toEqual(['Invalid']);
    expect((await sourceStatus(d, 'app')).waiting).toBe(`main@sha1:${bad} ended Invalid; waiting for a new commit`);
    expect((await sourceStatus(d, 'app')).failures).toBe(0);

    git(repo.dir, 'rm', '-q', 'deploy/leak.yaml');
    const good = repo.commit('no leak');
    await until('the fixed commit', async () => (await sourceStatus(d, 'app')).lastAppliedRevision === `main@sha1:${good}`, 20_000, d);
    expect((await d.stop()).code).toBe(0);
  });
});
