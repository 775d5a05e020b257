/**
 * `mflux check` for the workloads besides Deployments: StatefulSet, DaemonSet and Job rollouts
 * predicted on the simulated cluster, with numbers worked out by hand from the controllers' rules
 * (and matching the golden traces in test/sim/statefulset.test.ts, daemonset.test.ts and
 * jobs.test.ts): pods become Ready 10 s after they are created, a Job's pod succeeds 10 s after
 * that, deleted pods go at once, 3 nodes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Repo, cleanup } from './helpers.js';

afterAll(cleanup);

/** sts writes StatefulSet NAME (serviceName NAME, app label NAME), optionally with a `data` claim template. */
function sts(name: string, o: { replicas?: number; image?: string; partition?: number; claim?: string } = {}): string {
  const strategy = o.partition !== undefined ? `  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: ${o.partition}\n` : '';
  const claims = o.claim ? `  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: ${o.claim}\n` : '';
  return `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  serviceName: ${name}
  replicas: ${o.replicas ?? 3}
  selector:
    matchLabels: {app: ${name}}
${strategy}  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: app
          image: ${o.image ?? `${name}:1`}
${claims}`;
}

/** ds writes DaemonSet NAME with an optional rollingUpdate block. */
function ds(name: string, o: { image?: string; maxUnavailable?: number; maxSurge?: number } = {}): string {
  const ru = o.maxUnavailable !== undefined || o.maxSurge !== undefined;
  const strategy = ru
    ? `  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n${o.maxSurge !== undefined ? `      maxSurge: ${o.maxSurge}\n` : ''}${o.maxUnavailable !== undefined ? `      maxUnavailable: ${o.maxUnavailable}\n` : ''}`
    : '';
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
${strategy}  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: agent
          image: ${o.image ?? `${name}:1`}
`;
}

/** job writes Job NAME (restartPolicy Never). */
function job(name: string, o: { image?: string; completions?: number; parallelism?: number; backoffLimit?: number; activeDeadlineSeconds?: number } = {}): string {
  const fields = (['completions', 'parallelism', 'backoffLimit', 'activeDeadlineSeconds'] as const).filter((k) => o[k] !== undefined).map((k) => `  ${k}: ${o[k]}\n`).join('');
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${fields}  template:
    spec:
      restartPolicy: Never
      containers:
        - name: work
          image: ${o.image ?? `${name}:1`}
`;
}

const rolloutOf = (report: any, ref: string) => report.rollouts.find((r: any) => r.object === ref);
/**
 * offsets lists a rollout's events as [seconds, message] (generated pod-name suffixes as `*`),
 * sorted within each instant: the event list keeps a repeated message where it first happened,
 * so the order of events at one instant is not known to the meter; their instants are.
 */
const offsets = (r: any) =>
  r.events
    .map((e: any) => [e.offsetSeconds, e.message.replace(/-[a-z0-9]{5}$/, '-*')])
    .sort((a: any, b: any) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));

describe('StatefulSet: a 3-replica image update (OrderedReady, RollingUpdate)', () => {
  // By hand (upstream's rolling update, as test/sim/statefulset.test.ts's golden trace): the
  // highest ordinal first; each pod is deleted, re-created at once from the update revision and
  // waited for until Ready (10 s) before the next. web-2 at 0 s, web-1 at 10 s, web-0 at 20 s,
  // Ready at 30 s. Never more than 3 pods, never fewer than 2 available.
  const repo = new Repo();
  repo.write({ 'db.yaml': sts('db') });
  const base = repo.commit('base: db v1');
  repo.write({ 'db.yaml': sts('db', { image: 'db:2' }) });
  const head = repo.commit('db v2');

  test('peak pods 3, min available 2, 30 s, completes; the delete/create trace ordinal by ordinal', async () => {
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.outcome).toBe('Applied');
    expect(report.findings).toEqual([]);
    expect(report.changes.map((c: any) => [c.object, c.action])).toEqual([['StatefulSet/default/db', 'update']]);
    const r = rolloutOf(report, 'StatefulSet/default/db');
    expect({ ...r, events: undefined }).toEqual({
      object: 'StatefulSet/default/db',
      change: 'rollout',
      strategy: 'RollingUpdate',
      maxSurge: 0,
      maxUnavailable: 1,
      replicas: 3,
      partition: 0,
      peakPods: 3,
      minAvailable: 2,
      durationSeconds: 30,
      completes: true,
      reason: 'done',
      events: undefined,
    });
    expect(offsets(r)).toEqual([
      [0, 'create Pod db-2 in StatefulSet db successful'],
      [0, 'delete Pod db-2 in StatefulSet db successful'],
      [10, 'create Pod db-1 in StatefulSet db successful'],
      [10, 'delete Pod db-1 in StatefulSet db successful'],
      [20, 'create Pod db-0 in StatefulSet db successful'],
      [20, 'delete Pod db-0 in StatefulSet db successful'],
    ]);
  });

  test('--pod-ready-after 5s halves the duration; the shape stays', async () => {
    const { report } = await repo.checkJSON(base, head, '--pod-ready-after', '5s');
    expect(rolloutOf(report, 'StatefulSet/default/db')).toMatchObject({ peakPods: 3, minAvailable: 2, durationSeconds: 15, completes: true });
  });

  test('partition 2 of 3: only db-2 is replaced (10 s), and the partition is in the report and the Markdown table', async () => {
    const r2 = new Repo();
    r2.write({ 'db.yaml': sts('db', { partition: 2 }) });
    const b = r2.commit('base');
    r2.write({ 'db.yaml': sts('db', { partition: 2, image: 'db:2' }) });
    const h = r2.commit('db v2, partitioned');
    const { report } = await r2.checkJSON(b, h);
    const r = rolloutOf(report, 'StatefulSet/default/db');
    expect(r).toMatchObject({ partition: 2, peakPods: 3, minAvailable: 2, durationSeconds: 10, completes: true });
    expect(offsets(r)).toEqual([
      [0, 'create Pod db-2 in StatefulSet db successful'],
      [0, 'delete Pod db-2 in StatefulSet db successful'],
    ]);
    const md = await r2.check(b, h, '--format', 'markdown');
    expect(md.stdout).toContain('| `StatefulSet/default/db` | update (rollout) | RollingUpdate (surge 0, unavailable 1, partition 2) | 3 | 2 of 3 | 10s | ✅ |');
  });

  test('an image that never becomes ready: RolloutWillNotComplete at the file, the other two pods keep serving', async () => {
    const r2 = new Repo();
    r2.write({ 'apps/db.yaml': sts('db') });
    const b = r2.commit('base');
    r2.write({ 'apps/db.yaml': sts('db', { image: 'db:broken' }) });
    const h = r2.commit('db: broken');
    const { code, report } = await r2.checkJSON(b, h, '--fail-images', '*:broken');
    expect(code).toBe(1);
    expect(report.outcome).toBe('RolloutFailed');
    // A StatefulSet has no progress deadline: db-2 is re-created at 0 s and found not Ready at 10 s;
    // after that nothing more can happen, so the wait ends there (Stalled).
    expect(report.findings).toEqual([
      { severity: 'error', code: 'RolloutWillNotComplete', object: 'StatefulSet/default/db', file: 'apps/db.yaml', line: 1, message: 'StatefulSet/default/db: the rollout cannot make further progress (Waiting for 1 pods to be ready... (no further progress is possible))' },
    ]);
    expect(rolloutOf(report, 'StatefulSet/default/db')).toMatchObject({ peakPods: 3, minAvailable: 2, durationSeconds: 10, completes: false, reason: 'Stalled' });
  });

  test('a volumeClaimTemplates change is blocked by the guard (ImmutableFieldChange at its line); nothing is applied or measured', async () => {
    const r2 = new Repo();
    r2.write({ 'db.yaml': sts('db', { claim: '1Gi' }) });
    const b = r2.commit('base');
    r2.write({ 'db.yaml': sts('db', { claim: '2Gi', image: 'db:2' }) });
    const h = r2.commit('db: bigger claims');
    const { code, report } = await r2.checkJSON(b, h);
    expect(code).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(report.outcome).toBe('Blocked');
    expect(report.changes).toEqual([expect.objectContaining({ object: 'StatefulSet/default/db', action: 'blocked', intended: 'update' })]);
    expect(report.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'ImmutableFieldChange', object: 'StatefulSet/default/db', file: 'db.yaml', line: 1 })]);
    expect(report.findings[0].message).toContain('volumeClaimTemplates');
    expect(report.rollouts).toEqual([]);
  });
});

describe('DaemonSet on 3 nodes', () => {
  test('maxUnavailable 1: node by node, peak 3, min available 2, 30 s', async () => {
    // By hand (test/sim/daemonset.test.ts): one old pod deleted and its replacement created per
    // node, the next node only once the new pod is available: 0 s, 10 s, 20 s; all available at 30 s.
    const repo = new Repo();
    repo.write({ 'agent.yaml': ds('agent', { maxUnavailable: 1 }) });
    const base = repo.commit('base');
    repo.write({ 'agent.yaml': ds('agent', { maxUnavailable: 1, image: 'agent:2' }) });
    const head = repo.commit('agent v2');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    const r = rolloutOf(report, 'DaemonSet/default/agent');
    expect({ ...r, events: undefined }).toEqual({
      object: 'DaemonSet/default/agent',
      change: 'rollout',
      strategy: 'RollingUpdate',
      maxSurge: 0,
      maxUnavailable: 1,
      replicas: 3,
      peakPods: 3,
      minAvailable: 2,
      durationSeconds: 30,
      completes: true,
      reason: 'done',
      events: undefined,
    });
    expect(offsets(r)).toEqual([
      [0, 'Created pod: agent-*'],
      [0, 'Deleted pod: agent-*'],
      [10, 'Created pod: agent-*'],
      [10, 'Deleted pod: agent-*'],
      [20, 'Created pod: agent-*'],
      [20, 'Deleted pod: agent-*'],
    ]);
  });

  test('maxSurge 1, maxUnavailable 0: a new pod beside each old one, so 4 pods at the peak and never fewer than 3 available', async () => {
    const repo = new Repo();
    repo.write({ 'agent.yaml': ds('agent', { maxSurge: 1, maxUnavailable: 0 }) });
    const base = repo.commit('base');
    repo.write({ 'agent.yaml': ds('agent', { maxSurge: 1, maxUnavailable: 0, image: 'agent:2' }) });
    const head = repo.commit('agent v2');
    const { report } = await repo.checkJSON(base, head);
    expect(rolloutOf(report, 'DaemonSet/default/agent')).toMatchObject({ maxSurge: 1, maxUnavailable: 0, replicas: 3, peakPods: 4, minAvailable: 3, durationSeconds: 30, completes: true });
  });

  test('--nodes 5: five pods, replaced one at a time in 50 s', async () => {
    const repo = new Repo();
    repo.write({ 'agent.yaml': ds('agent') });
    const base = repo.commit('base');
    repo.write({ 'agent.yaml': ds('agent', { image: 'agent:2' }) });
    const head = repo.commit('agent v2');
    const { report } = await repo.checkJSON(base, head, '--nodes', '5');
    expect(rolloutOf(report, 'DaemonSet/default/agent')).toMatchObject({ maxUnavailable: 1, replicas: 5, peakPods: 5, minAvailable: 4, durationSeconds: 50, completes: true });
  });
});

describe('Job', () => {
  test('completions 2 (parallelism 1): one pod at a time, complete at 40 s', async () => {
    // By hand (test/sim/jobs.test.ts): pod 1 at 0 s, Ready at 10 s, succeeds at 20 s; pod 2 at
    // 20 s, succeeds at 40 s → succeeded 2 = completions → Complete.
    const repo = new Repo();
    repo.write({ 'README.md': 'batch\n' });
    const base = repo.commit('base');
    repo.write({ 'jobs/migrate.yaml': job('migrate', { completions: 2 }) });
    const head = repo.commit('add the migration');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(report.outcome).toBe('Applied');
    const r = rolloutOf(report, 'Job/default/migrate');
    expect({ ...r, events: undefined }).toEqual({
      object: 'Job/default/migrate',
      change: 'create',
      strategy: 'NonIndexed',
      maxSurge: 0,
      maxUnavailable: 0,
      replicas: 2,
      succeeded: 2,
      failed: 0,
      peakPods: 1,
      minAvailable: 0,
      durationSeconds: 40,
      completes: true,
      reason: 'done',
      events: undefined,
    });
    expect(offsets(r)).toEqual([
      [0, 'Created pod: migrate-*'],
      [20, 'Created pod: migrate-*'],
      [40, 'Job completed'],
    ]);
    const md = await repo.check(base, head, '--format', 'markdown');
    expect(md.stdout).toContain('| `Job/default/migrate` | create (create) | NonIndexed | 1 | 2 of 2 succeeded | 40s | ✅ |');
  });

  test('a crashing image (--crash-images): BackoffLimitExceeded → RolloutWillNotComplete with file and line', async () => {
    // By hand: backoffLimit 2 → pods at 0 s, 20 s, 50 s (10 s then 20 s back-off after each
    // failure 10 s into its run); the third failure at 60 s exceeds the limit.
    const repo = new Repo();
    repo.write({ 'README.md': 'batch\n' });
    const base = repo.commit('base');
    fs.mkdirSync(path.join(repo.dir, 'jobs'), { recursive: true });
    repo.write({ 'jobs/all.yaml': `${job('ok')}---\n${job('migrate', { image: 'migrate:crash', backoffLimit: 2 })}` });
    const head = repo.commit('add the migration');
    const line = fs.readFileSync(path.join(repo.dir, 'jobs/all.yaml'), 'utf8').split('\n').indexOf('---') + 2;
    const { code, report } = await repo.checkJSON(base, head, '--crash-images', '*:crash');
    expect(code).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(report.outcome).toBe('RolloutFailed');
    expect(report.findings).toEqual([
      {
        severity: 'error',
        code: 'RolloutWillNotComplete',
        object: 'Job/default/migrate',
        file: 'jobs/all.yaml',
        line,
        message: 'Job/default/migrate: the Job\'s pods keep failing until it reaches its backoff limit (BackoffLimitExceeded) (job "migrate" failed: BackoffLimitExceeded: Job has reached the specified backoff limit)',
      },
    ]);
    expect(rolloutOf(report, 'Job/default/migrate')).toMatchObject({ replicas: 1, succeeded: 0, failed: 3, peakPods: 1, durationSeconds: 60, completes: false, reason: 'BackoffLimitExceeded' });
    expect(rolloutOf(report, 'Job/default/ok')).toMatchObject({ succeeded: 1, durationSeconds: 20, completes: true });
    const gh = await repo.check(base, head, '--format', 'github', '--crash-images', '*:crash');
    expect(gh.stdout.split('\n')[0]).toBe(`::error file=jobs/all.yaml,line=${line},title=RolloutWillNotComplete Job/default/migrate::${report.findings[0].message}`);
  });

  test('activeDeadlineSeconds shorter than the run: DeadlineExceeded', async () => {
    const repo = new Repo();
    repo.write({ 'README.md': 'batch\n' });
    const base = repo.commit('base');
    repo.write({ 'job.yaml': job('slow', { completions: 3, activeDeadlineSeconds: 30 }) });
    const head = repo.commit('add slow');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ code: 'RolloutWillNotComplete', object: 'Job/default/slow', file: 'job.yaml', line: 1, message: expect.stringContaining('(DeadlineExceeded)') })]);
    expect(rolloutOf(report, 'Job/default/slow')).toMatchObject({ succeeded: 1, durationSeconds: 30, completes: false, reason: 'DeadlineExceeded' });
  });
});
