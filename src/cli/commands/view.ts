/** Read-only views with kubectl's wording: get, describe, rollout history. They never take the writer lock. */
import { BUILTIN_KINDS, type KindInfo, type KindLookup, type KubeObject, MfluxError, maskSecret, resourceName } from '../../core/index.js';
import { describeDaemonSet, describeDeployment, describeGeneric, describeJob, describeService, describeStatefulSet, formatRevisionHistory, formatRolloutHistory, formatTable, noResourcesMessage, resolveKind, toList } from '../format/index.js';
import { type IO, EXIT, reportError } from '../io.js';
import { toYAML } from '../../plan/index.js';
import { type CommonOptions, sessionOf } from '../options.js';
import { type ClusterSession, runInSession } from '../session.js';

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
export function printObjects(io: IO, kind: string, listed: KubeObject[], now: number, output: string | undefined, opts: { namespace: string; allNamespaces: boolean; single: boolean; kinds?: KindLookup }): void {
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
  io.out(formatTable(kind, objs, { now, wide: output === 'wide', allNamespaces: opts.allNamespaces, namespace: opts.namespace, kinds: opts.kinds }));
}

/** kindPrefix is how kubectl names a kind before each object when one get lists several: `deployment.apps`, `pod` (lower-case GroupKind). */
function kindPrefix(info: KindInfo): string {
  return `${info.kind.toLowerCase()}${info.group ? `.${info.group}` : ''}`;
}

/** notFound is the API server's NotFound line as kubectl prints it: `deployments.apps "x" not found`, `pods "x" not found`. */
export function notFound(kind: string, name: string, kinds: KindLookup = BUILTIN_KINDS): string {
  const info = kinds.kindInfo(kind);
  return `Error from server (NotFound): ${info ? resourceName(info) : `${kind.toLowerCase()}s`} "${name}" not found\n`;
}

/** UnknownResource is kubectl's answer to a resource word discovery does not know (exit 1, no table). */
class UnknownResource extends Error {}

/**
 * resolveResources turns `get`'s first argument into kinds, as kubectl's RESTMapper does: a comma
 * list of words (plural, singular, short name, Kind, `plural.group`), where a category (`all`)
 * stands for its members in discovery order. Duplicates are dropped; an unknown word throws.
 */
export function resolveResources(resource: string, kinds: KindLookup): KindInfo[] {
  const out: KindInfo[] = [];
  for (const word of resource.split(',').filter(Boolean)) {
    const info = kinds.resolveResource(word);
    const members = info ? [info] : kinds.category(word.toLowerCase());
    if (members.length === 0) throw new UnknownResource(`the server doesn't have a resource type "${word}"`);
    for (const m of members) if (!out.some((o) => o.group === m.group && o.kind === m.kind)) out.push(m);
  }
  return out;
}

/** getCommand lists objects of a kind — or of several, `deploy,rs` or a category such as `all`, as kubectl takes them — (or one by name) from the simulated cluster. */
export async function getCommand(resource: string, name: string | undefined, opts: GetOptions, io: IO): Promise<number> {
  try {
    if (resource.split(',').filter(Boolean).length === 0) throw new MfluxError('Usage', `no resource type in "${resource}"`);
    return runInSession(() => sessionOf(opts, 'read'), io, (s) => {
      const registry = s.sim.api.discovery;
      let infos: KindInfo[];
      try {
        infos = resolveResources(resource, registry);
      } catch (err) {
        if (!(err instanceof UnknownResource)) throw err;
        io.err(`error: ${err.message}\n`);
        return EXIT.bad;
      }
      const createOnly = infos.find((i) => !i.listable);
      if (createOnly) {
        io.err('Error from server (MethodNotAllowed): the server does not allow this method on the requested resource\n');
        return EXIT.bad;
      }
      const ns = opts.namespace ?? 'default';
      const all = Boolean(opts.allNamespaces) && !name;
      const now = s.clock.now();
      const listOf = (info: KindInfo): KubeObject[] => {
        const objs =
          info.kind === 'Event'
            ? s.sim.listEvents().filter((e) => all || (e.metadata.namespace ?? 'default') === ns)
            : s.sim.api.list(info.kind, all || !info.namespaced ? undefined : ns);
        return name ? objs.filter((o) => o.metadata.name === name) : objs;
      };
      const found = infos.map((info) => ({ info, kind: info.kind, objs: listOf(info) }));
      const missing = name ? found.filter((f) => f.objs.length === 0) : [];
      for (const m of missing) io.err(notFound(m.kind, name!, registry));
      const tableOpts = { namespace: ns, allNamespaces: all, kinds: registry };
      if (infos.length === 1) {
        if (missing.length === 0) printObjects(io, infos[0]!.kind, found[0]!.objs, now, opts.output, { ...tableOpts, single: Boolean(name) });
        return missing.length ? EXIT.bad : EXIT.ok;
      }
      const objs = found.flatMap((f) => f.objs);
      if (opts.output === 'json' || opts.output === 'yaml') {
        // Several kinds make one List, as kubectl prints them.
        printObjects(io, infos[0]!.kind, objs, now, opts.output, { ...tableOpts, single: false });
      } else {
        if (opts.output !== undefined && opts.output !== 'wide') throw new MfluxError('Usage', `unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json,wide,yaml`);
        // kubectl prefixes names with their kind only when the objects it got span several kinds (multipleGVKsRequested).
        const nonEmpty = found.filter((f) => f.objs.length > 0);
        const tables = nonEmpty.map((f) => formatTable(f.kind, f.objs, { now, wide: opts.output === 'wide', ...tableOpts, kindPrefix: nonEmpty.length > 1 ? kindPrefix(f.info) : undefined }));
        if (tables.length > 0) io.out(tables.join('\n'));
        else if (!name) io.err(noResourcesMessage(infos[0]!.kind, tableOpts));
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

/** ownedPods returns the pods an object controls (a StatefulSet's or DaemonSet's). */
export function ownedPods(s: ClusterSession, owner: KubeObject): KubeObject[] {
  return s.sim.api.ownedBy(owner.metadata.uid!, 'Pod').filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.uid === owner.metadata.uid));
}

/** serviceSlices returns the EndpointSlices labelled with the Service's name, as kubectl describe lists them. */
export function serviceSlices(s: ClusterSession, svc: KubeObject): KubeObject[] {
  return s.sim.api.list('EndpointSlice', svc.metadata.namespace).filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
}

/** ownedRevisions returns the ControllerRevisions an object controls. */
export function ownedRevisions(s: ClusterSession, owner: KubeObject): KubeObject[] {
  return s.sim.api.ownedBy(owner.metadata.uid!, 'ControllerRevision').filter((r) => r.metadata.ownerReferences?.some((o) => o.controller && o.uid === owner.metadata.uid));
}

/** describeCommand prints `kubectl describe` for one object (Deployments in full). */
export async function describeCommand(resource: string, name: string, opts: GetOptions, io: IO): Promise<number> {
  try {
    return runInSession(() => sessionOf(opts, 'read'), io, (s) => {
      const registry = s.sim.api.discovery;
      const info = registry.resolveResource(resource);
      if (!info) {
        io.err(`error: the server doesn't have a resource type "${resource}"\n`);
        return EXIT.bad;
      }
      const kind = info.kind;
      const ns = info.namespaced ? opts.namespace ?? 'default' : undefined;
      const obj = s.sim.api.get(kind, ns, name);
      if (!obj) {
        io.err(notFound(kind, name, registry));
        return EXIT.bad;
      }
      const now = s.clock.now();
      const events = s.sim.listEvents({ kind, namespace: ns, name });
      const dopts = { now, tzOffsetMinutes: displayZoneMinutes(now) };
      if (kind === 'Deployment') io.out(describeDeployment(obj, ownedReplicaSets(s, obj), events, dopts));
      else if (kind === 'Job') io.out(describeJob(obj, events, dopts));
      else if (kind === 'StatefulSet') io.out(describeStatefulSet(obj, ownedPods(s, obj), events, dopts));
      else if (kind === 'DaemonSet') io.out(describeDaemonSet(obj, ownedPods(s, obj), events, dopts));
      else if (kind === 'Service') io.out(describeService(obj, serviceSlices(s, obj), events, dopts));
      else io.out(describeGeneric(maskSecret(obj), events, dopts));
      return EXIT.ok;
    });
  } catch (err) {
    return reportError(io, err);
  }
}

/** WorkloadArg is a parsed `KIND/NAME` for the rollout commands. */
export interface WorkloadArg {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
}

/** parseWorkloadArg reads "deployment/NAME", "statefulset/NAME" or "daemonset/NAME" (any of kubectl's words for them: deploy, sts, ds, statefulsets.apps, …). */
export function parseWorkloadArg(arg: string): WorkloadArg {
  const m = /^([A-Za-z.]+)\/(.+)$/.exec(arg);
  const kind = m ? resolveKind(m[1]!) : undefined;
  if (!m || (kind !== 'Deployment' && kind !== 'StatefulSet' && kind !== 'DaemonSet')) {
    throw new MfluxError('Usage', `expected deployment/NAME, statefulset/NAME or daemonset/NAME, got "${arg}" (only these kinds have rollouts)`);
  }
  return { kind, name: m[2]! };
}

/** rolloutHistoryCommand prints `kubectl rollout history deployment/NAME|statefulset/NAME|daemonset/NAME [--revision N]`. */
export async function rolloutHistoryCommand(arg: string, opts: GetOptions & { revision?: string }, io: IO): Promise<number> {
  try {
    const { kind, name } = parseWorkloadArg(arg);
    return runInSession(() => sessionOf(opts, 'read'), io, (s) => {
      const d = s.sim.api.get(kind, opts.namespace ?? 'default', name);
      if (!d) {
        io.err(notFound(kind, name));
        return EXIT.bad;
      }
      const revision = opts.revision !== undefined ? Number.parseInt(opts.revision, 10) : undefined;
      if (revision !== undefined && !Number.isFinite(revision)) throw new MfluxError('Usage', `invalid --revision "${opts.revision}"`);
      try {
        if (kind === 'Deployment') io.out(formatRolloutHistory(d, ownedReplicaSets(s, d), revision));
        else io.out(formatRevisionHistory(`${kind.toLowerCase()}.apps/${name}`, ownedRevisions(s, d), revision));
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
