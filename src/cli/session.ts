/** Opening the simulated cluster from a state dir for one command, and saving it back. */
import { type Clock, RealClock, SecretDigester, VirtualClock, wallClockNow } from '../core/index.js';
import { Simulation, type SimKnobs, META_KEYS } from '../cluster/sim/sim.js';
import { SimClient } from '../cluster/sim/client.js';
import { StateStore, type StoreMode, loadSecretKey } from '../store/index.js';
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
  private constructor(
    readonly store: StateStore,
    readonly sim: Simulation,
    readonly clock: Clock,
  ) {}

  /** open loads the state dir (taking the writer lock in write mode) into a Simulation. */
  static open(opts: SessionOptions): ClusterSession {
    const store = StateStore.open(opts.stateDir, opts.mode);
    try {
      const savedNow = store.getMeta(META_KEYS.clock);
      // A new timeline starts at the wall clock (whole seconds, as API timestamps are); an existing one continues where it stopped.
      const clock: Clock = opts.clock === 'real' ? new RealClock() : new VirtualClock(savedNow ? Number(savedNow) : opts.clockStart ?? Math.floor(wallClockNow() / 1000) * 1000);
      const meta: Record<string, string | undefined> = {};
      for (const k of Object.values(META_KEYS)) meta[k] = store.getMeta(k);
      // The key is read (or, by a writer, created) only when a Secret value is first digested.
      const secrets = new SecretDigester(() => loadSecretKey(store.dir, store.mode));
      const sim = new Simulation(clock, opts.knobs ?? {}, { objects: store.loadObjects(), events: store.loadEvents(), meta }, secrets);
      return new ClusterSession(store, sim, clock);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** client is the ClusterClient over this session's simulation. */
  get client(): SimClient {
    return new SimClient(this.sim);
  }

  /** save commits everything the simulation changed since the last save, in one transaction. */
  save(): void {
    this.store.commit(this.sim.drainChanges());
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
