/** The daemon's config file: the shipped example, defaults, path resolution, secrets, and every error's exact text. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parsePolicy } from '../../src/check/index.js';
import { isMfluxError } from '../../src/core/index.js';
import { configJSONSchema, loadConfig, parseConfig, parseListen } from '../../src/daemon/config.js';

const REPO_ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(REPO_ROOT, 'config/mflux.yaml');
const F = 'config/mflux.yaml';
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-config-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** MIN is the smallest valid config: one source. */
const MIN = 'sources:\n  - name: app\n    repo: ./repo\n';

/** fails runs parseConfig on text named F and returns the ConfigInvalid message (failing the test otherwise). */
function fails(text: string, env: NodeJS.ProcessEnv = {}, file = F): string {
  try {
    parseConfig(text, file, env);
  } catch (err) {
    if (!isMfluxError(err, 'ConfigInvalid')) throw err;
    expect(err.subject).toBe(file);
    expect(err.message.startsWith(file)).toBe(true);
    return err.message;
  }
  throw new Error('expected ConfigInvalid');
}

/** write puts a file under a fresh temp dir and returns its path. */
function write(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(TMP, 'c-'));
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

describe('the example config/mflux.yaml', () => {
  test('loads as shipped, paths resolved relative to config/', () => {
    const c = loadConfig(EXAMPLE, {});
    expect(c.file).toBe(EXAMPLE);
    expect(c.stateDir).toBe(path.join(REPO_ROOT, '.mflux-daemon'));
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(c.log).toEqual({ level: 'info', format: 'json' });
    expect(c.simulation).toEqual({ podReadyAfterMs: 10_000, podReadyJitterMs: 0, failImages: [], failProbes: [] });
    expect(c.policy).toEqual({ maxPrune: '20%', block: [] });
    expect(c.apiServer).toBeUndefined();
    expect(c.sources).toEqual([
      { name: 'fixtures', repo: path.join(REPO_ROOT, '.mflux-fixtures'), ref: 'main', path: '', intervalMs: 30_000, timeoutMs: 300_000 },
    ]);
  });

  test('an unset webhook secret variable is a warning, not an error; a set one is the secret', () => {
    const unset = loadConfig(EXAMPLE, {});
    expect(unset.webhookSecret).toBeUndefined();
    expect(unset.warnings).toEqual(['webhook: MFLUX_WEBHOOK_SECRET is not set; POST /hook/<source> answers 401 until it is']);
    const set = loadConfig(EXAMPLE, { MFLUX_WEBHOOK_SECRET: 's3cret' });
    expect(set.webhookSecret).toBe('s3cret');
    expect(set.warnings).toEqual([]);
  });

  test('mflux check reads the same policy from it', () => {
    expect(parsePolicy(fs.readFileSync(EXAMPLE, 'utf8'), EXAMPLE)).toEqual(loadConfig(EXAMPLE, {}).policy);
  });

  test('the top comment says how to build the fixtures repository and start the daemon', () => {
    expect(fs.readFileSync(EXAMPLE, 'utf8')).toContain('node dist/scripts/fixtures-repo.js .mflux-fixtures && mflux daemon --config config/mflux.yaml');
    const ignored = fs.readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.mflux-fixtures/', '.mflux-daemon/']));
  });
});

describe('defaults and resolution', () => {
  test('a single source gets every default', () => {
    const file = write('mflux.yaml', MIN);
    const dir = path.dirname(file);
    const c = loadConfig(file, {});
    expect(c).toEqual({
      file,
      stateDir: path.join(dir, '.mflux'),
      listen: { host: '127.0.0.1', port: 9797 },
      log: { level: 'info', format: 'json' },
      simulation: {},
      policy: { maxPrune: '20%', block: [] },
      sources: [{ name: 'app', repo: path.join(dir, 'repo'), ref: undefined, path: '', intervalMs: 60_000, timeoutMs: 300_000 }],
      warnings: [],
    });
  });

  test('simulation: cpuUtilization, a whole percentage of the CPU request', () => {
    expect(parseConfig(`simulation: {cpuUtilization: 80%}\n${MIN}`, F, {}).simulation).toEqual({ cpuUtilization: 80 });
    expect(parseConfig(`simulation: {cpuUtilization: 150}\n${MIN}`, F, {}).simulation).toEqual({ cpuUtilization: 150 });
    expect(() => parseConfig(`simulation: {cpuUtilization: lots}\n${MIN}`, F, {})).toThrow(/simulation\.cpuUtilization: invalid cpuUtilization "lots" \(use a whole percentage of the CPU request, e\.g\. 50%, from 0% to 10000%\)/);
  });

  test('simulation: podCompleteAfter and crashImages', () => {
    const c = parseConfig(`simulation: {podCompleteAfter: 2m, crashImages: ["*:crash", "bad/*"]}\n${MIN}`, F, {});
    expect(c.simulation).toEqual({ podCompleteAfterMs: 120_000, crashImages: ['*:crash', 'bad/*'] });
    expect(() => parseConfig(`simulation: {crashImages: "*:crash"}\n${MIN}`, F, {})).toThrow(/simulation\.crashImages: expected a list, got a string/);
  });

  test('everything set: values parsed, URLs kept, absolute paths kept', () => {
    const text = [
      'state: /var/lib/mflux',
      'listen: ":0"',
      'log: {level: debug, format: pretty}',
      'simulation: {podReadyAfter: 1m30s, podReadyJitter: 500ms, podTerminateAfter: 2s, failImages: ["*:broken"], failProbes: ["*:unready"]}',
      'policy: {maxPrune: 3, block: [RecreateDowntime, ZeroAvailability]}',
      'apiServer: {}',
      'sources:',
      '  - {name: a, repo: "https://git.example.com/org/repo.git", ref: v1.2.0, path: deploy/prod, interval: 1s, timeout: 10m}',
      '  - {name: b-2, repo: /srv/repo}',
    ].join('\n');
    const c = parseConfig(text, F, {});
    expect(c.stateDir).toBe('/var/lib/mflux');
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(c.log).toEqual({ level: 'debug', format: 'pretty' });
    expect(c.simulation).toEqual({ podReadyAfterMs: 90_000, podReadyJitterMs: 500, podTerminateAfterMs: 2000, failImages: ['*:broken'], failProbes: ['*:unready'] });
    expect(c.policy).toEqual({ maxPrune: 3, block: ['RecreateDowntime', 'ZeroAvailability'] });
    expect(c.apiServer).toEqual({ host: '127.0.0.1', port: 6443 });
    expect(c.sources).toEqual([
      { name: 'a', repo: 'https://git.example.com/org/repo.git', ref: 'v1.2.0', path: 'deploy/prod', intervalMs: 1000, timeoutMs: 600_000 },
      { name: 'b-2', repo: '/srv/repo', ref: undefined, path: '', intervalMs: 60_000, timeoutMs: 300_000 },
    ]);
  });

  test('an empty or comment-only file only lacks its sources', () => {
    expect(fails('')).toBe(`${F}: sources: at least one source is required`);
    expect(fails('# nothing yet\n')).toBe(`${F}: sources: at least one source is required`);
  });

  test('the relative file name is used in messages; the config dir resolves paths', () => {
    const file = write('sub/mflux.yaml', 'state: ../st\nsources: [{name: app, repo: ../r}]\n');
    const rel = path.relative(process.cwd(), file);
    const c = loadConfig(rel, {});
    expect(c.file).toBe(file);
    expect(c.stateDir).toBe(path.join(path.dirname(file), '../st'));
    expect(c.sources[0]!.repo).toBe(path.join(path.dirname(file), '../r'));
  });
});

describe('secrets', () => {
  test('passwordEnv resolves from the given env object; the secret appears in no message', () => {
    const text = 'sources:\n  - name: app\n    repo: https://git.example.com/r.git\n    auth: {username: git, passwordEnv: GIT_TOKEN}\n';
    const c = parseConfig(text, F, { GIT_TOKEN: 'hunter2-value' });
    expect(c.sources[0]!.credentials).toEqual({ username: 'git', password: 'hunter2-value' });
    // A later problem in the same file must not leak the resolved secret.
    const msg = fails(`${text}webhook: {secretFile: missing.txt}\n`, { GIT_TOKEN: 'hunter2-value' });
    expect(msg).toMatch(/^config\/mflux\.yaml: webhook\.secretFile: cannot read file .*missing\.txt: ENOENT$/);
    expect(msg).not.toContain('hunter2-value');
    expect(JSON.stringify(c.warnings)).not.toContain('hunter2-value');
  });

  test('an unset auth variable is an error naming the key and the variable', () => {
    const text = 'sources:\n  - name: app\n    repo: https://git.example.com/r.git\n    auth: {username: git, passwordEnv: GIT_TOKEN}\n';
    expect(fails(text, {})).toBe(`${F}: sources[0].auth.passwordEnv: environment variable GIT_TOKEN is not set`);
    expect(fails(text, { GIT_TOKEN: '' })).toBe(`${F}: sources[0].auth.passwordEnv: environment variable GIT_TOKEN is empty`);
  });

  test('tokenFile and webhook secretFile are read relative to the config file, one trailing newline dropped', () => {
    const file = write('mflux.yaml', 'webhook: {secretFile: hook.txt}\nsources:\n  - {name: app, repo: "https://h.example/r", auth: {tokenFile: secrets/token}}\n');
    const dir = path.dirname(file);
    fs.writeFileSync(path.join(dir, 'hook.txt'), 'hook-secret\n\n');
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets/token'), 'tok-123\n');
    const c = loadConfig(file, {});
    expect(c.webhookSecret).toBe('hook-secret\n');
    expect(c.sources[0]!.credentials).toEqual({ token: 'tok-123' });
    expect(c.warnings).toEqual([]);
  });

  test('an empty secret file is an error', () => {
    const file = write('mflux.yaml', `webhook: {secretFile: hook.txt}\n${MIN}`);
    fs.writeFileSync(path.join(path.dirname(file), 'hook.txt'), '\n');
    expect(() => loadConfig(file, {})).toThrow(`${file}: webhook.secretFile: file ${path.join(path.dirname(file), 'hook.txt')} is empty`);
  });

  test('a value that looks like a secret, not a variable name, is refused without being echoed', () => {
    const msg = fails('sources:\n  - {name: app, repo: "https://h.example/r", auth: {tokenEnv: "ghp-abc:def"}}\n');
    expect(msg).toBe(`${F}: sources[0].auth.tokenEnv: not a valid environment variable name (name the variable; do not put the secret here)`);
    expect(msg).not.toContain('ghp-abc');
  });

  test('credentials in a repo URL are refused (they belong in auth), without echoing them', () => {
    const msg = fails('sources: [{name: app, repo: "https://bob:pa55@h.example/r"}]\n');
    expect(msg).toBe(`${F}: sources[0].repo: do not put credentials in the URL; use auth with passwordEnv, passwordFile, tokenEnv or tokenFile`);
    expect(msg).not.toContain('pa55');
  });

  test('auth on a local repo is ignored with a warning', () => {
    const c = parseConfig('sources: [{name: app, repo: ./r, auth: {tokenEnv: T}}]\n', F, {});
    expect(c.sources[0]!.credentials).toBeUndefined();
    expect(c.warnings).toEqual(['sources[0].auth: ignored: the repo is a local path, not an http(s) URL']);
  });
});

describe('errors name the file and the key path', () => {
  test('invalid duration', () => {
    expect(fails('sources: [{name: app, repo: ./r, interval: 1x}]\n')).toBe(`${F}: sources[0].interval: invalid duration "1x" (use e.g. 30s, 1m, 1h30m)`);
    expect(fails('sources: [{name: app, repo: ./r, interval: 30}]\n')).toBe(`${F}: sources[0].interval: invalid duration 30 (use e.g. 30s, 1m, 1h30m)`);
    expect(fails('simulation: {podReadyAfter: soon}\n' + MIN)).toBe(`${F}: simulation.podReadyAfter: invalid duration "soon" (use e.g. 30s, 1m, 1h30m)`);
  });

  test('interval below 1s and a zero timeout', () => {
    expect(fails('sources: [{name: app, repo: ./r, interval: 500ms, timeout: 0s}]\n')).toBe(
      [`${F}: sources[0].interval: must be at least 1s`, `${F}: sources[0].timeout: must be greater than 0s`].join('\n'),
    );
  });

  test('duplicate source name', () => {
    expect(fails('sources: [{name: app, repo: ./a}, {name: app, repo: ./b}]\n')).toBe(`${F}: sources[1].name: duplicate source name "app" (also sources[0])`);
  });

  test('no sources', () => {
    expect(fails('sources: []\n')).toBe(`${F}: sources: at least one source is required`);
    expect(fails('listen: 127.0.0.1:9797\n')).toBe(`${F}: sources: at least one source is required`);
    expect(fails('sources: {name: app}\n')).toBe(`${F}: sources: expected a list of sources, got a mapping`);
  });

  test('unknown keys, at any depth', () => {
    expect(fails('sources: [{name: app, repo: ./r, intervall: 1m}]\n')).toBe(`${F}: sources[0]: unknown key "intervall"`);
    expect(fails(`${MIN}sorces: []\n`)).toBe(`${F}: unknown key "sorces"`);
    expect(fails(`log: {levle: debug}\n${MIN}`)).toBe(`${F}: log: unknown key "levle"`);
    expect(fails('sources: [{name: app, repo: "https://h.example/r", auth: {tokenEnv: T, user: me}}]\n')).toBe(`${F}: sources[0].auth: unknown key "user"`);
  });

  test('required keys and wrong types', () => {
    expect(fails('sources: [{repo: ./r}]\n')).toBe(`${F}: sources[0].name: required`);
    expect(fails('sources: [{name: app}]\n')).toBe(`${F}: sources[0].repo: required`);
    expect(fails(`simulation: {failImages: "*:broken"}\n${MIN}`)).toBe(`${F}: simulation.failImages: expected a list, got a string`);
    expect(fails(`simulation: {failProbes: "*:unready"}\n${MIN}`)).toBe(`${F}: simulation.failProbes: expected a list, got a string`);
    expect(fails(`log: debug\n${MIN}`)).toBe(`${F}: log: expected a mapping, got a string`);
    expect(fails('- name: app\n')).toBe(`${F}: expected a mapping at the top level, got a list`);
  });

  test('invalid source names', () => {
    expect(fails('sources: [{name: My_App, repo: ./r}]\n')).toBe(
      `${F}: sources[0].name: invalid name "My_App": use lowercase letters, digits and "-", starting and ending with a letter or digit`,
    );
    expect(fails(`sources: [{name: ${'a'.repeat(64)}, repo: ./r}]\n`)).toBe(`${F}: sources[0].name: invalid name "${'a'.repeat(64)}": at most 63 characters`);
  });

  test('webhook needs exactly one of secretEnv or secretFile', () => {
    expect(fails(`webhook: {}\n${MIN}`)).toBe(`${F}: webhook: set exactly one of secretEnv or secretFile`);
    expect(fails(`webhook: {secretEnv: A, secretFile: b}\n${MIN}`)).toBe(`${F}: webhook: set exactly one of secretEnv or secretFile`);
  });

  test('auth needs exactly one secret reference', () => {
    expect(fails('sources: [{name: app, repo: "https://h.example/r", auth: {username: git}}]\n')).toBe(
      `${F}: sources[0].auth: set exactly one of passwordEnv, passwordFile, tokenEnv or tokenFile`,
    );
  });

  test('bad listen addresses', () => {
    expect(fails(`listen: 127.0.0.1\n${MIN}`)).toBe(`${F}: listen: invalid address "127.0.0.1": expected host:port, e.g. 127.0.0.1:9797`);
    expect(fails(`listen: 127.0.0.1:70000\n${MIN}`)).toBe(`${F}: listen: invalid address "127.0.0.1:70000": the port must be a number from 0 to 65535`);
    expect(fails(`listen: "::1:80"\n${MIN}`)).toBe(`${F}: listen: invalid address "::1:80": put an IPv6 host in brackets, e.g. [::1]:9797`);
    expect(fails(`listen: 9797\n${MIN}`)).toBe(`${F}: listen: invalid address 9797: expected host:port as a string, e.g. 127.0.0.1:9797`);
    expect(fails(`apiServer: {listen: "bad host:1"}\n${MIN}`)).toBe(`${F}: apiServer.listen: invalid address "bad host:1": "bad host" is not a host name or IP address`);
  });

  test('bad maxPrune and unknown block codes', () => {
    expect(fails(`policy: {maxPrune: lots}\n${MIN}`)).toBe(`${F}: policy.maxPrune: invalid value "lots" (use a count like 5 or a percentage like 20%)`);
    expect(fails(`policy: {maxPrune: -1}\n${MIN}`)).toBe(`${F}: policy.maxPrune: invalid value -1 (use a count like 5 or a percentage like 20%)`);
    expect(fails(`policy: {block: [RecreateDowntime, Downtime]}\n${MIN}`)).toBe(
      `${F}: policy.block[1]: unknown impact code "Downtime" (use RecreateDowntime, ZeroAvailability, DoubleCapacity, ReplicasManagedByHPA)`,
    );
  });

  test('bad log level, unsupported repos, paths outside the repository', () => {
    expect(fails(`log: {level: verbose}\n${MIN}`)).toBe(`${F}: log.level: invalid level "verbose" (use error, warn, info, debug)`);
    expect(fails('sources: [{name: app, repo: "git@github.com:org/repo.git"}]\n')).toBe(`${F}: sources[0].repo: only local paths and http(s) URLs are supported`);
    expect(fails('sources: [{name: app, repo: ./r, path: ../up}]\n')).toBe(
      `${F}: sources[0].path: "../up" must be a relative path inside the repository (no leading "/", no "..")`,
    );
  });

  test('several problems: all reported, one per line, each naming the file', () => {
    const msg = fails('listen: nope\nsources:\n  - {name: app, repo: ./a, interval: 1x}\n  - {name: app, repo: ./b, intervall: 1m}\n');
    expect(msg.split('\n')).toEqual([
      `${F}: listen: invalid address "nope": expected host:port, e.g. 127.0.0.1:9797`,
      `${F}: sources[0].interval: invalid duration "1x" (use e.g. 30s, 1m, 1h30m)`,
      `${F}: sources[1]: unknown key "intervall"`,
      `${F}: sources[1].name: duplicate source name "app" (also sources[0])`,
    ]);
  });

  test('YAML syntax errors carry a 1-based line and column', () => {
    expect(fails('sources:\n  - name: app\n    repo: [./r\n')).toBe(`${F}:4:1: YAML syntax error: deficient indentation`);
    expect(fails('a: 1\na: 2\n')).toBe(`${F}:2:1: YAML syntax error: duplicated mapping key`);
  });

  test('a missing file', () => {
    const missing = path.join(TMP, 'nope.yaml');
    try {
      loadConfig(missing, {});
      expect.unreachable();
    } catch (err) {
      expect(isMfluxError(err, 'ConfigInvalid')).toBe(true);
      expect((err as Error).message).toBe(`${missing}: cannot read file: ENOENT`);
    }
  });
});

describe('parseListen', () => {
  test('host:port, bracketed IPv6, and :port meaning loopback', () => {
    expect(parseListen('127.0.0.1:9797', '--listen')).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(parseListen('[::1]:80', '--listen')).toEqual({ host: '::1', port: 80 });
    expect(parseListen(':9797', '--listen')).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(parseListen('localhost:0', '--listen')).toEqual({ host: 'localhost', port: 0 });
  });

  test('malformed addresses are Usage errors naming the subject', () => {
    expect(() => parseListen('9797', '--listen')).toThrow('--listen: invalid address "9797": expected host:port, e.g. 127.0.0.1:9797');
    expect(() => parseListen('[nope]:1', '--listen')).toThrow('--listen: invalid address "[nope]:1": "nope" is not an IPv6 address');
    try {
      parseListen('x', '--listen');
      expect.unreachable();
    } catch (err) {
      expect(isMfluxError(err, 'Usage')).toBe(true);
    }
  });
});

describe('configJSONSchema', () => {
  test('describes the file format, with sources required and strict objects', () => {
    const schema = configJSONSchema() as any;
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.title).toBe('mini-flux daemon configuration');
    expect(typeof schema.description).toBe('string');
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['sources']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.sources.type).toBe('array');
    expect(schema.properties.sources.minItems).toBe(1);
    const source = schema.properties.sources.items;
    expect(source.required).toEqual(['name', 'repo']);
    expect(source.additionalProperties).toBe(false);
    expect(source.properties.interval.default).toBe('1m');
    expect(source.properties.name.pattern).toBe('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$');
    expect(schema.properties.log.properties.level.enum).toEqual(['error', 'warn', 'info', 'debug']);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  test('the example uses only keys the schema knows', () => {
    const schema = configJSONSchema() as any;
    const example = loadConfig(EXAMPLE, {});
    expect(example.sources.length).toBeGreaterThan(0);
    const text = fs.readFileSync(EXAMPLE, 'utf8');
    const topKeys = [...text.matchAll(/^([A-Za-z]+):/gm)].map((m) => m[1]!);
    expect(topKeys.length).toBeGreaterThan(3);
    for (const k of topKeys) expect(Object.keys(schema.properties)).toContain(k);
    for (const k of ['state', 'listen', 'log', 'simulation', 'policy', 'webhook', 'apiServer', 'sources']) expect(schema.properties).toHaveProperty(k);
  });
});
