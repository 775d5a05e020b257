/** Helpers for check tests: real git repositories in temp dirs, manifests, and `mflux check` run in-process. */
import { TestRepo, mflux, removeTestRepos, type Run } from '../cli/helpers.js';

export { git } from '../cli/helpers.js';

/** cleanup removes every repository made so far (call from afterAll). */
export const cleanup = removeTestRepos;

/** Repo is a real git repository in a temp dir, with a state dir path next to it that check must never create. */
export class Repo extends TestRepo {
  constructor() {
    super('mflux-checktest-');
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
