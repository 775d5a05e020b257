/** `mflux rollback` (a revert commit in Git, never a cluster edit) and `mflux trace` (from a live object to its origin). */
import path from 'node:path';
import { MfluxError, wallClockNow } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { formatOrigin } from '../../manifests/index.js';
import { unifiedDiff } from '../../plan/index.js';
import { prepareRollback, traceDeployment, type Trace } from '../../reconcile/index.js';
import { authorFor, commitFile, credentialsFrom, isRemoteUrl, openWorkTree, pushBranch } from '../../source/index.js';
import { type IO, EXIT } from '../io.js';
import { type CommonOptions, sessionOf, stateDirOf } from '../options.js';
import { runInSession } from '../session.js';
import { parseWorkloadArg } from './view.js';

/** RollbackFlags are `mflux rollback`'s flags. */
export interface RollbackFlags extends CommonOptions {
  toRevision?: string;
  repo?: string;
  path?: string;
  branch?: string;
  push?: boolean;
  dryRun?: boolean;
  namespace?: string;
  usernameFile?: string;
  passwordFile?: string;
  tokenFile?: string;
}

/** rollbackCommand writes revision N's manifest of a Deployment, StatefulSet or DaemonSet back into Git as a commit; the next reconcile rolls it out. */
export async function rollbackCommand(target: string, f: RollbackFlags, io: IO): Promise<number> {
  return runInSession(() => sessionOf(f, 'read'), io, async (session) => {
    const { kind, name } = parseWorkloadArg(target);
    const shown = `${kind.toLowerCase()}.apps/${name}`;
    const namespace = f.namespace ?? 'default';
    let toRevision: number | undefined;
    if (f.toRevision !== undefined && f.toRevision !== '0') {
      if (!/^\d+$/.test(f.toRevision)) throw new MfluxError('Usage', `invalid --to-revision "${f.toRevision}": a positive revision number`);
      toRevision = Number(f.toRevision);
    }
    const ledger = new Ledger(session.store);
    // Without --repo: the local repository the ledger's last pass for it read from, else the current directory.
    const rows = ledger.deploymentHistory(namespace, name, kind);
    const lastUrl = rows[rows.length - 1]?.pass.url;
    const repo = f.repo ?? (lastUrl && !isRemoteUrl(lastUrl) ? lastUrl : '.');
    const wt = await openWorkTree(path.resolve(repo));
    const plan = await prepareRollback({ wt, ledger, client: session.client, kind, namespace, name, toRevision, stateDir: stateDirOf(f), checkClean: !f.branch && !f.dryRun, path: f.path });
    if (plan.skipped) {
      io.out(`${shown} ${plan.skipped}\n`);
      return EXIT.ok;
    }
    if (f.dryRun) {
      io.out(unifiedDiff(plan.before, plan.after, `a/${plan.current.file}`, `b/${plan.current.file}`));
      io.out(`${shown} would be rolled back to revision ${plan.toRevision} (dry run): ${plan.message}${f.branch ? ` on new branch ${f.branch}` : ` on ${wt.branch}`}\n`);
      return EXIT.ok;
    }
    const author = await authorFor(wt, wallClockNow());
    const sha = await commitFile({ wt, filepath: plan.current.file, content: plan.after, message: plan.message, author, newBranch: f.branch });
    const branch = f.branch ?? wt.branch;
    io.out(`${shown} rolled back in Git: ${sha.slice(0, 7)} "${plan.message}" on ${branch} (${plan.current.file}:${plan.current.line})\n`);
    if (f.push) {
      const credentials = credentialsFrom({ env: process.env, usernameFile: f.usernameFile, passwordFile: f.passwordFile, tokenFile: f.tokenFile });
      const { url } = await pushBranch({ wt, branch, credentials });
      io.out(`pushed ${branch} to ${url}\n`);
    } else {
      io.out(`run "mflux reconcile" on ${branch} (or push it) to roll it out\n`);
    }
    return EXIT.ok;
  });
}

/** TraceFlags are `mflux trace`'s flags. */
export interface TraceFlags extends CommonOptions {
  namespace?: string;
  output?: string;
}

/** renderTrace writes a trace as a kubectl-describe-like block. */
export function renderTrace(t: Trace): string {
  const rows: [string, string][] = [
    ['Name', t.name],
    ['Namespace', t.namespace],
    ['Source', `${t.source.name} (${t.source.url})`],
    ['Path', t.path ? formatOrigin({ file: t.path, line: t.line ?? 1, kustomizations: t.kustomizations }) : '<unknown>'],
    ['Commit', t.commit.sha],
    ['  Subject', t.commit.subject],
    ['  Author', t.commit.author],
    ['  Time', t.commit.time ?? '<unknown>'],
    ['  GitRevision', t.commit.gitRevision],
    ['Revision', t.revision === null ? '<none>' : String(t.revision)],
    t.object.startsWith('Deployment/') ? ['ReplicaSet', t.replicaSet ?? '<none>'] : ['ControllerRevision', t.controllerRevision ?? '<none>'],
    ['Outcome', `${t.outcome}${t.rollbackTo !== null ? ` (rollback to ${t.rollbackTo})` : ''}`],
    ['Drifted', String(t.drifted)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  let out = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
  if (!t.live) out += 'Live:      <not found in the cluster>\n';
  if (t.patch.length > 0) {
    out += 'Drift (JSON Patch from live to Git):\n';
    for (const op of t.patch) out += `  ${JSON.stringify(op)}\n`;
  }
  for (const w of t.warnings) out += `Warning:   ${w}\n`;
  return out;
}

/** traceCommand prints where a Deployment, StatefulSet or DaemonSet comes from and whether it still matches Git: exit 0. */
export async function traceCommand(target: string, f: TraceFlags, io: IO): Promise<number> {
  if (f.output !== undefined && f.output !== 'json' && f.output !== 'text') {
    io.err(`error: unknown output format "${f.output}" (text or json) [Usage]\n`);
    return EXIT.error;
  }
  return runInSession(() => sessionOf(f, 'read'), io, async (session) => {
    const { kind, name } = parseWorkloadArg(target);
    const t = await traceDeployment({ ledger: new Ledger(session.store), client: session.client, kind, namespace: f.namespace ?? 'default', name, stateDir: stateDirOf(f) });
    io.out(f.output === 'json' ? `${JSON.stringify(t, null, 2)}\n` : renderTrace(t));
    return EXIT.ok;
  });
}
