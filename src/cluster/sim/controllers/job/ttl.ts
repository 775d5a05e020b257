/**
 * The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): deletes a finished
 * Job (and, through the garbage collector, its pods) ttlSecondsAfterFinished after it finished.
 */
import type { KubeObject } from '../../../../core/index.js';
import type { ControllerContext } from '../context.js';
import { isJobFinished, jobFinishTime } from './util.js';

/** ttlExpiresAt is when a finished Job with ttlSecondsAfterFinished is due for deletion (epoch ms). */
export function ttlExpiresAt(job: KubeObject): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (typeof ttl !== 'number' || !isJobFinished(job)) return undefined;
  const at = jobFinishTime(job);
  return at === undefined ? undefined : at + ttl * 1000;
}

/** scheduleTTL asks for a TTL check when a finished Job expires. */
export function scheduleTTL(ctx: ControllerContext, job: KubeObject): void {
  const at = ttlExpiresAt(job);
  if (at !== undefined) ctx.requeueAt('ttl', `Job/${job.metadata.namespace}/${job.metadata.name}`, Math.max(at, ctx.now()));
}

/** syncTTL deletes the Job when its TTL has expired. */
export function syncTTL(ctx: ControllerContext, namespace: string, name: string): void {
  const job = ctx.api.get('Job', namespace, name);
  if (!job || job.metadata.deletionTimestamp) return;
  const at = ttlExpiresAt(job);
  if (at !== undefined && at <= ctx.now()) ctx.api.delete('Job', namespace, name);
}
