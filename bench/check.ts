/**
 * bench:check — `mflux check` on the 10,000-object benchmark repository (bench/repo.ts) for a
 * commit that changes one file (one Deployment's image). The check seeds a fresh simulated cluster
 * with all 10,000 objects of base, rolls out its 2,500 Deployments on the virtual clock, then plans
 * head against it, guards it, applies it and simulates and measures the one rollout — and the ready
 * endpoints of the Service in front of it (every Deployment has one: 2,500 Services in all).
 * Prints the end-to-end time of the command (in-process, as `mflux check --format json` would run),
 * then the same check once more with its phases timed, and peak RSS.
 * Target: ≤ 5 s total.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VirtualClock, wallClockNow } from '../src/core/index.js';
import { Simulation } from '../src/cluster/sim/sim.js';
import { SimClient } from '../src/cluster/sim/client.js';
import { type CheckPhase, runCheck } from '../src/check/index.js';
import { main as mflux } from '../src/cli/program.js';
import { captureIO } from '../src/cli/io.js';
import { type GitSource, openSource } from '../src/source/index.js';
import { APPS, REPLICAS, bumpImage, writeRepo } from './repo.js';

let peakRss = 0;
const rss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-bench-check-'));
  const repo = path.join(work, 'repo');
  const tGen = performance.now();
  const base = writeRepo(repo);
  const head = bumpImage(repo);
  console.log(`bench:check ${APPS * 4} objects (${APPS} Deployments × ${REPLICAS} replicas + Service + 2 ConfigMaps), one-file change; generated in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);

  // 1. The command itself, end to end (resolve, seed, plan, guard, apply, simulate, render).
  const io = captureIO();
  const t0 = performance.now();
  const timer = setInterval(rss, 50);
  const code = await mflux(['check', '--repo', repo, '--base', base, '--head', head, '--format', 'json'], io);
  const total = performance.now() - t0;
  rss();
  const report = JSON.parse(io.stdout);
  const r = report.rollouts[0];
  console.log(
    `  mflux check       exit ${code} ${report.verdict}, ${report.changes.length} change(s): total ${total.toFixed(0)} ms` +
      (r ? ` | ${r.object}: peak ${r.peakPods} pods, min available ${r.minAvailable}, ${r.durationSeconds} s` : '') +
      (report.services ?? []).map((v: any) => ` | ${v.object}: min ready ${v.minReady} of ${v.desired}, ${v.zeroSeconds} s at 0`).join(''),
  );

  // 2. The same check through runCheck, with its phases timed.
  const marks: [CheckPhase | 'start', number][] = [['start', performance.now()]];
  const start = Math.floor(wallClockNow() / 1000) * 1000;
  // As the command opens them: head shares base's object caches.
  const open = (ref: string, shareWith?: GitSource) => openSource({ repo, ref, path: '', stateDir: work, shareWith });
  const baseSource = await open(base);
  await runCheck({
    base: baseSource,
    head: await open(head, baseSource),
    newCluster: () => {
      const clock = new VirtualClock(start);
      return { client: new SimClient(new Simulation(clock)), clock };
    },
    onPhase: (p) => {
      marks.push([p, performance.now()]);
      rss();
    },
  });
  clearInterval(timer);
  const phases = marks.slice(1).map(([p, t], i) => `${p} ${(t - marks[i]![1]).toFixed(0)} ms`);
  console.log(`  phases (again)    total ${(marks[marks.length - 1]![1] - marks[0]![1]).toFixed(0)} ms | ${phases.join(', ')}`);
  console.log(`  peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(`  target: check of a one-file commit ${total.toFixed(0)} ms (≤ 5000) ${total <= 5000 ? 'met' : 'MISSED'}`);
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
