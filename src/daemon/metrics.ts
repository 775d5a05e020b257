/** The daemon's Prometheus metrics (prom-client), on a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** DaemonMetrics owns every metric `GET /metrics` serves. */
export class DaemonMetrics {
  /** registry is what /metrics renders; one per daemon so tests can run several in a process. */
  readonly registry = new Registry();
  /** reconcileTotal counts finished passes by source and outcome. */
  readonly reconcileTotal = new Counter({ name: 'mflux_reconcile_total', help: 'Reconcile passes by source and outcome.', labelNames: ['source', 'outcome'] as const, registers: [this.registry] });
  /** reconcileDuration is how long passes take, rollout waits included. */
  readonly reconcileDuration = new Histogram({
    name: 'mflux_reconcile_duration_seconds',
    help: 'Duration of reconcile passes (fetch, plan, apply and rollout wait), by source and outcome.',
    labelNames: ['source', 'outcome'] as const,
    // From a no-change pass (milliseconds) to a slow rollout (minutes).
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  /** sourceInfo is 1 for the revision a source last applied (the label set moves with it). */
  readonly sourceInfo = new Gauge({ name: 'mflux_source_info', help: 'The revision each source last applied (value 1).', labelNames: ['source', 'revision'] as const, registers: [this.registry] });
  /** commitToReady is time-to-production: commit time to every rollout of the commit healthy. */
  readonly commitToReady = new Histogram({
    name: 'mflux_commit_to_ready_seconds',
    help: 'Seconds from a commit (its author time) to every rollout it started being healthy, per source (commits that land while the daemon runs).',
    labelNames: ['source'] as const,
    buckets: [1, 2.5, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  /** blockedChanges counts changes the guard refused, by rule. */
  readonly blockedChanges = new Counter({ name: 'mflux_blocked_changes_total', help: 'Changes the guard blocked, by source and reason code.', labelNames: ['source', 'code'] as const, registers: [this.registry] });
  /** driftObjects is how many objects the last pass found changed in the cluster behind Git's back (and put back). */
  readonly driftObjects = new Gauge({ name: 'mflux_drift_objects', help: 'Objects the last pass found drifted from the applied revision (and corrected), per source.', labelNames: ['source'] as const, registers: [this.registry] });
  /** serviceReadyEndpoints is each Service's ready endpoints at the last scrape (label `namespace/name`). */
  readonly serviceReadyEndpoints = new Gauge({ name: 'mflux_service_ready_endpoints', help: 'Ready endpoints of each Service the sources manage (pods receiving new connections), label namespace/name.', labelNames: ['service'] as const, registers: [this.registry] });
  private readonly revisions = new Map<string, string>();
  private readonly services = new Set<string>();

  constructor() {
    // Process metrics (RSS, CPU, event-loop lag) are what an operator looks at first when a daemon misbehaves.
    collectDefaultMetrics({ register: this.registry, prefix: 'mflux_' });
  }

  /** setRevision moves a source's info series to a new revision (the old series is removed, not left at 1). */
  setRevision(source: string, revision: string): void {
    const old = this.revisions.get(source);
    if (old === revision) return;
    if (old !== undefined) this.sourceInfo.remove({ source, revision: old });
    this.sourceInfo.set({ source, revision }, 1);
    this.revisions.set(source, revision);
  }

  /** setServices sets the ready-endpoints gauge for every Service given and drops the series of Services no longer given. */
  setServices(ready: Map<string, number>): void {
    for (const s of this.services) if (!ready.has(s)) this.serviceReadyEndpoints.remove({ service: s });
    this.services.clear();
    for (const [service, n] of ready) {
      this.serviceReadyEndpoints.set({ service }, n);
      this.services.add(service);
    }
  }

  /** text renders the Prometheus exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** contentType is the exposition format's media type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
