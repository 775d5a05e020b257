/**
 * The real daemon process reports serving capacity: /status lists each Service a source manages
 * with its ready endpoints out of all endpoints, and /metrics carries
 * mflux_service_ready_endpoints{service="namespace/name"}. Real time; pods are ready after 1 s.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestRepo, removeTestRepos } from '../cli/helpers.js';
import { ensureBuilt, killAll, sourceStatus, startDaemon, until } from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  killAll();
  removeTestRepos();
});

const deployment = (replicas: number, image = 'nginx:1.0') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: web, image: "${image}", ports: [{name: http, containerPort: 8080}]}]}
`;

const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  selector: {app: front}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: broken}
spec:
  selector: {app: front}
  ports: [{port: 80, targetPort: nope}]
---
apiVersion: v1
kind: Service
metadata: {name: external}
spec:
  ports: [{port: 5432}]
`;

const config = (state: string, repo: string) => `state: ${state}
listen: 127.0.0.1:0
log: {level: info, format: json}
simulation: {podReadyAfter: 1s}
sources:
  - {name: app, repo: ${repo}, ref: main, interval: 1h, timeout: 1m}
`;

describe('daemon serving capacity (real process)', () => {
  test('/status: ready endpoints / endpoints per Service; /metrics: mflux_service_ready_endpoints per namespace/name', async () => {
    const repo = new TestRepo('mflux-daemon-svc-');
    repo.write({ 'front.yaml': deployment(3), 'services.yaml': SERVICES }).commit('front and its services');
    const d = await startDaemon(repo.root, config(repo.state, repo.dir));
    try {
      const s = await until('3 ready endpoints', async () => {
        const st = await sourceStatus(d, 'app');
        return st?.outcome === 'Applied' && st.services.find((v: any) => v.object === 'Service/default/front')?.ready === 3 ? st : undefined;
      }, 30_000, d);
      // A Service whose named targetPort no pod declares has endpoints but none that serve a port.
      expect(s.services).toEqual([
        { object: 'Service/default/broken', state: 'NoReadyEndpoints', ready: 0, endpoints: 3 },
        { object: 'Service/default/external', state: 'Unmanaged', ready: 0, endpoints: 0 },
        { object: 'Service/default/front', state: 'Serving', ready: 3, endpoints: 3 },
      ]);
      const metrics = (await d.get('/metrics')).text;
      expect(metrics).toContain('# TYPE mflux_service_ready_endpoints gauge');
      expect(metrics).toContain('mflux_service_ready_endpoints{service="default/front"} 3\n');
      expect(metrics).toContain('mflux_service_ready_endpoints{service="default/broken"} 0\n');
      expect(metrics).not.toContain('service="default/external"');

      // Scaled down to 1: the gauge follows at the next scrape.
      repo.write({ 'front.yaml': deployment(1) }).commit('front: 1 replica');
      await until('1 ready endpoint', async () => (await d.get('/metrics')).text.includes('mflux_service_ready_endpoints{service="default/front"} 1\n'), 30_000, d);
      expect((await sourceStatus(d, 'app')).services.find((v: any) => v.object === 'Service/default/front')).toEqual({ object: 'Service/default/front', state: 'Serving', ready: 1, endpoints: 1 });
    } finally {
      await d.stop();
    }
  });
});
