/** Read-only views with kubectl's wording: get, describe, rollout history. They never take the writer lock. */
import { type KubeObject, MfluxError, isNamespaced, maskSecret } from '../../core/index.js';
import { describeDeployment, describeGeneric, formatRolloutHistory, formatTable, noResourcesMessage, resolveKind, toList } from '../format/index.js';
import { type IO, EXIT, reportError } from '../io.js';
import { toYAML } from '../../plan/index.js';
import { type CommonOptions, sessionOf } from '../options.js';
import { type ClusterSession, runInSession } from '../session.js';
import { BUILTIN_KINDS } from '../../cluster/sim/kinds.js';

/** GetOptions are `mflux get`'s flags. */
export interface GetOptions extends CommonOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
}

/** displayZoneMinutes is the local zone offset kubectl would print times in. */
function displayZoneMinutes(at: number): number {
  return -new Date(at).getTimezoneOffset();
}

/** printObjects writes objects as json, yaml, or a kubectl table (`wide` for -o wide). */
export function printObjects(io: IO, kind: string, listed: KubeObject[], now: number, output: string | undefined, opts: { namespace: string; allNamespaces: boolean; single: boolean }): void {
  // Secret values are kept as keyed digests; neither they nor the digests are ever printed.
  const objs = listed.map(maskSecret);
  if (output === 'json') {
    io.out(`${JSON.stringify(opts.single ? objs[0] : toList(objs), null, 4)}\n`);
    return;
  }
  if (output === 'yaml') {
    io.out(toYAML(opts.single ? objs[0] : toList(objs)));
    return;
  }
  if (output !== undefined && output !== 'wide') throw new MfluxError('Usage', `unable to match a printer suitable for the output format "${output}", allowed formats are: json,wide,yaml`);
  if (objs.length === 0) {
    io.err(noResourcesMessage(kind, opts));
    return;
  }
  io.out(formatTable(kind, objs, { now, wide: output === 'wide', allNamespaces: opts.allNamespaces, namespace: opts.namespace }));
}

/** kindPrefix is how kubectl names a kind before each object when one get lists several: `deployment.apps`, `pod`. */
function kindPrefix(kind: string): string {
  const group = BUILTIN_KINDS.find((k) => k.kind === kind)?.group;
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}`;
}

/** notFound is the API server's NotFound line as kubectl prints it: `deployments.apps "x" not found`, `pods "x" not found`. */
export function notFound(kind: string, name: string): string {
  const info = BUILTIN_KINDS.find((k) => k.kind === kind);
  const resource = info ? `${info.plural}${info.group ? `.${info.group}` : ''}` : `${kind.toLowerCase()}s`;
  return `Error from server (NotFound): ${resource} "${name}" not found\n`;
}

/** getCommand lists objects of a kind — or of several, `deploy,rs` as kubectl takes them — (or one by name) from the simulated cluster. */
export async function getCommand(resource: string, name: string | undefined, opts: GetOptions, io: IO): Promise<number> {
  try {
    const kinds = [...new Set(resource.split(',').filter(Boolean).map(resolveKind))];
    if (kinds.length === 0) throw new MfluxError('Usage', `no resource type in "${resource}"`);
    return runInSession(() => sessionOf(opts, 'read'), io, (s) => {
      const ns = opts.namespace ?? 'default';
      const all = Boolean(opts.allNamespaces) && !name;
      const now = s.clock.now();
      const listOf = (kind: string): KubeObject[] => {
        const objs = kind === 'Event' ? s.sim.listEvents().filter((e) => all || (e.metadata.namespace ?? 'default') === ns) : s.sim.api.list(kind, all || !isNamespaced(kind) ? undefined : ns);
        return name ? objs.filter((o) => o.metadata.name === name) : objs;
      };
      const found = kinds.map((kind) => ({ kind, objs: listOf(kind) }));
      const missing = name ? found.filter((f) => f.objs.length === 0) : [];
      for (const m of missing) io.err(notFound(m.kind, name!));
      if (kinds.length === 1) {
        if (missing.length === 0) printObjects(io, kinds[0]!, found[0]!.objs, now, opts.output, { namespace: ns, allNamespaces: all, single: Boolean(name) });
        return missing.length ? EXIT.bad : EXIT.ok;
      }
      const objs = found.flatMap((f) => f.objs);
      if (opts.output === 'json' || opts.output === 'yaml') {
        // Several kinds make one List, as kubectl prints them.
        printObjects(io, kinds[0]!, objs, now, opts.output, { namespace: ns, allNamespaces: all, single: false });
      } else {
        if (opts.output !== undefined && opts.output !== 'wide') throw new MfluxError('Usage', `unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json,wide,yaml`);
        const tables = found.filter((f) => f.objs.length > 0).map((f) => formatTable(f.kind, f.objs, { now, wide: opts.output === 'wide', allNamespaces: all, namespace: ns, kindPrefix: kindPrefix(f.kind) }));
        if (tables.length > 0) io.out(tables.join('\n'));
        else if (!name) io.err(noResourcesMessage(kinds[0]!, { namespace: ns, allNamespaces: all }));
      }
      return missing.length ? EXIT.bad : EXIT.ok;
    });
  } catch (err) {
    return reportError(io, err);
  }
}

/** ownedReplicaSets returns the ReplicaSets a Deployment controls. */
export function ownedReplicaSets(s: ClusterSession, d: KubeObject): KubeObject[] {
  return s.sim.api.ownedBy(d.metadata.uid!, 'ReplicaSet').filter((rs) => rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === d.metadata.uid));
}

/** describeCommand prints `kubectl describe` for one object (Deployments in full). */
export async function describeCommand(resource: string, name: string, opts: GetOptions, io: IO): Promise<number> {
  try {
    const kind = resolveKind(resource);
    return runInSession(() => sessionOf(opts, 'read'), io, (s) => {
      const ns = isNamespaced(kind) ? opts.namespace ?? 'default' : undefined;
      const obj = s.sim.api.get(kind, ns, name);
      if (!obj) {
        io.err(notFound(kind, name));
        return EXIT.bad;
      }
      const now = s.clock.now();
      const events = s.sim.listEvents({ kind, namespace: ns, name });
      const dopts = { now, tzOffsetMinutes: displayZoneMinutes(now) };
      io.out(kind === 'Deployment' ? describeDeployment(obj, ownedReplicaSets(s, obj), events, dopts) : describeGeneric(maskSecret(obj), events, dopts));
      return EXIT.ok;
    });
  } catch (err) {
    return reportError(io, err);
  }
}

/** parseDeploymentArg reads "deployment/NAME" (or deploy/NAME, deployments/NAME) and returns NAME. */
export function parseDeploymentArg(arg: string): string {
  const m = /^([a-z.]+)\/(.+)$/.exec(arg);
  if (!m || resolveKind(m[1]!.replace(/\.apps$/, '')) !== 'Deployment') {
    throw new MfluxError('Usage', `expected deployment/NAME, got "${arg}" (only Deployments are simulated with rollouts)`);
  }
  return m[2]!;
}

/** rolloutHistoryCommand prints `kubectl rollout history deployment/NAME [--revision N]`. */
export async function rolloutHistoryCommand(arg: string, opts: GetOptions & { revision?: string }, io: IO): Promise<number> {
  try {
    const name = parseDeploymentArg(arg);
    return runInSession(() => sessionOf(opts, 'read'), io, (s) => {
      const d = s.sim.api.get('Deployment', opts.namespace ?? 'default', name);
      if (!d) {
        io.err(notFound('Deployment', name));
        return EXIT.bad;
      }
      const revision = opts.revision !== undefined ? Number.parseInt(opts.revision, 10) : undefined;
      if (revision !== undefined && !Number.isFinite(revision)) throw new MfluxError('Usage', `invalid --revision "${opts.revision}"`);
      try {
        io.out(formatRolloutHistory(d, ownedReplicaSets(s, d), revision));
      } catch (err) {
        io.err(`error: ${(err as Error).message}\n`);
        return EXIT.bad;
      }
      return EXIT.ok;
    });
  } catch (err) {
    return reportError(io, err);
  }
}
