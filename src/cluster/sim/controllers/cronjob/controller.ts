/**
 * The CronJob controller (upstream pkg/controller/cronjob/cronjob_controllerv2.go): creates a Job
 * per schedule time on the cluster clock (in spec.timeZone when set, else UTC — the simulated
 * controller manager's zone), honours concurrencyPolicy, suspend and startingDeadlineSeconds,
 * tracks active Jobs and the last schedule/success times, and prunes finished Jobs beyond the
 * history limits. Wakes up 100ms after each schedule time, as upstream's nextScheduleDelta.
 */
import { CronExpressionParser } from 'cron-parser';
import { type KubeObject, isMfluxError, toRFC3339 } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { isJobFinished } from '../job/util.js';

/** COMPONENT is the event source of the CronJob controller. */
export const COMPONENT = 'cronjob-controller';
/** NEXT_SCHEDULE_DELTA_MS is how long after a schedule time the controller syncs (upstream nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** SCHEDULED_TIMESTAMP_ANNOTATION records a Job's schedule time, in the CronJob's zone. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** MANY_MISSED is the count of missed schedules above which upstream warns TooManyMissedTimes. */
export const MANY_MISSED = 100;

/** Schedule is a parsed cron schedule in one time zone. */
export interface Schedule {
  /** next returns the first schedule time strictly after `t` (epoch ms). */
  next(t: number): number;
}

/** parseSchedule parses a standard 5-field cron line (or @hourly-style macro) in `tz`; throws on a bad line or zone. */
export function parseSchedule(expr: string, tz?: string): Schedule {
  const opts = tz ? { tz } : { tz: 'UTC' };
  CronExpressionParser.parse(expr, { ...opts, currentDate: new Date(0) }).next();
  return { next: (t) => CronExpressionParser.parse(expr, { ...opts, currentDate: new Date(t) }).next().getTime() };
}

/**
 * mostRecentScheduleTime is upstream's: the latest schedule time after the earliest unmet one
 * (last schedule, else creation; with the deadline, no earlier than now − startingDeadlineSeconds)
 * that is not after now, and how many schedule times were missed. Example: `*\/5`, last run
 * 00:00, now 00:12 → 00:10, 2 missed.
 */
export function mostRecentScheduleTime(cj: KubeObject, now: number, sched: Schedule, withDeadline: boolean): { earliest: number; recent?: number; missed: number } {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? toRFC3339(now));
  const sds = cj.spec?.startingDeadlineSeconds;
  if (withDeadline && typeof sds === 'number' && now - sds * 1000 > earliest) earliest = now - sds * 1000;
  const t1 = sched.next(earliest);
  if (now < t1) return { earliest, missed: 0 };
  let recent = t1;
  let missed = 1;
  for (let t = sched.next(t1); t <= now; t = sched.next(t)) {
    recent = t;
    missed++;
    if (missed > 10_000) {
      // Beyond this many, finding the exact latest time by stepping is not worth it: jump back from now.
      recent = CronExpressionParser.parse(cj.spec.schedule, { tz: cj.spec.timeZone ?? 'UTC', currentDate: new Date(now + 1) }).prev().getTime();
      break;
    }
  }
  return { earliest, recent, missed };
}

function nextWake(cj: KubeObject, now: number, sched: Schedule): number {
  const { earliest, recent } = mostRecentScheduleTime(cj, now, sched, false);
  return sched.next(recent ?? earliest) + NEXT_SCHEDULE_DELTA_MS;
}

/** jobNameFor is upstream's getJobName: "<cronjob>-<schedule time in minutes since the epoch>". */
export function jobNameFor(cj: KubeObject, scheduled: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
}

/** rfc3339InZone writes a time as RFC 3339 with the offset of `tz` (UTC: "Z"), as Go's Time.In(loc).Format(RFC3339). */
export function rfc3339InZone(ms: number, tz?: string): string {
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC') return toRFC3339(ms);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  const off = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const hhmm = `${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${off === 0 ? 'Z' : sign + hhmm}`;
}

/** jobFromCronJob is upstream's getJobFromTemplate2: the template's labels, annotations and spec, the schedule annotation, a controller owner reference. */
export function jobFromCronJob(cj: KubeObject, scheduled: number): KubeObject {
  const t = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata.namespace,
      ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
      annotations: { ...(t.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(scheduled, cj.spec?.timeZone) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}

function jobRef(j: KubeObject): any {
  return { kind: 'Job', namespace: j.metadata.namespace, name: j.metadata.name, uid: j.metadata.uid, apiVersion: 'batch/v1', resourceVersion: j.metadata.resourceVersion };
}

/** syncCronJob reconciles one CronJob at the current instant and asks to be woken at its next schedule time. */
export function syncCronJob(ctx: ControllerContext, namespace: string, name: string): void {
  const cj0 = ctx.api.get('CronJob', namespace, name);
  if (!cj0) return;
  const key = `CronJob/${namespace}/${name}`;
  const cj: KubeObject = { ...cj0, status: structuredClone(cj0.status ?? {}) };
  const st = cj.status;
  const now = ctx.now();
  const uid = cj.metadata.uid!;
  const jobs = ctx.api.ownedBy(uid, 'Job').filter((j) => j.metadata.ownerReferences?.some((o) => o.controller && o.uid === uid));
  let active: any[] = st.active ?? [];
  const inActive = (u: string | undefined) => active.some((r) => r.uid === u);

  for (const j of jobs) {
    const finished = isJobFinished(j);
    if (!inActive(j.metadata.uid) && !finished) {
      ctx.record(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`, COMPONENT);
    } else if (inActive(j.metadata.uid) && finished) {
      active = active.filter((r) => r.uid !== j.metadata.uid);
      ctx.record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished}`, COMPONENT);
    }
    if (finished === 'Complete' && j.status?.completionTime) {
      if (!st.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(st.lastSuccessfulTime)) st.lastSuccessfulTime = j.status.completionTime;
    }
  }
  for (const r of [...active]) {
    if (jobs.some((j) => j.metadata.uid === r.uid)) continue;
    ctx.record(cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name}`, COMPONENT);
    active = active.filter((x) => x.uid !== r.uid);
  }

  const finish = (wakeAt?: number) => {
    if (active.length > 0) st.active = active;
    else delete st.active;
    const stored = ctx.api.updateStatus('CronJob', namespace, name, st);
    cleanupFinishedJobs(ctx, stored, jobs);
    if (wakeAt !== undefined) ctx.requeueAt('cronjob', key, wakeAt);
  };

  if (cj.metadata.deletionTimestamp || cj.spec?.suspend === true) return finish();
  let sched: Schedule;
  try {
    sched = parseSchedule(String(cj.spec?.schedule ?? ''), cj.spec?.timeZone);
  } catch (err) {
    if (cj.spec?.timeZone && !isZone(cj.spec.timeZone)) ctx.record(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${cj.spec.timeZone}": unknown time zone ${cj.spec.timeZone}`, COMPONENT);
    else ctx.record(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec?.schedule ?? ''}" : ${(err as Error).message}`, COMPONENT);
    return finish();
  }

  const { recent: scheduled, missed } = mostRecentScheduleTime(cj, now, sched, true);
  if (scheduled === undefined) return finish(nextWake(cj, now, sched));
  if (missed > MANY_MISSED) ctx.record(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew', COMPONENT);
  const sds = cj.spec?.startingDeadlineSeconds;
  if (typeof sds === 'number' && scheduled + sds * 1000 < now) {
    ctx.record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`, COMPONENT);
    return finish(nextWake(cj, now, sched));
  }
  const jobName = jobNameFor(cj, scheduled);
  if (active.some((r) => r.name === jobName) || (st.lastScheduleTime && Date.parse(st.lastScheduleTime) === scheduled)) return finish(nextWake(cj, now, sched));
  const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    ctx.record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid', COMPONENT);
    return finish(nextWake(cj, now, sched));
  }
  if (policy === 'Replace') {
    for (const r of active) {
      if (ctx.api.delete('Job', r.namespace ?? namespace, r.name)) ctx.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${r.name}`, COMPONENT);
    }
    active = [];
  }
  try {
    const job = ctx.api.create(jobFromCronJob(cj, scheduled));
    ctx.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`, COMPONENT);
    active = [...active, jobRef(job)];
  } catch (err) {
    if (!isMfluxError(err)) throw err;
    // A Job of that name already exists: another actor made it, as upstream assumes.
    if (err.code !== 'AlreadyExists') {
      ctx.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${err.message}`, COMPONENT);
      return finish(now + 1000);
    }
  }
  st.lastScheduleTime = toRFC3339(scheduled);
  cj.status = st;
  return finish(nextWake(cj, now, sched));
}

function isZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** rfc1123z is Go's time.RFC1123Z of a UTC time: "Sun, 10 Oct 2021 00:05:00 +0000". */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * cleanupFinishedJobs is upstream's: beyond successfulJobsHistoryLimit Complete Jobs and
 * failedJobsHistoryLimit Failed Jobs, the oldest (by start time, then name) are deleted.
 */
export function cleanupFinishedJobs(ctx: ControllerContext, cj: KubeObject, jobs: KubeObject[]): void {
  const byStart = (a: KubeObject, b: KubeObject) => {
    const sa = a.status?.startTime;
    const sb = b.status?.startTime;
    if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
    if (!sa !== !sb) return sa ? -1 : 1;
    return a.metadata.name.localeCompare(b.metadata.name);
  };
  for (const [type, limit] of [
    ['Complete', cj.spec?.successfulJobsHistoryLimit],
    ['Failed', cj.spec?.failedJobsHistoryLimit],
  ] as const) {
    if (typeof limit !== 'number') continue;
    const done = jobs.filter((j) => isJobFinished(j) === type && ctx.api.get('Job', j.metadata.namespace, j.metadata.name)).sort(byStart);
    for (const j of done.slice(0, Math.max(0, done.length - limit))) {
      if (ctx.api.delete('Job', j.metadata.namespace, j.metadata.name)) ctx.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`, COMPONENT);
    }
  }
}
