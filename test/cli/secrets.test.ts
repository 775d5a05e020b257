/** Secret values: kept only as keyed digests (per-state-dir key), never shown by any command, and still compared. */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/cli/serve/server.js';
import { DB_FILE, MIGRATIONS, SCHEMA_VERSION, SECRET_KEY_FILE, StateStore } from '../../src/store/index.js';
import { TestRepo, mflux, removeTestRepos } from './helpers.js';

const PASSWORD = 'hunter2-weak';
const TOKEN = 's3cr3t-token';
const NEW_PASSWORD = 'correct-horse-2';

function secretYaml(password: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: ${password}
data:
  token: ${Buffer.from(TOKEN).toString('base64')}
`;
}

function storedSecret(state: string): { data: Record<string, string>; stringData: Record<string, string> } {
  const store = StateStore.open(state, 'read');
  try {
    const s = store.loadObjects().find((o) => o.kind === 'Secret' && o.metadata.name === 'db');
    if (!s) throw new Error('no Secret db stored');
    return { data: s.data as Record<string, string>, stringData: s.stringData as Record<string, string> };
  } finally {
    store.close();
  }
}

const hmac = (key: Buffer, v: string) => `hmac-sha256:${createHmac('sha256', key).update(v).digest('hex')}`;
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

/** forbidden lists every string no output may contain: the values, their base64, their unkeyed and keyed digests. */
function forbidden(state: string): string[] {
  const s = storedSecret(state);
  const digests = [...Object.values(s.data), ...Object.values(s.stringData)];
  const values = [PASSWORD, NEW_PASSWORD, TOKEN, Buffer.from(TOKEN).toString('base64'), Buffer.from(PASSWORD).toString('base64'), Buffer.from(NEW_PASSWORD).toString('base64')];
  return [...values, ...values.map(sha256), ...digests, ...digests.map((d) => d.replace(/^hmac-sha256:/, '')), 'hmac-sha256', 'sha256:'];
}

function expectClean(label: string, text: string, state: string): void {
  for (const f of forbidden(state)) expect(text.includes(f), `${label} contains ${f}`).toBe(false);
}

afterAll(removeTestRepos);

describe('Secret values', () => {
  const repo = new TestRepo();
  let first = '';
  let second = '';

  beforeAll(async () => {
    repo.write({ 'secret.yaml': secretYaml(PASSWORD) });
    first = repo.commit('add db secret');
    const run = await mflux(repo.state, 'reconcile', '--repo', repo.dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  }, 60_000);

  it('are kept as HMAC-SHA256 digests under the state dir key, a 32-byte file of mode 0600', () => {
    const keyFile = path.join(repo.state, SECRET_KEY_FILE);
    const st = fs.statSync(keyFile);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(32);
    const key = fs.readFileSync(keyFile);
    const s = storedSecret(repo.state);
    expect(s.stringData).toEqual({ password: hmac(key, PASSWORD) });
    expect(s.data).toEqual({ token: hmac(key, Buffer.from(TOKEN).toString('base64')) });
    // The key never lands in the database.
    const db = fs.readFileSync(path.join(repo.state, DB_FILE));
    expect(db.includes(key)).toBe(false);
    expect(db.includes(Buffer.from(key.toString('hex')))).toBe(false);
  });

  it('the same value in two state dirs gets different digests', async () => {
    const other = path.join(repo.root, 'state2');
    expect((await mflux(other, 'reconcile', '--repo', repo.dir)).code).toBe(0);
    const a = storedSecret(repo.state);
    const b = storedSecret(other);
    expect(a.stringData.password).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(b.stringData.password).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(a.stringData.password).not.toBe(b.stringData.password);
    expect(a.data.token).not.toBe(b.data.token);
    expect(fs.readFileSync(path.join(other, SECRET_KEY_FILE)).equals(fs.readFileSync(path.join(repo.state, SECRET_KEY_FILE)))).toBe(false);
  });

  it('an unchanged Secret plans as unchanged: keyed digests compare equal', async () => {
    const again = await mflux(repo.state, 'reconcile', '--repo', repo.dir, '-o', 'json');
    expect(JSON.parse(again.stdout).outcome).toBe('NoChange');
    expect((await mflux(repo.state, 'diff', '--repo', repo.dir)).code).toBe(0);
  });

  it('appear in no output: get, describe, diff, reconcile, history, check and the serve API show a mask', async () => {
    const outputs: [string, string][] = [];
    const run = async (...args: string[]) => {
      const r = await mflux(repo.state, ...args);
      outputs.push([args.join(' '), r.stdout + r.stderr]);
      return r;
    };
    const yaml = await run('get', 'secret', 'db', '-o', 'yaml');
    expect(yaml.stdout).toContain('password: "***"');
    const json = await run('get', 'secrets', '-o', 'json');
    expect(JSON.parse(json.stdout).items[0].data).toEqual({ token: '***' });
    expect(JSON.parse(json.stdout).items[0].stringData).toEqual({ password: '***' });
    await run('get', 'secrets');
    const described = await run('describe', 'secret', 'db');
    expect(described.stdout).toMatch(/Password:\s+\*\*\*/);

    // A changed value is still detected, and shown masked.
    repo.write({ 'secret.yaml': secretYaml(NEW_PASSWORD) });
    second = repo.commit('rotate db password');
    const diff = await run('diff', '--repo', repo.dir);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toBe('# Secret/default/db: values masked; changed: replace /stringData/password\n');
    const diffJson = await run('diff', '--repo', repo.dir, '-o', 'json');
    expect(JSON.parse(diffJson.stdout).changes).toEqual([{ object: 'Secret/default/db', action: 'update', patch: [{ op: 'replace', path: '/stringData/password', value: '***' }] }]);
    const before = storedSecret(repo.state).stringData.password;
    const applied = await run('reconcile', '--repo', repo.dir, '-o', 'json');
    expect(JSON.parse(applied.stdout).outcome).toBe('Applied');
    expect(storedSecret(repo.state).stringData.password).not.toBe(before);
    await run('history', '-o', 'json');
    await run('history');
    const check = await mflux(path.join(repo.root, 'unused'), 'check', '--repo', repo.dir, '--base', first, '--head', second, '--format', 'json');
    outputs.push(['check json', check.stdout + check.stderr]);
    expect(JSON.parse(check.stdout).changes.map((c: any) => c.object)).toContain('Secret/default/db');
    const md = await mflux(path.join(repo.root, 'unused'), 'check', '--repo', repo.dir, '--base', first, '--head', second, '--format', 'markdown');
    outputs.push(['check markdown', md.stdout + md.stderr]);
    expect(fs.existsSync(path.join(repo.root, 'unused'))).toBe(false);

    const api = await startApiServer({ stateDir: repo.state, host: '127.0.0.1', port: 0 });
    try {
      for (const p of ['/api/v1/namespaces/default/secrets/db', '/api/v1/secrets', '/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=1']) {
        const body = await (await fetch(`${api.url}${p}`)).text();
        outputs.push([`serve ${p}`, body]);
        expect(body).toContain('"***"');
      }
    } finally {
      await api.close();
    }
    for (const [label, text] of outputs) expectClean(label, text, repo.state);
  }, 120_000);
});

describe('a state dir from before keyed digests', () => {
  it('migration 5 removes the unkeyed sha256 digests; the next pass re-applies the Secret from Git', async () => {
    const repo = new TestRepo();
    repo.write({ 'secret.yaml': secretYaml(PASSWORD) });
    repo.commit('add db secret');
    expect((await mflux(repo.state, 'reconcile', '--repo', repo.dir)).code).toBe(0);
    // Turn it into what an older mflux wrote: unkeyed digests, schema version 4, no key file.
    const legacy = `sha256:${sha256(PASSWORD)}`;
    const db = new Database(path.join(repo.state, DB_FILE));
    for (const [table, col, where] of [['objects', 'json', "kind = 'Secret'"], ['inventory', 'applied', "ref LIKE 'Secret/%'"]] as const) {
      db.prepare(`UPDATE ${table} SET ${col} = json_set(${col}, '$.stringData.password', ?) WHERE ${where}`).run(legacy);
    }
    // Schema version 4 had no kind column in pass_deployments (migration 6 adds it), nor the origin columns (migration 8).
    db.exec('ALTER TABLE pass_deployments DROP COLUMN kind');
    // Nor pass_services (migration 7).
    db.exec('DROP TABLE pass_services');
    db.exec('ALTER TABLE pass_deployments DROP COLUMN origin');
    db.exec('ALTER TABLE passes DROP COLUMN path');
    // And its events were JSON rows in `events` (migration 9 splits them into columns, migration 10 into shapes and rows), its objects whole (no parts).
    db.exec(`DROP TABLE event_rows; DROP TABLE event_shapes; ${/CREATE TABLE events \([^;]*\)/.exec(MIGRATIONS[0]!)![0]}`);
    db.exec('ALTER TABLE objects DROP COLUMN parts; DROP TABLE object_parts');
    db.pragma('user_version = 4');
    db.close();
    fs.rmSync(path.join(repo.state, SECRET_KEY_FILE));
    expect(fs.readFileSync(path.join(repo.state, DB_FILE)).includes(Buffer.from(legacy))).toBe(true);

    const run = await mflux(repo.state, 'reconcile', '--repo', repo.dir, '-o', 'json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.outcome).toBe('Applied');
    // Every value was a legacy digest, so every value is re-applied.
    expect(result.changes).toEqual([
      {
        object: 'Secret/default/db',
        action: 'update',
        patch: [
          { op: 'replace', path: '/data/token', value: '***' },
          { op: 'replace', path: '/stringData/password', value: '***' },
        ],
        origin: { file: 'secret.yaml', line: 1 },
      },
    ]);
    const key = fs.readFileSync(path.join(repo.state, SECRET_KEY_FILE));
    expect(storedSecret(repo.state).stringData.password).toBe(hmac(key, PASSWORD));
    const raw = new Database(path.join(repo.state, DB_FILE), { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
    expect(fs.readFileSync(path.join(repo.state, DB_FILE)).includes(Buffer.from(legacy))).toBe(false);
  }, 60_000);
});
