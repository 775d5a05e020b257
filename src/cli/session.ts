/** Opening the simulated cluster from a state dir for one command, and saving it back. */
import { type Clock, MfluxError, RealClock, SecretDigester, VirtualClock, isMfluxError, wallClockNow } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { Simulation, type SimKnobs, META_KEYS } from '../cluster/sim/sim.js';
import { SimClient } from '../cluster/sim/client.js';
import { Ledger } from '../ledger/index.js';
import { StateStore, type StoreMode, isSqliteError, loadSecretKey, sqliteError } from '../store/index.js';
import { type IO, reportError } from './io.js';

/** ClockKind chooses the virtual (default) or the real clock. */
export type ClockKind = 'virtual' | 'real';

/** SessionOptions say where the state is, whether we write it, which clock and which simulation knobs. */
export interface SessionOptions {
  stateDir: string;
  mode: StoreMode;
  clock?: ClockKind;
  knobs?: Partial<SimKnobs>;
  /** clockStart starts a new virtual timeline here (epoch ms) instead of at the wall clock; an existing timeline ignores it. */
  clockStart?: number;
}

/** ClusterSession is one command's view of the simulated cluster backed by a state dir. */
export class ClusterSession {
  private closed = false;
  private current: Simulation;
  private constructor(
    readonly store: StateStore,
    sim: Simulation,
    readonly clock: Clock,
    private readonly knobs: Partial<SimKnobs>,
    /** interrupted counts the passes this open found left without an outcome and recorded as Interrupted. */
    readonly interrupted: number,
  ) {
    this.current = sim;
  }

  /** sim is the session's simulation; reload() replaces it, so hold the session, not the simulation. */
  get sim(): Simulation {
    return this.current;
  }

  /**
   * open loads the state dir (taking the writer lock in write mode) into a Simulation. A writer
   * first closes every pass an earlier writer left without an outcome (killed mid-pass): holding
   * the lock, it knows no such pass is still running. Every writer (daemon, reconcile, apply,
   * advance, …) opens through here, so none of them can leave a pass InProgress forever.
   */
  static open(opts: SessionOptions): ClusterSession {
    const store = StateStore.open(opts.stateDir, opts.mode);
    try {
      const interrupted = opts.mode === 'write' ? new Ledger(store).markInterrupted(wallClockNow()) : 0;
      const savedNow = store.getMeta(META_KEYS.clock);
      // A new timeline starts at the wall clock (whole seconds, as API timestamps are); an existing one continues where it stopped.
      const clock: Clock = opts.clock === 'real' ? new RealClock() : new VirtualClock(savedNow ? Number(savedNow) : opts.clockStart ?? Math.floor(wallClockNow() / 1000) * 1000);
      return new ClusterSession(store, loadSimulation(store, clock, opts.knobs ?? {}), clock, opts.knobs ?? {}, interrupted);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** client is the ClusterClient over this session's simulation. */
  get client(): SimClient {
    return new SimClient(this.sim);
  }

  /**
   * liveClient is a ClusterClient that always talks to the current simulation, across reload():
   * what a long-lived holder (the daemon) keeps.
   */
  liveClient(): ClusterClient {
    // Every method of the client is looked up on a client of the current simulation at call time.
    return new Proxy({} as ClusterClient, {
      get: (_target, prop) => {
        const client = new SimClient(this.current);
        const v = (client as unknown as Record<string | symbol, unknown>)[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(client) : v;
      },
    });
  }

  /** save commits everything the simulation changed since the last save, in one transaction. */
  save(): void {
    this.store.commit(this.sim.drainChanges());
  }

  /**
   * saveOrRollBack commits the simulation's changes with `also` in one transaction. If the write
   * fails, nothing of it is on disk, so the in-memory cluster is reloaded from disk: memory must
   * never run ahead of what was saved, or a later pass would find the unsaved change "already
   * applied" and never write it (the daemon retries the pass instead). The error is rethrown coded:
   * DiskFull for a full disk or database, StateWriteFailed for any other failed write, both retryable.
   */
  saveOrRollBack(also?: () => void): void {
    try {
      this.store.commit(this.sim.drainChanges(), also ? () => also() : undefined);
    } catch (err) {
      const cause = isSqliteError(err) ? sqliteError(this.store.dir, err) : err;
      try {
        this.reload();
      } catch (reloadErr) {
        // Reading back failed too (the disk may be gone): keep the first error, it says what went wrong.
        void reloadErr;
      }
      if (isMfluxError(cause, 'DiskFull')) throw cause;
      const inner = isMfluxError(cause) ? `${cause.code}: ${cause.message}` : String((cause as Error)?.message ?? cause);
      throw new MfluxError('StateWriteFailed', `saving the cluster state failed (${inner}); the in-memory cluster was rolled back to what is on disk and the write is retried`, {
        subject: this.store.dir,
        cause: err,
        details: { retryable: true },
      });
    }
  }

  /** reload replaces the simulation with the one stored on disk (what a restart would load). */
  reload(): void {
    this.current = loadSimulation(this.store, this.clock, this.knobs);
  }

  /** close saves (in write mode, unless `discard`) and releases the state dir. */
  close(opts: { discard?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.store.mode === 'write' && !opts.discard) this.save();
    } finally {
      this.store.close();
    }
  }
}

function loadSimulation(store: StateStore, clock: Clock, knobs: Partial<SimKnobs>): Simulation {
  const meta: Record<string, string | undefined> = {};
  for (const k of Object.values(META_KEYS)) meta[k] = store.getMeta(k);
  // The key is read (or, by a writer, created) only when a Secret value is first digested.
  const secrets = new SecretDigester(() => loadSecretKey(store.dir, store.mode));
  return new Simulation(clock, knobs, { objects: store.loadObjects(), events: store.loadEvents(), meta }, secrets);
}

/**
 * runInSession opens a session, runs a command in it and always closes it; any error becomes
 * kubectl-style output and an exit code. In write mode the cluster is saved only when the command
 * returned: one that threw (a controller failing mid-sync, say) saves nothing of what it changed
 * since the last save, so the state dir never holds a half-done step.
 */
export async function runInSession(opts: SessionOptions | (() => SessionOptions), io: IO, fn: (s: ClusterSession) => number | Promise<number>): Promise<number> {
  let session: ClusterSession | undefined;
  let code: number;
  let threw = false;
  try {
    session = ClusterSession.open(typeof opts === 'function' ? opts() : opts);
    if (session.interrupted > 0) io.err(`warning: ${interruptedNotice(session.interrupted)}\n`);
    code = await fn(session);
  } catch (err) {
    threw = true;
    code = reportError(io, err);
  }
  if (session) {
    try {
      session.close({ discard: threw });
    } catch (err) {
      code = reportError(io, err);
    }
  }
  return code;
}

/** interruptedNotice tells that `n` passes cut short by an earlier process are now recorded as Interrupted. */
export function interruptedNotice(n: number): string {
  return `${n} pass(es) were cut short by an earlier stop and are recorded as Interrupted; the next pass continues from the cluster as it is`;
}
