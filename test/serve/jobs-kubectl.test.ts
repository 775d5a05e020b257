/** `mflux serve` with Jobs, CronJobs and crashing pods: the real kubectl prints what `mflux get`/`describe` print. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KUBECTL, type KRun, runKubectl } from './helpers.js';
import { type ApiServerHandle, kubeconfigFor, startApiServer } from '../../src/cli/serve/server.js';
import { mflux, tempDir } from '../cli/helpers.js';

let root: string;
let state: string;
let kubeconfig: string;
let server: ApiServerHandle;

/** kubectl runs the real binary against this file's server. */
const kubectl = (...args: string[]): Promise<KRun> => runKubectl(kubeconfig, root, ...args);

const job = (name: string, image: string) =>
  `apiVersion: batch/v1\nkind: Job\nmetadata: {name: ${name}}\nspec:\n  completions: 2\n  parallelism: 1\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: work, image: ${image}}]\n`;

beforeAll(async () => {
  root = tempDir('mflux-serve-jobs-');
  state = path.join(root, 'state');
  const file = path.join(root, 'all.yaml');
  fs.writeFileSync(
    file,
    [
      job('ok', 'busybox:1.36'),
      job('bad', 'app:crash'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: loop}\nspec:\n  selector: {matchLabels: {app: loop}}\n  template:\n    metadata: {labels: {app: loop}}\n    spec: {containers: [{name: app, image: app:crash}]}\n',
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: "*/5 * * * *"\n  timeZone: Asia/Tokyo\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: work, image: busybox:1.36}]\n',
    ].join('---\n'),
  );
  const a = await mflux(state, 'apply', '-f', file, '--no-wait', '--crash-images', '*:crash', '--clock-start', '2021-10-10T00:02:34Z');
  expect(a.code, a.stderr).toBe(0);
  expect((await mflux(state, 'advance', '3m')).code).toBe(0);
  server = await startApiServer({ stateDir: state, host: '127.0.0.1', port: 0, pollMs: 20 });
  kubeconfig = path.join(root, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigFor(server.url));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe(`real kubectl (${KUBECTL}) against mflux serve: Jobs`, () => {
  test('get jobs / cronjobs / pods match mflux get (Complete, Failed, Completed, Error, CrashLoopBackOff, RESTARTS)', async () => {
    for (const args of [['get', 'jobs'], ['get', 'cronjobs'], ['get', 'pods'], ['get', 'jobs', '-o', 'wide']]) {
      const k = await kubectl(...args);
      const m = await mflux(state, ...args);
      expect({ code: k.code, stdout: k.stdout, stderr: k.stderr }, args.join(' ')).toEqual({ code: m.code, stdout: m.stdout, stderr: m.stderr });
    }
    const jobs = (await kubectl('get', 'jobs')).stdout;
    expect(jobs).toMatch(/^bad\s+Failed\s+0\/2\s+/m);
    expect(jobs).toMatch(/^ok\s+Complete\s+2\/2\s+40s\s+/m);
    expect(jobs).toMatch(/^tick-27230405\s+Complete\s+1\/1\s+20s\s+/m);
    const pods = (await kubectl('get', 'pods')).stdout;
    expect(pods).toMatch(/^loop-\S+\s+0\/1\s+CrashLoopBackOff\s+5 \(\d+s ago\)\s+3m$/m);
    expect(pods.match(/\sError\s/g)).toHaveLength(2);
    expect(pods.match(/\sCompleted\s/g)?.length).toBe(3);
    expect((await kubectl('get', 'cronjobs')).stdout).toMatch(/^tick\s+\*\/5 \* \* \* \*\s+Asia\/Tokyo\s+False\s+0\s+\d+s\s+3m$/m);
  });

  test('kubectl describe job shows the fields mflux describe job prints', async () => {
    const k = await kubectl('describe', 'job', 'ok');
    expect(k.code, k.stderr).toBe(0);
    const m = (await mflux(state, 'describe', 'job', 'ok')).stdout;
    for (const line of ['Parallelism:', 'Completions:', 'Completion Mode:', 'Suspend:', 'Backoff Limit:', 'Duration:', 'Pods Statuses:']) {
      const want = m.split('\n').find((l) => l.startsWith(line));
      expect(want, line).toBeDefined();
      expect(k.stdout.split('\n').find((l) => l.startsWith(line))?.replace(/\s+/g, ' '), line).toBe(want!.replace(/\s+/g, ' '));
    }
  });
});
