/** Scale and atomicity of `mflux apply`: 10,000 replicas roll out; a command that fails part-way saves nothing. */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { captureIO } from '../../src/cli/io.js';
import { runInSession } from '../../src/cli/session.js';
import { StateStore } from '../../src/store/index.js';
import { mflux, tempDir, writeManifest } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function deployment(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: nginx:1.25
`;
}

describe('apply at scale', () => {
  // With the default seed this Deployment's pods draw "big-867d694469-hzs82" twice; before generated
  // names were retried, the second draw failed the whole command with AlreadyExists.
  it('rolls out 10,000 replicas on a fresh state', async () => {
    const root = tempDir();
    dirs.push(root);
    const state = `${root}/state`;
    const file = writeManifest(root, 'big.yaml', deployment('big', 10_000));
    const run = await mflux(state, 'apply', '-f', file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('deployment "big" successfully rolled out');
    const store = StateStore.open(state, 'read');
    try {
      const pods = store.loadObjects().filter((o) => o.kind === 'Pod');
      expect(pods).toHaveLength(10_000);
      expect(new Set(pods.map((p) => p.metadata.name)).size).toBe(10_000);
      expect(pods.some((p) => p.metadata.name === 'big-867d694469-hzs82')).toBe(true);
      expect(pods.every((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
    } finally {
      store.close();
    }
    const again = await mflux(state, 'apply', '-f', file);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('deployment.apps/big unchanged');
  }, 120_000);
});

describe('a command that fails part-way', () => {
  it('saves nothing of what it changed', async () => {
    const root = tempDir();
    dirs.push(root);
    const state = `${root}/state`;
    const file = writeManifest(root, 'web.yaml', deployment('web', 2));
    expect((await mflux(state, 'apply', '-f', file, '--no-wait')).code).toBe(0);
    const before = StateStore.open(state, 'read');
    const rvBefore = before.getMeta('sim.resourceVersion');
    const objectsBefore = JSON.stringify(before.loadObjects());
    before.close();

    const io = captureIO();
    const code = await runInSession({ stateDir: state, mode: 'write' }, io, (s) => {
      s.client.applySync({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'half', namespace: 'default' }, data: { a: '1' } });
      const web = s.sim.api.get('Deployment', 'default', 'web')!;
      s.client.applySync({ ...web, spec: { ...web.spec, replicas: 5 } });
      expect(s.sim.api.list('Pod')).toHaveLength(5);
      throw new Error('controller failed mid-sync');
    });
    expect(code).toBe(2);
    expect(io.stderr).toContain('controller failed mid-sync');
    const after = StateStore.open(state, 'read');
    try {
      expect(after.getMeta('sim.resourceVersion')).toBe(rvBefore);
      expect(JSON.stringify(after.loadObjects())).toBe(objectsBefore);
      expect(after.loadObjects().some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'half')).toBe(false);
    } finally {
      after.close();
    }
    // The writer lock was released: the next command runs.
    expect((await mflux(state, 'get', 'deployments')).code).toBe(0);
  });
});
