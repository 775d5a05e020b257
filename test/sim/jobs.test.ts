/**
 * Golden traces of the Job and CronJob controllers and of crashing containers, each worked out by
 * hand from upstream's rules (pkg/controller/job, pkg/controller/cronjob, kubelet's restart
 * back-off) before the simulator ran them. Times are offsets in seconds from the change.
 */
import { describe, expect, it } from 'vitest';
import { type KubeObject, VirtualClock, toRFC3339 } from '../../src/core/index.js';
import { type SimKnobs, Simulation } from '../../src/cluster/sim/sim.js';
import { crashBackoffMs } from '../../src/cluster/sim/controllers/kubelet.js';
import { remainingBackoffMs } from '../../src/cluster/sim/controllers/job/util.js';
import { jobNameFor, mostRecentScheduleTime, parseSchedule, rfc3339InZone } from '../../src/cluster/sim/controllers/cronjob/controller.js';
import { jobStatus } from '../../src/cluster/rollout-status.js';
import { podSummary } from '../../src/cli/format/get.js';
import { T0, apply, deploymentManifest } from './helpers.js';

function newSim(knobs: Partial<SimKnobs> = {}): { sim: Simulation; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  const sim = new Simulation(clock, { podReadyAfterMs: 10_000, podCompleteAfterMs: 10_000, crashImages: ['*:crash'], failImages: ['*:broken'], ...knobs });
  return { sim, clock };
}

interface JobOpts {
  name?: string;
  image?: string;
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  restartPolicy?: 'Never' | 'OnFailure';
}

function jobSpec(o: JobOpts): any {
  const spec: any = { template: { spec: { restartPolicy: o.restartPolicy ?? 'Never', containers: [{ name: 'work', image: o.image ?? 'busybox:1.36' }] } } };
  for (const k of ['completions', 'parallelism', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished'] as const) if (o[k] !== undefined) spec[k] = o[k];
  return spec;
}

function jobManifest(o: JobOpts = {}): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: o.name ?? 'batch', namespace: 'default' }, spec: jobSpec(o) };
}

/** Trace records every event occurrence (a repeat folded into a count is still one line per occurrence) as [seconds since start, reason, message]. */
class Trace {
  readonly lines: [number, string, string][] = [];
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly sim: Simulation,
    private readonly start: number,
    private readonly about: { kind: string; name?: string },
  ) {}
  /** take looks at the event log now; pass it as runUntil's onInstant. */
  take = (): void => {
    for (const e of this.sim.listEvents()) {
      if (e.involvedObject.kind !== this.about.kind || (this.about.name && e.involvedObject.name !== this.about.name)) continue;
      const before = this.seen.get(e.metadata.name) ?? 0;
      // The event's own timestamps have whole seconds, as the API's; the trace keeps the exact instant.
      for (let i = before; i < e.count; i++) this.lines.push([(this.sim.clock.now() - this.start) / 1000, e.reason, e.message]);
      this.seen.set(e.metadata.name, e.count);
    }
  };
}

const job = (sim: Simulation, name = 'batch') => sim.api.get('Job', 'default', name)!;
const jobPods = (sim: Simulation, name = 'batch') => sim.api.list('Pod', 'default').filter((p) => p.metadata.labels?.['job-name'] === name);
const byCreation = (pods: KubeObject[]) => [...pods].sort((a, b) => a.metadata.creationTimestamp!.localeCompare(b.metadata.creationTimestamp!) || a.metadata.resourceVersion!.localeCompare(b.metadata.resourceVersion!));
const cond = (o: KubeObject, type: string) => (o.status?.conditions ?? []).find((c: any) => c.type === type);
const finished = (sim: Simulation, name = 'batch') => () => Boolean(cond(job(sim, name), 'Complete') ?? cond(job(sim, name), 'Failed'));

// ---------------------------------------------------------------------------------------------
describe('Job: completions 5, parallelism 2 (pods ready after 10s, complete 10s later)', () => {
  it('runs 2 + 2 + 1 pods and completes at 60s', async () => {
    // By hand: 0s create 2 pods (want min(2, 5−0)); 10s Running; 20s both Succeeded → succeeded 2,
    // want min(2, 3) = 2 → create 2; 40s succeeded 4, want min(2, 1) = 1 → create 1; 60s
    // succeeded 5 ≥ completions → SuccessCriteriaMet then Complete, event "Completed".
    const { sim, clock } = newSim();
    const trace = new Trace(sim, T0, { kind: 'Job' });
    apply(sim, jobManifest({ completions: 5, parallelism: 2 }));
    expect(await sim.runUntil(finished(sim), T0 + 3_600_000, trace.take)).toBe(true);
    expect(clock.now()).toBe(T0 + 60_000);
    const pods = byCreation(jobPods(sim)).map((p) => p.metadata.name);
    expect(pods).toHaveLength(5);
    expect(trace.lines).toEqual([
      [0, 'SuccessfulCreate', `Created pod: ${pods[0]}`],
      [0, 'SuccessfulCreate', `Created pod: ${pods[1]}`],
      [20, 'SuccessfulCreate', `Created pod: ${pods[2]}`],
      [20, 'SuccessfulCreate', `Created pod: ${pods[3]}`],
      [40, 'SuccessfulCreate', `Created pod: ${pods[4]}`],
      [60, 'Completed', 'Job completed'],
    ]);
    const j = job(sim);
    expect(j.status).toMatchObject({ succeeded: 5, ready: 0, terminating: 0, startTime: toRFC3339(T0), completionTime: toRFC3339(T0 + 60_000), uncountedTerminatedPods: {} });
    expect(j.status.failed).toBeUndefined();
    expect(j.status.active).toBeUndefined();
    expect(j.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
    ]);
    expect(j.spec).toMatchObject({ backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    // Every pod ran to completion; kubectl shows them Completed, and none keeps the tracking finalizer.
    for (const p of jobPods(sim)) {
      expect(p.status.phase).toBe('Succeeded');
      expect(podSummary(p, clock.now())).toEqual({ ready: '0/1', status: 'Completed', restarts: '0' });
      expect(p.metadata.finalizers).toBeUndefined();
      expect(p.metadata.labels).toMatchObject({ 'batch.kubernetes.io/job-name': 'batch', 'batch.kubernetes.io/controller-uid': j.metadata.uid });
    }
    expect(jobStatus(j)).toEqual({ state: 'complete', message: 'job "batch" completed: 5/5 pods succeeded' });
  });

  it('never runs more than parallelism pods at once, and reports ready pods while they run', async () => {
    const { sim } = newSim();
    apply(sim, jobManifest({ completions: 5, parallelism: 2 }));
    let maxActive = 0;
    await sim.runUntil(finished(sim), T0 + 3_600_000, () => {
      const running = jobPods(sim).filter((p) => p.status?.phase === 'Pending' || p.status?.phase === 'Running').length;
      maxActive = Math.max(maxActive, running);
      expect(job(sim).status.active ?? 0).toBe(running);
    });
    expect(maxActive).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
describe('Job: failing pods (--crash-images) until BackoffLimitExceeded', () => {
  it('backoffLimit 2, restartPolicy Never: three pods with 10s then 20s back-off, Failed at 60s', async () => {
    // By hand: 0s create pod 1; 10s it exits 1 → Failed (failed 1 ≤ 2), back-off 10s after that
    // failure → create pod 2 at 20s; 30s fails (failed 2), back-off 20s → pod 3 at 50s; 60s fails,
    // failed 3 > backoffLimit 2 → FailureTarget + Failed "BackoffLimitExceeded".
    const { sim, clock } = newSim();
    const trace = new Trace(sim, T0, { kind: 'Job' });
    apply(sim, jobManifest({ image: 'app:crash', backoffLimit: 2 }));
    expect(await sim.runUntil(finished(sim), T0 + 3_600_000, trace.take)).toBe(true);
    expect(clock.now()).toBe(T0 + 60_000);
    const pods = byCreation(jobPods(sim)).map((p) => p.metadata.name);
    expect(trace.lines).toEqual([
      [0, 'SuccessfulCreate', `Created pod: ${pods[0]}`],
      [20, 'SuccessfulCreate', `Created pod: ${pods[1]}`],
      [50, 'SuccessfulCreate', `Created pod: ${pods[2]}`],
      [60, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
    ]);
    const j = job(sim);
    expect(sim.listEvents({ kind: 'Job', namespace: 'default', name: 'batch' }).at(-1)).toMatchObject({ type: 'Warning', source: { component: 'job-controller' } });
    expect(j.status).toMatchObject({ failed: 3, ready: 0, terminating: 0 });
    expect(j.status.completionTime).toBeUndefined();
    expect(j.status.conditions.map((c: any) => [c.type, c.reason, c.lastTransitionTime])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded', toRFC3339(T0 + 60_000)],
      ['Failed', 'BackoffLimitExceeded', toRFC3339(T0 + 60_000)],
    ]);
    for (const p of jobPods(sim)) {
      expect(p.status.phase).toBe('Failed');
      expect(podSummary(p, clock.now()).status).toBe('Error');
      expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    }
    expect(jobStatus(j)).toEqual({ state: 'failed', message: 'job "batch" failed: BackoffLimitExceeded: Job has reached the specified backoff limit' });
  });

  it("upstream's back-off arithmetic: 10s doubling per failure, capped at 10m, less the time since the last failure", () => {
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 0 }, 0)).toBe(0);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 1, lastFailureTime: 0 }, 0)).toBe(10_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 3, lastFailureTime: 0 }, 5_000)).toBe(35_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 7, lastFailureTime: 0 }, 0)).toBe(600_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 2, lastFailureTime: 0 }, 30_000)).toBe(0);
  });

  it('restartPolicy OnFailure: the pod crash-loops in place and its restarts count against backoffLimit', async () => {
    // By hand: pod starts at 10s, exits, kubelet restarts it at once (restartCount 1), then after
    // 10s (20s: restartCount 2). backoffLimit 2 is reached when the restarts sum to 2 → Failed at
    // 20s; the running pod is deleted (and counted failed).
    const { sim, clock } = newSim();
    const trace = new Trace(sim, T0, { kind: 'Job' });
    apply(sim, jobManifest({ image: 'app:crash', backoffLimit: 2, restartPolicy: 'OnFailure' }));
    expect(await sim.runUntil(finished(sim), T0 + 3_600_000, trace.take)).toBe(true);
    expect(clock.now()).toBe(T0 + 20_000);
    const [first] = trace.lines;
    expect(trace.lines.map((l) => [l[0], l[1]])).toEqual([
      [0, 'SuccessfulCreate'],
      [20, 'SuccessfulDelete'],
      [20, 'BackoffLimitExceeded'],
    ]);
    expect(first![2]).toMatch(/^Created pod: batch-[a-z0-9]{5}$/);
    expect(job(sim).status).toMatchObject({ failed: 1 });
    expect(jobPods(sim)).toHaveLength(0);
  });

  it('an image that cannot be pulled (--fail-images) is not a failure: the pod stays Pending in ImagePullBackOff', async () => {
    const { sim } = newSim();
    apply(sim, jobManifest({ image: 'app:broken', backoffLimit: 0 }));
    await sim.advanceBy(600_000);
    const [pod, ...rest] = jobPods(sim);
    expect(rest).toHaveLength(0);
    expect(pod!.status.phase).toBe('Pending');
    expect(podSummary(pod!, T0).status).toBe('ImagePullBackOff');
    expect(job(sim).status).toMatchObject({ active: 1, ready: 0 });
    expect(job(sim).status.failed).toBeUndefined();
    expect(jobStatus(job(sim)).state).toBe('running');
  });
});

// ---------------------------------------------------------------------------------------------
describe('Job: activeDeadlineSeconds and ttlSecondsAfterFinished', () => {
  it('DeadlineExceeded deletes the running pod at the deadline and counts it failed', async () => {
    // By hand: pod runs from 10s for 100s; the deadline of 30s after startTime (0s) comes first.
    const { sim, clock } = newSim({ podCompleteAfterMs: 100_000 });
    const trace = new Trace(sim, T0, { kind: 'Job' });
    apply(sim, jobManifest({ activeDeadlineSeconds: 30 }));
    expect(await sim.runUntil(finished(sim), T0 + 3_600_000, trace.take)).toBe(true);
    expect(clock.now()).toBe(T0 + 30_000);
    expect(trace.lines.map((l) => [l[0], l[1], l[1] === 'DeadlineExceeded' ? l[2] : ''])).toEqual([
      [0, 'SuccessfulCreate', ''],
      [30, 'SuccessfulDelete', ''],
      [30, 'DeadlineExceeded', 'Job was active longer than specified deadline'],
    ]);
    expect(job(sim).status).toMatchObject({ failed: 1, terminating: 0 });
    expect(cond(job(sim), 'Failed')).toMatchObject({ reason: 'DeadlineExceeded' });
  });

  it('with a termination grace period the Job is Failed only once its deleted pod is gone', async () => {
    const { sim, clock } = newSim({ podCompleteAfterMs: 100_000, podTerminateAfterMs: 5_000 });
    apply(sim, jobManifest({ activeDeadlineSeconds: 30 }));
    await sim.runUntil(() => Boolean(cond(job(sim), 'FailureTarget')), T0 + 3_600_000);
    expect(clock.now()).toBe(T0 + 30_000);
    expect(job(sim).status).toMatchObject({ terminating: 1 });
    expect(cond(job(sim), 'Failed')).toBeUndefined();
    expect(await sim.runUntil(finished(sim), T0 + 3_600_000)).toBe(true);
    expect(clock.now()).toBe(T0 + 35_000);
    expect(job(sim).status).toMatchObject({ terminating: 0, failed: 1 });
  });

  it('a finished Job with ttlSecondsAfterFinished 100 is deleted, with its pods, 100s after it completed', async () => {
    const { sim, clock } = newSim();
    apply(sim, jobManifest({ ttlSecondsAfterFinished: 100 }));
    expect(await sim.runUntil(finished(sim), T0 + 3_600_000)).toBe(true);
    expect(clock.now()).toBe(T0 + 20_000);
    expect(await sim.runUntil(() => !sim.api.get('Job', 'default', 'batch'), T0 + 3_600_000)).toBe(true);
    expect(clock.now()).toBe(T0 + 120_000);
    expect(jobPods(sim)).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('crashing containers under restartPolicy Always (a Deployment)', () => {
  it("restart counts follow kubelet's back-off: immediate, then 10s doubling to 5m", async () => {
    // By hand: the pod starts at 10s and its container exits at once; kubelet restarts it at once
    // (restartCount 1) and it exits again, so the back-off starts: 10s → restart 2 at 20s, 20s → 3
    // at 40s, 40s → 4 at 80s, 80s → 5 at 160s, 160s → 6 at 320s, then 300s each: 620s, 920s.
    expect([1, 2, 3, 4, 5, 6, 7].map(crashBackoffMs)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    const { sim, clock } = newSim();
    apply(sim, deploymentManifest({ replicas: 1, image: 'app:crash' }));
    const pod = () => sim.api.list('Pod', 'default').find((p) => p.metadata.labels?.app === 'front')!;
    const samples: [number, string, number, string][] = [];
    for (const at of [9, 10, 19, 20, 39, 40, 80, 160, 319, 320, 620, 920]) {
      await sim.advanceBy(T0 + at * 1000 - clock.now());
      const p = pod();
      samples.push([at, podSummary(p, clock.now()).status, p.status.containerStatuses[0].restartCount, podSummary(p, clock.now()).restarts]);
    }
    expect(samples).toEqual([
      [9, 'ContainerCreating', 0, '0'],
      [10, 'CrashLoopBackOff', 1, '1 (0s ago)'],
      [19, 'CrashLoopBackOff', 1, '1 (9s ago)'],
      [20, 'CrashLoopBackOff', 2, '2 (0s ago)'],
      [39, 'CrashLoopBackOff', 2, '2 (19s ago)'],
      [40, 'CrashLoopBackOff', 3, '3 (0s ago)'],
      [80, 'CrashLoopBackOff', 4, '4 (0s ago)'],
      [160, 'CrashLoopBackOff', 5, '5 (0s ago)'],
      [319, 'CrashLoopBackOff', 5, '5 (2m39s ago)'],
      [320, 'CrashLoopBackOff', 6, '6 (0s ago)'],
      [620, 'CrashLoopBackOff', 7, '7 (0s ago)'],
      [920, 'CrashLoopBackOff', 8, '8 (0s ago)'],
    ]);
    const p = pod();
    expect(p.status.phase).toBe('Running');
    expect(p.status.containerStatuses[0].state.waiting.message).toBe(`back-off 5m0s restarting failed container=app pod=${p.metadata.name}_default(${p.metadata.uid})`);
    expect(p.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    // The Deployment never becomes available; kubelet's BackOff event counts every restart.
    const d = sim.api.get('Deployment', 'default', 'front')!;
    expect(d.status.availableReplicas ?? 0).toBe(0);
    const backoff = sim.listEvents({ kind: 'Pod', namespace: 'default', name: p.metadata.name }).find((e) => e.reason === 'BackOff')!;
    expect(backoff).toMatchObject({ type: 'Warning', count: 8, message: `Back-off restarting failed container app in pod ${p.metadata.name}_default(${p.metadata.uid})` });
  });
});

// ---------------------------------------------------------------------------------------------
describe('CronJob: "*/5 * * * *" with concurrencyPolicy Forbid over one simulated hour', () => {
  it('skips schedules while a 7-minute Job runs and starts the latest missed one when it ends', async () => {
    // Jobs take 7m10s here (pod Running 10s after creation, Succeeded 7m later). The CronJob is
    // created at 00:02:34; the controller wakes 100ms after each schedule time.
    // By hand (times of day, h:mm:ss.s):
    //  0:05:00.1 create job for 0:05 (runs until 0:12:10.1)
    //  0:10:00.1 JobAlreadyActive
    //  0:12:10.1 job 0:05 Complete → SawCompletedJob; 0:10 is unmet and has no deadline → create job for 0:10 (until 0:19:20.1)
    //  0:15:00.1 JobAlreadyActive; 0:19:20.1 saw 0:10 → create 0:15 (until 0:26:30.1)
    //  0:20, 0:25 JobAlreadyActive; 0:26:30.1 saw 0:15 → create 0:25 (0:20 is never run) (until 0:33:40.1)
    //  0:30 JobAlreadyActive; 0:33:40.1 saw 0:25 → create 0:30; 4 Complete Jobs > successfulJobsHistoryLimit 3 → delete job 0:05
    //  0:35, 0:40 JobAlreadyActive; 0:40:50.1 saw 0:30 → create 0:40; delete job 0:10
    //  0:45 JobAlreadyActive; 0:48:00.1 saw 0:40 → create 0:45; delete job 0:15
    //  0:50, 0:55 JobAlreadyActive; 0:55:10.1 saw 0:45 → create 0:55; delete job 0:25
    //  1:00 JobAlreadyActive; (1:02:20.1 saw 0:55 → create 1:00; delete 0:30) — the hour ends at 1:02:34.
    const { sim, clock } = newSim({ podCompleteAfterMs: 420_000 });
    const midnight = Date.parse('2021-10-10T00:00:00Z');
    const trace = new Trace(sim, midnight, { kind: 'CronJob', name: 'tick' });
    apply(sim, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: 'default' },
      spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', jobTemplate: { spec: jobSpec({}) } },
    });
    await sim.advanceBy(3_600_000, trace.take);
    expect(clock.now()).toBe(T0 + 3_600_000);
    const hm = (s: number) => {
      const ms = Math.round(s * 1000);
      const t = new Date(midnight + ms).toISOString().slice(12, 21);
      return t.endsWith('.0') ? t.slice(0, -2) : t;
    };
    const jn = (h: number, m: number) => `tick-${Math.floor((midnight + (h * 60 + m) * 60_000) / 60_000)}`;
    const created = (h: number, m: number) => ['SuccessfulCreate', `Created job ${jn(h, m)}`];
    const saw = (h: number, m: number) => ['SawCompletedJob', `Saw completed job: ${jn(h, m)}, condition: Complete`];
    const deleted = (h: number, m: number) => ['SuccessfulDelete', `Deleted job ${jn(h, m)}`];
    const busy = ['JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid'];
    expect(trace.lines.map(([t, r, m]) => [hm(t), r, m])).toEqual([
      ['0:05:00.1', ...created(0, 5)],
      ['0:10:00.1', ...busy],
      ['0:12:10.1', ...saw(0, 5)],
      ['0:12:10.1', ...created(0, 10)],
      ['0:15:00.1', ...busy],
      ['0:19:20.1', ...saw(0, 10)],
      ['0:19:20.1', ...created(0, 15)],
      ['0:20:00.1', ...busy],
      ['0:25:00.1', ...busy],
      ['0:26:30.1', ...saw(0, 15)],
      ['0:26:30.1', ...created(0, 25)],
      ['0:30:00.1', ...busy],
      ['0:33:40.1', ...saw(0, 25)],
      ['0:33:40.1', ...created(0, 30)],
      ['0:33:40.1', ...deleted(0, 5)],
      ['0:35:00.1', ...busy],
      ['0:40:00.1', ...busy],
      ['0:40:50.1', ...saw(0, 30)],
      ['0:40:50.1', ...created(0, 40)],
      ['0:40:50.1', ...deleted(0, 10)],
      ['0:45:00.1', ...busy],
      ['0:48:00.1', ...saw(0, 40)],
      ['0:48:00.1', ...created(0, 45)],
      ['0:48:00.1', ...deleted(0, 15)],
      ['0:50:00.1', ...busy],
      ['0:55:00.1', ...busy],
      ['0:55:10.1', ...saw(0, 45)],
      ['0:55:10.1', ...created(0, 55)],
      ['0:55:10.1', ...deleted(0, 25)],
      ['1:00:00.1', ...busy],
      ['1:02:20.1', ...saw(0, 55)],
      ['1:02:20.1', ...created(1, 0)],
      ['1:02:20.1', ...deleted(0, 30)],
    ]);
    const cj = sim.api.get('CronJob', 'default', 'tick')!;
    expect(cj.status.lastScheduleTime).toBe('2021-10-10T01:00:00Z');
    expect(cj.status.lastSuccessfulTime).toBe(toRFC3339(Date.parse('2021-10-10T01:02:20Z')));
    expect(cj.status.active.map((r: any) => r.name)).toEqual([jn(1, 0)]);
    expect(sim.api.list('Job', 'default').map((j) => j.metadata.name)).toEqual([jn(0, 40), jn(0, 45), jn(0, 55), jn(1, 0)]);
    expect(job(sim, jn(1, 0)).metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2021-10-10T01:00:00Z');
    expect(cj.spec).toMatchObject({ suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
  });

  it('Allow runs overlapping Jobs; Replace deletes the running one first', async () => {
    for (const [policy, active, extra] of [
      ['Allow', 2, []],
      ['Replace', 1, ['SuccessfulDelete']],
    ] as const) {
      const { sim } = newSim({ podCompleteAfterMs: 420_000 });
      const trace = new Trace(sim, T0, { kind: 'CronJob', name: 'tick' });
      apply(sim, { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', namespace: 'default' }, spec: { schedule: '*/5 * * * *', concurrencyPolicy: policy, jobTemplate: { spec: jobSpec({}) } } });
      await sim.advanceBy(8 * 60_000, trace.take);
      expect(trace.lines.map((l) => l[1])).toEqual(['SuccessfulCreate', ...extra, 'SuccessfulCreate']);
      expect(sim.api.get('CronJob', 'default', 'tick')!.status.active).toHaveLength(active);
    }
  });

  it('suspend creates nothing; startingDeadlineSeconds skips a schedule missed by more than the deadline', async () => {
    const { sim } = newSim();
    const trace = new Trace(sim, T0, { kind: 'CronJob', name: 'tick' });
    const cj = (suspend: boolean): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: 'default' },
      spec: { schedule: '*/5 * * * *', suspend, startingDeadlineSeconds: 60, jobTemplate: { spec: jobSpec({}) } },
    });
    apply(sim, cj(true));
    await sim.advanceBy(10 * 60_000, trace.take);
    expect(trace.lines).toEqual([]);
    expect(sim.api.list('Job', 'default')).toHaveLength(0);
    // Resumed at 00:12:34: 00:10 is 154s late > 60s, so it is skipped; 00:15 runs.
    apply(sim, cj(false));
    await sim.advanceBy(5 * 60_000, trace.take);
    const at15 = (Date.parse('2021-10-10T00:15:00.100Z') - T0) / 1000;
    expect(trace.lines.map((l) => [l[0], l[1]])).toEqual([
      [at15, 'SuccessfulCreate'],
      [at15 + 20, 'SawCompletedJob'],
    ]);
  });

  it('schedule arithmetic: most recent unmet time, job names, time zones', () => {
    const s = parseSchedule('*/5 * * * *');
    const cj: KubeObject = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', creationTimestamp: '2021-10-10T00:00:00Z' }, spec: { schedule: '*/5 * * * *' }, status: {} };
    expect(mostRecentScheduleTime(cj, Date.parse('2021-10-10T00:12:00Z'), s, false)).toMatchObject({ recent: Date.parse('2021-10-10T00:10:00Z'), missed: 2 });
    expect(mostRecentScheduleTime(cj, Date.parse('2021-10-10T00:04:59Z'), s, false).recent).toBeUndefined();
    expect(jobNameFor(cj, Date.parse('2021-10-10T00:05:00Z'))).toBe('tick-27230405');
    const tokyo = parseSchedule('0 9 * * *', 'Asia/Tokyo');
    expect(new Date(tokyo.next(Date.parse('2021-10-10T00:05:00Z'))).toISOString()).toBe('2021-10-11T00:00:00.000Z');
    expect(rfc3339InZone(Date.parse('2021-10-11T00:00:00Z'), 'Asia/Tokyo')).toBe('2021-10-11T09:00:00+09:00');
  });
});
