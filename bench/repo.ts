/**
 * The benchmark repository, shared by bench:reconcile and bench:check: APPS Deployments (default
 * 2,500), each with a Service and two ConfigMaps — 10,000 objects in one file each — committed to
 * a real git repository and packed as a server would keep it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** APPS and REPLICAS size the repository ($BENCH_APPS, $BENCH_REPLICAS). */
export const APPS = Number(process.env.BENCH_APPS ?? 2500);
export const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 2);

const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@e', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@e' };

/** git runs a git command in dir (no automatic gc) and returns its output. */
export const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'gc.auto=0', ...args], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 30 });

/** appName is the i-th app's name (app-0000 …). */
export const appName = (i: number) => `app-${String(i).padStart(4, '0')}`;

/** deploymentPath is where the i-th app's Deployment manifest lives, relative to the repository root. */
export const deploymentPath = (i: number) => path.join('apps', appName(i).slice(0, 6), appName(i), 'deployment.yaml');

/** writeRepo creates the repository in `dir` with one commit on main and returns that commit. */
export function writeRepo(dir: string, apps = APPS, replicas = REPLICAS): string {
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (let i = 0; i < apps; i++) {
    const name = appName(i);
    const d = path.join(dir, 'apps', name.slice(0, 6), name);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(
      path.join(d, 'deployment.yaml'),
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  labels: {app: ${name}}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example/${name}:v1\n          ports:\n            - containerPort: 8080\n`,
    );
    fs.writeFileSync(path.join(d, 'service.yaml'), `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: ${name}}\n  ports:\n    - port: 80\n      targetPort: 8080\n`);
    fs.writeFileSync(path.join(d, 'config.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-config\ndata:\n  LOG_LEVEL: info\n  INDEX: "${i}"\n`);
    fs.writeFileSync(path.join(d, 'flags.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-flags\ndata:\n  FEATURE_X: "off"\n`);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `generated: ${apps * 4} objects`);
  git(dir, 'gc', '-q', '--aggressive');
  return git(dir, 'rev-parse', 'HEAD').trim();
}

/** bumpImage commits a one-file change: the i-th app's image :v1 → :v2 (default app-0007). Returns the new commit. */
export function bumpImage(dir: string, i = 7): string {
  const f = path.join(dir, deploymentPath(i));
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(':v1', ':v2'));
  git(dir, 'commit', '-q', '-am', `${appName(i)}: image v2`);
  return git(dir, 'rev-parse', 'HEAD').trim();
}
