/**
 * bench:reconcile — a generated repository of 10,000 objects (2,500 Deployments, each with a
 * Service and two ConfigMaps), reconciled in-process as the daemon would: a first pass, a pass
 * with no new commit, and a pass after a commit that changes one file. Prints per phase
 * (read+parse, plan, apply+rollouts), peak RSS, and the floor measured on the same files:
 * `git ls-tree -r` + `git cat-file --batch` + js-yaml parse.
 * Targets: read+parse ≤ 1.5× the floor; one-file pass ≤ 1 s; no-new-commit pass ≤ 50 ms; RSS ≤ 500 MB.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { passRunner } from './pass.js';
import { APPS, REPLICAS, bumpImage, git, writeRepo } from './repo.js';

function floor(dir: string): { ms: number; files: number } {
  const t0 = performance.now();
  const tree = git(dir, 'ls-tree', '-r', 'HEAD').trim().split('\n');
  const oids = tree.map((l) => l.split(/\s+/)[2]!).join('\n') + '\n';
  const out = spawnSync('git', ['cat-file', '--batch'], { cwd: dir, input: oids, maxBuffer: 1 << 30 }).stdout as Buffer;
  let pos = 0;
  let files = 0;
  while (pos < out.length) {
    const nl = out.indexOf(10, pos);
    const size = Number(out.toString('latin1', pos, nl).split(' ')[2]);
    const text = out.toString('utf8', nl + 1, nl + 1 + size);
    load(text);
    files++;
    pos = nl + 1 + size + 1;
  }
  return { ms: performance.now() - t0, files };
}

let peakRss = 0;
const rss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-bench-reconcile-'));
  const repo = path.join(work, 'repo');
  const tGen = performance.now();
  writeRepo(repo);
  console.log(`bench:reconcile ${APPS * 4} objects (${APPS} Deployments × ${REPLICAS} replicas + Service + 2 ConfigMaps), generated in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);
  const fl = floor(repo);
  console.log(`  floor (git ls-tree -r + git cat-file --batch + js-yaml, ${fl.files} files): ${fl.ms.toFixed(0)} ms`);

  const runner = await passRunner(work, repo, rss);
  const pass = async (label: string) => {
    const t = await runner.pass();
    console.log(
      `  ${label.padEnd(16)} ${t.outcome.padEnd(9)} total ${t.total.toFixed(0).padStart(6)} ms | resolve ${t.resolve.toFixed(0)} ms, read+parse ${t.read.toFixed(0)} ms, plan ${t.plan.toFixed(0)} ms, apply+rollouts+ledger ${t.apply.toFixed(0)} ms`,
    );
    return t;
  };

  const first = await pass('first pass');
  const again = await pass('no new commit');
  bumpImage(repo);
  const one = await pass('one-file commit');
  runner.close();
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`  peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(
    `  targets: read+parse ${(first.read / fl.ms).toFixed(2)}× floor (≤ 1.5×) ${first.read <= 1.5 * fl.ms ? 'met' : 'MISSED'}; one-file pass ${one.total.toFixed(0)} ms (≤ 1000) ${one.total <= 1000 ? 'met' : 'MISSED'}; no-new-commit pass ${again.total.toFixed(0)} ms (≤ 50) ${again.total <= 50 ? 'met' : 'MISSED'}; RSS ≤ 500 MB ${peakRss <= 500 * 1024 * 1024 ? 'met' : 'MISSED'}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
