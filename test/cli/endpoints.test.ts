/**
 * Endpoints through the CLI: `get endpoints|endpointslices` and `describe service` print what
 * kubectl 1.32 prints for the objects the simulated endpoint controllers publish (ENDPOINTS lists
 * the first 3 ready addresses then "+ N more..."; describe's Endpoints line comes from the
 * Service's EndpointSlices). Cluster time is virtual: 10 s per pod to Ready.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mflux, tempDir, writeManifest } from './helpers.js';

const APP = (replicas: number, image = 'nginx:1.20') => `
apiVersion: v1
kind: Service
metadata: {name: front, labels: {tier: web}}
spec:
  selector: {app: front}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9100, targetPort: 9100, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec: {containers: [{name: app, image: "${image}", ports: [{name: http, containerPort: 8080}]}]}
`;

let root: string;
let state: string;

async function ok(...args: string[]): Promise<string> {
  const r = await mflux(state, ...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  root = tempDir('mflux-endpoints-');
  state = path.join(root, 'state');
  await ok('apply', '-f', writeManifest(root, 'app.yaml', APP(5)));
});

/** podIPs lists the front pods' IPs in pod-name order (the order a new slice lists them). */
async function podIPs(): Promise<string[]> {
  const pods = JSON.parse(await ok('get', 'pods', '-o', 'json')).items as any[];
  return pods
    .filter((p) => p.metadata.labels?.app === 'front')
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((p) => p.status.podIP);
}

describe('get endpoints / endpointslices', () => {
  it('get endpoints: ready address × port, the first 3 then "+ N more...", <none> without subsets', async () => {
    // 5 pods bound in creation order get 10.244.0.2–.6; Endpoints sort addresses by IP; 5 addresses × 2 ports = 10 → 3 shown + 7 more.
    expect(await ok('get', 'endpoints')).toBe(
      'NAME    ENDPOINTS                                                     AGE\n' +
        'empty   <none>                                                        10s\n' +
        'front   10.244.0.2:8080,10.244.0.3:8080,10.244.0.4:8080 + 7 more...   10s\n',
    );
    const ep = JSON.parse(await ok('get', 'ep', 'front', '-o', 'json'));
    expect(ep.kind).toBe('Endpoints');
    expect(ep.metadata.labels).toEqual({ tier: 'web' });
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets[0].addresses.map((a: any) => a.ip)).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5', '10.244.0.6']);
    expect(ep.subsets[0].ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9100, protocol: 'TCP' },
    ]);
    expect(await ok('get', 'ep', 'empty', '-o', 'yaml')).not.toContain('subsets');
  });

  it('get endpointslices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE, <unset> for the empty placeholder', async () => {
    const ips = await podIPs();
    const out = await ok('get', 'endpointslices');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^NAME {10}ADDRESSTYPE {3}PORTS {7}ENDPOINTS {38}AGE$/);
    expect(lines[1]).toMatch(/^empty-[a-z0-9]{5} {3}IPv4 {10}<unset> {5}<unset> {40}10s$/);
    expect(lines[2]).toMatch(new RegExp(`^front-[a-z0-9]{5}   IPv4          8080,9100   ${ips.slice(0, 3).join(',').replace(/\./g, '\\.')} \\+ 2 more\\.\\.\\.   10s$`));
    const list = JSON.parse(await ok('get', 'endpointslice', '-o', 'json'));
    const front = list.items.find((s: any) => s.metadata.labels['kubernetes.io/service-name'] === 'front');
    expect(front.endpoints.map((e: any) => e.addresses[0])).toEqual(ips);
    expect(list.items.find((s: any) => s.metadata.generateName === 'empty-')).toMatchObject({ endpoints: null, ports: null });
  });

  it('describe service: kubectl 1.32 layout, one Port/TargetPort/Endpoints group per port', async () => {
    const ips = await podIPs();
    const svcs = JSON.parse(await ok('get', 'services', '-o', 'json')).items as any[];
    const ip = (n: string) => svcs.find((s) => s.metadata.name === n).spec.clusterIP;
    const three = (port: number) => ips.slice(0, 3).map((a) => `${a}:${port}`).join(',');
    expect(await ok('describe', 'service', 'front')).toBe(
      [
        'Name:              front',
        'Namespace:         default',
        'Labels:            tier=web',
        'Annotations:       <none>',
        'Selector:          app=front',
        'Type:              ClusterIP',
        'IP Families:       <none>',
        `IP:                ${ip('front')}`,
        `IPs:               ${ip('front')}`,
        'Port:              http  80/TCP',
        'TargetPort:        http/TCP',
        `Endpoints:         ${three(8080)} + 2 more...`,
        'Port:              metrics  9100/TCP',
        'TargetPort:        9100/TCP',
        `Endpoints:         ${three(9100)} + 2 more...`,
        'Session Affinity:  None',
        'Events:            <none>',
        '',
      ].join('\n'),
    );
    // A Service selecting nothing has its placeholder slice: an empty Endpoints line (no slices at all would print <none>).
    const empty = await ok('describe', 'svc', 'empty');
    expect(empty).toContain('Port:              <unset>  80/TCP\nTargetPort:        80/TCP\nEndpoints:         \nSession Affinity:  None\n');
  });

  it('during a rolling update only ready pods are listed, not-ready ones are counted nowhere', async () => {
    // Scale to 1: 4 pods go at once; then an image update with the default 25%/25% surges one new pod that is not ready yet.
    await ok('apply', '-f', writeManifest(root, 'app.yaml', APP(1)));
    const r = await mflux(state, 'apply', '-f', writeManifest(root, 'app.yaml', APP(1, 'nginx:1.21')), '--timeout', '5s');
    expect(r.code).toBe(1);
    const ep = JSON.parse(await ok('get', 'ep', 'front', '-o', 'json'));
    expect(ep.subsets[0].addresses).toHaveLength(1);
    expect(ep.subsets[0].notReadyAddresses).toHaveLength(1);
    const ready = ep.subsets[0].addresses[0].ip;
    expect(await ok('get', 'endpoints', 'front')).toMatch(new RegExp(`^NAME +ENDPOINTS +AGE\\nfront +${ready.replace(/\./g, '\\.')}:8080,${ready.replace(/\./g, '\\.')}:9100 +\\d+s\\n$`));
    expect(await ok('describe', 'svc', 'front')).toContain(`Endpoints:         ${ready}:8080\n`);
  });
});
