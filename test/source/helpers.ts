/** Test helpers for the Git source: real repositories built with the git CLI, and git's own smart-HTTP server. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { isMfluxError, type MfluxError } from '../../src/core/errors.js';

/** tempDir makes a fresh directory under the OS temp dir. */
export function tempDir(prefix = 'mflux-source-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * tempDirs hands out fresh temp dirs and removes them all after the file's tests (call it at the
 * top level of a test file).
 */
export function tempDirs(): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
}

let tick = 0;
const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada Author',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Cody Committer',
  GIT_COMMITTER_EMAIL: 'cody@example.com',
};

/** git runs the git CLI in `cwd`; every commit gets a fresh, increasing, fixed date. */
export function git(cwd: string, ...args: string[]): string {
  const date = `${1_700_000_000 + ++tick * 60} +0000`;
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** initRepo creates a work repository with branch main. */
export function initRepo(dir: string = tempDir()): string {
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  return dir;
}

/** writeFiles writes (string) or deletes (null) files below dir; a `{ link }` value makes a symlink. */
export function writeFiles(dir: string, files: Record<string, string | null | { link: string }>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    if (content === null) {
      fs.rmSync(p, { recursive: true, force: true });
      continue;
    }
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.rmSync(p, { force: true });
    if (typeof content === 'string') fs.writeFileSync(p, content);
    else fs.symlinkSync(content.link, p);
  }
}

/** commit writes the files, stages everything and commits; returns the new commit's SHA. */
export function commit(dir: string, message: string, files: Record<string, string | null | { link: string }> = {}): string {
  writeFiles(dir, files);
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** listFilesRecursive returns every file below dir (for grepping a state dir). */
export function listFilesRecursive(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFilesRecursive(p) : e.isFile() ? [p] : [];
  });
}

/** filesContaining lists the files below dir whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const n = Buffer.from(needle);
  return listFilesRecursive(dir).filter((f) => fs.readFileSync(f).includes(n));
}

/** ServerAuth makes the server demand credentials. */
export type ServerAuth = { basic: { username: string; password: string } } | { bearer: string };

/** GitServer is a running `git http-backend` behind node:http on 127.0.0.1. */
export interface GitServer {
  /** url is the base URL; repositories are `${url}/<name>.git`. */
  url: string;
  port: number;
  /** requests logs method and path+query of every request received. */
  requests: { method: string; url: string }[];
  /** mode switches behaviour: 'ok' serves, 'fail' answers 500, 'hang' never answers. */
  mode: 'ok' | 'fail' | 'hang';
  close(): Promise<void>;
}

/**
 * startGitServer serves the bare repositories under `root` with git's own smart-HTTP server:
 * `git http-backend` run as a CGI per request (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL,
 * PATH_INFO, QUERY_STRING, REQUEST_METHOD, CONTENT_TYPE, CONTENT_LENGTH, REMOTE_USER…), the
 * request body piped to it and its CGI answer (Status + headers, then the body) relayed.
 */
export async function startGitServer(root: string, opts: { auth?: ServerAuth } = {}): Promise<GitServer> {
  const hanging = new Set<http.ServerResponse>();
  const state: GitServer = {
    url: '',
    port: 0,
    requests: [],
    mode: 'ok',
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    state.requests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (state.mode === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
      return;
    }
    let remoteUser = '';
    if (opts.auth) {
      const header = req.headers.authorization ?? '';
      let ok = false;
      if ('basic' in opts.auth) {
        const expected = `Basic ${Buffer.from(`${opts.auth.basic.username}:${opts.auth.basic.password}`).toString('base64')}`;
        ok = header === expected;
        remoteUser = opts.auth.basic.username;
      } else {
        ok = header === `Bearer ${opts.auth.bearer}`;
        remoteUser = 'token';
      }
      if (!ok) {
        res.writeHead(401, { 'www-authenticate': 'basic' in opts.auth ? 'Basic realm="git"' : 'Bearer realm="git"', 'content-type': 'text/plain' });
        res.end('authentication required');
        return;
      }
    }
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: remoteUser,
      REMOTE_ADDR: '127.0.0.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let sep = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        sep = 2;
      }
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      let statusText = 'OK';
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') {
          status = Number(v.split(' ')[0]);
          statusText = v.split(' ').slice(1).join(' ') || statusText;
        } else headers[k] = v;
      }
      res.writeHead(status, statusText, headers);
      res.write(head.subarray(end + sep));
    });
    child.stdout.on('end', () => {
      if (!headersDone) res.writeHead(502);
      res.end();
    });
    child.on('error', () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}

/** closedPort returns a port on 127.0.0.1 that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** makeRemote creates `<root>/<name>.git` (bare) and a work clone pushing to it; returns both paths. */
export function makeRemote(root: string, name = 'repo'): { bare: string; work: string } {
  const bare = path.join(root, `${name}.git`);
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  const work = initRepo(path.join(root, `${name}-work`));
  git(work, 'remote', 'add', 'origin', bare);
  return { bare, work };
}

/** caught awaits a promise that must reject with an MfluxError and returns that error. */
export async function caught(p: Promise<unknown>): Promise<MfluxError> {
  try {
    await p;
  } catch (err) {
    if (isMfluxError(err)) return err;
    throw err;
  }
  throw new Error('expected an MfluxError');
}
