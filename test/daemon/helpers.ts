/** Test helpers for the daemon: the real `mflux daemon` process on 127.0.0.1, its JSON logs, and HTTP against it. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PassLogLine } from '../../src/daemon/index.js';
import { REPO_ROOT } from '../cli/helpers.js';

const MAIN = path.join(REPO_ROOT, 'dist/src/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** ensureBuilt compiles the project when dist/ is missing or older than src/ (the daemon runs as a real process from dist/). */
export function ensureBuilt(): void {
  const built = fs.existsSync(MAIN) ? fs.statSync(MAIN).mtimeMs : 0;
  if (built === 0 || newestMtime(path.join(REPO_ROOT, 'src')) > built) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
    fs.utimesSync(MAIN, new Date(), new Date());
  }
}

/** LogLine is one JSON log line of the daemon (pass lines carry every PassLogLine field). */
export type LogLine = Partial<PassLogLine> & { level: string; message: string; [k: string]: unknown };

/** DaemonProcess is a running daemon. */
export interface DaemonProcess {
  proc: ChildProcess;
  url: string;
  /** lines: every JSON log line so far. */
  lines: LogLine[];
  /** raw: all of stderr so far. */
  raw(): string;
  /** passes: the log lines of finished passes (they carry an outcome), optionally of one source. */
  passes(source?: string): LogLine[];
  get(p: string): Promise<{ status: number; text: string; json(): any; headers: Headers }>;
  post(p: string, body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  /** stop sends a signal and waits for the exit: code and milliseconds taken. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** until polls `check` (every 50 ms) until it returns a truthy value, or fails after `ms` with `what` and the daemon's log. */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 20_000, d?: DaemonProcess): Promise<NonNullable<T>> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${d ? `\n--- daemon log ---\n${d.raw().slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** exitOf waits for a process to exit. */
function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

const running = new Set<ChildProcess>();

/** killAll kills every daemon still running (afterAll). */
export function killAll(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

/** startDaemon writes the config to `dir/mflux.yaml`, starts `mflux daemon --config` on it and waits for its address. */
export async function startDaemon(dir: string, config: string, env: Record<string, string> = {}): Promise<DaemonProcess> {
  const file = path.join(dir, 'mflux.yaml');
  fs.writeFileSync(file, config);
  const proc = spawn(process.execPath, [MAIN, 'daemon', '--config', file], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let stderr = '';
  let partial = '';
  const lines: LogLine[] = [];
  proc.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    partial += c.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      try {
        lines.push(JSON.parse(l));
      } catch {
        // Not a log line (a crash's stack): kept in raw().
      }
    }
  });
  proc.stdout!.resume();
  const d: DaemonProcess = {
    proc,
    url: '',
    lines,
    raw: () => stderr,
    passes: (source) => lines.filter((l) => l.outcome !== undefined && l.outcome !== 'Waiting' && (!source || l.source === source)),
    async get(p) {
      const r = await fetch(`${d.url}${p}`);
      const text = await r.text();
      return { status: r.status, text, json: () => JSON.parse(text), headers: r.headers };
    },
    async post(p, body, headers = {}) {
      const r = await fetch(`${d.url}${p}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
      return { status: r.status, text: await r.text() };
    },
    async stop(signal = 'SIGTERM') {
      const t0 = performance.now();
      const exited = exitOf(proc);
      proc.kill(signal);
      const r = await exited;
      return { ...r, ms: performance.now() - t0 };
    },
  };
  const early = exitOf(proc).then((r) => {
    throw new Error(`daemon exited early (${r.code ?? r.signal}):\n${stderr}`);
  });
  early.catch(() => undefined);
  d.url = await Promise.race([until('the daemon to listen', () => lines.find((l) => typeof l.url === 'string')?.url as string | undefined, 20_000), early]);
  return d;
}

/** sourceStatus reads one source from GET /status. */
export async function sourceStatus(d: DaemonProcess, name: string): Promise<any> {
  const doc = (await d.get('/status')).json();
  return doc.sources.find((s: any) => s.name === name);
}
