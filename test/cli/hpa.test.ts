/**
 * HorizontalPodAutoscalers through the CLI: `get hpa` prints kubectl's columns, and the
 * --cpu-utilization knob drives the autoscaler and is kept in the state dir like the other knobs.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mflux, tempDir, writeManifest } from './helpers.js';

const APP = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.20", resources: {requests: {cpu: 200m}}}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`;

let root: string;
let state: string;

async function ok(...args: string[]): Promise<string> {
  const r = await mflux(state, ...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  root = tempDir('mflux-hpa-');
  state = path.join(root, 'state');
});

describe('HPA through the CLI', () => {
  it('get hpa speaks kubectl; --cpu-utilization scales the target and is remembered', async () => {
    await ok('apply', '-f', writeManifest(root, 'app.yaml', APP));
    // minReplicas defaults to 1; with no knob every pod reads the target (50%): nothing moves.
    expect(await ok('get', 'hpa')).toBe(
      'NAME   REFERENCE        TARGETS        MINPODS   MAXPODS   REPLICAS   AGE\n' +
        'web    Deployment/web   cpu: 50%/50%   1         5         1          10s\n',
    );
    // 100% of a 50% target, from 1: 2 at once, 4 at +15 s, 8 capped at 5 at +30 s.
    await ok('advance', '60s', '--cpu-utilization', '100%');
    expect(await ok('get', 'hpa')).toBe(
      'NAME   REFERENCE        TARGETS         MINPODS   MAXPODS   REPLICAS   AGE\n' +
        'web    Deployment/web   cpu: 100%/50%   1         5         5          70s\n',
    );
    expect(await ok('get', 'deploy', 'web')).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+5\/5\s+5\s+5\s+70s\n$/);
    const hpa = JSON.parse(await ok('get', 'hpa', 'web', '-o', 'json'));
    expect(hpa.status).toMatchObject({ currentReplicas: 5, desiredReplicas: 5, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '200m' } } }] });
    const events = JSON.parse(await ok('get', 'events', '-o', 'json')).items.filter((e: any) => e.involvedObject.kind === 'HorizontalPodAutoscaler');
    expect(events.map((e: any) => [e.reason, e.message])).toEqual([
      ['SuccessfulRescale', 'New size: 2; reason: cpu resource utilization (percentage of request) above target'],
      ['SuccessfulRescale', 'New size: 4; reason: cpu resource utilization (percentage of request) above target'],
      ['SuccessfulRescale', 'New size: 5; reason: cpu resource utilization (percentage of request) above target'],
    ]);
    // The knob is kept: a later command without the flag still reads 100%.
    await ok('advance', '1s');
    expect(await ok('get', 'hpa')).toContain('cpu: 100%/50%');

    const bad = await mflux(state, 'advance', '1s', '--cpu-utilization', 'lots');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('invalid value for --cpu-utilization: "lots" (use a whole percentage of the CPU request, e.g. 50%, from 0% to 10000%)') });
  });
});
