/**
 * The check report: the stable JSON document `mflux check --format json` prints (README "mflux
 * check"), and the rules that turn its findings into a verdict.
 */
import type { Operation } from 'fast-json-patch';
import type { PlanAction } from '../plan/index.js';

/** Severity ranks a finding: any error fails the check; warnings and info never do. */
export type Severity = 'error' | 'warning' | 'info';

/** Finding is one thing the check has to say, with a stable code and where it comes from (null when unknown). */
export interface Finding {
  severity: Severity;
  code: string;
  /** object is `Kind/namespace/name` (`Kind/name` for cluster-scoped kinds); null for a file-level problem such as YAMLSyntax. */
  object: string | null;
  /** file is repository-relative; for a prune, the file that defined the object before. */
  file: string | null;
  line: number | null;
  /** kustomization, for a rendered object, is the kustomization file that last changed it (file and line are its document's); absent otherwise. */
  kustomization?: string;
  message: string;
  /** commit is set on findings about an intermediate commit (`--each-commit`, and `info` findings about the base): its full SHA. */
  commit?: string;
}

/** ChangeReport is one object the head changes: its action and the RFC 6902 patch from the live object (Secret values masked). */
export interface ChangeReport {
  object: string;
  action: PlanAction;
  /** intended is what a blocked entry would have done. */
  intended?: PlanAction;
  patch: Operation[];
}

/** RolloutEvent is one event of the workload during the rollout, `offsetSeconds` after head was applied. */
export interface RolloutEvent {
  offsetSeconds: number;
  message: string;
}

/** RolloutChange says what kind of change a workload gets: a new object, a new pod template, only a new size, or neither. */
export type RolloutChange = 'create' | 'rollout' | 'scale' | 'update';

/**
 * RolloutReport is the simulated rollout of one workload the head creates or updates: a
 * Deployment, StatefulSet, DaemonSet or Job (the kind is the first part of `object`).
 */
export interface RolloutReport {
  object: string;
  change: RolloutChange;
  /** strategy is the Deployment's strategy.type, the StatefulSet's or DaemonSet's updateStrategy.type, or the Job's completionMode. */
  strategy: string;
  /**
   * maxSurge and maxUnavailable resolved to pod counts as the workload's controller resolves them
   * (Deployment: upstream MaxSurge/MaxUnavailable, 0 for Recreate, unavailable clamped to replicas;
   * StatefulSet: no surge, one pod at a time unless rollingUpdate.maxUnavailable says more;
   * DaemonSet: of desiredNumberScheduled, rounded up; OnDelete and Jobs: 0).
   */
  maxSurge: number;
  maxUnavailable: number;
  /** replicas is spec.replicas (Deployment, StatefulSet), desiredNumberScheduled (DaemonSet) or completions (Job). */
  replicas: number;
  /** partition is a RollingUpdate StatefulSet's rollingUpdate.partition: ordinals below it keep the old template. */
  partition?: number;
  /** succeeded and failed are a Job's pod counts when its run ended (or the wait did). */
  succeeded?: number;
  failed?: number;
  /** peakPods is the most unfinished pods of the workload (a Deployment's through its ReplicaSets) that existed at once, terminating ones included. */
  peakPods: number;
  /** minAvailable is the fewest available pods (availableReplicas, a DaemonSet's numberAvailable; 0 for a Job) seen from the moment head was applied until the rollout ended. */
  minAvailable: number;
  /** durationSeconds is cluster time from the apply to completion, or to the failure (progress deadline, backoff limit, Job deadline) when it does not complete. */
  durationSeconds: number;
  completes: boolean;
  /** reason is how the rollout ended: done, ProgressDeadlineExceeded, BackoffLimitExceeded, DeadlineExceeded, Stalled or Timeout. */
  reason: string;
  events: RolloutEvent[];
}

/** ServingReport is what one Service the change can affect serves while head rolls out (ready endpoints as an EndpointSlice counts them). */
export interface ServingReport {
  object: string;
  /** readyBefore is its ready endpoints right before head is applied (0 for a Service head creates). */
  readyBefore: number;
  /** minReady is the fewest ready endpoints from the apply until the rollouts end, first reached minReadyAtSeconds after the apply. */
  minReady: number;
  minReadyAtSeconds: number;
  /** peakReady is the most ready endpoints at once; peakEndpoints the most endpoints, Ready or not. */
  peakReady: number;
  peakEndpoints: number;
  /** readyAfter is the count when the rollouts end. */
  readyAfter: number;
  /** desired is the replicas of the workloads whose templates it selects after the change; minRatio = minReady / desired (null when desired is 0). */
  desired: number;
  minRatio: number | null;
  /** zeroSeconds is the cluster time it has no ready endpoint after the apply; recovers is false when it is still at 0 when the rollouts end. */
  zeroSeconds: number;
  recovers: boolean;
}

/** CommitInfo names a commit of the check: the ref it was asked as, its SHA and subject. */
export interface CommitInfo {
  ref: string;
  commit: string;
  subject: string;
}

/** Outcome is what one commit does when deployed (the ledger's words): written, nothing to write, stopped by the guard, not valid, or applied with a rollout that does not finish. */
export type Outcome = 'Applied' | 'NoChange' | 'Blocked' | 'Invalid' | 'RolloutFailed';

/** CommitOutcome is how one intermediate commit fared when deployed alone (`--each-commit`). */
export interface CommitOutcome {
  commit: string;
  subject: string;
  outcome: Outcome;
}

/** CheckReport is the whole JSON document. */
export interface CheckReport {
  verdict: 'pass' | 'fail';
  base: CommitInfo;
  head: CommitInfo;
  /** outcome is what a reconcile pass of head would record against base: Applied, NoChange, Blocked, Invalid or RolloutFailed. */
  outcome: Outcome;
  findings: Finding[];
  changes: ChangeReport[];
  rollouts: RolloutReport[];
  /** services lists every Service the change can affect (touched, or selecting pods of a changed workload) and what it serves during the rollout. */
  services?: ServingReport[];
  /** commits lists the intermediate commits judged with `--each-commit`, oldest first (absent without it). */
  commits?: CommitOutcome[];
}

/** FINDING_CODES documents every code a finding can carry, by where it comes from. */
export const FINDING_CODES = {
  guard: ['ImmutableFieldChange', 'ForceReplaceRefused', 'ServingWorkloadPrune', 'PruneLimitExceeded'],
  impacts: ['RecreateDowntime', 'ZeroAvailability', 'DoubleCapacity', 'ReplicasManagedByHPA'],
  manifests: ['YAMLSyntax', 'InvalidManifest', 'DuplicateObject', 'PathEscape', 'InvalidEncoding', 'ManifestTooLarge', 'ManifestTooDeep', 'YAMLAliasLimit', 'RequestTooLarge'],
  apiServer: ['Invalid', 'UnknownKind', 'NotFound', 'BadRequest', 'RequestTooLarge'],
  rollout: ['RolloutWillNotComplete'],
  serving: ['ServiceSelectsNothing', 'TargetPortNotFound', 'IngressBackendMissing', 'ServiceOutage', 'CapacityDrop'],
} as const;

/** verdictOf fails on any error finding; warnings and info pass. */
export function verdictOf(findings: Finding[]): 'pass' | 'fail' {
  return findings.some((f) => f.severity === 'error') ? 'fail' : 'pass';
}

/** SEVERITY_ORDER sorts errors first, then warnings, then info. */
export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
