/** The daemon's /status shows the health of every awaited workload a source owns, not only Deployments (objectHealth). */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { createLogger, wallClockNow } from '../../src/core/index.js';
import { Daemon, loadConfig } from '../../src/daemon/index.js';
import { daemonCluster } from '../../src/cli/commands/daemon.js';
import { ClusterSession } from '../../src/cli/session.js';
import { TestRepo, removeTestRepos } from '../cli/helpers.js';
import { until } from './helpers.js';

afterAll(removeTestRepos);

const JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: migrate:1}]
`;
const STS = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1}]}
`;

describe('daemon /status: workloads beyond Deployments', () => {
  test('a Job and a StatefulSet appear with their health once the pass has applied them', async () => {
    const repo = new TestRepo('mflux-daemon-wl-');
    repo.write({ 'job.yaml': JOB, 'db.yaml': STS }).commit('job and db');
    const file = path.join(repo.root, 'mflux.yaml');
    fs.writeFileSync(file, `state: ${repo.state}\nlisten: 127.0.0.1:0\nlog: {level: info, format: json}\nsimulation: {podReadyAfter: 1s, podCompleteAfter: 1s}\nsources:\n  - {name: app, repo: ${repo.dir}, interval: 1h, timeout: 1m}\n`);
    const cfg = loadConfig(file);
    const session = ClusterSession.open({ stateDir: cfg.stateDir, mode: 'write', clock: 'real', knobs: cfg.simulation });
    const daemon = new Daemon({ config: cfg, cluster: daemonCluster(session), logger: createLogger({ level: 'error', format: 'json', stream: new PassThrough() }), wallNow: wallClockNow });
    const { url } = await daemon.start();
    const status = async () => JSON.parse(await (await fetch(`${url}/status`)).text()).sources[0];
    try {
      const done = await until('the Job and the StatefulSet to be healthy', async () => {
        const s = await status();
        return s.outcome === 'Applied' && s.workloads.every((w: { state: string }) => w.state === 'Current') ? s : undefined;
      }, 20_000);
      expect(done.workloads).toEqual([
        { object: 'StatefulSet/default/db', state: 'Current', message: expect.stringContaining('roll out complete') },
        { object: 'Job/default/migrate', state: 'Current', message: 'job "migrate" completed: 1/1 pods succeeded' },
      ]);
    } finally {
      await daemon.stop();
      session.close();
    }
  });
});
