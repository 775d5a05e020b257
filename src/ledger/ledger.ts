/**
 * The ledger: every reconcile pass, what it did to each object, and for each Deployment the
 * revision, ReplicaSet and pod-template-hash it produced — so every commit maps to what it did.
 */
import type { Database } from 'better-sqlite3';
import { type KubeObject, MfluxError } from '../core/index.js';
import type { StateStore } from '../store/index.js';
import type { Operation } from 'fast-json-patch';
import type { Origin } from '../manifests/index.js';
import type { PlanAction, Reason } from '../plan/index.js';

/**
 * Outcome is how a pass ended. `Superseded`: a commit the daemon skipped because a newer one
 * had landed before its turn (only the newest is reconciled). `Interrupted`: the pass stopped at
 * a safe point (daemon shutdown) or the process died during it; what it applied stays applied.
 */
export type Outcome = 'Applied' | 'NoChange' | 'Blocked' | 'Invalid' | 'Failed' | 'RolloutFailed' | 'Superseded' | 'Interrupted' | 'Conflict';

/** TERMINAL_OUTCOMES are judgements of a commit itself: retrying the same commit cannot change them, only a new commit can. */
export const TERMINAL_OUTCOMES: readonly Outcome[] = ['Blocked', 'Invalid', 'RolloutFailed'];

/** LedgerChange is one object's part in a pass (Secrets already masked). */
export interface LedgerChange {
  object: string;
  action: PlanAction;
  patch: Operation[];
  /** origin is where the object's manifest was (file:line, and the kustomizations that changed it); absent for a prune. */
  origin?: Origin;
}

/** DeploymentRecord is what one pass did to one Deployment. */
export interface DeploymentRecord {
  /** kind is Deployment (revision = deployment.kubernetes.io/revision, replicaSet = its ReplicaSet), StatefulSet or DaemonSet (revision = the ControllerRevision's number, replicaSet = its name); default Deployment. */
  kind?: string;
  namespace: string;
  name: string;
  action: PlanAction;
  revision?: number;
  replicaSet?: string;
  podTemplateHash?: string;
  /** finishedCluster is when its rollout finished (cluster time, epoch ms), if it did. */
  finishedCluster?: number;
  ok: boolean;
  /** rollbackTo is N when the pass applied a `Roll back deployment/NAME to revision N` commit for this workload (statefulset/NAME, daemonset/NAME likewise). */
  rollbackTo?: number;
  /** origin is where the workload's manifest was at this pass's commit (file:line and the kustomizations that changed it). */
  origin?: Origin;
}

/** ServiceRecord is what one Service served while a pass waited for its rollouts (ready endpoints, as an EndpointSlice counts them). */
export interface ServiceRecord {
  namespace: string;
  name: string;
  /** readyBefore: ready endpoints right before the apply (0 for a Service the pass created). */
  readyBefore: number;
  /** minReady: the fewest ready endpoints from the apply to the end of the wait; readyAfter: at its end. */
  minReady: number;
  readyAfter: number;
  /** desired: the replicas of the workloads whose templates it selects after the pass. */
  desired: number;
  /** zeroMs: cluster time it had no ready endpoint after the apply. */
  zeroMs: number;
}

/** ServiceHistoryRow joins a Service record with its pass. */
export interface ServiceHistoryRow extends ServiceRecord {
  pass: PassRecord;
}

/** PassStart is what is known when a pass begins. */
export interface PassStart {
  source: string;
  url: string;
  ref: string;
  revision: string;
  commit: string;
  subject: string;
  author: string;
  startedWall: number;
  startedCluster: number;
  /** path is the folder of the repository the pass read (--path; '' the root); absent in passes recorded before it was kept. */
  path?: string;
}

/** PassFinish is what a pass found and did. */
export interface PassFinish {
  outcome: Outcome;
  reasons: Reason[];
  changes: LedgerChange[];
  deployments: DeploymentRecord[];
  /** services: what each Service the pass could affect served while it waited (none when nothing was applied). */
  services?: ServiceRecord[];
  finishedWall: number;
  finishedCluster: number;
  /** inventory updates: manifests now owned (by ref) and refs no longer owned. Only for passes that applied. */
  inventory?: { upserts: [string, KubeObject][]; deletes: string[] };
}

/** PassRecord is one stored pass. */
export interface PassRecord extends PassStart {
  id: number;
  finishedWall?: number;
  finishedCluster?: number;
  /** outcome is undefined while the pass runs (or if it was interrupted). */
  outcome?: Outcome;
  reasons: Reason[];
  changes: LedgerChange[];
  /** rollbackTo is the revision a rollback commit restored (see DeploymentRecord.rollbackTo), if the pass applied one. */
  rollbackTo?: number;
}

/** ROLLBACK_SUBJECT matches the subject `mflux rollback` writes: `Roll back deployment/NAME to revision N (<short sha>)` (statefulset/NAME, daemonset/NAME likewise). */
export const ROLLBACK_SUBJECT = /^Roll back (deployment|statefulset|daemonset)\/(\S+) to revision (\d+)\b/;

/** rollbackTarget reads a commit subject: the revision it rolls workload `name` of `kind` (default Deployment) back to, if it is a rollback commit for it. */
export function rollbackTarget(subject: string, name: string, kind = 'Deployment'): number | undefined {
  const m = ROLLBACK_SUBJECT.exec(subject);
  return m && m[1] === kind.toLowerCase() && m[2] === name ? Number(m[3]) : undefined;
}

/** DeploymentHistoryRow joins a Deployment record with its pass. */
export interface DeploymentHistoryRow extends DeploymentRecord {
  pass: PassRecord;
}

/** SourceState is per-source bookkeeping: the last revision attempted and the last one applied. */
export interface SourceState {
  lastAttemptedRevision?: string;
  lastAppliedRevision?: string;
  lastAppliedCommit?: string;
}

function rowToPass(r: any): PassRecord {
  return {
    id: r.id,
    source: r.source,
    url: r.url ?? '',
    ref: r.ref,
    revision: r.revision,
    commit: r.commit_sha,
    subject: r.subject,
    author: r.author,
    startedWall: r.started_wall,
    startedCluster: r.started_cluster,
    finishedWall: r.finished_wall ?? undefined,
    finishedCluster: r.finished_cluster ?? undefined,
    outcome: r.outcome ?? undefined,
    reasons: JSON.parse(r.reasons),
    changes: JSON.parse(r.changes),
    ...(r.path !== null && r.path !== undefined ? { path: r.path } : {}),
    ...(r.rollback_to !== null && r.rollback_to !== undefined ? { rollbackTo: r.rollback_to } : {}),
  };
}

function serviceRecord(r: any): ServiceRecord {
  return { namespace: r.namespace, name: r.name, readyBefore: r.ready_before, minReady: r.min_ready, readyAfter: r.ready_after, desired: r.desired, zeroMs: r.zero_ms };
}

/** writeDeployments sets a pass's Deployment records (replacing any written before). */
function writeDeployments(db: Database, passId: number, deployments: DeploymentRecord[]): void {
  db.prepare('DELETE FROM pass_deployments WHERE pass_id = ?').run(passId);
  const ins = db.prepare(
    `INSERT INTO pass_deployments (pass_id, kind, namespace, name, action, revision, replica_set, pod_template_hash, finished_cluster, ok, rollback_to, origin)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const d of deployments) {
    ins.run(passId, d.kind ?? 'Deployment', d.namespace, d.name, d.action, d.revision ?? null, d.replicaSet ?? null, d.podTemplateHash ?? null, d.finishedCluster ?? null, d.ok ? 1 : 0, d.rollbackTo ?? null, d.origin ? JSON.stringify(d.origin) : null);
  }
}

/** upsertInventory records the manifests a source now owns. */
function upsertInventory(db: Database, source: string, upserts: [string, KubeObject][]): void {
  const up = db.prepare('INSERT INTO inventory (source, ref, applied) VALUES (?, ?, ?) ON CONFLICT (source, ref) DO UPDATE SET applied = excluded.applied');
  for (const [ref, obj] of upserts) up.run(source, ref, JSON.stringify(obj));
}

/** Ledger reads and writes the ledger tables of a state store. */
export class Ledger {
  constructor(private readonly store: StateStore) {}

  private db(): Database | undefined {
    return this.store.database();
  }

  /** beginPass records the attempt (before anything is applied) and returns the pass id. */
  beginPass(p: PassStart): number {
    return this.store.transaction((db) => {
      db.prepare(
        `INSERT INTO sources (name, url, last_attempted_revision) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET url = excluded.url, last_attempted_revision = excluded.last_attempted_revision`,
      ).run(p.source, p.url, p.revision);
      const r = db
        .prepare(
          `INSERT INTO passes (source, ref, revision, commit_sha, subject, author, started_wall, started_cluster, path)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(p.source, p.ref, p.revision, p.commit, p.subject, p.author, p.startedWall, p.startedCluster, p.path ?? null);
      return Number(r.lastInsertRowid);
    });
  }

  /** finishPass records the outcome, the per-Deployment results and (for applied passes) the new inventory, in one transaction. */
  finishPass(id: number, f: PassFinish): void {
    this.store.transaction((db) => {
      const pass = db.prepare('SELECT * FROM passes WHERE id = ?').get(id) as any;
      if (!pass) throw new MfluxError('Internal', `ledger: pass ${id} does not exist`);

      db.prepare('UPDATE passes SET outcome = ?, reasons = ?, changes = ?, finished_wall = ?, finished_cluster = ? WHERE id = ?').run(
        f.outcome,
        JSON.stringify(f.reasons),
        JSON.stringify(f.changes),
        f.finishedWall,
        f.finishedCluster,
        id,
      );
      // The final records replace the provisional ones recordApplied wrote right after the apply.
      writeDeployments(db, id, f.deployments);
      if (f.services?.length) {
        const ins = db.prepare('INSERT OR REPLACE INTO pass_services (pass_id, namespace, name, ready_before, min_ready, ready_after, desired, zero_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
        for (const v of f.services) ins.run(id, v.namespace, v.name, v.readyBefore, v.minReady, v.readyAfter, v.desired, Math.round(v.zeroMs));
      }
      if (f.inventory) {
        upsertInventory(db, pass.source, f.inventory.upserts);
        const del = db.prepare('DELETE FROM inventory WHERE source = ? AND ref = ?');
        for (const ref of f.inventory.deletes) del.run(pass.source, ref);
      }
      if (f.outcome === 'Applied' || f.outcome === 'NoChange') {
        db.prepare('UPDATE sources SET last_applied_revision = ?, last_applied_commit = ? WHERE name = ?').run(pass.revision, pass.commit_sha, pass.source);
      }
    });
  }

  /**
   * recordApplied writes a running pass's Deployment records and the manifests it now owns as
   * soon as the apply is done (revision and ReplicaSet known, rollout not finished), so a process
   * killed during the rollout still leaves commit → revision and a true inventory. finishPass
   * replaces the records.
   */
  recordApplied(id: number, deployments: DeploymentRecord[], inventory: [string, KubeObject][]): void {
    this.store.transaction((db) => {
      const pass = db.prepare('SELECT source FROM passes WHERE id = ?').get(id) as { source: string } | undefined;
      if (!pass) throw new MfluxError('Internal', `ledger: pass ${id} does not exist`);
      upsertInventory(db, pass.source, inventory);
      writeDeployments(db, id, deployments);
    });
  }

  /** recordSuperseded records commits skipped in favour of a newer one, each as a finished pass with outcome Superseded, in one transaction. */
  recordSuperseded(passes: PassStart[], newer: string, finishedWall: number, finishedCluster: number): void {
    if (passes.length === 0) return;
    this.store.transaction((db) => {
      const ins = db.prepare(
        `INSERT INTO passes (source, ref, revision, commit_sha, subject, author, started_wall, started_cluster, outcome, reasons, changes, finished_wall, finished_cluster)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'Superseded', ?, '[]', ?, ?)`,
      );
      for (const p of passes) {
        const reason = [{ code: 'Superseded', object: p.revision, message: `${p.revision} was superseded by ${newer} before its turn; only the newest commit is reconciled` }];
        ins.run(p.source, p.ref, p.revision, p.commit, p.subject, p.author, p.startedWall, p.startedCluster, JSON.stringify(reason), finishedWall, finishedCluster);
      }
    });
  }

  /**
   * markInterrupted closes passes left without an outcome by a process that died mid-pass (kill -9,
   * power loss), so nothing stays "running" forever; returns how many it closed.
   */
  markInterrupted(finishedWall: number): number {
    return this.store.transaction((db) => {
      const reason = JSON.stringify([{ code: 'Interrupted', object: 'mflux', message: 'the process stopped during this pass; what it applied stays applied and the next pass continues from the cluster as it is' }]);
      return db.prepare(`UPDATE passes SET outcome = 'Interrupted', reasons = ?, finished_wall = ? WHERE outcome IS NULL`).run(reason, finishedWall).changes;
    });
  }

  /** lastPass is a source's most recent pass, if any. */
  lastPass(source: string): PassRecord | undefined {
    const db = this.db();
    const r = db?.prepare('SELECT p.*, s.url, NULL AS rollback_to FROM passes p LEFT JOIN sources s ON s.name = p.source WHERE p.source = ? ORDER BY p.id DESC LIMIT 1').get(source);
    return r ? rowToPass(r) : undefined;
  }

  /** inventory returns what a source owns: ref → the manifest it applied last. */
  inventory(source: string): Map<string, KubeObject> {
    const db = this.db();
    const out = new Map<string, KubeObject>();
    if (!db) return out;
    for (const r of db.prepare('SELECT ref, applied FROM inventory WHERE source = ?').all(source) as any[]) out.set(r.ref, JSON.parse(r.applied));
    return out;
  }

  /** inventoryRefs lists the refs (`Kind/namespace/name`) of one kind a source owns, without reading the manifests. */
  inventoryRefs(source: string, kind: string): string[] {
    const db = this.db();
    if (!db) return [];
    return db.prepare("SELECT ref FROM inventory WHERE source = ? AND ref LIKE ? || '/%' ORDER BY ref").pluck().all(source, kind) as string[];
  }

  /** ownersOf maps each of `refs` that another source (not `except`) has in its inventory to that source. */
  ownersOf(refs: Iterable<string>, except: string): Map<string, string> {
    const out = new Map<string, string>();
    const db = this.db();
    if (!db) return out;
    const q = db.prepare('SELECT source FROM inventory WHERE ref = ? AND source != ? ORDER BY source LIMIT 1').pluck();
    for (const ref of refs) {
      const owner = q.get(ref, except) as string | undefined;
      if (owner !== undefined) out.set(ref, owner);
    }
    return out;
  }

  /** sourceState returns a source's last attempted and applied revisions. */
  sourceState(source: string): SourceState {
    const r = this.db()?.prepare('SELECT * FROM sources WHERE name = ?').get(source) as any;
    if (!r) return {};
    return { lastAttemptedRevision: r.last_attempted_revision ?? undefined, lastAppliedRevision: r.last_applied_revision ?? undefined, lastAppliedCommit: r.last_applied_commit ?? undefined };
  }

  /** passes lists passes, oldest first (optionally of one source). */
  passes(source?: string): PassRecord[] {
    const db = this.db();
    if (!db) return [];
    const cols = 'p.*, s.url, (SELECT MIN(d.rollback_to) FROM pass_deployments d WHERE d.pass_id = p.id) AS rollback_to';
    const rows = source
      ? db.prepare(`SELECT ${cols} FROM passes p LEFT JOIN sources s ON s.name = p.source WHERE p.source = ? ORDER BY p.id`).all(source)
      : db.prepare(`SELECT ${cols} FROM passes p LEFT JOIN sources s ON s.name = p.source ORDER BY p.id`).all();
    return (rows as any[]).map(rowToPass);
  }

  /** passServices maps pass id → the Service records of that pass (namespace, name order), for the passes listed. */
  passServices(): Map<number, ServiceRecord[]> {
    const out = new Map<number, ServiceRecord[]>();
    const db = this.db();
    if (!db) return out;
    for (const r of db.prepare('SELECT * FROM pass_services ORDER BY pass_id, namespace, name').all() as any[]) {
      const list = out.get(r.pass_id) ?? [];
      list.push(serviceRecord(r));
      out.set(r.pass_id, list);
    }
    return out;
  }

  /** serviceHistory lists every pass that measured one Service, oldest first. */
  serviceHistory(namespace: string, name: string): ServiceHistoryRow[] {
    const db = this.db();
    if (!db) return [];
    const rows = db
      .prepare(
        `SELECT p.*, s.url, NULL AS rollback_to, v.namespace AS v_namespace, v.name AS v_name, v.ready_before, v.min_ready, v.ready_after, v.desired, v.zero_ms
         FROM pass_services v JOIN passes p ON p.id = v.pass_id LEFT JOIN sources s ON s.name = p.source
         WHERE v.namespace = ? AND v.name = ? ORDER BY p.id`,
      )
      .all(namespace, name) as any[];
    return rows.map((r) => ({ ...serviceRecord({ ...r, namespace: r.v_namespace, name: r.v_name }), pass: rowToPass(r) }));
  }

  /** deploymentHistory lists every pass that applied a change to one workload (a Deployment unless `kind` says otherwise), oldest first. */
  deploymentHistory(namespace: string, name: string, kind = 'Deployment'): DeploymentHistoryRow[] {
    const db = this.db();
    if (!db) return [];
    const rows = db
      .prepare(
        `SELECT p.*, s.url, d.namespace AS d_namespace, d.name AS d_name, d.action AS d_action, d.revision AS d_revision,
                d.replica_set AS d_replica_set, d.pod_template_hash AS d_hash, d.finished_cluster AS d_finished, d.ok AS d_ok, d.rollback_to AS rollback_to, d.origin AS d_origin
         FROM pass_deployments d JOIN passes p ON p.id = d.pass_id LEFT JOIN sources s ON s.name = p.source
         WHERE d.kind = ? AND d.namespace = ? AND d.name = ? AND d.action IN ('create', 'update') ORDER BY p.id`,
      )
      .all(kind, namespace, name) as any[];
    return rows.map((r) => ({
      namespace: r.d_namespace,
      name: r.d_name,
      action: r.d_action,
      revision: r.d_revision ?? undefined,
      replicaSet: r.d_replica_set ?? undefined,
      podTemplateHash: r.d_hash ?? undefined,
      finishedCluster: r.d_finished ?? undefined,
      ok: r.d_ok === 1,
      ...(r.rollback_to !== null && r.rollback_to !== undefined ? { rollbackTo: r.rollback_to } : {}),
      ...(r.d_origin ? { origin: JSON.parse(r.d_origin) as Origin } : {}),
      pass: rowToPass(r),
    }));
  }
}
