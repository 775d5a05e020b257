/**
 * The legacy Endpoints object of a Service (upstream pkg/controller/endpoint): one `v1/Endpoints`
 * named like the Service whose subsets group addresses by the ports they serve
 * (endpoints.RepackSubsets). Unlike an EndpointSlice it has no terminating state: a terminating pod
 * leaves it, unless the Service publishes not-ready addresses; a pod that is not Ready is listed
 * under notReadyAddresses.
 */
import type { KubeObject } from '../../../../core/index.js';
import type { ServiceEndpoint } from '../../../serving.js';

/** EndpointAddress is one address of a subset. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

/** EndpointPort is one port of a subset (`name` omitted when the Service port has none). */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** EndpointSubset is addresses that all serve the same ports. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** podHostname is the pod's DNS hostname under the Service, set only when its subdomain is the Service (upstream: hostname and subdomain both match). */
export function podHostname(svc: KubeObject, pod: KubeObject): string | undefined {
  const h = pod.spec?.hostname;
  return typeof h === 'string' && h !== '' && pod.spec?.subdomain === svc.metadata.name ? h : undefined;
}

/** isHeadless: the Service has no cluster IP (`clusterIP: None`). */
export function isHeadless(svc: KubeObject): boolean {
  return svc.spec?.clusterIP === 'None';
}

const byIPThenUID = (a: EndpointAddress, b: EndpointAddress): number =>
  // Upstream compares the address bytes, so "10.244.0.10" sorts before "10.244.0.9".
  a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.uid < b.targetRef.uid ? -1 : a.targetRef.uid > b.targetRef.uid ? 1 : 0;

const byPort = (a: EndpointPort, b: EndpointPort): number =>
  (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || a.protocol.localeCompare(b.protocol);

/**
 * portIdentity is a port's identity as a string: its fields joined by separators no name or
 * protocol holds (SOH), an unnamed port as one named '' and an absent appProtocol unlike an empty one.
 */
export function portIdentity(p: { name?: string; port: number; protocol?: string; appProtocol?: string } | undefined): string {
  return `${p?.name ?? ''}\u0001${p?.port}\u0001${p?.protocol ?? ''}\u0001${p?.appProtocol === undefined ? '\u0002' : String(p.appProtocol)}`;
}

// endpointPort is a resolved port as an Endpoints subset lists it (no name when the Service port has none).
function endpointPort(p: ServiceEndpoint['ports'][number]): EndpointPort {
  const port = (p.name ? { name: p.name, port: p.port, protocol: p.protocol } : { port: p.port, protocol: p.protocol }) as EndpointPort;
  if (p.appProtocol !== undefined) port.appProtocol = p.appProtocol;
  return port;
}

/**
 * endpointsSubsets builds the Endpoints subsets of a Service from its endpoints (serviceEndpoints),
 * as upstream's RepackSubsets does: each single port is mapped to the addresses serving it, and
 * ports served by exactly the same addresses share one subset. An address is under `addresses`
 * when serving (Ready, or the Service publishes not-ready addresses) and under
 * `notReadyAddresses` otherwise; terminating pods are left out unless published. A pod that
 * resolves none of the Service's ports is left out, except for a headless Service without ports,
 * which lists addresses with no ports. Order (upstream sorts by hash; we sort readably): subsets by
 * their first address, addresses by IP, ports by name.
 * Example: a (ready, 10.244.0.5) serves 8080 and 9100, b (not ready, 10.244.0.6) serves 8080 →
 * [{addresses: [a], notReadyAddresses: [b], ports: [8080]}, {addresses: [a], ports: [9100]}].
 */
export function endpointsSubsets(svc: KubeObject, eps: ServiceEndpoint[]): EndpointSubset[] {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const portless = (svc.spec?.ports ?? []).length === 0;
  // RepackSubsets, step 1: each single port → the addresses serving it (a headless Service without ports uses one port-less entry).
  const byPortKey = new Map<string, { port: EndpointPort | undefined; addrs: { addr: EndpointAddress; ready: boolean }[] }>();
  for (const e of eps) {
    if (e.conditions.terminating && !publish) continue;
    if (e.ports.length === 0 && !(portless && isHeadless(svc))) continue;
    const pod = e.pod;
    const hostname = podHostname(svc, pod);
    // Built key by key (not with conditional spreads, which cost a runtime call each: this runs for every endpoint of every sync).
    const addr = { ip: e.ip } as EndpointAddress;
    if (hostname) addr.hostname = hostname;
    if (e.nodeName) addr.nodeName = e.nodeName;
    addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name, uid: pod.metadata.uid ?? '' };
    const ports: (EndpointPort | undefined)[] = e.ports.length === 0 ? [undefined] : e.ports.map(endpointPort);
    for (const port of ports) {
      const key = port === undefined ? '' : portIdentity(port);
      let g = byPortKey.get(key);
      if (!g) byPortKey.set(key, (g = { port, addrs: [] }));
      g.addrs.push({ addr, ready: e.conditions.serving });
    }
  }
  // Step 2: ports served by exactly the same addresses (with the same readiness) share one subset.
  const bySet = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const g of byPortKey.values()) {
    const ready = g.addrs.filter((a) => a.ready).map((a) => a.addr).sort(byIPThenUID);
    const notReady = g.addrs.filter((a) => !a.ready).map((a) => a.addr).sort(byIPThenUID);
    // (Most Services have one port: then there is one subset, and nothing to tell apart.)
    const key = byPortKey.size === 1 ? '' : JSON.stringify([ready.map((a) => `${a.ip}/${a.targetRef.uid}`), notReady.map((a) => `${a.ip}/${a.targetRef.uid}`)]);
    let m = bySet.get(key);
    if (!m) bySet.set(key, (m = { ports: [], ready, notReady }));
    if (g.port) m.ports.push(g.port);
  }
  const subsets: EndpointSubset[] = [];
  for (const m of bySet.values()) {
    const s: EndpointSubset = {};
    if (m.ready.length > 0) s.addresses = m.ready;
    if (m.notReady.length > 0) s.notReadyAddresses = m.notReady;
    if (m.ports.length > 0) s.ports = m.ports.sort(byPort);
    subsets.push(s);
  }
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0]?.ip ?? '';
  return subsets.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? []))));
}
