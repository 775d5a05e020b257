/**
 * ServingMeter counts each measured Service's endpoints the same way whether it scans a
 * namespace's pods (a few Services) or looks them up through a label index (many Services).
 */
import { describe, expect, test } from 'vitest';
import { VirtualClock, type KubeObject } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { ServingMeter } from '../../src/apply/index.js';

const deployment = (name: string, replicas: number, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ name: 'http', containerPort: 80 }] }] } } },
});
const service = (name: string, selector: Record<string, string>, targetPort: number | string = 80): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector, ports: [{ port: 80, targetPort }] },
});

describe('ServingMeter counting', () => {
  test('one Service (scanned) and six (indexed) count the same endpoints', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const client = new SimClient(new Simulation(clock));
    await client.apply(deployment('a', 3, { app: 'a', tier: 'web' }));
    await client.apply(deployment('b', 2, { app: 'b', tier: 'web' }));
    await client.apply(deployment('c', 1, { app: 'c' }));
    const services = [service('a', { app: 'a' }), service('web', { tier: 'web' }), service('b-named', { app: 'b' }, 'http'), service('b-missing', { app: 'b' }, 'grpc'), service('none', { app: 'zzz' }), service('c', { app: 'c', tier: 'web' })];
    for (const s of services) await client.apply(s);
    clock.advanceBy(60_000);
    await client.list('Pod');

    const measure = async (names: string[]) => {
      const meter = new ServingMeter(client, clock, names.map((name) => ({ ref: `Service/default/${name}`, namespace: 'default', name })));
      await meter.before();
      meter.applied();
      await meter.sample();
      return new Map((await meter.measures()).map((m) => [m.name, { before: m.readyBefore, min: m.minReady, peak: m.peakEndpoints }]));
    };
    const all = await measure(services.map((s) => s.metadata.name));
    expect(Object.fromEntries([...all].map(([n, m]) => [n, m.min]))).toEqual({ a: 3, web: 5, 'b-named': 2, 'b-missing': 0, none: 0, c: 0 });
    for (const s of services) expect((await measure([s.metadata.name])).get(s.metadata.name)).toEqual(all.get(s.metadata.name));
  });
});
