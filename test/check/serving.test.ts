/**
 * Serving capacity in `mflux check`: ready endpoints per Service at every simulated instant, and
 * the serving findings, on real git repositories. Numbers are worked out by hand from the
 * Deployment controller's arithmetic (pods Ready 10 s after they are created, deleted pods gone at once).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Repo, cleanup, deploy, service } from './helpers.js';

afterAll(cleanup);

const svcOf = (report: any, name: string) => report.services.find((s: any) => s.object === `Service/default/${name}`);
const codes = (report: any) => report.findings.map((f: any) => [f.severity, f.code, f.object]);

/** web writes a Deployment `web` whose pods carry `labels` (its selector stays app=web) and declare `ports`. */
function web(o: { replicas?: number; image?: string; labels?: string; ports?: string; recreate?: boolean; surge?: string; unavailable?: string } = {}): string {
  const strategy = o.recreate ? '  strategy:\n    type: Recreate\n' : `  strategy:\n    rollingUpdate:\n      maxSurge: "${o.surge ?? '25%'}"\n      maxUnavailable: "${o.unavailable ?? '25%'}"\n`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${o.replicas ?? 4}
  selector:
    matchLabels: {app: web}
${strategy}  template:
    metadata:
      labels: ${o.labels ?? '{app: web}'}
    spec:
      containers:
        - name: app
          image: ${o.image ?? 'web:1'}
          ports: ${o.ports ?? '[{name: http, containerPort: 8080}]'}
`;
}

/** webService writes Service `web` with a selector and a targetPort. */
function webService(selector = '{app: web}', targetPort = 'http'): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: ${selector}
  ports:
    - name: http
      port: 80
      targetPort: ${targetPort}
`;
}

describe('ready endpoints during a rollout, worked out by hand', () => {
  test('4 replicas 25%/25% behind a Service: never below 3 ready, at most 5 endpoints, no finding', async () => {
    // surge 1, unavailable 1. t0: N→1, O→3, N→2: 3 old Ready + 2 new starting = 5 endpoints, 3 ready.
    // t10: the 2 new are Ready; O→1, N→4: 1 + 2 ready of 5. t20: O→0, 4 new Ready: 4 of 4.
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web()}---\n${webService()}` });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': `${web({ image: 'web:2' })}---\n${webService()}` });
    const head = repo.commit('web v2');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.services).toEqual([
      { object: 'Service/default/web', readyBefore: 4, minReady: 3, minReadyAtSeconds: 0, peakReady: 4, peakEndpoints: 5, readyAfter: 4, desired: 4, minRatio: 0.75, zeroSeconds: 0, recovers: true },
    ]);
    expect(report.rollouts[0]).toMatchObject({ peakPods: 5, minAvailable: 3, durationSeconds: 20 });
  });

  test('Recreate: 0 ready from the apply until the new pods are Ready (10 s) → ServiceOutage at the Deployment, with its seconds', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web({ replicas: 3, recreate: true })}---\n${webService()}` });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': `${web({ replicas: 3, recreate: true, image: 'web:2' })}---\n${webService()}` });
    const head = repo.commit('web v2');
    let { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 3, minReady: 0, minReadyAtSeconds: 0, peakReady: 3, readyAfter: 3, desired: 3, minRatio: 0, zeroSeconds: 10, recovers: true });
    expect(report.findings).toEqual([
      {
        severity: 'error',
        code: 'ServiceOutage',
        object: 'Service/default/web',
        file: 'web.yaml',
        line: 1, // the Deployment: its strategy is the cause
        message: 'Service/default/web: ready endpoints fall from 3 to 0 for 10s (from +0s until pods it selects are Ready): requests fail meanwhile; fix: use strategy RollingUpdate with maxUnavailable below replicas for Deployment/default/web (Recreate stops every pod before starting new ones)',
      },
      expect.objectContaining({ severity: 'warning', code: 'RecreateDowntime' }),
    ]);
    // Pods that take longer to start keep the Service down longer: 30 s.
    ({ report } = await repo.checkJSON(base, head, '--pod-ready-after', '30s'));
    expect(svcOf(report, 'web')).toMatchObject({ minReady: 0, zeroSeconds: 30, recovers: true });
    expect(report.rollouts[0].durationSeconds).toBe(30);
    expect(report.findings[0].message).toContain('for 30s');
  });

  test('a deep but partial dip in ready endpoints is a CapacityDrop warning, tuned by minServingRatio', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web({ replicas: 4, surge: '0%', unavailable: '75%' })}---\n${webService()}` });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': `${web({ replicas: 4, surge: '0%', unavailable: '75%', image: 'web:2' })}---\n${webService()}` });
    const head = repo.commit('web v2');
    // surge 0, unavailable 3: O→1, N→3 at t0 → 1 ready of 4 (25%); t10: O→0, N→4 → 3 ready; t20: 4.
    let { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(0);
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 4, minReady: 1, minRatio: 0.25, zeroSeconds: 0 });
    expect(report.findings).toEqual([
      {
        severity: 'warning',
        code: 'CapacityDrop',
        object: 'Service/default/web',
        file: 'web.yaml',
        line: 1,
        message: 'Service/default/web: ready endpoints fall to 1 of 4 desired (25%, below minServingRatio 0.5) at +0s; fix: keep some pods Ready during the rollout: maxUnavailable below replicas for Deployment/default/web, or more replicas',
      },
    ]);
    const policy = path.join(repo.root, 'policy.yaml');
    fs.writeFileSync(policy, 'minServingRatio: 0.2\n');
    ({ code, report } = await repo.checkJSON(base, head, '--policy', policy));
    expect(report.findings).toEqual([]);
  });
});

describe('changing which pods a Service selects', () => {
  // Two commits: first the pods get the new label (the selector still app=web), then the selector asks for it.
  const twoCommits = new Repo();
  twoCommits.write({ 'web.yaml': `${web({ replicas: 3 })}---\n${webService()}` });
  const base = twoCommits.commit('base');
  twoCommits.write({ 'web.yaml': `${web({ replicas: 3, labels: '{app: web, track: stable}' })}---\n${webService()}` });
  const labels = twoCommits.commit('pods: add track=stable');
  twoCommits.write({ 'web.yaml': `${web({ replicas: 3, labels: '{app: web, track: stable}' })}---\n${webService('{app: web, track: stable}')}` });
  const selector = twoCommits.commit('service: select track=stable');

  test('in two commits: neither loses a ready endpoint', async () => {
    let { code, report } = await twoCommits.checkJSON(base, labels);
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    // 3 × 25%/25% (surge 1, unavailable 0): the old pods keep serving while new ones start.
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 3, minReady: 3, peakEndpoints: 4, zeroSeconds: 0 });
    ({ code, report } = await twoCommits.checkJSON(labels, selector));
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 3, minReady: 3, readyAfter: 3, zeroSeconds: 0 });
  });

  test('in one commit: the selector matches no running pod until the first new pod is Ready → ServiceOutage for 10 s at the Service', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web({ replicas: 3 })}---\n${webService()}` });
    const b = repo.commit('base');
    repo.write({ 'web.yaml': `${web({ replicas: 3, labels: '{app: web, track: stable}' })}---\n${webService('{app: web, track: stable}')}` });
    const h = repo.commit('pods and service: track=stable');
    const { code, report } = await repo.checkJSON(b, h);
    expect(code).toBe(1);
    // t0: N→1 (not Ready), the old pods lack track=stable: 0 ready. t10: 1 new Ready; t20: 2; t30: 3.
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 3, minReady: 0, zeroSeconds: 10, readyAfter: 3, desired: 3, recovers: true });
    const line = fs.readFileSync(path.join(repo.dir, 'web.yaml'), 'utf8').split('\n').indexOf('---') + 2;
    expect(report.findings).toEqual([
      {
        severity: 'error',
        code: 'ServiceOutage',
        object: 'Service/default/web',
        file: 'web.yaml',
        line,
        message: 'Service/default/web: ready endpoints fall from 3 to 0 for 10s (from +0s until pods it selects are Ready): requests fail meanwhile; fix: change labels and selector in two commits: first add the new labels to the pod template (keeping the old selector) and let it roll out, then change the selector',
      },
    ]);
    // The same change across the two-commit repository's whole range is one apply too: the check says so.
    const whole = await twoCommits.checkJSON(base, selector);
    expect(codes(whole.report)).toEqual([['error', 'ServiceOutage', 'Service/default/web']]);
    // --each-commit deploys each commit alone: neither is an outage on its own.
    const each = await twoCommits.checkJSON(base, selector, '--each-commit');
    expect(each.report.commits.map((c: any) => c.outcome)).toEqual(['Applied']);
    expect(codes(each.report)).toEqual([['error', 'ServiceOutage', 'Service/default/web']]);
  });
});

describe('static findings from the head', () => {
  test('targetPort: http with and without a container port named http', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web()}---\n${webService()}` });
    const base = repo.commit('base');
    // The container port is renamed: the Service's named targetPort no longer resolves in the new pods.
    repo.write({ 'web.yaml': `${web({ ports: '[{name: web, containerPort: 8080}]', image: 'web:2' })}---\n${webService()}` });
    const head = repo.commit('rename the port');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(1);
    const tp = report.findings.find((f: any) => f.code === 'TargetPortNotFound');
    expect(tp).toEqual({
      severity: 'error',
      code: 'TargetPortNotFound',
      object: 'Service/default/web',
      file: 'web.yaml',
      line: fs.readFileSync(path.join(repo.dir, 'web.yaml'), 'utf8').split('\n').indexOf('---') + 2,
      message: 'Service/default/web: port http (80) targets the container port named "http" (TCP), which no container of Deployment/default/web declares, so no pod serves it; fix: name a container port "http" (ports: [{name: http, containerPort: N}]) or set targetPort to the number',
    });
    // And the rollout proves it: as the new pods replace the old, no endpoint serves port 80 any more.
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 4, minReady: 0, readyAfter: 0, recovers: false });
    expect(codes(report)).toContainEqual(['error', 'ServiceOutage', 'Service/default/web']);

    // With the port named http (base itself): nothing to say.
    repo.write({ 'web.yaml': `${web({ image: 'web:3' })}---\n${webService()}` });
    const fixed = repo.commit('port named http again');
    const ok = await repo.checkJSON(base, fixed);
    expect(ok.report.findings).toEqual([]);
    // A numeric targetPort needs no declared port.
    repo.write({ 'web.yaml': `${web({ ports: '[]', image: 'web:4' })}---\n${webService('{app: web}', '8080')}` });
    const numeric = repo.commit('numeric targetPort');
    expect((await repo.checkJSON(base, numeric)).report.findings).toEqual([]);
  });

  test('ServiceSelectsNothing, and a problem base already had is info, not an error', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': deploy('web'), 'svc.yaml': service('web') });
    const base = repo.commit('base');
    repo.write({ 'svc.yaml': service('web').replace('{app: web}', '{app: wbe}') });
    const head = repo.commit('typo in the selector');
    const { code, report } = await repo.checkJSON(base, head);
    expect(code).toBe(1);
    expect(report.findings[0]).toEqual({
      severity: 'error',
      code: 'ServiceSelectsNothing',
      object: 'Service/default/web',
      file: 'svc.yaml',
      line: 1,
      message: 'Service/default/web: selector app=wbe matches no pod template in namespace default, so it would have no endpoints; fix: make the selector a subset of a workload\'s pod template labels, or add the labels to the template',
    });
    // The selector change empties the Service at once and it never recovers.
    expect(codes(report)).toEqual([['error', 'ServiceSelectsNothing', 'Service/default/web'], ['error', 'ServiceOutage', 'Service/default/web']]);
    expect(svcOf(report, 'web')).toMatchObject({ readyBefore: 3, minReady: 0, recovers: false, desired: 0 });
    // A later PR that does not fix it is not blamed for it.
    repo.write({ 'web.yaml': deploy('web', { image: 'web:2' }) });
    const later = repo.commit('web v2');
    const next = await repo.checkJSON(head, later);
    expect(next.code).toBe(0);
    expect(next.report.findings).toEqual([expect.objectContaining({ severity: 'info', code: 'ServiceSelectsNothing', message: expect.stringMatching(/\(already so at base\)$/) })]);
  });

  test('IngressBackendMissing: a Service that is gone after the change, or a port it does not have', async () => {
    const ingress = (svc: string, port: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  defaultBackend:
    service: {name: web, port: {number: 80}}
  rules:
    - host: web.example
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: ${svc}, port: ${port}}
`;
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web()}---\n${webService()}`, 'ing.yaml': ingress('web', '{name: http}') });
    const base = repo.commit('base');
    expect((await repo.checkJSON(base, base)).report.findings).toEqual([]);
    repo.write({ 'ing.yaml': ingress('api', '{number: 80}') });
    const missing = repo.commit('route to api');
    let { code, report } = await repo.checkJSON(base, missing);
    expect(code).toBe(1);
    expect(report.findings).toEqual([
      {
        severity: 'error',
        code: 'IngressBackendMissing',
        object: 'Ingress/default/web',
        file: 'ing.yaml',
        line: 1,
        message: 'Ingress/default/web: spec.rules[0].http.paths[0].backend routes to Service "api", which does not exist in namespace default after the change; fix: add the Service, or point the backend at one that exists',
      },
    ]);
    repo.write({ 'ing.yaml': ingress('web', '{name: https}') });
    const port = repo.commit('route to https');
    ({ code, report } = await repo.checkJSON(base, port));
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => f.message)).toEqual([
      'Ingress/default/web: spec.rules[0].http.paths[0].backend routes to port "https" of Service/default/web, which has ports http (80); fix: use one of its ports, or add the port to the Service',
    ]);
  });
});

describe('formats', () => {
  test('Markdown has a column per Service; text a Serving table; GitHub an annotation per finding', async () => {
    const repo = new Repo();
    repo.write({ 'web.yaml': `${web({ replicas: 3, recreate: true })}---\n${webService()}` });
    const base = repo.commit('base');
    repo.write({ 'web.yaml': `${web({ replicas: 3, recreate: true, image: 'web:2' })}---\n${webService()}` });
    const head = repo.commit('web v2');
    const md = (await repo.check(base, head, '--format', 'markdown')).stdout;
    expect(md).toContain('#### Serving');
    expect(md).toContain('| | `Service/default/web` |');
    expect(md).toContain('| ready before | 3 |');
    expect(md).toContain('| min ready | ❌ 0 of 3 at +0s |');
    expect(md).toContain('| time at 0 ready | 10s |');
    expect(md).toMatch(/❌ \*\*ServiceOutage\*\* `Service\/default\/web` at `web\.yaml:1`/);
    const text = (await repo.check(base, head)).stdout;
    expect(text).toMatch(/Serving:\n\s+SERVICE\s+BEFORE\s+MIN READY\s+AT\s+PEAK ENDPOINTS\s+DESIRED\s+MIN CAPACITY\s+AT ZERO\n\s+Service\/default\/web\s+3\s+0\s+\+0s\s+3\s+3\s+0%\s+10s\n/);
    const gh = (await repo.check(base, head, '--format', 'github')).stdout;
    expect(gh).toMatch(/^::error file=web\.yaml,line=1,title=ServiceOutage Service\/default\/web::Service\/default\/web: ready endpoints fall from 3 to 0 for 10s/m);
  });
});
