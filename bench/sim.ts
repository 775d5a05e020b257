/**
 * bench:sim — 1,000 Deployments × 10 replicas rolled out at once on the virtual clock, then every
 * one of them updated to a new image (a second, rolling rollout). Prints wall time and peak RSS.
 * Target (2-core machine): ≤ 5 s and ≤ 500 MB for the first rollout.
 */
import { VirtualClock } from '../src/core/index.js';
import { Simulation } from '../src/cluster/sim/sim.js';
import { SimClient } from '../src/cluster/sim/client.js';
import type { KubeObject } from '../src/core/index.js';
import { StateStore } from '../src/store/index.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DEPLOYMENTS = Number(process.env.BENCH_DEPLOYMENTS ?? 1000);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 10);

function deployment(i: number, image: string): KubeObject {
  const name = `app-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function rollout(sim: Simulation, client: SimClient, image: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < DEPLOYMENTS; i++) client.applySync(deployment(i, image));
  const done = () =>
    sim.api.list('Deployment').every((d) => d.status?.updatedReplicas === REPLICAS && d.status?.availableReplicas === REPLICAS && d.status?.replicas === REPLICAS && d.status?.observedGeneration === d.metadata.generation);
  const ok = await sim.runUntil(done, sim.clock.now() + 3_600_000, sampleRss);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!ok) throw new Error(`rollout to ${image} did not complete`);
  return ms;
}

async function main(): Promise<void> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const sim = new Simulation(clock);
  const client = new SimClient(sim);
  const start = clock.now();
  const first = await rollout(sim, client, 'registry.example/app:v1');
  const firstCluster = (clock.now() - start) / 1000;
  sampleRss();
  const rssAfterFirst = peakRss;
  const t1 = clock.now();
  const second = await rollout(sim, client, 'registry.example/app:v2');
  const secondCluster = (clock.now() - t1) / 1000;
  sampleRss();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-bench-'));
  const t2 = process.hrtime.bigint();
  const store = StateStore.open(path.join(dir, 'state'), 'write');
  store.commit(sim.drainChanges());
  store.close();
  const saveMs = Number(process.hrtime.bigint() - t2) / 1e6;
  const t3 = process.hrtime.bigint();
  const reader = StateStore.open(path.join(dir, 'state'), 'read');
  const loaded = reader.loadObjects().length;
  reader.close();
  const loadMs = Number(process.hrtime.bigint() - t3) / 1e6;
  sampleRss();
  fs.rmSync(dir, { recursive: true, force: true });
  const pods = sim.api.list('Pod').length;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(`bench:sim ${DEPLOYMENTS} Deployments × ${REPLICAS} replicas (node ${process.version})`);
  console.log(`  initial rollout : ${(first / 1000).toFixed(2)} s wall, ${firstCluster}s cluster time, peak RSS ${mb(rssAfterFirst)} MB`);
  console.log(`  image update    : ${(second / 1000).toFixed(2)} s wall, ${secondCluster}s cluster time, peak RSS ${mb(peakRss)} MB`);
  console.log(`  save to state.db: ${(saveMs / 1000).toFixed(2)} s; load back ${loaded} objects: ${(loadMs / 1000).toFixed(2)} s; peak RSS ${mb(peakRss)} MB`);
  console.log(`  ${pods} pods, ${sim.events.size} events, resourceVersion ${sim.api.resourceVersion}`);
  const target = first <= 5000 && rssAfterFirst <= 500 * 1024 * 1024;
  console.log(`  target (initial rollout ≤ 5 s, ≤ 500 MB): ${target ? 'met' : 'MISSED'}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
