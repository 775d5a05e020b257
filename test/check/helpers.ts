/** Helpers for check tests: real git repositories in temp dirs, manifests, and `mflux check` run in-process. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mflux, tempDir, type Run } from '../cli/helpers.js';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };

/** git runs a git command in dir and returns its trimmed output. */
export const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: GIT_ENV }).trim();

const roots: string[] = [];

/** cleanup removes every repository made so far (call from afterAll). */
export function cleanup(): void {
  for (const d of roots.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Repo is a real git repository in a temp dir, with a state dir path next to it that check must never create. */
export class Repo {
  readonly root = tempDir('mflux-checktest-');
  readonly dir = path.join(this.root, 'repo');
  readonly state = path.join(this.root, 'state');
  constructor() {
    roots.push(this.root);
    fs.mkdirSync(this.dir, { recursive: true });
    git(this.dir, 'init', '-q', '-b', 'main');
  }
  /** write sets file contents (null deletes the file). */
  write(files: Record<string, string | null>): this {
    for (const [name, text] of Object.entries(files)) {
      const p = path.join(this.dir, name);
      if (text === null) fs.rmSync(p, { force: true });
      else {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, text);
      }
    }
    return this;
  }
  /** commit commits everything and returns the SHA. */
  commit(msg: string): string {
    git(this.dir, 'add', '-A');
    git(this.dir, 'commit', '-q', '--allow-empty', '-m', msg);
    return git(this.dir, 'rev-parse', 'HEAD');
  }
  /** check runs `mflux check --repo DIR --base B --head H ...` (with --state pointing at this repo's unused state dir). */
  check(base: string, head: string, ...flags: string[]): Promise<Run> {
    return mflux(this.state, 'check', '--repo', this.dir, '--base', base, '--head', head, ...flags);
  }
  /** checkJSON runs the check with --format json and parses the report. */
  async checkJSON(base: string, head: string, ...flags: string[]): Promise<{ code: number; report: any; stderr: string }> {
    const r = await this.check(base, head, '--format', 'json', ...flags);
    let report: any;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, report, stderr: r.stderr };
  }
}

/** DeployOptions shape a Deployment manifest. */
export interface DeployOptions {
  replicas?: number;
  image?: string;
  labels?: string;
  maxSurge?: string | number;
  maxUnavailable?: string | number;
  recreate?: boolean;
  progressDeadlineSeconds?: number;
}

/** deploy writes a Deployment manifest (app label = name, one container). */
export function deploy(name: string, o: DeployOptions = {}): string {
  const labels = o.labels ?? `{app: ${name}}`;
  const q = (v: string | number) => (typeof v === 'string' ? `"${v}"` : String(v));
  const strategy = o.recreate
    ? '  strategy:\n    type: Recreate\n'
    : o.maxSurge !== undefined || o.maxUnavailable !== undefined
      ? `  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n${o.maxSurge !== undefined ? `      maxSurge: ${q(o.maxSurge)}\n` : ''}${o.maxUnavailable !== undefined ? `      maxUnavailable: ${q(o.maxUnavailable)}\n` : ''}`
      : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${o.replicas ?? 3}
${o.progressDeadlineSeconds !== undefined ? `  progressDeadlineSeconds: ${o.progressDeadlineSeconds}\n` : ''}  selector:
    matchLabels: ${labels}
${strategy}  template:
    metadata:
      labels: ${labels}
    spec:
      containers:
        - name: app
          image: ${o.image ?? `${name}:1`}
`;
}

/** service writes a Service selecting app=name. */
export function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports:
    - port: 80
`;
}
