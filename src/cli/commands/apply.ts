/** `mflux apply -f FILE|DIR`: declarative apply into the simulated cluster, then follow the rollouts. */
import { KindRegistry, MfluxError } from '../../core/index.js';
import { parseManifests, sortForApply, ManifestError, formatIssue, type ParsedObject } from '../../manifests/index.js';
import { readManifestPaths } from '../files.js';
import { type IO, EXIT, reportError } from '../io.js';
import { type CommonOptions, type PolicyFlags, type SimFlagOptions, durationFlag, knobsOf, policyOf, sessionOf } from '../options.js';
import { planObjects } from '../../reconcile/index.js';
import { runInSession } from '../session.js';
import { watchRollouts, reportWatch, type RolloutWatch } from './watch.js';
import { apiGroupOf } from '../../core/index.js';

/** ApplyOptions are `mflux apply`'s flags. */
export interface ApplyOptions extends CommonOptions, SimFlagOptions, PolicyFlags {
  filename: string[];
  timeout?: string;
  wait?: boolean;
}

/** resourceArg writes an object as kubectl names it in output: "deployment.apps/front". */
export function resourceArg(kind: string, apiVersion: string, name: string): string {
  const group = apiGroupOf(apiVersion);
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
}

function originOf(p: ParsedObject): string {
  return `${p.origin.file}:${p.origin.line}`;
}

/**
 * applyCommand parses every manifest, validates the whole batch against the simulated API server
 * (nothing is written if anything is invalid), creates or updates each object in place (never
 * delete + create), then runs the cluster until every applied Deployment has rolled out or failed.
 */
export async function applyCommand(opts: ApplyOptions, io: IO): Promise<number> {
  let parsed: ParsedObject[];
  let timeoutMs: number;
  try {
    if (!opts.filename || opts.filename.length === 0) throw new MfluxError('Usage', 'must specify -f FILE|DIR');
    timeoutMs = durationFlag('timeout', opts.timeout ?? '0')!;
    knobsOf(opts);
    policyOf(opts);
    const files = readManifestPaths(opts.filename);
    if (files.length === 0) throw new MfluxError('Usage', `no objects passed to apply (no .yaml, .yml or .json files under ${opts.filename.join(', ')})`);
    parsed = sortForApply(parseManifests(files));
  } catch (err) {
    if (err instanceof ManifestError) {
      for (const i of err.issues) io.err(`error: ${formatIssue(i)} [${i.code}]\n`);
      return EXIT.bad;
    }
    return reportError(io, err);
  }
  const seen = new Map<string, ParsedObject>();
  // Scope from the built-in kinds and the batch's own CRDs; the cluster's CRDs are consulted when planning.
  const kinds = KindRegistry.withCRDs(parsed.map((p) => p.object));
  for (const p of parsed) {
    const ns = kinds.isNamespaced(p.object.kind) ? p.object.metadata.namespace ?? 'default' : '';
    const key = `${p.object.kind}/${ns}/${p.object.metadata.name}`;
    const prev = seen.get(key);
    if (prev) {
      io.err(`error: ${originOf(p)}: ${p.object.kind}/${ns ? `${ns}/` : ''}${p.object.metadata.name} is defined twice (also at ${originOf(prev)}) [DuplicateObject]\n`);
      return EXIT.bad;
    }
    seen.set(key, p);
  }
  return runInSession(() => sessionOf(opts, 'write'), io, async (session) => {
    const { sim } = session;
    sim.fireDue();
    const client = session.client;
    // The same judgement as reconcile: the API server's validation and the guard, on the whole batch, before any write.
    const judged = await planObjects({ objects: parsed, client, inventory: new Map(), policy: policyOf(opts) });
    for (const i of judged.impacts) io.err(`warning: ${i.message} [${i.code}]\n`);
    if (judged.reasons.length > 0) {
      for (const r of judged.reasons) io.err(`error: ${r.message} [${r.code}]\n`);
      const objects = new Set(judged.reasons.map((r) => r.object)).size;
      io.err(`error: nothing was applied: ${objects} of ${parsed.length} objects were ${judged.blocked ? 'blocked or rejected' : 'rejected'}\n`);
      return EXIT.bad;
    }
    const watches: RolloutWatch[] = [];
    for (const p of parsed) {
      const r = client.applySync(p.object);
      io.out(`${resourceArg(r.object.kind, r.object.apiVersion, r.object.metadata.name)} ${r.action}\n`);
      if (r.object.kind === 'Deployment') watches.push({ namespace: r.object.metadata.namespace!, name: r.object.metadata.name });
      // An OnDelete StatefulSet/DaemonSet has no rollout status (kubectl refuses), so it is not followed.
      else if ((r.object.kind === 'StatefulSet' || r.object.kind === 'DaemonSet') && r.object.spec?.updateStrategy?.type !== 'OnDelete') {
        watches.push({ namespace: r.object.metadata.namespace!, name: r.object.metadata.name, kind: r.object.kind });
      }
    }
    if (opts.wait === false || watches.length === 0) return EXIT.ok;
    const result = await watchRollouts(session, watches, timeoutMs, io);
    return reportWatch(sim, result, timeoutMs, io);
  });
}
