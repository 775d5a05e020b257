/** Commands that let cluster time pass: `rollout status` (until the rollout ends) and `advance` (by a duration). */
import { MfluxError, RealClock, formatDuration, isMfluxError, toRFC3339 } from '../../core/index.js';
import { workloadRolloutStatus } from '../../cluster/rollout-status.js';
import { type IO, EXIT } from '../io.js';
import { type CommonOptions, type SimFlagOptions, durationFlag, sessionOf } from '../options.js';
import { ClusterSession, runInSession } from '../session.js';
import { notFound, parseWorkloadArg } from './view.js';
import { kindWord, reportWatch, watchRollouts } from './watch.js';

/** RolloutStatusOptions are `mflux rollout status`'s flags. */
export interface RolloutStatusOptions extends CommonOptions, SimFlagOptions {
  namespace?: string;
  watch?: boolean;
  timeout?: string;
  revision?: string;
}

/**
 * rolloutStatusCommand follows one Deployment like `kubectl rollout status`: prints each new
 * status line while the cluster runs, exits 0 when rolled out, 1 when the progress deadline is
 * exceeded. With --watch=false it prints the current line once and changes nothing.
 */
export async function rolloutStatusCommand(arg: string, opts: RolloutStatusOptions, io: IO): Promise<number> {
  if (opts.watch !== false && lockedByAnother(opts)) return followSaved(arg, opts, io);
  const sessionOpts = () => sessionOf(opts, opts.watch === false ? 'read' : 'write');
  return runInSession(sessionOpts, io, async (session) => {
    const { kind, name } = parseWorkloadArg(arg);
    const ns = opts.namespace ?? 'default';
    const timeoutMs = durationFlag('timeout', opts.timeout ?? '0')!;
    const d = session.sim.api.get(kind, ns, name);
    if (!d) {
      io.err(notFound(kind, name));
      return EXIT.bad;
    }
    // kubectl checks --revision for Deployments only; the other viewers ignore it.
    if (opts.revision !== undefined && kind === 'Deployment') {
      const running = d.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '';
      if (running !== opts.revision) {
        io.err(`error: desired revision (${opts.revision}) is different from the running revision (${running})\n`);
        return EXIT.bad;
      }
    }
    if (opts.watch === false) {
      const s = workloadRolloutStatus(d)!;
      if (s.failed) {
        io.err(`error: ${s.message}\n`);
        return EXIT.bad;
      }
      io.out(`${s.message}\n`);
      return EXIT.ok;
    }
    const result = await watchRollouts(session, [{ namespace: ns, name, kind }], timeoutMs, io);
    return reportWatch(session.sim, result, timeoutMs, io);
  });
}

/** lockedByAnother is true when another process (a running daemon) holds the state dir's writer lock. */
function lockedByAnother(opts: RolloutStatusOptions): boolean {
  try {
    ClusterSession.open(sessionOf(opts, 'write')).close();
    return false;
  } catch (err) {
    return isMfluxError(err, 'StateLocked');
  }
}

/** FOLLOW_POLL_MS is how often a follower re-reads a state dir that another process is advancing. */
const FOLLOW_POLL_MS = 250;

/**
 * followSaved is `rollout status` while another process (the daemon) runs the cluster: it cannot
 * run the cluster itself, so it re-reads the saved state, printing each new status line, until
 * the rollout ends — in real time, as kubectl through `mflux serve` would see it.
 */
async function followSaved(arg: string, opts: RolloutStatusOptions, io: IO): Promise<number> {
  const { kind, name } = parseWorkloadArg(arg);
  const ns = opts.namespace ?? 'default';
  const timeoutMs = durationFlag('timeout', opts.timeout ?? '0')!;
  const clock = new RealClock();
  const deadline = timeoutMs > 0 ? clock.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let last = '';
  for (;;) {
    let code: number | undefined;
    const run = await runInSession(() => sessionOf(opts, 'read'), io, (session) => {
      const d = session.sim.api.get(kind, ns, name);
      if (!d) {
        io.err(notFound(kind, name));
        return (code = EXIT.bad);
      }
      if (opts.revision !== undefined && last === '' && kind === 'Deployment') {
        const running = d.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '';
        if (running !== opts.revision) {
          io.err(`error: desired revision (${opts.revision}) is different from the running revision (${running})\n`);
          return (code = EXIT.bad);
        }
      }
      const s = workloadRolloutStatus(d)!;
      if (s.failed) {
        io.err(`error: ${s.message}\n`);
        return (code = EXIT.bad);
      }
      if (s.message !== last) io.out(`${s.message}\n`);
      last = s.message;
      if (s.done) code = EXIT.ok;
      return EXIT.ok;
    });
    if (run !== EXIT.ok) return run;
    if (code !== undefined) return code;
    if (clock.now() >= deadline) {
      io.err(`error: timed out waiting for ${kindWord(kind)} "${name}" after ${formatDuration(timeoutMs)}: ${last}\n`);
      return EXIT.bad;
    }
    await clock.sleepUntil(Math.min(clock.now() + FOLLOW_POLL_MS, deadline));
  }
}

/** advanceCommand lets DURATION of cluster time pass (or until --to TIME) on the virtual clock, running the controllers on the way. */
export async function advanceCommand(duration: string | undefined, opts: CommonOptions & SimFlagOptions & { to?: string }, io: IO): Promise<number> {
  return runInSession(() => ({ ...sessionOf(opts, 'write'), clock: 'virtual' as const }), io, async (session) => {
    const from = session.clock.now();
    let ms: number;
    if (opts.to !== undefined) {
      const to = Date.parse(opts.to);
      if (!Number.isFinite(to)) throw new MfluxError('Usage', `invalid --to "${opts.to}": use an RFC 3339 time`);
      if (duration !== undefined) throw new MfluxError('Usage', 'give either DURATION or --to, not both');
      ms = Math.max(0, to - from);
    } else {
      if (duration === undefined) throw new MfluxError('Usage', 'give a DURATION (e.g. 2m30s) or --to TIME');
      ms = durationFlag('duration', duration)!;
    }
    await session.sim.advanceBy(ms);
    io.out(`cluster time advanced by ${formatDuration(ms)}: ${toRFC3339(from)} → ${toRFC3339(session.clock.now())}\n`);
    return EXIT.ok;
  });
}
