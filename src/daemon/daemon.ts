/**
 * The daemon: every configured source on its own schedule against one cluster, plus the HTTP
 * surface (health, readiness, status, metrics, webhooks, a status page). The cluster, its
 * persistence and the process's signals are the caller's (cli): the daemon gets them as arguments.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, type KubeObject, type Logger, isMfluxError, toRFC3339 } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { objectHealth, rolloutStatus } from '../cluster/rollout-status.js';
import { LabelIndex, endpointCounts, serviceSelector } from '../cluster/serving.js';
import type { Ledger } from '../ledger/index.js';
import type { DaemonConfig } from './config.js';
import { DaemonMetrics } from './metrics.js';
import { statusPage } from './page.js';
import type { DeploymentStatus, ServiceStatus, SourceStatus, StatusDocument, WorkloadStatus } from './status.js';
import { SourceRunner } from './scheduler.js';
import { MAX_WEBHOOK_BODY, verifyWebhook } from './webhook.js';

export type { DeploymentStatus, ServiceStatus, SourceStatus, StatusDocument, WorkloadStatus } from './status.js';

/** STOP_GRACE_MS bounds how long stop() waits for running passes to reach a safe point (SIGTERM must exit within 10 s). */
export const STOP_GRACE_MS = 7000;
/** PUMP_MS is how often the cluster is brought up to the wall clock and saved when nothing else wakes it. */
export const PUMP_MS = 1000;

/** STATE_WRITE_CODES are the reasons a pass or the pump could not save: the daemon is not ready while one stands. */
export const STATE_WRITE_CODES: readonly string[] = ['StateWriteFailed', 'DiskFull', 'StateUnwritable'];

/** DaemonCluster is the cluster the daemon drives and how its state is kept. */
export interface DaemonCluster {
  client: ClusterClient;
  clock: Clock;
  ledger: Ledger;
  /** advance brings a simulated cluster up to the clock (due pod starts, deadlines); nothing for a real cluster. */
  advance(): void;
  /**
   * persist saves the cluster's changes since the last call, with `also` in the same transaction.
   * When the write fails it must leave the cluster as stored (roll back or reload) and throw: the
   * daemon never reports a change it did not save.
   */
  persist(also?: () => void): void;
}

/** DaemonOptions: configuration, cluster, logger and the injected randomness and wall clock. */
export interface DaemonOptions {
  config: DaemonConfig;
  cluster: DaemonCluster;
  logger: Logger;
  wallNow: () => number;
  random?: () => number;
}

/** Daemon runs the sources and serves HTTP. */
export class Daemon {
  readonly metrics = new DaemonMetrics();
  private readonly runners: SourceRunner[];
  private readonly stopCtl = new AbortController();
  private server?: http.Server;
  private pumpDone?: Promise<void>;
  /** saveError is the last failed write of the cluster state, until a write succeeds. */
  private saveError?: { code: string; message: string };

  constructor(private readonly o: DaemonOptions) {
    const { config, cluster, logger } = o;
    // Every running pass and every idle source waits on the stop signal at once: with more than
    // ten sources Node would warn of a listener leak (on stderr, breaking the JSON log); each wait
    // removes its listener when it ends.
    setMaxListeners(0, this.stopCtl.signal);
    const world = {
      clock: cluster.clock,
      client: cluster.client,
      ledger: cluster.ledger,
      stateDir: config.stateDir,
      policy: config.policy,
      metrics: this.metrics,
      logger,
      wallNow: o.wallNow,
      random: o.random ?? Math.random,
      persist: (also?: () => void) => this.persist(also),
      stop: this.stopCtl.signal,
    };
    this.runners = config.sources.map((s) => new SourceRunner(s, world));
  }

  /** persist saves through the cluster and remembers whether the last write failed (for /readyz). */
  private persist(also?: () => void): void {
    try {
      this.o.cluster.persist(also);
      this.saveError = undefined;
    } catch (err) {
      this.saveError = { code: isMfluxError(err) ? err.code : 'StateWriteFailed', message: (err as Error)?.message ?? String(err) };
      throw err;
    }
  }

  /**
   * start starts the HTTP server, the cluster pump and every source; resolves to the address
   * served. Passes an earlier process left without an outcome were closed as Interrupted by
   * whoever opened the state for writing (the caller), before the daemon got it.
   */
  async start(): Promise<{ host: string; port: number; url: string }> {
    const { host, port } = this.o.config.listen;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.o.logger.error(`http: ${(err as Error).message}`);
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.pumpDone = this.pump();
    for (const r of this.runners) r.start();
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `http://${shownHost}:${addr.port}` };
  }

  /**
   * stop stops scheduling, lets running passes reach a safe point (a rollout wait ends at once,
   * recorded as Interrupted; an apply is never cut in half), saves the cluster and closes the
   * HTTP server. Waits at most STOP_GRACE_MS for passes (a fetch cannot be cut short; its result
   * is simply not used).
   */
  async stop(): Promise<void> {
    if (this.stopCtl.signal.aborted) return;
    this.stopCtl.abort();
    const all = Promise.all([...this.runners.map((r) => r.done()), this.pumpDone]);
    const clock = this.o.cluster.clock;
    const settled = await Promise.race([all.then(() => true), clock.sleepUntil(clock.now() + STOP_GRACE_MS).then(() => false)]);
    if (!settled) this.o.logger.warn(`some passes did not reach a safe point within ${STOP_GRACE_MS} ms (a fetch in flight); stopping anyway`);
    let saveFailed: unknown;
    try {
      this.persist();
    } catch (err) {
      saveFailed = err;
    }
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    // The server is closed either way; the caller must know the last changes were not saved.
    if (saveFailed !== undefined) throw saveFailed;
  }

  /** pump moves a simulated cluster along with the wall clock and saves it, so other readers (mflux get, kubectl) see the rollout as it happens. */
  private async pump(): Promise<void> {
    const { cluster } = this.o;
    const stop = this.stopCtl.signal;
    while (!stop.aborted) {
      const now = cluster.clock.now();
      const next = cluster.client.nextChangeAt?.();
      await cluster.clock.sleepUntil(next !== undefined ? Math.min(Math.max(next, now), now + PUMP_MS) : now + PUMP_MS, stop);
      if (stop.aborted) break;
      try {
        cluster.advance();
        this.persist();
      } catch (err) {
        this.o.logger.error(`saving the cluster state failed: ${isMfluxError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
      }
    }
  }

  /** ready is true once every source has completed a pass, and no pass or save since has failed to write the state. */
  get ready(): boolean {
    return this.notReady().length === 0;
  }

  /** notReady lists why the daemon is not ready, one line per source (and one for the state when a save failed outside a pass). */
  notReady(): string[] {
    const out: string[] = [];
    for (const r of this.runners) {
      const failed = stateWriteFailure(r);
      if (failed) out.push(`${r.cfg.name}: ${failed.code}: ${failed.message}`);
      else if (!r.completed) out.push(`${r.cfg.name}: ${r.lastError ? `${r.lastError.code}: ${r.lastError.message}` : 'first pass not finished'}`);
    }
    if (out.length === 0 && this.saveError) out.push(`state: ${this.saveError.code}: ${this.saveError.message}`);
    return out;
  }

  /**
   * serviceStatuses counts the ready endpoints of every Service a source manages, from the pods of
   * their namespaces (listed once per namespace) with serving.ts's rules, so /status, /metrics,
   * the check and the ledger mean the same by "ready".
   */
  private async serviceStatuses(source: string, pods: Map<string, Promise<LabelIndex<KubeObject>>>): Promise<ServiceStatus[]> {
    const { ledger, client } = this.o.cluster;
    const out: ServiceStatus[] = [];
    for (const ref of ledger.inventoryRefs(source, 'Service')) {
      const [, namespace, name] = ref.split('/') as [string, string, string];
      const svc = await client.get('Service', namespace, name);
      if (!svc) {
        out.push({ object: ref, state: 'Missing', ready: 0, endpoints: 0 });
        continue;
      }
      const selector = serviceSelector(svc);
      if (!selector) {
        out.push({ object: ref, state: 'Unmanaged', ready: 0, endpoints: 0 });
        continue;
      }
      let index = pods.get(namespace);
      if (!index) pods.set(namespace, (index = client.list('Pod', { namespace }).then((all) => new LabelIndex(all, (p) => p.metadata.labels))));
      const { ready, total } = endpointCounts(svc, (await index).candidates(selector));
      out.push({ object: ref, state: ready > 0 ? 'Serving' : 'NoReadyEndpoints', ready, endpoints: total });
    }
    return out;
  }

  /** status is the /status document. */
  async status(): Promise<StatusDocument> {
    const { ledger, client, clock } = this.o.cluster;
    const sources: SourceStatus[] = [];
    const pods = new Map<string, Promise<LabelIndex<KubeObject>>>();
    for (const r of this.runners) {
      const st = ledger.sourceState(r.cfg.name);
      const last = ledger.lastPass(r.cfg.name);
      const deployments: DeploymentStatus[] = [];
      for (const ref of ledger.inventoryRefs(r.cfg.name, 'Deployment')) {
        const [, namespace, name] = ref.split('/') as [string, string, string];
        const d = await client.get('Deployment', namespace, name);
        if (!d) {
          deployments.push({ object: ref, state: 'Missing', message: `deployment "${name}" not found`, replicas: 0, updated: 0, ready: 0, available: 0 });
          continue;
        }
        const rs = rolloutStatus(d);
        const rev = d.metadata.annotations?.['deployment.kubernetes.io/revision'];
        deployments.push({
          object: ref,
          ...(rev ? { revision: Number(rev) } : {}),
          state: rs.done ? 'Complete' : rs.failed ? 'Failed' : 'Progressing',
          message: rs.message,
          replicas: d.spec?.replicas ?? 1,
          updated: d.status?.updatedReplicas ?? 0,
          ready: d.status?.readyReplicas ?? 0,
          available: d.status?.availableReplicas ?? 0,
        });
      }
      const workloads: WorkloadStatus[] = [];
      for (const kind of ['StatefulSet', 'DaemonSet', 'Job']) {
        for (const ref of ledger.inventoryRefs(r.cfg.name, kind)) {
          const [, namespace, name] = ref.split('/') as [string, string, string];
          const o = await client.get(kind, namespace, name);
          const h = o ? objectHealth(o) : undefined;
          workloads.push(h ? { object: ref, state: h.status, message: h.message } : { object: ref, state: 'Missing', message: `${kind.toLowerCase()} "${name}" not found` });
        }
      }
      const outcome = r.lastError ? 'Failed' : r.lastResult?.outcome ?? last?.outcome ?? null;
      const reasons = r.lastError ? [r.lastError] : r.lastResult?.reasons ?? last?.reasons ?? [];
      sources.push({
        name: r.cfg.name,
        url: r.url,
        ref: r.cfg.ref ?? 'HEAD',
        path: r.cfg.path,
        interval: `${r.cfg.intervalMs / 1000}s`,
        lastAttemptedRevision: st.lastAttemptedRevision ?? null,
        lastAppliedRevision: st.lastAppliedRevision ?? null,
        outcome,
        reason: r.lastError?.message ?? r.lastResult?.reason ?? null,
        reasons: reasons.map((x) => ({ code: x.code, object: x.object, message: x.message })),
        running: r.running,
        nextRunAt: r.nextRunAtText(),
        nextTrigger: r.nextTrigger,
        failures: r.failures,
        retryInMs: r.running || r.failures === 0 ? null : Math.max(0, r.nextRunAt - clock.now()),
        waiting: r.waiting ?? null,
        lastRunAt: r.lastRunAt !== undefined ? toRFC3339(r.lastRunAt) : null,
        lastDurationMs: r.lastDurationMs ?? null,
        deployments,
        workloads,
        services: await this.serviceStatuses(r.cfg.name, pods),
      });
    }
    return { ready: this.ready, time: toRFC3339(this.o.wallNow()), sources };
  }

  private runner(name: string): SourceRunner | undefined {
    return this.runners.find((r) => r.cfg.name === name);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mflux');
    const p = url.pathname;
    const hook = /^\/hook\/([^/]+)$/.exec(p);
    if (hook) return this.webhook(decodeURIComponent(hook[1]!), req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: `${req.method} is not allowed on ${p}` }, { allow: 'GET, HEAD' });
    switch (p) {
      case '/healthz':
        return sendText(res, 200, 'ok\n');
      case '/readyz': {
        const waiting = this.notReady();
        if (waiting.length === 0) return sendText(res, 200, 'ok\n');
        return sendText(res, 503, `not ready\n${waiting.join('\n')}\n`);
      }
      case '/status':
        return send(res, 200, await this.status());
      case '/metrics': {
        // Serving capacity is read at scrape time, so the gauge is as current as the cluster.
        const ready = new Map<string, number>();
        const pods = new Map<string, Promise<LabelIndex<KubeObject>>>();
        for (const r of this.runners) {
          for (const s of await this.serviceStatuses(r.cfg.name, pods)) {
            if (s.state === 'Serving' || s.state === 'NoReadyEndpoints') ready.set(s.object.slice('Service/'.length), s.ready);
          }
        }
        this.metrics.setServices(ready);
        const text = await this.metrics.text();
        res.writeHead(200, { 'content-type': this.metrics.contentType });
        res.end(text);
        return;
      }
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(statusPage(await this.status()));
        return;
      default:
        return send(res, 404, { error: `no such path: ${p}` });
    }
  }

  private async webhook(name: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, { error: 'webhooks are POST requests' }, { allow: 'POST' });
    const runner = this.runner(name);
    if (!runner) return send(res, 404, { error: `no source named "${name}"` });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_WEBHOOK_BODY) {
      this.o.logger.warn('webhook refused: body too large', { source: name, bytes: declared });
      res.setHeader('connection', 'close');
      return send(res, 413, { error: `body over ${MAX_WEBHOOK_BODY} bytes` });
    }
    const body = await readBody(req, MAX_WEBHOOK_BODY);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return send(res, 413, { error: `body over ${MAX_WEBHOOK_BODY} bytes` });
    }
    const secret = this.o.config.webhookSecret;
    const verdict = secret === undefined ? 'missing' : verifyWebhook(req.headers, body, secret);
    if (secret === undefined || verdict !== 'ok') {
      const why = secret === undefined ? 'no webhook secret is configured' : verdict === 'missing' ? 'no X-Hub-Signature-256 or Authorization header' : 'signature does not match';
      this.o.logger.warn(`webhook refused: ${why}`, { source: name });
      return send(res, 401, { error: `unauthorized: ${why}` }, { 'www-authenticate': 'Bearer' });
    }
    // Like Flux's Receiver, the payload only nudges: the pass reads the source itself.
    this.o.logger.info('webhook accepted: a pass starts', { source: name });
    runner.trigger('webhook', 0);
    return send(res, 202, { accepted: true, source: name });
  }
}

/** stateWriteFailure is the reason a source's last pass could not save the state, if that is how it ended. */
function stateWriteFailure(r: SourceRunner): { code: string; message: string } | undefined {
  if (r.lastError && STATE_WRITE_CODES.includes(r.lastError.code)) return r.lastError;
  if (r.lastResult?.outcome === 'Failed') return r.lastResult.reasons.find((x) => STATE_WRITE_CODES.includes(x.code));
  return undefined;
}

function send(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

function sendText(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** readBody reads a request body up to `limit` bytes; undefined when it is larger (chunked bodies have no Content-Length to check first). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
