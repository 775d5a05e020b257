/**
 * bench:daemon — a load test of the real daemon process (`mflux daemon --config F`, a child
 * process): 100 local Git repositories of 100 objects each (20 Deployments × 1 replica, 20
 * Services, 60 ConfigMaps; names prefixed with the source so all share namespace default of one
 * simulated cluster, pods ready after 2 s), polled every 5 s and watched for ref moves, while
 * commits land continuously for 2 minutes (one every ~250 ms on a random source — seeded — each
 * changing one Deployment's image tag).
 *
 * Measured from the daemon's JSON log (stderr) and its HTTP surface: the initial sync of every
 * source (until /readyz answers 200); every pass by outcome and trigger; schedule lateness (how
 * late a pass started vs when it was due, `latenessMs`); commit-to-ready of Applied passes
 * (`commitToReadyMs`: commit author time — whole seconds, so up to 1 s high — to every rollout
 * healthy; the daemon reports it only for commits that land while it watches, not for a
 * source's first pass); RSS right after ready and after the load (/metrics); that every source converges to
 * its repository's HEAD within 60 s of the last commit (/status); and SIGTERM-to-exit.
 * Targets: no pass later than one interval (max lateness < 5 s); RSS growth < 50 MB; SIGTERM exits
 * with code 0 in < 10 s.
 *
 * Flags: --sources N --objects N --seconds N --interval 5s --commit-every MS --seed N --keep.
 * Exit 1 only when something broke (the daemon died, never became ready or did not converge),
 * printing the daemon's last 30 stderr lines; a missed target is reported, not an error.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PassLogLine } from '../src/daemon/index.js';

/** BenchOptions are the knobs the flags set. */
export interface BenchOptions {
  sources: number;
  objects: number;
  seconds: number;
  interval: string;
  commitEveryMs: number;
  seed: number;
  keep: boolean;
}

const MAIN_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
const CONVERGE_MS = 60_000;
const READY_TIMEOUT_MS = 600_000;
const TAIL_LINES = 30;

/** parseArgs reads the flags; defaults are the full run (100 sources × 100 objects, 120 s, interval 5s). */
export function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { sources: 100, objects: 100, seconds: 120, interval: '5s', commitEveryMs: 250, seed: 42, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--sources') o.sources = Math.floor(num());
    else if (a === '--objects') o.objects = Math.floor(num());
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--commit-every') o.commitEveryMs = num();
    else if (a === '--seed') o.seed = Math.floor(num());
    else if (a === '--interval') o.interval = argv[++i] ?? '';
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown flag ${a} (use --sources N --objects N --seconds N --interval 5s --commit-every MS --seed N --keep)`);
  }
  if (o.objects < 3) throw new Error('--objects must be at least 3 (a Deployment, a Service and a ConfigMap)');
  if (!/^\d+(ms|s|m)$/.test(o.interval)) throw new Error(`--interval ${o.interval}: use e.g. 5s`);
  return o;
}

/** intervalMs reads the simple durations --interval accepts (500ms, 5s, 1m). */
function intervalMs(d: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(d)!;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** mulberry32 is a small seeded PRNG, so a run picks the same sources and Deployments each time. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** git runs a git command in dir (no automatic gc) and resolves to its stdout. */
function git(dir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-c', 'gc.auto=0', ...args], { cwd: dir, env: GIT_ENV, encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} in ${dir}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** pool runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Shape is how one repository's objects split: 20% Deployments, 20% Services, the rest ConfigMaps. */
interface Shape {
  deployments: number;
  services: number;
  configMaps: number;
}

function shapeOf(objects: number): Shape {
  const deployments = Math.max(1, Math.round(objects * 0.2));
  const services = Math.max(1, Math.round(objects * 0.2));
  return { deployments, services, configMaps: Math.max(1, objects - deployments - services) };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** PER_FILE objects per YAML file (multi-document), so a repository is a few files. */
const PER_FILE = 10;

function deploymentDoc(src: string, k: number, minor: number): string {
  const name = `${src}-d${pad(k)}`;
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  labels: {app: ${name}}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.${minor}\n          ports:\n            - containerPort: 80\n`;
}

function serviceDoc(src: string, k: number, deployments: number): string {
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${src}-svc${pad(k)}\nspec:\n  selector: {app: ${src}-d${pad(k % deployments)}}\n  ports:\n    - port: 80\n      targetPort: 80\n`;
}

function configMapDoc(src: string, k: number): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${src}-cm${pad(k)}\ndata:\n  LOG_LEVEL: info\n  INDEX: "${k}"\n`;
}

/** Repo is one generated repository and the image minor version of each of its Deployments. */
interface Repo {
  name: string;
  dir: string;
  shape: Shape;
  minors: number[];
  head: string;
}

/** writeDeploymentFile rewrites the file holding Deployment k (each file holds PER_FILE of them). */
function writeDeploymentFile(r: Repo, k: number): string {
  const f = Math.floor(k / PER_FILE);
  const docs: string[] = [];
  for (let i = f * PER_FILE; i < Math.min((f + 1) * PER_FILE, r.shape.deployments); i++) docs.push(deploymentDoc(r.name, i, r.minors[i]!));
  const file = `deployments-${f}.yaml`;
  fs.writeFileSync(path.join(r.dir, file), docs.join('---\n'));
  return file;
}

/** createRepo writes the repository's files and makes its one initial commit on main. */
async function createRepo(r: Repo): Promise<void> {
  fs.mkdirSync(r.dir, { recursive: true });
  await git(r.dir, 'init', '-q', '-b', 'main');
  for (let k = 0; k < r.shape.deployments; k += PER_FILE) writeDeploymentFile(r, k);
  const chunks = (n: number, doc: (k: number) => string, prefix: string) => {
    for (let f = 0; f * PER_FILE < n; f++) {
      const docs: string[] = [];
      for (let k = f * PER_FILE; k < Math.min((f + 1) * PER_FILE, n); k++) docs.push(doc(k));
      fs.writeFileSync(path.join(r.dir, `${prefix}-${f}.yaml`), docs.join('---\n'));
    }
  };
  chunks(r.shape.services, (k) => serviceDoc(r.name, k, r.shape.deployments), 'services');
  chunks(r.shape.configMaps, (k) => configMapDoc(r.name, k), 'configmaps');
  await git(r.dir, 'add', '-A');
  await git(r.dir, 'commit', '-q', '-m', `${r.name}: ${r.shape.deployments + r.shape.services + r.shape.configMaps} objects`);
  r.head = (await git(r.dir, 'rev-parse', 'HEAD')).trim();
}

/** LogLine is one JSON line of the daemon's log (winston json); pass lines carry every PassLogLine field. */
type LogLine = Partial<PassLogLine> & { level: string; message: string; url?: string };

/** DaemonProcess follows a running daemon: its log lines, pass lines, and whether it is still alive. */
class DaemonProcess {
  readonly tail: string[] = [];
  readonly nonJson: string[] = [];
  readonly passes: LogLine[] = [];
  readonly levels = new Map<string, number>();
  /** problems gathers warn/error messages (source and revision stripped) with their counts. */
  readonly problems = new Map<string, number>();
  url?: string;
  exit?: { code: number | null; signal: NodeJS.Signals | null; at: number };
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private urlWaiters: (() => void)[] = [];

  private readonly log: fs.WriteStream;
  private readonly started = performance.now();

  /** constructor starts `mflux daemon --config config`, copying its stderr to logFile. */
  constructor(config: string, logFile: string) {
    this.log = fs.createWriteStream(logFile);
    this.child = spawn(process.execPath, [MAIN_JS, 'daemon', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal, at: performance.now() };
        for (const w of this.urlWaiters) w();
        resolve();
      });
    });
    readline.createInterface({ input: this.child.stderr! }).on('line', (l) => this.line(l));
    readline.createInterface({ input: this.child.stdout! }).on('line', (l) => this.keep(`stdout: ${l}`));
  }

  private keep(l: string): void {
    this.tail.push(l);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private line(l: string): void {
    this.keep(l);
    this.log.write(`${l}\n`);
    let j: LogLine;
    try {
      j = JSON.parse(l) as LogLine;
      if (typeof j !== 'object' || j === null || typeof j.level !== 'string') throw new Error('not a log line');
    } catch {
      this.nonJson.push(`[+${((performance.now() - this.started) / 1000).toFixed(1)} s] ${l}`);
      return;
    }
    this.levels.set(j.level, (this.levels.get(j.level) ?? 0) + 1);
    if (j.level === 'warn' || j.level === 'error') {
      const key = `${j.level}: ${j.message}`.replace(/[0-9a-f]{40}/g, '<sha>').slice(0, 200);
      this.problems.set(key, (this.problems.get(key) ?? 0) + 1);
    }
    if (this.url === undefined && typeof j.url === 'string') {
      this.url = j.url;
      for (const w of this.urlWaiters) w();
    }
    if (typeof j.outcome === 'string' && typeof j.trigger === 'string' && typeof j.latenessMs === 'number') this.passes.push(j);
  }

  /** waitUrl resolves to the URL the daemon serves (from its first info line), or throws if it exits or takes over `ms`. */
  async waitUrl(ms: number): Promise<string> {
    const deadline = performance.now() + ms;
    while (this.url === undefined) {
      if (this.exit) throw new Error(`the daemon exited (code ${this.exit.code}, signal ${this.exit.signal}) before serving`);
      if (performance.now() > deadline) throw new Error(`no URL in the daemon's log after ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.urlWaiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
      this.urlWaiters = [];
    }
    return this.url;
  }

  /** alive throws when the daemon has exited. */
  alive(): void {
    if (this.exit) throw new Error(`the daemon died (code ${this.exit.code}, signal ${this.exit.signal})`);
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** deadline resolves after `ms` without keeping the process alive (for races against the daemon's exit). */
const deadline = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, text: await res.text() };
}

/** rss reads mflux_process_resident_memory_bytes from /metrics. */
async function rss(url: string): Promise<number> {
  const { text } = await get(`${url}/metrics`);
  const m = /^mflux_process_resident_memory_bytes\s+(\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(text);
  if (!m) throw new Error('no mflux_process_resident_memory_bytes in /metrics');
  return Number(m[1]);
}

/** quantiles gives p50, p99 and max (nearest rank) of a list; undefined when empty. */
export function quantiles(xs: number[]): { p50: number; p99: number; max: number; n: number } | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1]!, n: s.length };
}

const fmtQ = (q: ReturnType<typeof quantiles>) => (q ? `p50 ${q.p50} ms, p99 ${q.p99} ms, max ${q.max} ms (n=${q.n})` : 'none');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const counts = (xs: string[]) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
};

interface StatusDoc {
  ready: boolean;
  sources: { name: string; lastAppliedRevision: string | null; lastAttemptedRevision: string | null; outcome: string | null; reason: string | null }[];
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const shape = shapeOf(o.objects);
  const objects = shape.deployments + shape.services + shape.configMaps;
  const width = Math.max(3, String(o.sources - 1).length);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-bench-daemon-'));
  const repos: Repo[] = Array.from({ length: o.sources }, (_, i) => {
    const name = `s${pad(i, width)}`;
    return { name, dir: path.join(work, 'repos', name), shape, minors: Array.from({ length: shape.deployments }, (_, k) => k), head: '' };
  });
  let daemon: DaemonProcess | undefined;
  let failed = false;
  try {
    const tGen = performance.now();
    await pool(repos, 8, createRepo);
    const genS = (performance.now() - tGen) / 1000;

    const config = path.join(work, 'mflux.yaml');
    fs.writeFileSync(
      config,
      [
        `state: ${JSON.stringify(path.join(work, 'state'))}`,
        'listen: 127.0.0.1:0',
        'log: {level: debug, format: json}',
        'simulation: {podReadyAfter: 2s}',
        'sources:',
        ...repos.map((r) => `  - {name: ${r.name}, repo: ${JSON.stringify(r.dir)}, ref: main, interval: ${o.interval}, timeout: 2m}`),
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [MAIN_JS, 'config', 'check', '--config', config], (err, _out, stderr) => (err ? reject(new Error(`mflux config check: ${stderr}`)) : resolve())),
    );
    console.log(`bench:daemon ${o.sources} sources × ${objects} objects (${shape.deployments} Deployments × 1 replica, ${shape.services} Services, ${shape.configMaps} ConfigMaps), interval ${o.interval}, ${o.seconds} s of commits every ~${o.commitEveryMs} ms (node ${process.version}, ${os.cpus().length} cores)`);
    console.log(`  ${o.sources} repositories generated in ${genS.toFixed(1)} s under ${work}`);

    // Start the daemon and wait for every source's first pass.
    const t0 = performance.now();
    daemon = new DaemonProcess(config, path.join(work, 'daemon.log'));
    const commitLog = fs.createWriteStream(path.join(work, 'commits.tsv'));
    const url = await daemon.waitUrl(30_000);
    let ready = false;
    while (!ready) {
      daemon.alive();
      if (performance.now() - t0 > READY_TIMEOUT_MS) throw new Error(`/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
      ready = (await get(`${url}/readyz`).catch(() => ({ status: 0 }))).status === 200;
      if (!ready) await sleep(250);
    }
    const initialS = (performance.now() - t0) / 1000;
    const passesAtReady = daemon.passes.length;
    const rssStart = await rss(url);
    let rssPeak = rssStart;
    console.log(`  daemon at ${url}; ready (initial sync of ${o.sources * objects} objects) after ${initialS.toFixed(1)} s; RSS ${mb(rssStart)}`);

    // Land commits: one every commitEveryMs on a random source, each bumping one Deployment's image.
    const random = mulberry32(o.seed);
    const tLoad = performance.now();
    const end = tLoad + o.seconds * 1000;
    let commits = 0;
    let nextMinor = shape.deployments;
    let lastRssSample = tLoad;
    for (let i = 0; ; i++) {
      const due = tLoad + i * o.commitEveryMs;
      if (due >= end) break;
      if (due > performance.now()) await sleep(due - performance.now());
      daemon.alive();
      const r = repos[Math.floor(random() * repos.length)]!;
      const k = Math.floor(random() * shape.deployments);
      r.minors[k] = nextMinor++;
      const file = writeDeploymentFile(r, k);
      await git(r.dir, 'commit', '-q', '-am', `${r.name}-d${pad(k)}: image nginx:1.${r.minors[k]} (${file})`);
      commits++;
      commitLog.write(`${new Date().toISOString()}\t${r.name}\t${(await git(r.dir, 'rev-parse', 'HEAD')).trim()}\t${r.name}-d${pad(k)}\n`);
      if (performance.now() - lastRssSample >= 10_000) {
        lastRssSample = performance.now();
        rssPeak = Math.max(rssPeak, await rss(url));
      }
    }
    const loadS = (performance.now() - tLoad) / 1000;
    for (const r of repos) r.head = (await git(r.dir, 'rev-parse', 'HEAD')).trim();

    // Convergence: every source's lastAppliedRevision is its repository's HEAD.
    const tConv = performance.now();
    let behind: StatusDoc['sources'] = [];
    for (;;) {
      daemon.alive();
      const st = JSON.parse((await get(`${url}/status`)).text) as StatusDoc;
      const want = new Map(repos.map((r) => [r.name, `main@sha1:${r.head}`]));
      behind = st.sources.filter((s) => s.lastAppliedRevision !== want.get(s.name));
      if (behind.length === 0) break;
      if (performance.now() - tConv > CONVERGE_MS) {
        for (const s of behind.slice(0, 10)) console.log(`  not converged: ${s.name} applied ${s.lastAppliedRevision} attempted ${s.lastAttemptedRevision} outcome ${s.outcome} ${s.reason ?? ''} (HEAD ${want.get(s.name)})`);
        throw new Error(`${behind.length} source(s) not at HEAD ${CONVERGE_MS / 1000} s after the last commit`);
      }
      await sleep(1000);
    }
    const convergeS = (performance.now() - tConv) / 1000;
    const rssEnd = await rss(url);
    rssPeak = Math.max(rssPeak, rssEnd);

    // SIGTERM: how long until the process has exited, and with what code.
    const tTerm = performance.now();
    daemon.kill('SIGTERM');
    const exitedInTime = await Promise.race([daemon.exited.then(() => true), deadline(30_000).then(() => false)]);
    if (!exitedInTime) {
      daemon.kill('SIGKILL');
      await daemon.exited;
    }
    const termMs = daemon.exit!.at - tTerm;
    const exitCode = exitedInTime ? daemon.exit!.code : null;

    // Results.
    const passes = daemon.passes;
    const loadPasses = passes.slice(passesAtReady);
    const lateness = quantiles(passes.map((p) => p.latenessMs!));
    // A first pass's commit was made before the daemon started, so its commit-to-ready includes the setup: shown apart.
    const applied = passes.filter((p) => p.outcome === 'Applied' && typeof p.commitToReadyMs === 'number');
    const c2r = quantiles(applied.map((p) => p.commitToReadyMs!));
    const dur = quantiles(loadPasses.filter((p) => typeof p.durationMs === 'number').map((p) => p.durationMs!));
    const lateByTrigger = [...new Set(passes.map((p) => p.trigger!))]
      .map((t) => `${t} ${quantiles(passes.filter((p) => p.trigger === t).map((p) => p.latenessMs!))!.max}`)
      .join(', ');
    const worst = [...passes].sort((a, b) => b.latenessMs! - a.latenessMs!)[0];
    const growth = rssEnd - rssStart;
    const maxLate = lateness?.max ?? 0;
    const iv = intervalMs(o.interval);
    console.log(`  commits landed     : ${commits} in ${loadS.toFixed(1)} s (${(commits / loadS).toFixed(1)}/s); all ${o.sources} sources at HEAD ${convergeS.toFixed(1)} s after the last`);
    console.log(`  passes run         : ${passes.length} (${passesAtReady} until ready) — by outcome: ${counts(passes.map((p) => p.outcome!))}`);
    console.log(`                       by trigger: ${counts(passes.map((p) => p.trigger!))}; Applied by trigger: ${counts(passes.filter((p) => p.outcome === 'Applied').map((p) => p.trigger!))}`);
    console.log(`  schedule lateness  : ${fmtQ(lateness)}; max by trigger: ${lateByTrigger}`);
    if (worst) console.log(`                       latest pass: ${worst.source} ${worst.trigger} ${worst.outcome} at ${worst.timestamp} late ${worst.latenessMs} ms, took ${worst.durationMs ?? '?'} ms`);
    console.log(`  pass duration      : ${fmtQ(dur)} (after ready)`);
    console.log(`  commit-to-ready    : ${fmtQ(c2r)} — commits landed under load`);
    console.log(`  initial sync       : ${initialS.toFixed(1)} s`);
    console.log(`  RSS                : ${mb(rssStart)} at ready → ${mb(rssEnd)} at end (growth ${growth >= 0 ? '+' : ''}${mb(growth)}; peak sampled ${mb(rssPeak)})`);
    console.log(`  SIGTERM to exit    : ${termMs.toFixed(0)} ms, ${exitedInTime ? `exit code ${exitCode}` : 'did not exit within 30 s (killed)'}`);
    console.log(`  log lines          : ${counts([...daemon.levels].flatMap(([l, n]) => Array<string>(n).fill(l)))}${daemon.nonJson.length ? `; ${daemon.nonJson.length} non-JSON` : ''}`);
    for (const [msg, n] of [...daemon.problems].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${n}× ${msg}`);
    for (const l of daemon.nonJson.slice(0, 5)) console.log(`    non-JSON: ${l.slice(0, 200)}`);
    const termOk = exitedInTime && exitCode === 0 && termMs < 10_000;
    console.log(
      `  targets: max lateness ${maxLate} ms (< ${iv}) ${maxLate < iv ? 'met' : 'MISSED'}; RSS growth ${mb(growth)} (< 50 MB) ${growth < 50 * 1024 * 1024 ? 'met' : 'MISSED'}; SIGTERM exit 0 in ${termMs.toFixed(0)} ms (< 10000) ${termOk ? 'met' : 'MISSED'}`,
    );
    if (!termOk) console.log(`  daemon's last ${daemon.tail.length} stderr lines:\n${daemon.tail.map((l) => `    ${l}`).join('\n')}`);
  } catch (err) {
    failed = true;
    console.error(`bench:daemon FAILED: ${(err as Error).message}`);
    if (daemon) {
      console.error(`daemon's last ${daemon.tail.length} stderr lines:`);
      for (const l of daemon.tail) console.error(`  ${l}`);
      daemon.kill('SIGKILL');
      await Promise.race([daemon.exited, deadline(5000)]);
    }
  } finally {
    if (o.keep) console.log(`  kept ${work} (daemon.log: the daemon's stderr; commits.tsv: time, source, commit, Deployment)`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
