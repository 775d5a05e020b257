/**
 * Rollback through Git: `mflux rollback deployment/NAME --to-revision N` never edits the cluster.
 * (StatefulSets and DaemonSets likewise: `statefulset/NAME`, `daemonset/NAME`, whose revision N is
 * the ControllerRevision number the ledger recorded; the next reconcile gives the old template's
 * ControllerRevision the next number, as upstream does.)
 * It finds in the ledger the commit that produced revision N, takes that Deployment's YAML
 * document verbatim from that commit, and puts it where the Deployment lives at HEAD (same file,
 * same document; the rest of the file untouched). The next reconcile applies that commit as an
 * ordinary rolling update: the old ReplicaSet is reused and the revision becomes max+1.
 *
 * Revision → commit: several commits can share revision N (a replicas-only or strategy-only commit
 * keeps the revision). The latest Applied commit with revision N is taken: its pod template is
 * revision N's by definition, and its other fields are the newest ones that went with it.
 */
import { type KubeObject, MfluxError, isMfluxError, objectRef } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { applyDefaults, parseManifestFile } from '../manifests/index.js';
import { computePlan, forceRequests, immutableChanges, type PlanEntry } from '../plan/index.js';
import type { DeploymentHistoryRow, Ledger } from '../ledger/index.js';
import { type GitSource, type WorkTree, isFileClean, openSource } from '../source/index.js';

/** Located is where one object is defined at one commit: file, first line of its document, the file's text and the object. */
export interface Located {
  file: string;
  line: number;
  content: string;
  object: KubeObject;
}

/** RollbackPlan is everything a rollback would write, checked; `skipped` says why nothing needs writing. */
export interface RollbackPlan {
  /** kind is the workload's: Deployment, StatefulSet or DaemonSet. */
  kind: string;
  namespace: string;
  name: string;
  toRevision: number;
  /** fromRevision is the revision running now (live annotation, else the ledger's latest). */
  fromRevision?: number;
  /** target is the commit that produced revision N and where the Deployment was in it. */
  target: { commit: string; subject: string; file: string; line: number };
  /** current is where the Deployment lives at the branch's HEAD: the file that gets rewritten. */
  current: { commit: string; file: string; line: number };
  before: string;
  after: string;
  message: string;
  /** skipped is kubectl's message when the pod template already matches revision N (nothing is written). */
  skipped?: string;
}

/** DOC_SEPARATOR and DOC_END cut YAML documents as manifests/parse's splitDocuments does. */
const DOC_SEPARATOR = /^---(\s.*)?$/;
const DOC_END = /^\.\.\.\s*$/;

/** documentRanges returns each YAML document's lines as [start, end) 0-based line indexes (separators excluded). */
export function documentRanges(lines: string[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  lines.forEach((l, i) => {
    if (DOC_SEPARATOR.test(l) || DOC_END.test(l)) {
      out.push({ start, end: i });
      start = i + 1;
    }
  });
  out.push({ start, end: lines.length });
  return out;
}

/** documentAt finds the document holding 1-based `line`, without its trailing blank lines. */
export function documentAt(content: string, line: number): { lines: string[]; start: number; end: number } {
  const lines = content.split('\n');
  const r = documentRanges(lines).find((d) => line - 1 >= d.start && line - 1 < d.end);
  if (!r) throw new MfluxError('Internal', `no YAML document at line ${line}`);
  let end = r.end;
  while (end > r.start && lines[end - 1]!.trim() === '') end--;
  return { lines, start: r.start, end };
}

/**
 * replaceDocument puts `docText`'s lines in place of the document at `line` of `content`; everything
 * else stays byte for byte. The new lines take the line ending of the document they replace (a
 * CRLF file stays CRLF).
 */
export function replaceDocument(content: string, line: number, docText: string): string {
  const { lines, start, end } = documentAt(content, line);
  const cr = start < end && lines[start]!.endsWith('\r') ? '\r' : '';
  return [...lines.slice(0, start), ...docText.split(/\r?\n/).map((l) => l + cr), ...lines.slice(end)].join('\n');
}

/** documentText is the verbatim text of the document at `line` (trailing blank lines dropped). */
export function documentText(content: string, line: number): string {
  const { lines, start, end } = documentAt(content, line);
  // Lines come out without their CR: the text is the document's, not its file's line endings.
  return lines
    .slice(start, end)
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .join('\n');
}

/** locateObject finds a Deployment (or any kind) by namespace/name among the manifests at a commit. */
export async function locateObject(source: GitSource, commit: string, kind: string, namespace: string, name: string): Promise<Located | undefined> {
  const files = await source.listManifests(commit);
  const blobs = await source.readBlobs([...new Set(files.map((f) => f.oid))]);
  for (const f of files) {
    const content = blobs.get(f.oid) ?? '';
    if (!content.includes(name)) continue;
    const objects = parseManifestFile({ path: f.path, content }, []);
    const hit = objects.find((p) => p.object.kind === kind && p.object.metadata.name === name && (p.object.metadata.namespace || 'default') === namespace);
    if (hit) return { file: f.path, line: hit.origin.line, content, object: hit.object };
  }
  return undefined;
}

/** appliedRows lists the ledger's Applied rows of a workload that have a revision, oldest first. */
function appliedRows(ledger: Ledger, namespace: string, name: string, kind: string): DeploymentHistoryRow[] {
  return ledger.deploymentHistory(namespace, name, kind).filter((r) => r.pass.outcome === 'Applied' && r.revision !== undefined);
}

/**
 * liveRevision is the revision a live workload runs: a Deployment's revision annotation; for a
 * StatefulSet or DaemonSet the highest number among the ControllerRevisions it owns (the
 * controller gives the revision of the template it rolls out the next number, even a reused one).
 */
async function liveRevision(client: ClusterClient, live: KubeObject): Promise<number | undefined> {
  if (live.kind === 'Deployment') {
    const rev = live.metadata.annotations?.['deployment.kubernetes.io/revision'];
    return rev ? Number(rev) : undefined;
  }
  const owned = (await client.list('ControllerRevision', { namespace: live.metadata.namespace ?? 'default' })).filter((cr) => cr.metadata.ownerReferences?.some((o) => o.controller && o.uid === live.metadata.uid));
  const numbers = owned.map((cr) => Number((cr as { revision?: number }).revision ?? 0)).filter((n) => n > 0);
  return numbers.length ? Math.max(...numbers) : undefined;
}

/** shortSha is the 7-hex form of a commit SHA. */
function short(sha: string): string {
  return sha.slice(0, 7);
}

/** rollbackMessage is the commit message `mflux rollback` writes (and reconcile recognises); `kind` defaults to Deployment. */
export function rollbackMessage(name: string, revision: number, commit: string, kind = 'Deployment'): string {
  return `Roll back ${kind.toLowerCase()}/${name} to revision ${revision} (${short(commit)})`;
}

/** templateChanges lists the patch operations of a plan entry that touch the pod template. */
function templateChanges(e: PlanEntry): number {
  return e.patch.filter((op) => op.path === '/spec/template' || op.path.startsWith('/spec/template/')).length;
}

/**
 * prepareRollback works out a rollback and checks it, writing nothing: RevisionNotFound (N not in
 * the ledger as Applied, or its commit not in the repository), NotFound (the Deployment is not in
 * the repository at HEAD), RollbackBlocked (the guard would block the old manifest against the
 * live object, e.g. the selector changed since), DirtyWorkingTree (uncommitted changes to the file,
 * when `checkClean`). A template already equal to revision N's comes back with `skipped` set.
 */
export async function prepareRollback(o: {
  wt: WorkTree;
  /** kind is Deployment (the default), StatefulSet or DaemonSet. */
  kind?: string;
  ledger: Ledger;
  client: ClusterClient;
  namespace: string;
  name: string;
  toRevision?: number;
  stateDir: string;
  /** checkClean refuses when the file has uncommitted changes (a commit on the current branch rewrites the working copy). */
  checkClean: boolean;
}): Promise<RollbackPlan> {
  const { namespace, name } = o;
  const kind = o.kind ?? 'Deployment';
  const subject = `${kind.toLowerCase()}/${name}`;
  const rows = appliedRows(o.ledger, namespace, name, kind);
  const live = await o.client.get(kind, namespace, name);
  const liveRev = live ? await liveRevision(o.client, live) : undefined;
  const fromRevision = liveRev ?? (rows.length ? Math.max(...rows.map((r) => r.revision!)) : undefined);
  let toRevision = o.toRevision;
  if (toRevision === undefined) {
    const older = rows.map((r) => r.revision!).filter((r) => fromRevision === undefined || r < fromRevision);
    if (older.length === 0) throw new MfluxError('RevisionNotFound', `no revision before ${fromRevision ?? 'the current one'} in the ledger`, { subject });
    toRevision = Math.max(...older);
  }
  const N = toRevision;
  const targetRow = [...rows].reverse().find((r) => r.revision === N);
  if (!targetRow) {
    const known = [...new Set(rows.map((r) => r.revision!))].sort((a, b) => a - b);
    throw new MfluxError('RevisionNotFound', `unable to find specified revision ${N} in history${known.length ? ` (the ledger has ${known.join(', ')})` : ''}`, { subject });
  }
  const commit = targetRow.pass.commit;
  const source = await openSource({ repo: o.wt.dir, ref: o.wt.branch, stateDir: o.stateDir });
  let old: Located | undefined;
  try {
    old = await locateObject(source, commit, kind, namespace, name);
  } catch (err) {
    if (isMfluxError(err) && err.code !== 'NotFound' && err.code !== 'RefNotFound') throw err;
    throw new MfluxError('RevisionNotFound', `commit ${commit} (revision ${N}) is not in the repository ${o.wt.dir}`, { subject, cause: err });
  }
  if (!old) throw new MfluxError('RevisionNotFound', `commit ${short(commit)} (revision ${N}) has no manifest for it`, { subject });
  const cur = await locateObject(source, o.wt.head, kind, namespace, name);
  if (!cur) throw new MfluxError('NotFound', `not in the repository at ${o.wt.branch} (${short(o.wt.head)}): nothing to roll back in Git`, { subject });

  // Judge the old manifest against the live object as a reconcile would.
  const ref = objectRef(kind, namespace, name);
  const inventory = o.ledger.inventory(targetRow.pass.source);
  let entry: PlanEntry | undefined;
  if (live) {
    entry = computePlan({ desired: [{ object: old.object }], live: new Map([[ref, live]]), inventory: new Map(inventory.has(ref) ? [[ref, inventory.get(ref)!]] : []) }).entries[0]!;
    const reasons = [...immutableChanges(entry), ...forceRequests(entry)];
    if (reasons.length > 0) {
      throw new MfluxError('RollbackBlocked', `revision ${N} cannot be restored in place: ${reasons.map((r) => r.message).join('; ')}`, { subject, details: { reasons } });
    }
  }
  const text = documentText(old.content, old.line);
  const before = cur.content;
  const after = replaceDocument(before, cur.line, text);
  const plan: RollbackPlan = {
    kind,
    namespace,
    name,
    toRevision: N,
    fromRevision,
    target: { commit, subject: targetRow.pass.subject, file: old.file, line: old.line },
    current: { commit: o.wt.head, file: cur.file, line: cur.line },
    before,
    after,
    message: rollbackMessage(name, N, commit, kind),
  };
  const sameTemplate = entry
    ? templateChanges(entry) === 0
    : JSON.stringify(applyDefaults(old.object).spec?.template) === JSON.stringify(applyDefaults(cur.object).spec?.template);
  if (sameTemplate) return { ...plan, skipped: `skipped rollback (current template already matches revision ${N})` };
  if (after === before) return { ...plan, skipped: `skipped rollback (${cur.file} at ${o.wt.branch} already has revision ${N}'s manifest; reconcile to apply it)` };
  if (o.checkClean && !(await isFileClean(o.wt, cur.file))) {
    throw new MfluxError('DirtyWorkingTree', `${cur.file} has uncommitted changes: commit or stash them first (or use --branch)`, { subject });
  }
  return plan;
}
