/** One timed reconcile pass for the benchmarks: a simulated cluster, a state store and a repository as one source, as the daemon keeps them. */
import path from 'node:path';
import { VirtualClock } from '../src/core/index.js';
import { Simulation } from '../src/cluster/sim/sim.js';
import { SimClient } from '../src/cluster/sim/client.js';
import { StateStore } from '../src/store/index.js';
import { Ledger } from '../src/ledger/index.js';
import { newSourceMemo, reconcileOnce, type ProgressEvent } from '../src/reconcile/index.js';
import { openSource } from '../src/source/index.js';

/** TimedPass is one pass's outcome and where its time went (ms): resolve, read/render, plan, apply+rollouts+ledger. */
export interface TimedPass {
  outcome: string;
  reason?: string;
  total: number;
  resolve: number;
  read: number;
  plan: number;
  apply: number;
}

/** passRunner opens the world once and returns `pass`, which runs and times one pass (calling `sample` at every progress event), and `close`. */
export async function passRunner(work: string, repo: string, sample: () => void): Promise<{ pass: () => Promise<TimedPass>; close: () => void }> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const client = new SimClient(new Simulation(clock));
  const store = StateStore.open(path.join(work, 'state'), 'write');
  const ledger = new Ledger(store);
  const memo = newSourceMemo();
  // One source object for every pass, as the daemon keeps it.
  const git = await openSource({ repo, ref: 'main', path: '', stateDir: path.join(work, 'state') });
  const pass = async (): Promise<TimedPass> => {
    const marks: Record<string, number> = {};
    const t0 = performance.now();
    const onProgress = (e: ProgressEvent) => {
      marks[e.type] ??= performance.now();
      sample();
    };
    const r = await reconcileOnce({ world: { client, clock, ledger, wallNow: () => Date.now() }, source: { git, name: 'bench', url: repo, memo }, rules: { timeoutMs: 0 }, hooks: { onProgress } });
    const t1 = performance.now();
    sample();
    return {
      outcome: r.outcome,
      reason: r.reasons[0]?.message,
      total: t1 - t0,
      resolve: (marks.resolved ?? t0) - t0,
      read: (marks.read ?? t1) - (marks.resolved ?? t0),
      plan: (marks.planned ?? t1) - (marks.read ?? t1),
      apply: t1 - (marks.planned ?? t1),
    };
  };
  return { pass, close: () => store.close() };
}
