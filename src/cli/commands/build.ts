/** `mflux build`: the objects a pass would apply, rendered (kustomize or plain files), in apply order, as kubectl kustomize / flux build print them. */
import { dump } from 'js-yaml';
import { MfluxError, maskSecret } from '../../core/index.js';
import { sortForApply } from '../../manifests/index.js';
import { kindsFor } from '../../plan/index.js';
import { RENDER_CODES, newSourceMemo, renderDesired } from '../../reconcile/index.js';
import { type IO, EXIT, reportError } from '../io.js';
import type { CommonOptions } from '../options.js';
import { type SourceFlags, checkSourceFlags, openFromFlags } from './gitops.js';

/** BuildFlags are `mflux build`'s flags. */
export interface BuildFlags extends CommonOptions, SourceFlags {
  output?: string;
}

/**
 * buildCommand prints the rendered objects exactly as rendered (no defaults added, Secret values
 * masked): exit 0, 1 when the commit's manifests are invalid, 2 on any other error.
 */
export async function buildCommand(f: BuildFlags, io: IO): Promise<number> {
  const format = f.output ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') {
    io.err(`error: unknown output format "${format}" (yaml or json) [Usage]\n`);
    return EXIT.error;
  }
  try {
    checkSourceFlags(f);
    const source = await openFromFlags(f, f);
    const { revision, warnings } = await source.resolve();
    for (const w of warnings) io.err(`warning: ${w}\n`);
    const state = await renderDesired(source, revision.commit, newSourceMemo(), { keepBuilds: false });
    for (const w of state.warnings) io.err(`warning: ${w}\n`);
    if (state.issues.length > 0) {
      for (const i of state.issues) io.err(`error: ${i.file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}: ${i.message} [${i.code}]\n`);
      return EXIT.bad;
    }
    const kinds = kindsFor(state.objects.map((p) => p.object));
    const objects = sortForApply(state.objects, kinds).map((p) => maskSecret(p.object));
    if (format === 'json') io.out(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
    else io.out(objects.map((o) => dump(o, { lineWidth: -1, noRefs: true, sortKeys: true, seqNoIndent: true, quoteStyle: 'double' })).join('---\n'));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof MfluxError && RENDER_CODES.has(err.code)) {
      io.err(`error: ${err.message} [${err.code}]\n`);
      return EXIT.bad;
    }
    return reportError(io, err);
  }
}
