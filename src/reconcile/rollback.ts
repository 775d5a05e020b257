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
 *
 * A rendered Deployment (a kustomization builds it) has no one document to copy: what renders it
 * is compared at commit N and at HEAD. When putting back one source document (from commit N, in
 * the file that holds it at HEAD) or one `images:` entry of one kustomization makes the rendered
 * template equal to revision N's — checked by rendering the changed tree — that one edit is the
 * rollback; otherwise RollbackBlocked names the files that render it.
 */
import { load } from 'js-yaml';
import { type KubeObject, MfluxError, canonicalJSON, isMfluxError, objectRef } from '../core/index.js';
import type { ClusterClient } from '../cluster/client.js';
import { type Origin, applyDefaults, formatOrigin, parseManifestFile } from '../manifests/index.js';
import { computePlan, forceRequests, immutableChanges, type PlanEntry } from '../plan/index.js';
import type { DeploymentHistoryRow, Ledger } from '../ledger/index.js';
import { type TreeReader, renderKustomization } from '../render/index.js';
import { type GitSource, type WorkTree, isFileClean, openSource } from '../source/index.js';
import { newSourceMemo } from './memo.js';
import { GitTree, renderDesired } from './render.js';

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

/** Rendered is one object as the pass reads it at one commit: the object, its origin, and whether a kustomization built it. */
export interface Rendered {
  object: KubeObject;
  origin: Origin;
  rendered: boolean;
}

/** matches tells whether an object is kind namespace/name (no namespace counts as default). */
function matches(obj: KubeObject, kind: string, namespace: string, name: string): boolean {
  return obj.kind === kind && obj.metadata.name === name && (obj.metadata.namespace || 'default') === namespace;
}

/** locateRendered reads the source's desired objects at a commit as a reconcile pass does (rendered, or file by file) and finds one object. */
export async function locateRendered(source: GitSource, commit: string, kind: string, namespace: string, name: string): Promise<Rendered | undefined> {
  const state = await renderDesired(source, commit, newSourceMemo(), { keepBuilds: false });
  const hit = state.objects.find((p) => matches(p.object, kind, namespace, name));
  return hit && { object: hit.object, origin: hit.origin, rendered: state.rendered };
}

/** dirOf is a repository path's folder ('' for the root). */
function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** readAt reads one file of the repository at a commit (ignore rules applied, as the render sees it); undefined when it is not there. */
async function readAt(source: GitSource, commit: string, file: string): Promise<string | undefined> {
  const e = (await source.listDir(commit, dirOf(file)))?.find((x) => x.type === 'file' && x.name === file.slice(file.lastIndexOf('/') + 1));
  return e && (await source.readBlobs([e.oid])).get(e.oid);
}

/** templateOf is a Deployment's pod template with API defaults, as canonical JSON (what decides the revision). */
function templateOf(obj: KubeObject): string {
  return canonicalJSON(applyDefaults(obj).spec?.template ?? null);
}

/** renderAt renders the source's folder at a commit with `override` standing in for one file's text. */
async function renderAt(source: GitSource, commit: string, override?: { file: string; content: string }): Promise<KubeObject[]> {
  const git = new GitTree(source, commit);
  const tree: TreeReader = { list: (d) => git.list(d), readFile: (p) => (override && p === override.file ? override.content : git.readFile(p)) };
  return (await renderKustomization(tree, source.path)).map((d) => d.object);
}

/** ImageEntry is one item of a kustomization's `images:` list as lines of its file: [start, end) 0-based, its indent and its name. */
interface ImageEntry {
  start: number;
  end: number;
  indent: string;
  name: string;
}

const BLANK_OR_COMMENT = /^\s*(#.*)?\r?$/;

/**
 * imageEntries finds the items of a top-level block-style `images:` list, line by line, so one
 * item can be replaced with the rest of the file kept byte for byte. A flow-style list (`images:
 * [...]`) has no item lines: none are found.
 */
export function imageEntries(content: string): ImageEntry[] {
  const lines = content.split('\n');
  const key = lines.findIndex((l) => /^images:\s*(#.*)?\r?$/.test(l));
  if (key < 0) return [];
  let i = key + 1;
  while (i < lines.length && BLANK_OR_COMMENT.test(lines[i]!)) i++;
  const first = /^(\s*)-(\s|$)/.exec(lines[i] ?? '');
  if (!first) return [];
  const indent = first[1]!;
  const starts: number[] = [];
  let end = i;
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (BLANK_OR_COMMENT.test(l)) continue;
    const lead = /^\s*/.exec(l)![0].length;
    if (l.startsWith(`${indent}-`) && /^-(\s|$)/.test(l.slice(indent.length))) starts.push(i);
    else if (lead <= indent.length) break;
    end = i + 1;
  }
  return starts.map((start, k) => {
    let stop = k + 1 < starts.length ? starts[k + 1]! : end;
    while (stop > start + 1 && BLANK_OR_COMMENT.test(lines[stop - 1]!)) stop--;
    const text = lines.slice(start, stop).map((l) => l.slice(indent.length)).join('\n');
    let item: { name?: unknown } | undefined;
    try {
      item = (load(text) as unknown[] | undefined)?.[0] as { name?: unknown } | undefined;
    } catch {
      item = undefined; // an item that does not parse alone matches no name: rollback refuses rather than guess
    }
    return { start, end: stop, indent, name: typeof item?.name === 'string' ? item.name : '' };
  });
}

/** imagesOf reads a kustomization's `images:` as name → entry JSON (empty when it has none or does not parse). */
function imagesOf(content: string): Map<string, string> {
  try {
    const k = load(content) as { images?: unknown } | undefined;
    const list = Array.isArray(k?.images) ? (k.images as { name?: unknown }[]) : [];
    return new Map(list.filter((e) => typeof e?.name === 'string').map((e) => [e.name as string, canonicalJSON(e)]));
  } catch {
    return new Map();
  }
}

/** RenderedEdit is one file rewritten to restore a rendered Deployment's template: where, the text before and after, and what it restores. */
interface RenderedEdit {
  file: string;
  line: number;
  before: string;
  after: string;
  from: { file: string; line: number };
}

/**
 * renderedEdit finds the one edit that gives a rendered Deployment back revision N's template:
 * (a) the source document from commit N put in place of HEAD's, or (b) one `images:` entry of one
 * kustomization put back as it was at N. Each candidate is rendered; it counts only when the
 * Deployment's template then equals revision N's and nothing else the folder renders changes.
 * RollbackBlocked names the files that render it when no candidate does.
 */
async function renderedEdit(o: { source: GitSource; commit: string; head: string; old: Rendered; cur: Rendered; N: number; kind: string; namespace: string; name: string; subject: string }): Promise<RenderedEdit> {
  const { source, old, cur } = o;
  const want = templateOf(old.object);
  const headObjects = await renderAt(source, o.head);
  const others = (objs: KubeObject[]) => new Map(objs.filter((x) => !matches(x, o.kind, o.namespace, o.name)).map((x) => [`${x.kind}/${x.metadata.namespace ?? ''}/${x.metadata.name}`, canonicalJSON(x)]));
  const unchanged = others(headObjects);
  const rejected: string[] = [];
  const attempt = async (e: RenderedEdit): Promise<RenderedEdit | undefined> => {
    const objs = await renderAt(source, o.head, { file: e.file, content: e.after });
    const d = objs.find((x) => matches(x, o.kind, o.namespace, o.name));
    if (!d || templateOf(d) !== want) return undefined;
    const after = others(objs);
    const moved = [...new Set([...unchanged.keys(), ...after.keys()])].filter((k) => unchanged.get(k) !== after.get(k));
    if (moved.length > 0) {
      rejected.push(`editing ${e.file} would also change ${moved.join(', ')}`);
      return undefined;
    }
    return e;
  };

  // (a) One source document: revision N's document text where the document is at HEAD.
  const oldText = await readAt(source, o.commit, old.origin.file);
  const curText = await readAt(source, o.head, cur.origin.file);
  if (oldText !== undefined && curText !== undefined) {
    const doc = documentText(oldText, old.origin.line);
    const after = replaceDocument(curText, cur.origin.line, doc);
    if (after !== curText) {
      const hit = await attempt({ file: cur.origin.file, line: cur.origin.line, before: curText, after, from: { file: old.origin.file, line: old.origin.line } });
      if (hit) return hit;
    }
  }

  // (b) One images: entry of one kustomization that renders it.
  const kustomizations = [...new Set([...(cur.origin.kustomizations ?? []), ...(old.origin.kustomizations ?? [])])];
  for (const k of kustomizations) {
    const [then, now] = [await readAt(source, o.commit, k), await readAt(source, o.head, k)];
    if (then === undefined || now === undefined || then === now) continue;
    const [a, b] = [imagesOf(then), imagesOf(now)];
    const differ = [...new Set([...a.keys(), ...b.keys()])].filter((n) => a.get(n) !== b.get(n));
    if (differ.length !== 1 || !a.has(differ[0]!) || !b.has(differ[0]!)) continue;
    const from = imageEntries(then).find((e) => e.name === differ[0]);
    const to = imageEntries(now).find((e) => e.name === differ[0]);
    if (!from || !to) continue;
    const lines = now.split('\n');
    const cr = lines[to.start]!.endsWith('\r') ? '\r' : '';
    const put = then
      .split('\n')
      .slice(from.start, from.end)
      .map((l) => to.indent + l.replace(/\r$/, '').slice(from.indent.length) + cr);
    const after = [...lines.slice(0, to.start), ...put, ...lines.slice(to.end)].join('\n');
    const hit = await attempt({ file: k, line: to.start + 1, before: now, after, from: { file: k, line: from.start + 1 } });
    if (hit) return hit;
  }

  // (c) Neither: name what renders it and what changed since.
  const files = [...new Set([old.origin.file, cur.origin.file, ...kustomizations])];
  const changed: string[] = [];
  for (const f of files) if ((await readAt(source, o.commit, f)) !== (await readAt(source, o.head, f))) changed.push(f);
  throw new MfluxError(
    'RollbackBlocked',
    `revision ${o.N}'s pod template cannot be restored by putting back one document or one images: entry: it is rendered from ${formatOrigin(cur.origin)}` +
      `${kustomizations.length ? ` (kustomizations: ${kustomizations.join(', ')})` : ''}; changed since ${short(o.commit)}: ${changed.length ? changed.join(', ') : 'none of these files'}` +
      `${rejected.length ? `; ${rejected.join('; ')}` : ''}; git revert the commits since ${short(o.commit)}, or edit these files`,
    { subject: o.subject, details: { files, changed } },
  );
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
  /** path is the folder the source reads (--path); default: the one the ledger's pass of revision N read. */
  path?: string;
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
  const source = await openSource({ repo: o.wt.dir, ref: o.wt.branch, stateDir: o.stateDir, path: o.path ?? targetRow.pass.path ?? '' });
  let oldR: Rendered | undefined;
  try {
    oldR = await locateRendered(source, commit, kind, namespace, name);
  } catch (err) {
    if (isMfluxError(err) && err.code !== 'NotFound' && err.code !== 'RefNotFound') throw err;
    throw new MfluxError('RevisionNotFound', `commit ${commit} (revision ${N}) is not in the repository ${o.wt.dir}`, { subject, cause: err });
  }
  if (!oldR) throw new MfluxError('RevisionNotFound', `commit ${short(commit)} (revision ${N}) has no manifest for it${source.path ? ` under ${source.path}` : ''}`, { subject });
  const curR = await locateRendered(source, o.wt.head, kind, namespace, name);
  if (!curR) throw new MfluxError('NotFound', `not in the repository at ${o.wt.branch} (${short(o.wt.head)}): nothing to roll back in Git`, { subject });
  // A plain manifest is one document to copy; a rendered one is judged by what renders it.
  const rendered = oldR.rendered || curR.rendered;
  const old: Located | undefined = rendered ? undefined : await locateObject(source, commit, kind, namespace, name);
  const cur: Located | undefined = rendered ? undefined : await locateObject(source, o.wt.head, kind, namespace, name);
  if (!rendered && (!old || !cur)) throw new MfluxError('Internal', `${source.path || '.'} lists the ${kind} but no file defines it`, { subject });

  // Judge the old manifest against the live object as a reconcile would.
  const ref = objectRef(kind, namespace, name);
  const inventory = o.ledger.inventory(targetRow.pass.source);
  let entry: PlanEntry | undefined;
  if (live) {
    entry = computePlan({ desired: [{ object: oldR.object }], live: new Map([[ref, live]]), inventory: new Map(inventory.has(ref) ? [[ref, inventory.get(ref)!]] : []) }).entries[0]!;
    const reasons = [...immutableChanges(entry), ...forceRequests(entry)];
    if (reasons.length > 0) {
      throw new MfluxError('RollbackBlocked', `revision ${N} cannot be restored in place: ${reasons.map((r) => r.message).join('; ')}`, { subject, details: { reasons } });
    }
  }
  const base = { kind, namespace, name, toRevision: N, fromRevision, message: rollbackMessage(name, N, commit, kind) };
  const sameTemplate = entry ? templateChanges(entry) === 0 : templateOf(oldR.object) === templateOf(curR.object);
  const skipped = (file: string, line: number) => ({
    ...base,
    target: { commit, subject: targetRow.pass.subject, file: oldR.origin.file, line: oldR.origin.line },
    current: { commit: o.wt.head, file, line },
    before: '',
    after: '',
  });
  if (sameTemplate) return { ...skipped(curR.origin.file, curR.origin.line), skipped: `skipped rollback (current template already matches revision ${N})` };
  let plan: RollbackPlan;
  if (rendered) {
    // Git at HEAD may already render revision N's template (a rollback committed, not yet reconciled).
    if (templateOf(oldR.object) === templateOf(curR.object)) {
      return { ...skipped(curR.origin.file, curR.origin.line), skipped: `skipped rollback (${source.path || '.'} at ${o.wt.branch} already renders revision ${N}'s template; reconcile to apply it)` };
    }
    const e = await renderedEdit({ source, commit, head: o.wt.head, old: oldR, cur: curR, N, kind, namespace, name, subject });
    plan = { ...base, target: { commit, subject: targetRow.pass.subject, file: e.from.file, line: e.from.line }, current: { commit: o.wt.head, file: e.file, line: e.line }, before: e.before, after: e.after };
  } else {
    const text = documentText(old!.content, old!.line);
    const before = cur!.content;
    const after = replaceDocument(before, cur!.line, text);
    plan = { ...base, target: { commit, subject: targetRow.pass.subject, file: old!.file, line: old!.line }, current: { commit: o.wt.head, file: cur!.file, line: cur!.line }, before, after };
    if (after === before) return { ...plan, skipped: `skipped rollback (${cur!.file} at ${o.wt.branch} already has revision ${N}'s manifest; reconcile to apply it)` };
  }
  if (o.checkClean && !(await isFileClean(o.wt, plan.current.file))) {
    throw new MfluxError('DirtyWorkingTree', `${plan.current.file} has uncommitted changes: commit or stash them first (or use --branch)`, { subject });
  }
  return plan;
}
