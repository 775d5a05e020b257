/** The shapes of GET /status, shared by the daemon that builds them and the page that shows them. */

/** WorkloadStatus is a StatefulSet, DaemonSet or Job as /status shows it: its health (objectHealth) and status line. */
export interface WorkloadStatus {
  object: string;
  state: 'Current' | 'InProgress' | 'Failed' | 'Missing';
  message: string;
}

/** DeploymentStatus is one Deployment's rollout as /status shows it. */
export interface DeploymentStatus {
  object: string;
  revision?: number;
  state: 'Complete' | 'Progressing' | 'Failed' | 'Missing';
  message: string;
  replicas: number;
  updated: number;
  ready: number;
  available: number;
}

/**
 * ServiceStatus is a Service's serving capacity as /status shows it: `ready` endpoints receive new
 * connections (serving.ts endpointCounts), `endpoints` counts every endpoint (not ready and
 * terminating ones too). A Service without a selector has hand-managed endpoints and is reported
 * as `Unmanaged` with no counts.
 */
export interface ServiceStatus {
  object: string;
  state: 'Serving' | 'NoReadyEndpoints' | 'Unmanaged' | 'Missing';
  ready: number;
  endpoints: number;
}

/** SourceStatus is one source in /status. */
export interface SourceStatus {
  name: string;
  url: string;
  ref: string;
  path: string;
  interval: string;
  lastAttemptedRevision: string | null;
  lastAppliedRevision: string | null;
  outcome: string | null;
  reason: string | null;
  reasons: { code: string; object: string; message: string }[];
  running: boolean;
  nextRunAt: string | null;
  nextTrigger: string;
  /** failures counts consecutive retryable failures; nextRunAt then carries the backoff. */
  failures: number;
  retryInMs: number | null;
  waiting: string | null;
  lastRunAt: string | null;
  lastDurationMs: number | null;
  deployments: DeploymentStatus[];
  /** workloads are the source's other awaited objects (StatefulSets, DaemonSets, Jobs) with their health. */
  workloads: WorkloadStatus[];
  /** services are the source's Services with their ready endpoints. */
  services: ServiceStatus[];
}

/** StatusDocument is the whole of GET /status. */
export interface StatusDocument {
  ready: boolean;
  time: string;
  sources: SourceStatus[];
}
