/**
 * `mflux serve`: the simulated cluster spoken as the Kubernetes API, read-only, over plain HTTP on
 * loopback, so a real kubectl can read it. Every request opens the state dir afresh in read mode,
 * so what a running `mflux apply`/`reconcile` commits is visible on the next request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, type KindInfo, type KubeObject, RealClock, maskSecret, resourceName } from '../../core/index.js';
import { tableColumns } from '../format/index.js';
import { ClusterSession } from '../session.js';
import { History } from './history.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from './selectors.js';

/** SERVER_VERSION is what `/version` reports (the simulator follows v1.31 semantics). */
export const SERVER_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0-mflux', gitCommit: '', gitTreeState: 'clean', buildDate: '1970-01-01T00:00:00Z', goVersion: 'n/a', compiler: 'mflux', platform: 'linux/amd64' };

/** varint encodes a non-negative integer as a protobuf base-128 varint (300 → ac 02). */
export function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** protoField encodes one length-delimited protobuf field (wire type 2): key, varint length, payload. */
export function protoField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

/**
 * EMPTY_OPENAPI_V2 is a gnostic openapi_v2.Document in protobuf: swagger "2.0" (field 1),
 * info {title, version} (field 2) and empty paths (field 8) — no definitions.
 */
export const EMPTY_OPENAPI_V2 = Buffer.concat([
  protoField(1, Buffer.from('2.0')),
  protoField(2, Buffer.concat([protoField(1, Buffer.from('mini-flux')), protoField(2, Buffer.from(SERVER_VERSION.gitVersion))])),
  protoField(8, Buffer.alloc(0)),
]);

/** READ_ONLY_MESSAGE is the 405 message for every write. */
export const READ_ONLY_MESSAGE = 'this cluster is managed by mini-flux and served read-only: changes go through Git (commit the manifest and let `mflux reconcile` apply it)';

/** ServeOptions: the state dir to serve, and the clock watch polling waits on. */
export interface ServeOptions {
  stateDir: string;
  /** clock paces watch polling (default RealClock). */
  clock?: Clock;
  /** pollMs is how often a watch re-reads the state (default 250 ms). */
  pollMs?: number;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** statusBody is a metav1 Status for a failure. */
export function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

const gv = (info: Pick<KindInfo, 'group' | 'version'>): string => (info.group ? `${info.group}/${info.version}` : info.version);

/** versionPriority orders versions as Kubernetes does: GA before beta before alpha, higher numbers first. */
function versionPriority(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return -1;
  const level = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
  return level * 1e6 + Number(m[1]) * 1e3 + Number(m[3] ?? 0);
}

function groupList(served: KindInfo[]): unknown {
  const groups = new Map<string, Set<string>>();
  for (const k of served) if (k.group) (groups.get(k.group) ?? groups.set(k.group, new Set()).get(k.group)!).add(k.version);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, vs]) => {
      const versions = [...vs].sort((a, b) => versionPriority(b) - versionPriority(a)).map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions, preferredVersion: versions[0] };
    }),
  };
}

function resourceList(served: KindInfo[], group: string, version: string): unknown | undefined {
  const kinds = served.filter((k) => k.group === group && k.version === version);
  if (kinds.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv({ group, version }),
    resources: kinds.map((k) => ({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      // Reviews and bindings are create-only upstream; everything else is served read-only here.
      verbs: k.listable ? ['get', 'list', 'watch'] : ['create'],
      ...(k.shortNames.length > 0 ? { shortNames: [...k.shortNames] } : {}),
      ...(k.categories.length > 0 ? { categories: [...k.categories] } : {}),
    })),
  };
}

/** ResourcePath is a parsed `/api/v1/...` or `/apis/G/V/...` resource URL. */
interface ResourcePath {
  info: KindInfo;
  namespace?: string;
  name?: string;
}

/** objectsOf returns a kind's objects (events from the event log), in one namespace or all. */
function objectsOf(s: ClusterSession, info: KindInfo, namespace: string | undefined): KubeObject[] {
  if (info.kind === 'Event') return s.sim.listEvents().filter((e) => namespace === undefined || (e.metadata.namespace ?? 'default') === namespace);
  return s.sim.api.list(info.kind, info.namespaced ? namespace : undefined);
}

/** served returns the object as the API serves it at the requested group/version. */
function served(o: KubeObject, info: KindInfo): KubeObject {
  const out: KubeObject = { ...o, apiVersion: gv(info), kind: info.kind };
  if (info.kind === 'Secret' && o.stringData) {
    // The API server folds stringData into data.
    out.data = { ...(o.data ?? {}), ...o.stringData };
    delete out.stringData;
  }
  // This API is unauthenticated: it shows which keys a Secret has, never a value or a digest of one.
  return maskSecret(out);
}

function notFound(info: KindInfo, name: string): HttpError {
  return new HttpError(404, 'NotFound', `${resourceName(info)} "${name}" not found`, { name, ...(info.group ? { group: info.group } : {}), kind: info.plural });
}

/** ContinueToken is what `continue` carries: where the next page starts in the listing at a resourceVersion. */
interface ContinueToken {
  v: 1;
  rv: string;
  start: number;
}

const MAX_CONTINUE_LENGTH = 1024;

function decodeContinue(token: string): ContinueToken {
  const bad = () => new HttpError(400, 'BadRequest', 'continue key is not valid: the token is malformed');
  if (token.length > MAX_CONTINUE_LENGTH || !/^[A-Za-z0-9+/=_-]+$/.test(token)) throw bad();
  let parsed: any;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!parsed || parsed.v !== 1 || typeof parsed.rv !== 'string' || !Number.isInteger(parsed.start) || parsed.start < 0) throw bad();
  return parsed as ContinueToken;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

/** wantsTable tells whether the Accept header asks for server-side printing. */
function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

function partialMetadata(o: KubeObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** toTable prints objects as a meta.k8s.io/v1 Table with the columns and cells `mflux get` shows. */
function toTable(info: KindInfo, objs: KubeObject[], now: number, includeObject: string, listMeta: Record<string, unknown>): unknown {
  const t = tableColumns(info.kind, objs, { now });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: t.headers.map((h) => ({
      name: h.header,
      type: 'string',
      format: h.header === 'NAME' ? 'name' : '',
      description: '',
      priority: h.wide ? 1 : 0,
    })),
    rows: objs.map((o, i) => ({
      cells: t.rows[i],
      object: includeObject === 'None' ? undefined : includeObject === 'Object' ? served(o, info) : partialMetadata(o),
    })),
  };
}

/** ApiHandler answers API requests against one state dir. */
export class ApiHandler {
  private readonly clock: Clock;
  private readonly pollMs: number;
  private closing = false;
  private readonly history = new History();

  constructor(private readonly opts: ServeOptions) {
    this.clock = opts.clock ?? new RealClock();
    this.pollMs = opts.pollMs ?? 250;
  }

  /** stop ends every running watch at its next poll. */
  stop(): void {
    this.closing = true;
  }

  private open(): ClusterSession {
    return ClusterSession.open({ stateDir: this.opts.stateDir, mode: 'read' });
  }

  private withSession<T>(fn: (s: ClusterSession) => T): T {
    const s = this.open();
    try {
      return fn(s);
    } finally {
      s.close();
    }
  }

  /** handle serves one request; errors become Status objects. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(405, 'MethodNotAllowed', READ_ONLY_MESSAGE);
      }
      await this.get(url, req, res);
    } catch (err) {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (err instanceof HttpError) send(res, err.code, statusBody(err.code, err.reason, err.message, err.details));
      else send(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`));
    }
  }

  private async get(url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return send(res, 200, SERVER_VERSION);
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (path === '/openapi/v2') {
      // kubectl apply validates against OpenAPI before writing. An empty OpenAPI v2 document (no
      // definitions: every kind passes) lets it get as far as the write, which meets the read-only
      // refusal and its Git message instead of a bare "failed to download openapi".
      // The API server answers with this spelling of the media type (Go's mime parser rejects the "@v1.0" kubectl asks with).
      res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' });
      res.end(EMPTY_OPENAPI_V2);
      return;
    }
    if (path.startsWith('/openapi/')) {
      throw new HttpError(404, 'NotFound', `mini-flux serves no OpenAPI v3 schema: ${READ_ONLY_MESSAGE}`);
    }
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '127.0.0.1' }] });
    const servedKinds = this.withSession((s) => s.sim.api.discovery.served());
    if (path === '/apis') return send(res, 200, groupList(servedKinds));
    const segs = path.split('/').filter((x) => x !== '').map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 2) {
      group = '';
      version = segs[1]!;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 3) {
      group = segs[1]!;
      version = segs[2]!;
      rest = segs.slice(3);
    } else if (segs[0] === 'apis' && segs.length === 2) {
      const list = groupList(servedKinds) as { groups: { name: string }[] };
      const g = list.groups.find((x) => x.name === segs[1]);
      if (!g) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      return send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
    } else {
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (rest.length === 0) {
      const list = resourceList(servedKinds, group, version);
      if (!list) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      return send(res, 200, list);
    }
    const target = this.resolve(servedKinds, group, version, rest);
    const q = url.searchParams;
    const watch = q.get('watch');
    if (watch === '1' || watch === 'true') return this.watch(target, q, req, res);
    if (target.name !== undefined) return this.getOne(target, q, req, res);
    return this.list(target, q, req, res);
  }

  private resolve(servedKinds: KindInfo[], group: string, version: string, rest: string[]): ResourcePath {
    const unknown = () => new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    let namespace: string | undefined;
    let plural: string;
    let name: string | undefined;
    // /namespaces/NS/PLURAL[/NAME]; /namespaces and /namespaces/NAME are the Namespace kind itself.
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1]!;
      plural = rest[2]!;
      name = rest[3];
      if (rest.length > 4) throw unknown();
    } else {
      plural = rest[0]!;
      name = rest[1];
      if (rest.length > 2) throw unknown();
    }
    const info = servedKinds.find((k) => k.group === group && k.version === version && k.plural === plural);
    if (!info || (namespace !== undefined && !info.namespaced)) throw unknown();
    if (!info.listable) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    return { info, namespace, name };
  }

  private getOne(t: ResourcePath, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    this.withSession((s) => {
      const obj = objectsOf(s, t.info, t.info.namespaced ? t.namespace ?? 'default' : undefined).find((o) => o.metadata.name === t.name);
      if (!obj) throw notFound(t.info, t.name!);
      if (wantsTable(req.headers.accept)) {
        send(res, 200, toTable(t.info, [obj], s.clock.now(), q.get('includeObject') ?? 'Metadata', { resourceVersion: String(s.sim.api.resourceVersion) }));
      } else send(res, 200, served(obj, t.info));
    });
  }

  private selected(t: ResourcePath, q: URLSearchParams): (o: KubeObject) => boolean {
    try {
      const labels = parseLabelSelector(q.get('labelSelector') ?? '');
      const fields = parseFieldSelector(q.get('fieldSelector') ?? '', t.info.kind, t.info.group);
      return (o) => labels(o.metadata.labels) && fields(o);
    } catch (err) {
      if (err instanceof SelectorError) throw new HttpError(400, 'BadRequest', err.message);
      throw err;
    }
  }

  private list(t: ResourcePath, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    const match = this.selected(t, q);
    const limitText = q.get('limit');
    const limit = limitText ? Number.parseInt(limitText, 10) : 0;
    if (limitText && (!Number.isFinite(limit) || limit < 0)) throw new HttpError(400, 'BadRequest', `invalid limit "${limitText}"`);
    const cont = q.get('continue') ? decodeContinue(q.get('continue')!) : undefined;
    this.withSession((s) => {
      // Record the state this list shows, so a watch from its resourceVersion can replay what follows.
      const rv = String(this.history.observe(s));
      const all = objectsOf(s, t.info, t.namespace).filter(match);
      if (cont && cont.rv !== rv) {
        throw new HttpError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      const start = cont?.start ?? 0;
      if (start > all.length) throw new HttpError(400, 'BadRequest', 'continue key is not valid: it points past the end of the list');
      const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
      const page = all.slice(start, end);
      const listMeta: Record<string, unknown> = { resourceVersion: rv };
      if (end < all.length) {
        listMeta.continue = encodeContinue({ v: 1, rv, start: end });
        listMeta.remainingItemCount = all.length - end;
      }
      if (wantsTable(req.headers.accept)) {
        send(res, 200, toTable(t.info, page, s.clock.now(), q.get('includeObject') ?? 'Metadata', listMeta));
        return;
      }
      send(res, 200, { kind: `${t.info.kind}List`, apiVersion: gv(t.info), metadata: listMeta, items: page.map((o) => served(o, t.info)) });
    });
  }

  /**
   * watch streams newline-delimited watch events: it replays the history after resourceVersion
   * (or sends the current objects as ADDED when none is given), then polls the state, recording
   * and sending each change in resourceVersion order.
   */
  private async watch(t: ResourcePath, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const match = this.selected(t, q);
    const table = wantsTable(req.headers.accept);
    const includeObject = q.get('includeObject') ?? 'Metadata';
    const fromText = q.get('resourceVersion') ?? '';
    const timeoutSeconds = Number.parseInt(q.get('timeoutSeconds') ?? '', 10);
    const wanted = (o: KubeObject): boolean =>
      o.kind === t.info.kind &&
      (t.namespace === undefined || !t.info.namespaced || (o.metadata.namespace ?? 'default') === t.namespace) &&
      (t.name === undefined || o.metadata.name === t.name) &&
      match(o);
    let cursor: number;
    let now: number;
    const initial: KubeObject[] = [];
    {
      const from = fromText === '' || fromText === '0' ? undefined : Number(fromText);
      if (from !== undefined && !Number.isInteger(from)) throw new HttpError(400, 'BadRequest', `invalid resourceVersion "${fromText}"`);
      const s = this.open();
      try {
        const current = this.history.observe(s);
        now = s.clock.now();
        if (from === undefined) {
          for (const o of objectsOf(s, t.info, t.info.namespaced ? t.namespace : undefined)) if (wanted(o)) initial.push(o);
          cursor = this.history.end;
        } else {
          const c = this.history.cursorAt(from);
          if (c === undefined) throw new HttpError(410, 'Expired', `too old resource version: ${from} (${current})`);
          cursor = c;
        }
      } finally {
        s.close();
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let open = true;
    res.on('close', () => (open = false));
    const emit = (type: string, obj: KubeObject, at: number) => {
      const object = table ? toTable(t.info, [obj], at, includeObject, { resourceVersion: String(obj.metadata.resourceVersion ?? '') }) : served(obj, t.info);
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    for (const o of initial) emit('ADDED', o, now);
    const deadline = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? this.clock.now() + timeoutSeconds * 1000 : undefined;
    for (;;) {
      for (const c of this.history.since(cursor)) if (wanted(c.obj)) emit(c.type, c.obj, now);
      cursor = this.history.end;
      if (!open || this.closing || res.destroyed) break;
      const wake = this.clock.now() + this.pollMs;
      if (deadline !== undefined && wake > deadline) {
        await this.clock.sleepUntil(deadline);
        break;
      }
      await this.clock.sleepUntil(wake);
      if (!open || this.closing) break;
      try {
        const s = this.open();
        try {
          this.history.observe(s);
          now = s.clock.now();
        } finally {
          s.close();
        }
      } catch {
        // a writer mid-commit: try again at the next poll
      }
    }
    res.end();
  }
}

/** ApiServerHandle is a listening `mflux serve`. */
export interface ApiServerHandle {
  server: http.Server;
  /** url is the base URL kubectl should use (http://host:port). */
  url: string;
  close(): Promise<void>;
}

/** startApiServer listens on host:port (port 0: any free port) and serves the state dir read-only. */
export async function startApiServer(opts: ServeOptions & { host: string; port: number }): Promise<ApiServerHandle> {
  const handler = new ApiHandler(opts);
  const server = http.createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    server,
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        handler.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** parseListen reads "127.0.0.1:6443" (or ":6443", "[::1]:6443") into host and port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (!m) throw new Error(`invalid --listen "${text}": expected HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid --listen "${text}": port out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** kubeconfigFor is a kubeconfig (YAML) with cluster, user and context `mflux` pointing at url. */
export function kubeconfigFor(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: mflux',
    '  cluster:',
    `    server: ${url}`,
    'users:',
    '- name: mflux',
    '  user: {}',
    'contexts:',
    '- name: mflux',
    '  context:',
    '    cluster: mflux',
    '    user: mflux',
    '    namespace: default',
    'current-context: mflux',
    'preferences: {}',
    '',
  ].join('\n');
}
