/**
 * `mflux check` end to end: real git repositories with base/head pairs, the CLI run in-process,
 * the JSON report (and the other formats) asserted. The rollout numbers are checked against
 * hand-worked upstream arithmetic (spec §1.3 fenceposts, §2.3/§2.6 scale-up and scale-down
 * rules) with pods becoming ready 10 s after they are created.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Repo, cleanup, deploy, git, service } from './helpers.js';
import os from 'node:os';
import { REPO_ROOT, mflux, tempDir } from '../cli/helpers.js';
import { commit, git as gitSource, makeRemote, startGitServer } from '../source/helpers.js';

afterAll(cleanup);

type Step = [offsetSeconds: number, dir: 'up' | 'down', rs: 'N' | 'O', to: number];

/** trace rewrites a rollout's events as [offset, up|down, N|O, size], N being the ReplicaSet head creates (the first one scaled up from nothing). */
function trace(r: any, oldRS?: string): Step[] {
  const parsed = r.events.map((e: any) => {
    const m = /^Scaled (up|down) replica set (\S+) to (\d+)/.exec(e.message);
    if (!m) throw new Error(`unexpected event ${e.message}`);
    return { offset: e.offsetSeconds, dir: m[1], rs: m[2], to: Number(m[3]) };
  });
  const old = oldRS ?? parsed.find((p: any) => p.dir === 'down')?.rs;
  return parsed.map((p: any) => [p.offset, p.dir, p.rs === old ? 'O' : 'N', p.to]);
}

const rolloutOf = (report: any, name: string) => report.rollouts.find((r: any) => r.object === `Deployment/default/${name}`);

describe('rolling image change: the numbers the simulated controller produces, worked out by hand', () => {
  // One repository, one image change per Deployment; each rolls out on its own, all in one check.
  // Fenceposts (§1.3): surge = ceil(maxSurge × replicas), unavailable = floor(maxUnavailable × replicas).
  // Peak pods = replicas + surge, min available = replicas − unavailable; durations follow from
  // which scale steps must wait for new pods to become ready (10 s each).
  const cases = {
    // 3 × 30%/10%: surge ceil(0.9)=1, unavail floor(0.3)=0 → maxTotal 4, minAvailable 3 (spec §7.1).
    // t0 N→1 (old phase: 4−3−1 = 0, nothing); t10 N ready: O→2, N→2; t20 O→1, N→3; t30 O→0.
    a: { replicas: 3, maxSurge: '30%', maxUnavailable: '10%', surge: 1, unavail: 0, peak: 4, min: 3, duration: 30,
      trace: [[0, 'up', 'N', 1], [10, 'down', 'O', 2], [10, 'up', 'N', 2], [20, 'down', 'O', 1], [20, 'up', 'N', 3], [30, 'down', 'O', 0]] },
    // 10 × 30%/10%: surge ceil(3.0)=3, unavail floor(1.0)=1 → maxTotal 13, minAvailable 9.
    // t0 N→3, same sync O→9 (13−9−3 = 1), then N→4 (13−12 = 1); t10 4 ready: O→5 (budget 13−9), N→8;
    // t20 O→1, N→10; t30 O→0 (available 11, budget 2).
    b: { replicas: 10, maxSurge: '30%', maxUnavailable: '10%', surge: 3, unavail: 1, peak: 13, min: 9, duration: 30,
      trace: [[0, 'up', 'N', 3], [0, 'down', 'O', 9], [0, 'up', 'N', 4], [10, 'down', 'O', 5], [10, 'up', 'N', 8], [20, 'down', 'O', 1], [20, 'up', 'N', 10], [30, 'down', 'O', 0]] },
    // 3 × 100%/0 (blue/green): surge 3, unavail 0 → N→3 at once; t10 all ready: O→0 (spec §7.3).
    c: { replicas: 3, maxSurge: '100%', maxUnavailable: 0, surge: 3, unavail: 0, peak: 6, min: 3, duration: 10,
      trace: [[0, 'up', 'N', 3], [10, 'down', 'O', 0]] },
    // 4 × 25%/25%: surge 1, unavail 1 → maxTotal 5, minAvailable 3. t0 N→1, same sync O→3 (5−3−1 = 1),
    // then N→2; t10 both ready: O→1 (budget 5−3 = 2), N→4; t20 O→0.
    d: { replicas: 4, maxSurge: '25%', maxUnavailable: '25%', surge: 1, unavail: 1, peak: 5, min: 3, duration: 20,
      trace: [[0, 'up', 'N', 1], [0, 'down', 'O', 3], [0, 'up', 'N', 2], [10, 'down', 'O', 1], [10, 'up', 'N', 4], [20, 'down', 'O', 0]] },
    // 5 × 0/2: surge 0, unavail 2 → N created at 0 (no event), O→3, N→2; t10 O→1, N→4; t20 O→0, N→5;
    // t30 the last pod is ready. Never more than 5 pods.
    e: { replicas: 5, maxSurge: 0, maxUnavailable: 2, surge: 0, unavail: 2, peak: 5, min: 3, duration: 30,
      trace: [[0, 'down', 'O', 3], [0, 'up', 'N', 2], [10, 'down', 'O', 1], [10, 'up', 'N', 4], [20, 'down', 'O', 0], [20, 'up', 'N', 5]] },
  } as const;
  const repo = new Repo();
  const write = (image: string) => {
    for (const [name, c] of Object.entries(cases)) repo.write({ [`${name}.yaml`]: deploy(name, { replicas: c.replicas, maxSurge: c.maxSurge, maxUnavailable: c.maxUnavailable, image: `${name}:${image}` }) });
  };
  write('1');
  const base = repo.commit('base: v1');
  write('2');
  const head = repo.commit('head: v2');

  test('every Deployment: pass, peak pods, min available, duration and the ScalingReplicaSet trace', async () => {
    const { code, report } = await repo.checkJSON(base, head, '--pod-ready-after', '10s');
    expect(code).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.base).toEqual({ ref: base, commit: base, subject: 'base: v1' });
    expect(report.outcome).toBe('Applied');
    expect(report.head.commit).toBe(head);
    expect(report.changes.map((c: any) => [c.object, c.action])).toEqual(Object.keys(cases).map((n) => [`Deployment/default/${n}`, 'update']));
    for (const [name, c] of Object.entries(cases)) {
      const r = rolloutOf(report, name);
      expect({ name, ...r, events: undefined }).toEqual({
        name,
        object: `Deployment/default/${name}`,
        change: 'rollout',
        strategy: 'RollingUpdate',
        maxSurge: c.surge,
        maxUnavailable: c.unavail,
        replicas: c.replicas,
        peakPods: c.peak,
        minAvailable: c.min,
        durationSeconds: c.duration,
        completes: true,
        reason: 'done',
        events: undefined,
      });
      // The guarantees a rolling update makes: never above replicas + maxSurge, never below replicas − maxUnavailable.
      expect(r.peakPods).toBe(c.replicas + c.surge);
      expect(r.minAvailable).toBe(c.replicas - c.unavail);
      expect(trace(r)).toEqual(c.trace);
    }
    // Blue/green is reported, not blocked: a warning that still passes.
    expect(report.findings).toEqual([expect.objectContaining({ severity: 'warning', code: 'DoubleCapacity', object: 'Deployment/default/c', file: 'c.yaml', line: 1 })]);
  });

  test('--pod-ready-after scales the durations, not the shape', async () => {
    const { report } = await repo.checkJSON(base, head, '--pod-ready-after', '5s');
    expect(rolloutOf(report, 'a')).toMatchObject({ peakPods: 4, minAvailable: 3, durationSeconds: 15 });
    expect(rolloutOf(report, 'b')).toMatchObject({ peakPods: 13, minAvailable: 9, durationSeconds: 15 });
    expect(trace(rolloutOf(report, 'c'))).toEqual([[0, 'up', 'N', 3], [5, 'down', 'O', 0]]);
  });
});

describe('what a change does besides rolling', () => {
  test('a created Deployment and a replicas-only change: no new ReplicaSet for the scale, min available counted from the apply', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web', { replicas: 3 }) });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': deploy('web', { replicas: 5 }), 'api.yaml': deploy('api', { replicas: 2 }) + '---\n' + service('api') });
    const head = repo.commit('scale web, add api');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(report.changes.map((c: any) => [c.object, c.action])).toEqual([
      ['Deployment/default/api', 'create'],
      ['Service/default/api', 'create'],
      ['Deployment/default/web', 'update'],
    ]);
    expect(report.changes[2].patch).toEqual([{ op: 'replace', path: '/spec/replicas', value: 5 }]);
    // Created: nothing ran before, so 0 are available at the apply; all 2 pods at once (25% surge of nothing to replace).
    expect(rolloutOf(report, 'api')).toMatchObject({ change: 'create', replicas: 2, peakPods: 2, minAvailable: 0, durationSeconds: 10, completes: true });
    expect(trace(rolloutOf(report, 'api'))).toEqual([[0, 'up', 'N', 2]]);
    // Scaled: the same ReplicaSet grows; the 3 old pods keep serving while 2 new ones start.
    const web = rolloutOf(report, 'web');
    expect(web).toMatchObject({ change: 'scale', replicas: 5, peakPods: 5, minAvailable: 3, durationSeconds: 10, completes: true });
    expect(web.events.map((e: any) => e.offsetSeconds)).toEqual([0]);
    expect(web.events[0].message).toMatch(/^Scaled up replica set web-\w+ to 5/);
  });

  test('Recreate passes with a RecreateDowntime warning and min available 0; terminating pods count towards the peak', async () => {
    const repo = new Repo();
    repo.write({ 'db.yaml': deploy('db', { recreate: true }) });
    const base = repo.commit('base');
    repo.write({ 'db.yaml': deploy('db', { recreate: true, image: 'db:2' }) });
    const head = repo.commit('db v2');
    let { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.findings).toEqual([
      { severity: 'warning', code: 'RecreateDowntime', object: 'Deployment/default/db', file: 'db.yaml', line: 1, message: expect.stringContaining('strategy Recreate stops all 3 pod(s)') },
    ]);
    expect(rolloutOf(report, 'db')).toMatchObject({ strategy: 'Recreate', maxSurge: 0, maxUnavailable: 0, replicas: 3, peakPods: 3, minAvailable: 0, durationSeconds: 10, completes: true });
    // Spec §7.4: old to 0 first; the new ReplicaSet only once every old pod is gone.
    expect(trace(rolloutOf(report, 'db'))).toEqual([[0, 'down', 'O', 0], [0, 'up', 'N', 3]]);

    // With 5 s of graceful termination the new pods wait for the old ones to go: 5 s + 10 s.
    ({ code, report } = await repo.checkJSON(base, head, '--pod-terminate-after', '5s'));
    expect(rolloutOf(report, 'db')).toMatchObject({ peakPods: 3, minAvailable: 0, durationSeconds: 15 });
    expect(trace(rolloutOf(report, 'db'))).toEqual([[0, 'down', 'O', 0], [5, 'up', 'N', 3]]);
  });

  test('a failing image fails the check (RolloutWillNotComplete) while the old pods keep serving replicas − maxUnavailable', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web', { replicas: 4, maxSurge: '25%', maxUnavailable: '25%', progressDeadlineSeconds: 120 }) });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': deploy('web', { replicas: 4, maxSurge: '25%', maxUnavailable: '25%', progressDeadlineSeconds: 120, image: 'web:broken' }) });
    const head = repo.commit('web: broken image');
    const { code, report } = await repo.checkJSON(base, head, '--fail-images', '*:broken');
    expect(code).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'error', code: 'RolloutWillNotComplete', object: 'Deployment/default/web', file: 'web.yaml', line: 1, message: expect.stringContaining('ProgressDeadlineExceeded') }),
    ]);
    // 4 × 25%/25%: O→3 and N→2 at once, then nothing: the 2 new pods never become ready and 5 − 3 − 2 = 0 leaves no room.
    // The deadline (120 s after the last progress) is noticed at the controller's resync 1 s later, as upstream does.
    expect(rolloutOf(report, 'web')).toMatchObject({ maxSurge: 1, maxUnavailable: 1, peakPods: 5, minAvailable: 3, durationSeconds: 121, completes: false, reason: 'ProgressDeadlineExceeded' });
    expect(trace(rolloutOf(report, 'web'))).toEqual([[0, 'up', 'N', 1], [0, 'down', 'O', 3], [0, 'up', 'N', 2]]);
    // Without the knob the same image rolls out.
    expect((await repo.checkJSON(base, head)).report.verdict).toBe('pass');
  });
});

describe('readiness from the pod spec', () => {
  // deploy() ends with the container's image line; a readiness probe goes right under it.
  const probed = (name: string, image: string, probe: string) => `${deploy(name, { replicas: 3, image })}          readinessProbe:\n${probe}`;
  const httpProbe = '            httpGet: {path: /healthz, port: 8080}\n            initialDelaySeconds: 30\n';

  test('a 30 s initialDelaySeconds readiness probe: a 3-replica rolling update takes 3 × 40 s', async () => {
    // Default strategy for 3: surge 1, unavailable 0, so one new pod at a time. A pod created at c
    // starts at c + 10 (--pod-ready-after); the kubelet's probe ticker, started at the bind (c),
    // ticks at c, c + 10, …, and the first tick with 30 s of run time is c + 40: Ready then.
    // t0 N→1; t40 ready: O→2, N→2; t80 O→1, N→3; t120 O→0.
    const repo = new Repo();
    repo.write({ 'web.yaml': probed('web', 'web:1', httpProbe) });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': probed('web', 'web:2', httpProbe) });
    const head = repo.commit('web v2');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(rolloutOf(report, 'web')).toMatchObject({ maxSurge: 1, maxUnavailable: 0, replicas: 3, peakPods: 4, minAvailable: 3, durationSeconds: 120, completes: true, reason: 'done' });
    expect(trace(rolloutOf(report, 'web'))).toEqual([[0, 'up', 'N', 1], [40, 'down', 'O', 2], [40, 'up', 'N', 2], [80, 'down', 'O', 1], [80, 'up', 'N', 3], [120, 'down', 'O', 0]]);
    // --pod-ready-after 15s: started at c + 15, so the first tick with 30 s run is c + 50 (not c + 45): 3 × 50 s.
    const slower = (await repo.checkJSON(base, head, '--pod-ready-after', '15s')).report;
    expect(rolloutOf(slower, 'web')).toMatchObject({ durationSeconds: 150, completes: true });
  });

  test('--fail-probes: the new pods run but never become ready, so the check fails with ProgressDeadlineExceeded', async () => {
    const repo = new Repo();
    const probe = '            tcpSocket: {port: 8080}\n';
    repo.write({ 'web.yaml': probed('web', 'web:1', probe) });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': probed('web', 'web:unready', probe) });
    const head = repo.commit('web: never ready');
    const { code, report } = await repo.checkJSON(base, head, '--fail-probes', '*:unready');
    expect(code).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'RolloutWillNotComplete', object: 'Deployment/default/web', message: expect.stringContaining('ProgressDeadlineExceeded') })]);
    // One new pod (surge 1, unavailable 0), then no progress for 600 s; noticed at the resync 1 s later.
    expect(rolloutOf(report, 'web')).toMatchObject({ peakPods: 4, minAvailable: 3, durationSeconds: 601, completes: false, reason: 'ProgressDeadlineExceeded' });
    expect(trace(rolloutOf(report, 'web'))).toEqual([[0, 'up', 'N', 1]]);
  });
});

describe('the guard, judged before merging', () => {
  test('a selector change fails with ImmutableFieldChange at its file and line; nothing is applied', async () => {
    const repo = new Repo();
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  A: "1"\n';
    repo.write({ 'apps/web.yaml': `${cm}---\n${deploy('web')}` });
    const base = repo.commit('base');
    repo.write({ 'apps/web.yaml': `${cm.replace('"1"', '"2"')}---\n${deploy('web', { labels: '{app: web, tier: front}', image: 'web:2' })}` });
    const head = repo.commit('web: new selector');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(1);
    expect(report.verdict).toBe('fail');
    // The Deployment is the second document: it starts on the line after the `---` (line 8 of the file).
    const line = fs.readFileSync(path.join(repo.dir, 'apps/web.yaml'), 'utf8').split('\n').indexOf('---') + 2;
    expect(line).toBe(8);
    expect(report.findings).toEqual([
      {
        severity: 'error',
        code: 'ImmutableFieldChange',
        object: 'Deployment/default/web',
        file: 'apps/web.yaml',
        line,
        message: expect.stringMatching(/^apps\/web\.yaml:8: Deployment\/default\/web: spec\.selector is immutable/),
      },
    ]);
    expect(report.changes).toEqual([
      expect.objectContaining({ object: 'ConfigMap/default/web-config', action: 'update' }),
      expect.objectContaining({ object: 'Deployment/default/web', action: 'blocked', intended: 'update' }),
    ]);
    expect(report.rollouts).toEqual([]);
    expect(report.outcome).toBe('Blocked');
    const text = await repo.check(base, head, '--path', 'apps');
    expect(text.code).toBe(1);
    // --path narrows what is read; files are still named from the repository root, as annotations need.
    expect(text.stdout).toContain('  error   [ImmutableFieldChange] apps/web.yaml:8: Deployment/default/web: spec.selector is immutable');
    expect(text.stdout).toContain('  ! Deployment/default/web (update blocked)');
    expect(text.stdout).toContain('Blocked: nothing from head would be applied');
  });

  test('removing a serving Deployment fails (ServingWorkloadPrune, pointing at where it was); removing one scaled to 0 prunes it', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web'), 'api.yaml': deploy('api', { replicas: 2 }), 'old.yaml': deploy('old', { replicas: 0 }) });
    const base = repo.commit('base');
    repo.write({ 'api.yaml': null });
    const removeApi = repo.commit('remove api');
    let { code, report } = await repo.checkJSON(base, removeApi);
    expect(code).toBe(1);
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'error', code: 'ServingWorkloadPrune', object: 'Deployment/default/api', file: 'api.yaml', line: 1, message: expect.stringContaining('2 replica(s) are ready') }),
    ]);
    expect(report.changes).toEqual([{ object: 'Deployment/default/api', action: 'blocked', intended: 'prune', patch: [{ op: 'remove', path: '' }] }]);

    git(repo.dir, 'checkout', '-q', base);
    repo.write({ 'old.yaml': null });
    const removeOld = repo.commit('remove old (scaled to 0)');
    ({ code, report } = await repo.checkJSON(base, removeOld));
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.changes).toEqual([{ object: 'Deployment/default/old', action: 'prune', patch: [{ op: 'remove', path: '' }] }]);
  });

  test('--policy blocks an impact (top level or under policy:); a bad policy file cannot run (exit 2, naming the file)', async () => {
    const repo = new Repo();
    repo.write({ 'db.yaml': deploy('db', { recreate: true }) });
    const base = repo.commit('base');
    repo.write({ 'db.yaml': deploy('db', { recreate: true, image: 'db:2' }) });
    const head = repo.commit('db v2');
    const top = path.join(repo.root, 'policy.yaml');
    fs.writeFileSync(top, 'block: [RecreateDowntime]\nmaxPrune: 1\n');
    const nested = path.join(repo.root, 'mflux.yaml');
    fs.writeFileSync(nested, 'sources: []\npolicy:\n  block: [RecreateDowntime]\n');
    for (const file of [top, nested]) {
      const { code, report } = await repo.checkJSON(base, head, '--policy', file);
      expect(code).toBe(1);
      expect(report.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'RecreateDowntime', object: 'Deployment/default/db', file: 'db.yaml', line: 1, message: expect.stringContaining('(blocked by policy)') })]);
      expect(report.rollouts).toEqual([]);
    }
    const bad = path.join(repo.root, 'bad-policy.yaml');
    fs.writeFileSync(bad, 'policy:\n  block: [Downtime]\n  maxPrune: lots\n');
    const r = await repo.check(base, head, '--policy', bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`policy file ${bad}`);
    expect(r.stderr).toContain('policy.block[0]: must be one of RecreateDowntime, ZeroAvailability, DoubleCapacity, ReplicasManagedByHPA');
    expect(r.stderr).toContain('policy.maxPrune: must be a count');
    expect(r.stderr).toContain('[PolicyInvalid]');
    const missing = await repo.check(base, head, '--policy', path.join(repo.root, 'nope.yaml'));
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('nope.yaml: cannot read: ENOENT [PolicyInvalid]') });
  });
});

describe('manifests that do not validate', () => {
  test('broken YAML, a duplicate, and an object the API server refuses each fail with their code, file and line', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web') });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': deploy('web', { image: 'web:2' }).replace('  selector:', '  selector: [') });
    const broken = repo.commit('broken yaml');
    let { code, report } = await repo.checkJSON(base, broken);
    expect(code).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'YAMLSyntax', object: null, file: 'web.yaml', line: expect.any(Number) })]);
    expect(report.findings[0].line).toBeGreaterThan(1);
    expect(report).toMatchObject({ outcome: 'Invalid', changes: [], rollouts: [] });

    repo.write({ 'web.yaml': deploy('web'), 'copy.yaml': deploy('web', { image: 'web:3' }) });
    const dup = repo.commit('duplicate');
    ({ report } = await repo.checkJSON(base, dup));
    expect(report.findings).toEqual([expect.objectContaining({ code: 'DuplicateObject', object: 'Deployment/default/web', file: 'web.yaml', line: 1 })]);

    repo.write({ 'copy.yaml': null, 'web.yaml': deploy('web', { maxSurge: 0, maxUnavailable: 0 }) });
    const invalid = repo.commit('invalid strategy');
    ({ code, report } = await repo.checkJSON(base, invalid));
    expect(code).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'Invalid', object: 'Deployment/default/web', file: 'web.yaml', line: 1, message: expect.stringContaining('may not be 0 when `maxSurge` is 0') })]);
  });
});

describe('--each-commit', () => {
  test('an intermediate commit that removes a serving Deployment, or does not parse, is found only with --each-commit', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web'), 'api.yaml': deploy('api') });
    const base = repo.commit('base');
    repo.write({ 'api.yaml': null });
    const c1 = repo.commit('drop api');
    repo.write({ 'web.yaml': deploy('web', { image: 'web:2' }).replace('kind: Deployment', 'kind: Deployment\n  bad: [') });
    const c2 = repo.commit('web v2, typo');
    repo.write({ 'api.yaml': deploy('api'), 'web.yaml': deploy('web', { image: 'web:2' }) });
    const head = repo.commit('fix it all');

    const plain = await repo.checkJSON(base, head);
    expect(plain.code).toBe(0);
    expect(plain.report.findings).toEqual([]);
    expect(plain.report.commits).toBeUndefined();
    expect(rolloutOf(plain.report, 'web')).toMatchObject({ peakPods: 4, minAvailable: 3, completes: true });

    const each = await repo.checkJSON(base, head, '--each-commit');
    expect(each.code).toBe(1);
    expect(each.report.verdict).toBe('fail');
    expect(each.report.commits).toEqual([
      { commit: c1, subject: 'drop api', outcome: 'Blocked' },
      { commit: c2, subject: 'web v2, typo', outcome: 'Invalid' },
    ]);
    expect(each.report.findings).toEqual([
      expect.objectContaining({ severity: 'error', code: 'ServingWorkloadPrune', object: 'Deployment/default/api', file: 'api.yaml', commit: c1, message: expect.stringMatching(new RegExp(`^commit ${c1.slice(0, 7)} "drop api": `)) }),
      expect.objectContaining({ severity: 'error', code: 'YAMLSyntax', object: null, file: 'web.yaml', commit: c2 }),
    ]);
    // The head's own prediction is the same with or without --each-commit.
    expect(each.report.rollouts).toEqual(plain.report.rollouts);
  });

  test('commits that apply one after another are judged on the state the previous one left', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web'), 'api.yaml': deploy('api') });
    const base = repo.commit('base');
    repo.write({ 'api.yaml': deploy('api', { replicas: 0 }) });
    const c1 = repo.commit('api: scale to 0');
    repo.write({ 'api.yaml': null });
    const head = repo.commit('api: remove');
    // As one jump, head removes a Deployment that still serves; deployed commit by commit it is the safe way round.
    const { code, report } = await repo.checkJSON(base, head, '--each-commit');
    expect(code).toBe(1);
    expect(report.commits).toEqual([{ commit: c1, subject: 'api: scale to 0', outcome: 'Applied' }]);
    expect(report.findings).toEqual([expect.objectContaining({ code: 'ServingWorkloadPrune', object: 'Deployment/default/api' })]);
    expect(report.findings[0].commit).toBeUndefined();
  });
});

describe('output formats', () => {
  const repo = new Repo();
  repo.write({
    'web.yaml': deploy('web'),
    'db.yaml': deploy('db', { recreate: true }),
    'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2\n',
  });
  const base = repo.commit('base');
  repo.write({
    'web.yaml': deploy('web', { image: 'web:2' }),
    'db.yaml': deploy('db', { recreate: true, image: 'db:broken' }),
    'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: swordfish\n',
  });
  const head = repo.commit('web v2, db broken, new password');
  const flags = ['--fail-images', 'db:broken'];

  test('json: the documented fields, in order', async () => {
    const { code, report } = await repo.checkJSON(base, head, ...flags);
    expect(code).toBe(1);
    expect(Object.keys(report)).toEqual(['verdict', 'base', 'head', 'outcome', 'findings', 'changes', 'rollouts', 'services']);
    expect(report.outcome).toBe('RolloutFailed');
    for (const f of report.findings) expect(Object.keys(f)).toEqual(['severity', 'code', 'object', 'file', 'line', 'message']);
    expect(report.findings.map((f: any) => [f.severity, f.code, f.object])).toEqual([
      ['error', 'RolloutWillNotComplete', 'Deployment/default/db'],
      ['warning', 'RecreateDowntime', 'Deployment/default/db'],
    ]);
    expect(Object.keys(report.rollouts[0])).toEqual(['object', 'change', 'strategy', 'maxSurge', 'maxUnavailable', 'replicas', 'peakPods', 'minAvailable', 'durationSeconds', 'completes', 'reason', 'events']);
    // Recreate with a failing image: every old pod is gone and no new one ever serves.
    expect(rolloutOf(report, 'db')).toMatchObject({ minAvailable: 0, completes: false, durationSeconds: 601 });
    expect(JSON.stringify(report)).not.toMatch(/hunter2|swordfish/);
  });

  test('text: verdict, findings, changes and a rollout table with events', async () => {
    const r = await repo.check(base, head, ...flags);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('mflux check: FAIL (1 error, 1 warning)');
    expect(lines[1]).toBe(`base ${base.slice(0, 7)} "base" → head ${head.slice(0, 7)} "web v2, db broken, new password"`);
    expect(r.stdout).toContain('  error   [RolloutWillNotComplete] Deployment/default/db: ');
    expect(r.stdout).toContain('Changes: 3 to update');
    expect(r.stdout).toMatch(/^ {2}OBJECT +CHANGE +STRATEGY +SURGE +UNAVAILABLE +REPLICAS +PEAK PODS +MIN AVAILABLE +DURATION +COMPLETES$/m);
    expect(r.stdout).toMatch(/^ {2}Deployment\/default\/web +rollout +RollingUpdate +1 +0 +3 +4 +3 +30s +yes$/m);
    expect(r.stdout).toMatch(/^ {2}Deployment\/default\/db +rollout +Recreate +0 +0 +3 +3 +0 +10m1s +no \(ProgressDeadlineExceeded\)$/m);
    expect(r.stdout).toMatch(/^ {4}\+30s +Scaled down replica set web-\w+ to 0$/m);
    expect(r.stdout).not.toMatch(/hunter2|swordfish/);
  });

  test('markdown: a summary table and a collapsed diff per object, Secret values masked', async () => {
    const r = await repo.check(base, head, '--format', 'markdown', ...flags);
    expect(r.code).toBe(1);
    const md = r.stdout;
    expect(md.split('\n')[0]).toBe('### mflux check: ❌ fail');
    expect(md).toContain('| object | action | strategy | peak pods | min available | duration | verdict |');
    expect(md).toContain('| `Deployment/default/web` | update (rollout) | RollingUpdate (surge 1, unavailable 0) | 4 | 3 of 3 | 30s | ✅ |');
    expect(md).toContain('| `Deployment/default/db` | update (rollout) | Recreate | 3 | 0 of 3 | never (ProgressDeadlineExceeded at 10m1s) | ❌ RolloutWillNotComplete |');
    expect(md).toContain('| `Secret/default/creds` | update |  |  |  |  | ✅ |');
    expect(md).toContain('- ⚠️ **RecreateDowntime** `Deployment/default/db` at `db.yaml:1`: ');
    expect(md.match(/<details>/g)).toHaveLength(3);
    expect(md).toContain('<details><summary><code>Deployment/default/web</code> — update</summary>\n\n```diff\n--- live/Deployment/default/web\n+++ git/Deployment/default/web\n');
    expect(md).toContain('-      - image: web:1\n+      - image: web:2\n');
    expect(md).toContain('# Secret/default/creds: values masked; changed:');
    expect(md).not.toMatch(/hunter2|swordfish/);
    expect(md.match(/<\/details>/g)).toHaveLength(3);
  });

  test('github: one workflow command per finding with file and line, then the summary; the Markdown goes to the job summary', async () => {
    const summary = path.join(repo.root, 'step-summary.md');
    const saved = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = summary;
    let r;
    try {
      r = await repo.check(base, head, '--format', 'github', ...flags);
    } finally {
      if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = saved;
    }
    expect(fs.readFileSync(summary, 'utf8')).toMatch(/^### mflux check: ❌ fail\n/);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^::error file=db\.yaml,line=1,title=RolloutWillNotComplete Deployment\/default\/db::Deployment\/default\/db: /);
    expect(lines[1]).toMatch(/^::warning file=db\.yaml,line=1,title=RecreateDowntime Deployment\/default\/db::Deployment\/default\/db: strategy Recreate/);
    expect(lines[2]).toBe('mflux check: FAIL (1 error, 1 warning)');
  });
});

describe('isolation and failures to run', () => {
  test("the user's state dir (--state, $MFLUX_STATE, ./.mflux) is neither created nor touched", async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web') });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': deploy('web', { image: 'web:2' }) });
    const head = repo.commit('v2');
    const envState = path.join(repo.root, 'env-state');
    const cwdState = path.join(process.cwd(), '.mflux');
    const cwdBefore = fs.existsSync(cwdState) ? fs.statSync(cwdState).mtimeMs : undefined;
    const saved = process.env.MFLUX_STATE;
    process.env.MFLUX_STATE = envState;
    try {
      const { code, report } = await repo.checkJSON(base, head); // the helper passes --state repo.state
      expect(code).toBe(0);
      expect(rolloutOf(report, 'web')).toMatchObject({ completes: true });
    } finally {
      if (saved === undefined) delete process.env.MFLUX_STATE;
      else process.env.MFLUX_STATE = saved;
    }
    expect(fs.existsSync(repo.state)).toBe(false);
    expect(fs.existsSync(envState)).toBe(false);
    expect(fs.existsSync(cwdState) ? fs.statSync(cwdState).mtimeMs : undefined).toBe(cwdBefore);
    // The repository is read from its object store: the working tree and the index stay as they were.
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
  });

  test('an http(s) remote is cloned into a scratch dir of its own, removed afterwards', async () => {
    const root = tempDir('mflux-checkremote-');
    const { work } = makeRemote(root);
    try {
      commit(work, 'base', { 'web.yaml': deploy('web') });
      gitSource(work, 'push', '-q', 'origin', 'main');
      gitSource(work, 'checkout', '-q', '-b', 'feature');
      commit(work, 'web v2', { 'web.yaml': deploy('web', { image: 'web:2' }) });
      gitSource(work, 'push', '-q', 'origin', 'feature');
      const server = await startGitServer(root);
      const scratch = () => fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('mflux-check-')).sort();
      const before = scratch();
      try {
        const state = path.join(root, 'state');
        const r = await mflux(state, 'check', '--repo', `${server.url}/repo.git`, '--base', 'main', '--head', 'feature', '--format', 'json');
        expect(r.code).toBe(0);
        const report = JSON.parse(r.stdout);
        expect(report.base.ref).toBe('main');
        expect(report.head).toMatchObject({ ref: 'feature', subject: 'web v2' });
        expect(rolloutOf(report, 'web')).toMatchObject({ peakPods: 4, minAvailable: 3, durationSeconds: 30, completes: true });
        expect(fs.existsSync(state)).toBe(false);
        expect(scratch()).toEqual(before);
      } finally {
        await server.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('exit 2 with a stable code when the check cannot run', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web') });
    const base = repo.commit('base');
    const missing = await repo.check(base, 'no-such-branch');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/ref no-such-branch not found.*\[RefNotFound\]/);
    const notRepo = await repo.check('main', 'main', '--repo', repo.root);
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toContain('not a git repository [NotFound]');
    const badFormat = await repo.check(base, base, '--format', 'yaml');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("argument 'yaml' is invalid");
  });

  test('base == head passes with no changes', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web') });
    repo.commit('base');
    const { code, report } = await repo.checkJSON('main', 'main');
    expect(code).toBe(0);
    expect(report).toMatchObject({ verdict: 'pass', outcome: 'NoChange', findings: [], changes: [], rollouts: [] });
    expect(report.base).toEqual(report.head);
  });
});

describe('example wiring', () => {
  test('config/ has the CI workflow and the pre-push hook, both running mflux check', () => {
    const wf = fs.readFileSync(path.join(REPO_ROOT, 'config/github-workflow-check.yml'), 'utf8');
    expect(wf).toMatch(/pull_request/);
    expect(wf).toMatch(/mflux check .*--format markdown/);
    expect(wf).toMatch(/mflux check .*--format github/);
    const hook = path.join(REPO_ROOT, 'config/pre-push');
    expect(fs.statSync(hook).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(hook, 'utf8')).toMatch(/check --repo .* --base .* --head .* --each-commit/);
    // The hook parses as POSIX sh.
    expect(() => execFileSync('sh', ['-n', hook])).not.toThrow();
  });
});
