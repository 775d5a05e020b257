/**
 * One source's schedule: passes on an interval with ±10% jitter, exponential backoff for
 * retryable failures (capped at the interval), no retry of a commit judged terminal, triggers
 * (webhook, watcher) that run a pass early, and never two passes of one source at once.
 */
import { type Clock, type Logger, MfluxError, isMfluxError, toRFC3339 } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { type Ledger, TERMINAL_OUTCOMES } from '../ledger/index.js';
import type { Policy, Reason } from '../plan/index.js';
import { type ReconcileResult, newSourceMemo, reconcileOnce } from '../reconcile/index.js';
import { type GitSource, type RefWatcher, openSource, watchRefs } from '../source/index.js';
import type { SourceConfig } from './config.js';
import type { DaemonMetrics } from './metrics.js';

/** BACKOFF_BASE_MS is the first retry delay after a retryable failure; it doubles per failure up to the interval (1s, 2s, 4s, … ≤ interval). */
export const BACKOFF_BASE_MS = 1000;
/** TRIGGER_DEBOUNCE_MS gathers the file events of one ref move (lock, rename, packed-refs) and a burst of pushes into one pass. */
export const TRIGGER_DEBOUNCE_MS = 250;
/** JITTER is the ± fraction applied to every delay, so sources started together do not poll in lockstep. */
export const JITTER = 0.1;

/** RunnerWorld is what a runner needs from the daemon. */
export interface RunnerWorld {
  clock: Clock;
  client: ClusterClient;
  ledger: Ledger;
  stateDir: string;
  policy: Policy;
  metrics: DaemonMetrics;
  logger: Logger;
  wallNow: () => number;
  random: () => number;
  /** persist saves the cluster with `also` in one transaction (see ReconcileOptions.persist). */
  persist: (also?: () => void) => void;
  /** stop aborts when the daemon is stopping. */
  stop: AbortSignal;
}

/** TriggerKind says why a pass ran. */
export type TriggerKind = 'start' | 'interval' | 'retry' | 'webhook' | 'watch';

/**
 * PassLogLine is the JSON log line that ends every pass (and every failed fetch): what operators'
 * log pipelines and the load benchmark read. Passes found in sync log at debug, the rest at info
 * or above.
 */
export interface PassLogLine {
  level: string;
  message: string;
  timestamp?: string;
  source: string;
  revision?: string;
  outcome: string;
  trigger: TriggerKind;
  /** latenessMs: how late the pass started compared to when it was due. */
  latenessMs: number;
  durationMs?: number;
  /** commitToReadyMs: commit time to every rollout healthy (Applied passes of commits that landed while the daemon ran). */
  commitToReadyMs?: number;
  /** retryInMs and failures: the backoff after a failed fetch. */
  retryInMs?: number;
  failures?: number;
  reasons?: string[];
}

/** backoffDelay is the wait after `failures` consecutive retryable failures: 1s, 2s, 4s, … capped at the interval. Example: interval 1m → 1, 2, 4, 8, 16, 32, 60, 60 s. */
export function backoffDelay(failures: number, intervalMs: number): number {
  return Math.min(intervalMs, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

/** jittered spreads a delay by ±JITTER: with random() = 0.5 it is unchanged; 1m becomes 54–66 s. */
export function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (1 - JITTER + 2 * JITTER * random()));
}

/** SourceRunner runs one source's passes. */
export class SourceRunner {
  /** completed is true once a pass has finished (any outcome): what /readyz waits for. */
  completed = false;
  running = false;
  failures = 0;
  nextRunAt: number;
  nextTrigger: TriggerKind = 'start';
  lastResult?: ReconcileResult;
  lastError?: Reason;
  lastRunAt?: number;
  lastDurationMs?: number;
  /** waiting explains a commit that is not being retried (terminal outcome), if any. */
  waiting?: string;
  private source?: GitSource;
  private watcher?: RefWatcher;
  private readonly memo = newSourceMemo();
  private wake = new AbortController();
  private pending?: TriggerKind;
  private readonly log: Logger;
  private loopDone?: Promise<void>;

  constructor(
    readonly cfg: SourceConfig,
    private readonly w: RunnerWorld,
  ) {
    this.nextRunAt = w.clock.now();
    this.log = w.logger.child({ source: cfg.name });
    // One listener for the runner's lifetime (not a combined signal per wait: those pile up on the stop signal).
    w.stop.addEventListener('abort', () => this.wake.abort(), { once: true });
  }

  /** url is the repository as configured (the config refuses credentials written into a URL, so it is safe to show). */
  get url(): string {
    return this.cfg.repo;
  }

  /** start begins the loop (the first pass runs at once). */
  start(): void {
    this.loopDone = this.loop();
  }

  /** done resolves when the loop has ended (after stop, once the running pass reached a safe point). */
  done(): Promise<void> {
    return this.loopDone ?? Promise.resolve();
  }

  /**
   * trigger asks for a pass soon (webhook, watcher). Several triggers within the debounce make
   * one pass; a trigger during a pass makes one more pass right after it.
   */
  trigger(kind: TriggerKind, delayMs = TRIGGER_DEBOUNCE_MS): void {
    if (this.w.stop.aborted) return;
    if (this.running) {
      this.pending = kind;
      return;
    }
    const at = this.w.clock.now() + delayMs;
    if (at < this.nextRunAt) {
      this.nextRunAt = at;
      this.nextTrigger = kind;
      this.wake.abort();
    }
  }

  private async loop(): Promise<void> {
    while (!this.w.stop.aborted) {
      this.wake = new AbortController();
      await this.w.clock.sleepUntil(this.nextRunAt, this.wake.signal);
      if (this.w.stop.aborted) break;
      if (this.w.clock.now() < this.nextRunAt) continue; // woken to re-read nextRunAt
      await this.runOnce().catch((err: Error) => {
        // A bug in one pass must not end this source's schedule (or, unhandled, the whole daemon).
        this.log.error(`pass crashed: ${err?.stack ?? err}`);
        this.running = false;
        this.schedule(this.cfg.intervalMs, 'interval');
      });
    }
    await this.watcher?.close();
  }

  private async openOnce(): Promise<GitSource> {
    if (this.source) return this.source;
    const src = await openSource({ repo: this.cfg.repo, ref: this.cfg.ref, path: this.cfg.path, stateDir: this.w.stateDir, credentials: this.cfg.credentials, timeoutMs: this.cfg.timeoutMs });
    this.source = src;
    if (src.localGitDir) {
      // A local repository tells us when its ref moves: no need to wait for the interval.
      this.watcher = watchRefs(
        src.localGitDir,
        () => this.trigger('watch'),
        (err) => this.log.warn(`watching ${src.localGitDir} failed (${err.message}); new commits are found by polling every ${this.cfg.intervalMs / 1000}s`),
      );
      await this.watcher.ready;
    }
    return src;
  }

  private schedule(delayMs: number, kind: TriggerKind): void {
    this.nextRunAt = this.w.clock.now() + jittered(delayMs, this.w.random);
    this.nextTrigger = kind;
  }

  /** runOnce resolves the source and, unless the head is a commit already judged terminal, runs a pass. */
  async runOnce(): Promise<void> {
    const { clock, ledger } = this.w;
    const trigger = this.nextTrigger;
    const latenessMs = Math.max(0, clock.now() - this.nextRunAt);
    const started = clock.now();
    this.running = true;
    this.pending = undefined;
    this.lastRunAt = this.w.wallNow();
    try {
      const source = await this.openOnce();
      const before = ledger.sourceState(this.cfg.name);
      const resolved = await source.resolve(before.lastAppliedCommit);
      const head = resolved.revision;
      const last = ledger.lastPass(this.cfg.name);
      if (last && last.commit === head.commit && last.outcome && TERMINAL_OUTCOMES.includes(last.outcome)) {
        // The commit was judged (Blocked, Invalid, RolloutFailed): running it again cannot change the verdict.
        this.waiting = `${head.revision} ended ${last.outcome}; waiting for a new commit`;
        this.log.debug(this.waiting, { revision: head.revision, outcome: 'Waiting', trigger, latenessMs });
        this.failures = 0;
        this.completed = true;
        this.schedule(this.cfg.intervalMs, 'interval');
        return;
      }
      this.waiting = undefined;
      const log = this.log.child({ revision: head.revision });
      for (const w of resolved.warnings) log.warn(w);
      const result = await reconcileOnce({
        world: { client: this.w.client, clock, ledger, wallNow: this.w.wallNow, persist: this.w.persist },
        source: { git: source, name: this.cfg.name, url: this.url, memo: this.memo },
        rules: { policy: this.w.policy, timeoutMs: this.cfg.timeoutMs },
        hooks: {
          signal: this.w.stop,
          coalesce: true,
          quietInSync: true,
          resolved,
          onProgress: (e) => {
            if (e.type === 'applied') log.info(`${e.ref} ${e.action}`);
            else if (e.type === 'pruned') log.info(`${e.ref} pruned`);
            else if (e.type === 'replanned') log.warn(`planned again: ${e.reason}`);
          },
        },
      });
      this.lastResult = result;
      this.lastError = undefined;
      const commitToReadyMs = this.record(result, before.lastAppliedCommit, started, this.completed);
      this.completed = true;
      // A quiet interval pass is routine: at debug, or 100 sources at 5 s would log 20 lines a second saying nothing.
      const level = result.outcome === 'NoChange' && result.changes.length === 0 ? 'debug' : result.outcome === 'Applied' || result.outcome === 'NoChange' ? 'info' : result.outcome === 'Interrupted' ? 'warn' : 'error';
      log.log(level, `${result.outcome}: ${result.reason}`, { outcome: result.outcome, trigger, latenessMs, durationMs: clock.now() - started, ...(commitToReadyMs !== undefined ? { commitToReadyMs } : {}), reasons: result.reasons.map((r) => `${r.code}: ${r.message}`) });
      if (result.retryable && result.outcome !== 'Interrupted') {
        this.failures++;
        this.schedule(backoffDelay(this.failures, this.cfg.intervalMs), 'retry');
      } else {
        this.failures = 0;
        this.schedule(this.cfg.intervalMs, 'interval');
      }
    } catch (err) {
      // Fetch errors, unreachable remotes, a path that is not a repository: no pass began.
      const e = isMfluxError(err) ? err : new MfluxError('Internal', String((err as Error)?.message ?? err));
      const retryable = Boolean(e.details.retryable);
      this.lastError = { code: e.code, object: this.cfg.name, message: e.message };
      this.lastResult = undefined;
      this.failures++;
      this.w.metrics.reconcileTotal.inc({ source: this.cfg.name, outcome: 'Failed' });
      this.w.metrics.reconcileDuration.observe({ source: this.cfg.name, outcome: 'Failed' }, (clock.now() - started) / 1000);
      const delay = retryable ? backoffDelay(this.failures, this.cfg.intervalMs) : this.cfg.intervalMs;
      this.schedule(delay, retryable ? 'retry' : 'interval');
      this.log.error(`${e.code}: ${e.message}`, { outcome: 'Failed', trigger, latenessMs, retryInMs: this.nextRunAt - clock.now(), failures: this.failures });
    } finally {
      this.running = false;
      this.lastDurationMs = clock.now() - started;
      if (this.pending && !this.w.stop.aborted) this.trigger(this.pending);
    }
  }

  /** record updates the metrics for a finished pass; returns commit-to-ready (ms) for an applied commit. */
  private record(r: ReconcileResult, prevApplied: string | undefined, started: number, watching: boolean): number | undefined {
    const m = this.w.metrics;
    const source = this.cfg.name;
    m.reconcileTotal.inc({ source, outcome: r.outcome });
    m.reconcileDuration.observe({ source, outcome: r.outcome }, (this.w.clock.now() - started) / 1000);
    if (r.outcome === 'Applied' || r.outcome === 'NoChange') {
      if (r.revision) m.setRevision(source, r.revision.revision);
      // Changes to the very commit that was already applied are drift: someone changed the cluster behind Git's back.
      m.driftObjects.set({ source }, r.revision?.commit === prevApplied ? r.changes.length : 0);
    }
    if (r.outcome === 'Blocked') for (const reason of r.reasons) m.blockedChanges.inc({ source, code: reason.code });
    // Only commits that landed while the daemon was watching: the first pass's commit may be older
    // than the daemon and would measure how long it was not running, not how fast commits ship.
    if (r.outcome === 'Applied' && r.revision && watching) {
      // The pass returns once every rollout it started is healthy, so now is "ready". Git times are whole seconds.
      const ms = Math.max(0, this.w.wallNow() - r.revision.time);
      m.commitToReady.observe({ source }, ms / 1000);
      return ms;
    }
    return undefined;
  }

  /** nextRunAtText is nextRunAt as RFC 3339 (null while a pass runs). */
  nextRunAtText(): string | null {
    return this.running ? null : toRFC3339(this.nextRunAt);
  }
}
