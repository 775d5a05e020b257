/** GitOps commands: `reconcile` (one pass), `diff` (the plan, not applied) and `history` (the ledger). */
import path from 'node:path';
import { MfluxError, formatDuration, toRFC3339, wallClockNow } from '../../core/index.js';
import { Ledger, type ServiceRecord } from '../../ledger/index.js';
import { formatOrigin } from '../../manifests/index.js';
import { entryDiff } from '../../plan/index.js';
import { type ProgressEvent, type ReconcileResult, newSourceMemo, preparePlan, reconcileOnce, stampFor } from '../../reconcile/index.js';
import { credentialsFrom, openSource, type GitSource } from '../../source/index.js';
import { tabulate } from '../format/index.js';
import { type IO, EXIT } from '../io.js';
import { type CommonOptions, type PolicyFlags, type SimFlagOptions, durationFlag, policyOf, sessionOf, stateDirOf } from '../options.js';
import { runInSession } from '../session.js';
import { stopOnSignals } from '../signals.js';
import { parseWorkloadArg } from './view.js';

/** SourceFlags pick the repository, ref, path and credentials. */
export interface SourceFlags {
  repo?: string;
  ref?: string;
  path?: string;
  name?: string;
  usernameFile?: string;
  passwordFile?: string;
  tokenFile?: string;
}

/** sourceName is the inventory owner: --name, else the repository's base name. */
export function sourceName(f: SourceFlags): string {
  if (f.name) return f.name;
  const repo = f.repo ?? '';
  // A local path is named by its directory (so `--repo .` is named after the folder, not ".").
  const base = (isURL(repo) ? repo : path.resolve(repo)).replace(/\/+$/, '').split(/[/:]/).pop() ?? 'source';
  return base.replace(/\.git$/, '') || 'source';
}

function isURL(repo: string): boolean {
  return /^https?:\/\//i.test(repo);
}

/**
 * checkSourceFlags refuses flags given but empty: `--ref ""` (a script's unset variable) must not
 * quietly mean main. Run before the state is opened, so a usage error touches nothing.
 */
export function checkSourceFlags(f: SourceFlags): void {
  if (f.ref !== undefined && f.ref.trim() === '') throw new MfluxError('Usage', `invalid --ref "${f.ref}": must not be empty; name a branch, tag or commit SHA, or leave --ref out to follow the repository's HEAD`);
}

/** openFromFlags opens the source the flags name (a remote is cloned under the state dir). */
export async function openFromFlags(f: SourceFlags, o: CommonOptions): Promise<GitSource> {
  if (!f.repo) throw new MfluxError('Usage', 'missing --repo DIR|URL');
  checkSourceFlags(f);
  const repo = isURL(f.repo) ? f.repo : path.resolve(f.repo);
  return openSource({
    repo,
    ref: f.ref,
    path: f.path ?? '',
    stateDir: stateDirOf(o),
    credentials: credentialsFrom({ env: process.env, usernameFile: f.usernameFile, passwordFile: f.passwordFile, tokenFile: f.tokenFile }),
  });
}

function sourceURL(f: SourceFlags): string {
  const repo = f.repo ?? '';
  // Never keep credentials embedded in a URL.
  return isURL(repo) ? repo.replace(/\/\/[^@/]*@/, '//') : path.resolve(repo);
}

/** ReconcileFlags are `mflux reconcile`'s flags. */
export interface ReconcileFlags extends CommonOptions, SimFlagOptions, SourceFlags, PolicyFlags {
  timeout?: string;
  output?: string;
}

const SYMBOL: Record<string, string> = { create: '+', update: '~', prune: '-', blocked: '!', unchanged: '=' };

function progressPrinter(io: IO, json: boolean): (e: ProgressEvent) => void {
  let live = false;
  const endLive = () => {
    if (live) io.out('\n');
    live = false;
  };
  return (e) => {
    if (json) return;
    switch (e.type) {
      case 'resolved':
        io.out(`revision ${e.revision.revision} "${e.revision.subject}"\n`);
        for (const w of e.warnings) io.err(`warning: ${w}\n`);
        break;
      case 'planned': {
        const c = e.plan.counts;
        io.out(`plan: ${c.create} to create, ${c.update} to update, ${c.prune} to prune, ${c.unchanged} unchanged${c.blocked ? `, ${c.blocked} blocked` : ''}\n`);
        for (const en of e.plan.entries) {
          if (en.action === 'unchanged') continue;
          io.out(`  ${SYMBOL[en.action]} ${en.ref}${en.intended ? ` (${en.intended} blocked)` : ''}${en.impact.length ? `  [${en.impact.join(', ')}]` : ''}\n`);
        }
        break;
      }
      case 'replanned':
        io.err(`warning: ${e.reason}; planning again against the cluster as it is now\n`);
        break;
      case 'rollout':
        if (io.isTTY) {
          // A live line on a terminal: each new status overwrites the last.
          io.out(`\r\x1b[2K${e.message}`);
          live = true;
          if (e.message.endsWith('successfully rolled out') || e.message.includes('exceeded')) endLive();
        } else io.out(`${e.message}\n`);
        break;
      case 'pruned':
        endLive();
        io.out(`pruned ${e.ref}\n`);
        break;
      case 'applied':
      case 'read':
        break;
    }
  };
}

/** resultJSON is `reconcile -o json`'s document. */
export function resultJSON(r: ReconcileResult): object {
  return {
    outcome: r.outcome,
    revision: r.revision?.revision,
    commit: r.revision?.commit,
    reason: r.reason,
    reasons: r.reasons,
    impacts: r.impacts ?? [],
    warnings: r.warnings,
    changes: r.changes,
    rollouts: r.rollouts.map((x) => ({ object: x.object, revision: x.revision, replicaSet: x.replicaSet, ok: x.ok, message: x.message })),
  };
}

/**
 * exitFor maps an outcome to the exit code: 0 applied or no change, 1 blocked/invalid/rollout
 * failed (a verdict on the commit), 2 failed, interrupted or in conflict with another writer (nothing was judged; run it again).
 */
export function exitFor(r: ReconcileResult): number {
  if (r.outcome === 'Applied' || r.outcome === 'NoChange') return EXIT.ok;
  if (r.outcome === 'Failed' || r.outcome === 'Interrupted' || r.outcome === 'Conflict') return EXIT.error;
  return EXIT.bad;
}

/** reconcileCommand runs one pass of the pipeline for a repository. */
export async function reconcileCommand(f: ReconcileFlags, io: IO): Promise<number> {
  const json = f.output === 'json';
  if (f.output !== undefined && f.output !== 'json' && f.output !== 'text') {
    io.err(`error: unknown output format "${f.output}" (text or json) [Usage]\n`);
    return EXIT.error;
  }
  return runInSession(() => (checkSourceFlags(f), sessionOf(f, 'write')), io, async (session) => {
    const timeoutMs = durationFlag('timeout', f.timeout ?? '5m')!;
    const policy = policyOf(f);
    const source = await openFromFlags(f, f);
    const stop = stopOnSignals(io, 'the pass');
    const result = await reconcileOnce({
      world: {
        client: session.client,
        clock: session.clock,
        ledger: new Ledger(session.store),
        wallNow: wallClockNow,
        // As the daemon does: the cluster is saved with the ledger at every safe point, so a process
        // killed mid-rollout leaves a stored cluster that matches what the ledger says was applied.
        persist: (also) => session.saveOrRollBack(also),
      },
      source: { git: source, name: sourceName(f), url: sourceURL(f) },
      rules: { policy, timeoutMs },
      hooks: { onProgress: progressPrinter(io, json), signal: stop.signal },
    }).finally(() => stop.release());
    if (json) {
      io.out(`${JSON.stringify(resultJSON(result), null, 2)}\n`);
    } else {
      for (const w of result.warnings) io.err(`warning: ${w}\n`);
      for (const r of result.reasons) io.err(`error: ${r.message} [${r.code}]\n`);
      const rolled = result.rollouts.map((x) => `${x.object}${x.revision !== undefined ? ` → revision ${x.revision}` : x.object.startsWith('Deployment/') ? ' → revision ?' : `: ${x.message}`}${x.replicaSet ? ` (${x.replicaSet})` : ''}${x.ok ? '' : result.outcome === 'Interrupted' ? ' (interrupted)' : ' FAILED'}`);
      io.out(`${result.outcome}: ${result.reason}${rolled.length ? `\n  ${rolled.join('\n  ')}` : ''}\n`);
    }
    return exitFor(result);
  });
}

/** diffCommand prints the plan against the current cluster without applying it: exit 0 no difference, 1 differences. */
export async function diffCommand(f: ReconcileFlags, io: IO): Promise<number> {
  return runInSession(() => (checkSourceFlags(f), sessionOf(f, 'read')), io, async (session) => {
    const source = await openFromFlags(f, f);
    const { revision, warnings } = await source.resolve();
    for (const w of warnings) io.err(`warning: ${w}\n`);
    const ledger = new Ledger(session.store);
    const name = sourceName(f);
    // The same plan a pass would apply, stamps included: what diff shows is what reconcile writes.
    const prepared = await preparePlan({
      source,
      client: session.client,
      inventory: ledger.inventory(name),
      memo: newSourceMemo(),
      commit: revision.commit,
      policy: policyOf(f),
      owners: (refs) => ledger.ownersOf(refs, name),
      stamp: stampFor(revision),
    });
    if (prepared.reasons.length > 0 && !prepared.blocked) {
      for (const r of prepared.reasons) io.err(`error: ${r.message} [${r.code}]\n`);
      return EXIT.error;
    }
    const changed = prepared.plan.entries.filter((e) => e.action !== 'unchanged');
    if (f.output === 'json') {
      io.out(
        `${JSON.stringify(
          {
            revision: revision.revision,
            commit: revision.commit,
            blocked: prepared.blocked,
            reasons: prepared.reasons,
            impacts: prepared.impacts,
            changes: changed.map((e) => ({ object: e.ref, action: e.action, ...(e.intended ? { intended: e.intended } : {}), patch: e.patch })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      for (const e of changed) io.out(entryDiff(e));
      for (const i of prepared.impacts) io.err(`warning: ${i.message} [${i.code}]\n`);
      for (const r of prepared.reasons) io.err(`blocked: ${r.message} [${r.code}]\n`);
    }
    return changed.length > 0 ? EXIT.bad : EXIT.ok;
  });
}

/** HistoryFlags are `mflux history`'s flags. */
export interface HistoryFlags extends CommonOptions {
  output?: string;
  namespace?: string;
}

/** shortRevision writes a revision compactly: main@sha1:1a2b3c4, or sha1:1a2b3c4 when the ref was a commit. */
export function shortRevision(ref: string, commit: string): string {
  const short = `sha1:${commit.slice(0, 7)}`;
  return commit.startsWith(ref) ? short : `${ref}@${short}`;
}

/** outcomeText is a pass's OUTCOME cell: `Applied (rollback to 1)` for a pass that applied a rollback commit. */
export function outcomeText(outcome: string | undefined, rollbackTo: number | undefined): string {
  return `${outcome ?? 'InProgress'}${rollbackTo !== undefined ? ` (rollback to ${rollbackTo})` : ''}`;
}

/** serviceName writes a Service as `web`, or `ns/web` outside the default namespace. */
const serviceName = (v: ServiceRecord) => (v.namespace === 'default' ? v.name : `${v.namespace}/${v.name}`);

/**
 * minReadyCell is a pass's MIN READY cell: the Service that fared worst while the pass waited (a
 * Service that lost every ready endpoint first, then the lowest share of its desired replicas), as
 * `web 0/3`, with `(+N)` for the others measured; empty when the pass measured none.
 */
export function minReadyCell(services: ServiceRecord[]): string {
  if (services.length === 0) return '';
  const share = (v: ServiceRecord) => (v.desired > 0 ? v.minReady / v.desired : 1);
  const cut = (v: ServiceRecord) => (v.readyBefore > 0 && v.minReady === 0 ? 0 : 1);
  const worst = [...services].sort((a, b) => cut(a) - cut(b) || share(a) - share(b))[0]!;
  return `${serviceName(worst)} ${worst.minReady}/${worst.desired}${services.length > 1 ? ` (+${services.length - 1})` : ''}`;
}

/** serviceHistory prints `mflux history service/NAME`: every pass that could affect the Service, and what it served meanwhile. */
function serviceHistory(ledger: Ledger, ns: string, name: string, json: boolean, io: IO): number {
  const rows = ledger.serviceHistory(ns, name);
  if (json) {
    const items = rows.map((r) => ({
      pass: r.pass.id,
      commit: r.pass.commit,
      gitRevision: r.pass.revision,
      subject: r.pass.subject,
      outcome: r.pass.outcome ?? 'InProgress',
      readyBefore: r.readyBefore,
      minReady: r.minReady,
      readyAfter: r.readyAfter,
      desired: r.desired,
      secondsAtZero: r.zeroMs / 1000,
      applied: toRFC3339(r.pass.startedCluster),
    }));
    io.out(`${JSON.stringify({ kind: 'List', items }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.err(`No history found for service "${name}" in namespace "${ns}".\n`);
    return EXIT.ok;
  }
  io.out(
    tabulate(
      [['PASS', 'COMMIT', 'SUBJECT', 'OUTCOME', 'BEFORE', 'MIN READY', 'AFTER', 'DESIRED', 'AT ZERO', 'APPLIED']].concat(
        rows.map((r) => [String(r.pass.id), r.pass.commit.slice(0, 7), r.pass.subject, outcomeText(r.pass.outcome, r.pass.rollbackTo), String(r.readyBefore), String(r.minReady), String(r.readyAfter), String(r.desired), formatDuration(r.zeroMs), toRFC3339(r.pass.startedCluster)]),
      ),
    ),
  );
  return EXIT.ok;
}

/** historyCommand prints the ledger: every pass, or every commit applied to one Deployment. */
export async function historyCommand(target: string | undefined, f: HistoryFlags, io: IO): Promise<number> {
  return runInSession(() => sessionOf(f, 'read'), io, (session) => {
    const ledger = new Ledger(session.store);
    const json = f.output === 'json';
    const svc = target ? /^(?:services?|svc)\/(.+)$/i.exec(target) : null;
    if (svc) return serviceHistory(ledger, f.namespace ?? 'default', svc[1]!, json, io);
    if (target) {
      const { kind, name } = parseWorkloadArg(target);
      const ns = f.namespace ?? 'default';
      const rows = ledger.deploymentHistory(ns, name, kind);
      if (json) {
        io.out(
          `${JSON.stringify(
            {
              kind: 'List',
              items: rows.map((r) => ({
                revision: r.revision ?? null,
                commit: r.pass.commit,
                gitRevision: r.pass.revision,
                subject: r.pass.subject,
                outcome: r.pass.outcome ?? 'InProgress',
                rollbackTo: r.rollbackTo ?? null,
                action: r.action,
                replicaSet: r.replicaSet ?? null,
                podTemplateHash: r.podTemplateHash ?? null,
                file: r.origin?.file ?? null,
                line: r.origin?.line ?? null,
                kustomization: r.origin?.kustomizations?.at(-1) ?? null,
                applied: toRFC3339(r.pass.startedCluster),
                rolledOut: r.finishedCluster !== undefined ? toRFC3339(r.finishedCluster) : null,
              })),
            },
            null,
            2,
          )}\n`,
        );
        return EXIT.ok;
      }
      if (rows.length === 0) {
        io.err(`No history found for ${kind.toLowerCase()} "${name}" in namespace "${ns}".\n`);
        return EXIT.ok;
      }
      io.out(
        tabulate(
          [['REVISION', 'COMMIT', 'SUBJECT', 'OUTCOME', kind === 'Deployment' ? 'REPLICASET' : 'CONTROLLERREVISION', 'APPLIED', 'ORIGIN']].concat(
            rows.map((r) => [String(r.revision ?? '<none>'), r.pass.commit.slice(0, 7), r.pass.subject, outcomeText(r.pass.outcome, r.rollbackTo), r.replicaSet ?? '<none>', toRFC3339(r.pass.startedCluster), r.origin ? formatOrigin(r.origin) : '<unknown>']),
          ),
        ),
      );
      return EXIT.ok;
    }
    const passes = ledger.passes();
    const services = ledger.passServices();
    if (json) {
      io.out(`${JSON.stringify({ kind: 'List', items: passes.map((p) => ({ ...p, services: services.get(p.id) ?? [], rollbackTo: p.rollbackTo ?? null, startedWall: new Date(p.startedWall).toISOString(), finishedWall: p.finishedWall ? new Date(p.finishedWall).toISOString() : null, startedCluster: toRFC3339(p.startedCluster), finishedCluster: p.finishedCluster ? toRFC3339(p.finishedCluster) : null })) }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (passes.length === 0) {
      io.err('No reconcile passes recorded yet.\n');
      return EXIT.ok;
    }
    io.out(
      tabulate(
        [['PASS', 'SOURCE', 'REVISION', 'SUBJECT', 'OUTCOME', 'DURATION', 'MIN READY', 'REASON']].concat(
          passes.map((p) => [
            String(p.id),
            p.source,
            shortRevision(p.ref, p.commit),
            p.subject,
            outcomeText(p.outcome, p.rollbackTo),
            p.finishedCluster !== undefined ? formatDuration(p.finishedCluster - p.startedCluster) : '<none>',
            minReadyCell(services.get(p.id) ?? []),
            p.reasons.length ? `${p.reasons[0]!.code}${p.reasons.length > 1 ? ` (+${p.reasons.length - 1})` : ''}` : '',
          ]),
        ),
      ),
    );
    return EXIT.ok;
  });
}
