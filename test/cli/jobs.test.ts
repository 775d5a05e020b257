/** The Job surface of the CLI: the knobs as flags, pod STATUS/RESTARTS like kubectl, and `describe job`. */
import { describe, expect, it } from 'vitest';
import { mflux, tempDir, writeManifest } from './helpers.js';

const JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 2
  parallelism: 2
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: IMAGE}]
`;

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: 1
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: app, image: app:crash}]}
`;

/** rows splits a kubectl table into whitespace-separated cells, dropping the pods' random names. */
const rows = (out: string) => out.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/).slice(1));

describe('mflux with Jobs and crashing containers', () => {
  it('--pod-complete-after: Job pods show Completed; describe job prints kubectl 1.31 fields', async () => {
    const state = tempDir();
    const file = writeManifest(tempDir(), 'job.yaml', JOB.replace('IMAGE', 'busybox:1.36'));
    expect((await mflux(state, 'apply', '-f', file, '--no-wait', '--pod-complete-after', '30s')).code).toBe(0);
    expect((await mflux(state, 'advance', '45s')).code).toBe(0);
    const pods = await mflux(state, 'get', 'pods');
    expect(rows(pods.stdout)).toEqual([
      ['0/1', 'Completed', '0', '45s'],
      ['0/1', 'Completed', '0', '45s'],
    ]);
    // kubectl 1.32 columns: NAME STATUS COMPLETIONS DURATION AGE.
    expect((await mflux(state, 'get', 'jobs')).stdout).toBe('NAME    STATUS     COMPLETIONS   DURATION   AGE\nbatch   Complete   2/2           40s        45s\n');
    const d = await mflux(state, 'describe', 'job', 'batch');
    expect(d.code).toBe(0);
    const lines = d.stdout.split('\n');
    expect(lines[0]).toBe('Name:             batch');
    expect(lines).toContain('Parallelism:      2');
    expect(lines).toContain('Completions:      2');
    expect(lines).toContain('Completion Mode:  NonIndexed');
    expect(lines).toContain('Suspend:          false');
    expect(lines).toContain('Backoff Limit:    1');
    expect(lines).toContain('Duration:         40s');
    expect(lines).toContain('Pods Statuses:    0 Active (0 Ready) / 2 Succeeded / 0 Failed');
    expect(lines.filter((l) => /^\s+Normal\s+SuccessfulCreate\s+45s\s+job-controller\s+Created pod: batch-[a-z0-9]{5}$/.test(l))).toHaveLength(2);
    expect(lines.at(-2)).toMatch(/^\s+Normal\s+Completed\s+5s\s+job-controller\s+Job completed$/);
  });

  it('--crash-images: Job pods end in Error and the Job fails; a Deployment pod crash-loops with RESTARTS', async () => {
    const state = tempDir();
    const dir = tempDir();
    const job = writeManifest(dir, 'job.yaml', JOB.replace('IMAGE', 'app:crash'));
    const deploy = writeManifest(dir, 'deploy.yaml', DEPLOY);
    expect((await mflux(state, 'apply', '-f', job, '-f', deploy, '--no-wait', '--crash-images', '*:crash')).code).toBe(0);
    // 10s: the two Job pods fail (failed 2 > backoffLimit 1); the Deployment pod restarts at 10s, 20s, 40s.
    expect((await mflux(state, 'advance', '50s')).code).toBe(0);
    const pods = rows((await mflux(state, 'get', 'pods')).stdout);
    expect(pods).toEqual([
      ['0/1', 'Error', '0', '50s'],
      ['0/1', 'Error', '0', '50s'],
      ['0/1', 'CrashLoopBackOff', '3 (10s ago)', '50s'],
    ]);
    expect((await mflux(state, 'get', 'jobs')).stdout).toBe('NAME    STATUS   COMPLETIONS   DURATION   AGE\nbatch   Failed   0/2           50s        50s\n');
    const d = (await mflux(state, 'describe', 'job', 'batch')).stdout;
    expect(d).toContain('Pods Statuses:    0 Active (0 Ready) / 0 Succeeded / 2 Failed');
    expect(d).toMatch(/Warning\s+BackoffLimitExceeded\s+40s\s+job-controller\s+Job has reached the specified backoff limit/);
  });

  it('get cronjobs: kubectl columns, LAST SCHEDULE and ACTIVE from the simulated schedule', async () => {
    const state = tempDir();
    const file = writeManifest(
      tempDir(),
      'cj.yaml',
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: work, image: busybox:1.36}]\n',
    );
    expect((await mflux(state, 'apply', '-f', file, '--no-wait', '--clock-start', '2021-10-10T00:02:34Z')).code).toBe(0);
    // 00:05:00.1 the first Job is created; at 00:05:10 it is running (completes at 00:05:20).
    expect((await mflux(state, 'advance', '2m36s')).code).toBe(0);
    expect((await mflux(state, 'get', 'cronjobs')).stdout).toBe(
      'NAME   SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE\ntick   */5 * * * *   <none>     False     1        10s             2m36s\n',
    );
    const jobs = (await mflux(state, 'get', 'jobs')).stdout;
    expect(jobs).toBe('NAME            STATUS    COMPLETIONS   DURATION   AGE\ntick-27230405   Running   0/1           10s        10s\n');
  });

  it('rejects a bad --pod-complete-after with a usage error naming the flag', async () => {
    const state = tempDir();
    const file = writeManifest(tempDir(), 'job.yaml', JOB.replace('IMAGE', 'busybox:1.36'));
    const run = await mflux(state, 'apply', '-f', file, '--pod-complete-after', 'soon');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invalid duration for --pod-complete-after: "soon"');
  });
});
