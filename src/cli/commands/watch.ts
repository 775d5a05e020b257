/** Driving the simulation until rollouts finish, printing kubectl rollout status lines as they change. */
import { formatDuration } from '../../core/index.js';
import { type RolloutState, workloadRolloutStatus } from '../../cluster/rollout-status.js';
import type { Simulation } from '../../cluster/sim/sim.js';
import type { IO } from '../io.js';
import type { ClusterSession } from '../session.js';

/** WorkloadKind is a kind with a rollout status. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** RolloutWatch is a workload to follow (a Deployment unless `kind` says otherwise). */
export interface RolloutWatch {
  namespace: string;
  name: string;
  kind?: WorkloadKind;
}

/** WORKLOAD_KINDS lists the kinds `rollout status` follows. */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** kindWord is how kubectl's messages name a kind: deployment, statefulset, daemon set. */
export function kindWord(kind: WorkloadKind | undefined): string {
  return kind === 'DaemonSet' ? 'daemon set' : (kind ?? 'Deployment').toLowerCase();
}

/** watchState is the rollout status of one watched workload (failed when it is gone). */
export function watchState(sim: Simulation, w: RolloutWatch): RolloutState {
  const kind = w.kind ?? 'Deployment';
  const obj = sim.api.get(kind, w.namespace, w.name);
  return (obj && workloadRolloutStatus(obj)) || { message: `${kindWord(kind)} "${w.name}" not found`, done: false, failed: true };
}

/** WatchResult says how each followed rollout ended. */
export interface WatchResult {
  done: RolloutWatch[];
  failed: RolloutWatch[];
  /** stuck: neither done nor failed when time ran out or nothing more could happen. */
  stuck: RolloutWatch[];
}

/**
 * watchRollouts runs the simulation until every Deployment is rolled out or has exceeded its
 * progress deadline, or until `timeoutMs` of cluster time (0: no limit) — printing each
 * Deployment's rollout status line whenever it changes, as `kubectl rollout status` does.
 */
export async function watchRollouts(session: ClusterSession, watches: RolloutWatch[], timeoutMs: number, io: IO): Promise<WatchResult> {
  const { sim } = session;
  const last = new Map<string, string>();
  const state = (w: RolloutWatch) => watchState(sim, w);
  const show = () => {
    for (const w of watches) {
      const s = state(w);
      const k = `${w.kind ?? 'Deployment'}/${w.namespace}/${w.name}`;
      if (last.get(k) === s.message || s.failed) continue;
      last.set(k, s.message);
      io.out(`${s.message}\n`);
    }
  };
  const finished = () => watches.every((w) => {
    const s = state(w);
    return s.done || s.failed;
  });
  // With no limit, a virtual clock still stops: when no timer is left, nothing more can happen.
  const deadline = timeoutMs > 0 ? sim.clock.now() + timeoutMs : Number.MAX_SAFE_INTEGER;
  // On the real clock the rollout takes real time: commit every step, so other processes
  // (`mflux get`, `kubectl` through `mflux serve`) can follow it as it happens.
  const onInstant = session.clock.virtual ? show : () => (show(), session.save());
  await sim.runUntil(finished, deadline, onInstant);
  const result: WatchResult = { done: [], failed: [], stuck: [] };
  for (const w of watches) {
    const s = state(w);
    (s.done ? result.done : s.failed ? result.failed : result.stuck).push(w);
  }
  return result;
}

/** reportWatch prints failures the way kubectl does and returns the exit code (0 all done, 1 otherwise). */
export function reportWatch(sim: Simulation, r: WatchResult, timeoutMs: number, io: IO): number {
  for (const w of r.failed) io.err(`error: ${watchState(sim, w).message}\n`);
  for (const w of r.stuck) {
    const msg = watchState(sim, w).message;
    const subject = `${kindWord(w.kind)} "${w.name}"`;
    io.err(
      timeoutMs > 0
        ? `error: timed out waiting for ${subject} after ${formatDuration(timeoutMs)} of cluster time: ${msg}\n`
        : `error: ${subject} can make no further progress${(w.kind ?? 'Deployment') === 'Deployment' ? ' (no progress deadline set)' : ''}: ${msg}\n`,
    );
  }
  return r.failed.length + r.stuck.length > 0 ? 1 : 0;
}
