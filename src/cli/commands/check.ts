/**
 * `mflux check`: the pre-merge check. The command builds the world the check runs in — the Git
 * sources, a policy, and fresh in-memory simulated clusters on virtual clocks — and prints the
 * report. It never opens a state dir: `--state` and `$MFLUX_STATE` are ignored, so a check can
 * never disturb a cluster's recorded state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MfluxError, VirtualClock, wallClockNow } from '../../core/index.js';
import { Simulation } from '../../cluster/sim/sim.js';
import { SimClient } from '../../cluster/sim/client.js';
import { type CheckFormat, CHECK_FORMATS, parsePolicy, renderMarkdown, renderReport, runCheck } from '../../check/index.js';
import { DEFAULT_POLICY, type Policy } from '../../plan/index.js';
import { type GitSource, credentialsFrom, isRemoteUrl, openSource } from '../../source/index.js';
import { type IO, EXIT, reportError } from '../io.js';
import { type PolicyFlags, type SimFlagOptions, knobsOf, policyOf } from '../options.js';

/** CheckFlags are `mflux check`'s flags. */
export interface CheckFlags extends SimFlagOptions, PolicyFlags {
  repo?: string;
  base?: string;
  head?: string;
  path?: string;
  format?: string;
  policy?: string;
  eachCommit?: boolean;
  /** state is accepted for symmetry with the other commands and ignored. */
  state?: string;
}

/** policyFrom reads --policy FILE (if any), then lets --max-prune and --block-impact refine it. */
export function policyFrom(f: CheckFlags): Policy {
  let policy: Policy = { ...DEFAULT_POLICY, block: [] };
  if (f.policy) {
    let text: string;
    try {
      text = fs.readFileSync(f.policy, 'utf8');
    } catch (err) {
      throw new MfluxError('PolicyInvalid', `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { subject: `policy file ${f.policy}` });
    }
    policy = parsePolicy(text, f.policy);
  }
  const flags = policyOf(f);
  return {
    maxPrune: f.maxPrune !== undefined ? flags.maxPrune : policy.maxPrune,
    block: [...new Set([...policy.block, ...flags.block])],
    ...(policy.minServingRatio !== undefined ? { minServingRatio: policy.minServingRatio } : {}),
  };
}

/** checkCommand runs the check and prints the report: exit 0 pass, 1 fail, 2 could not run. */
export async function checkCommand(f: CheckFlags, io: IO): Promise<number> {
  let scratch: string | undefined;
  try {
    const format = (f.format ?? 'text') as CheckFormat;
    if (!CHECK_FORMATS.includes(format)) throw new MfluxError('Usage', `unknown --format "${f.format}" (use ${CHECK_FORMATS.join(', ')})`);
    if (!f.repo) throw new MfluxError('Usage', 'missing --repo DIR');
    // An empty ref (a script's unset variable) must not quietly mean main.
    for (const [flag, v] of [['base', f.base], ['head', f.head]] as const) {
      if (v !== undefined && v.trim() === '') throw new MfluxError('Usage', `invalid --${flag} "${v}": must not be empty; give a branch, tag or commit SHA`);
    }
    if (!f.base || !f.head) throw new MfluxError('Usage', 'missing --base REF and --head REF');
    const knobs = knobsOf(f);
    const policy = policyFrom(f);
    const remote = isRemoteUrl(f.repo);
    // A remote is cloned into a scratch dir of its own, removed afterwards; a local repository is read in place.
    scratch = remote ? fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-check-')) : undefined;
    // Head shares base's object caches (the same repository): its listing reads only the trees that changed.
    const open = (ref: string, shareWith?: GitSource) =>
      openSource({
        repo: remote ? f.repo! : path.resolve(f.repo!),
        ref,
        path: f.path ?? '',
        stateDir: scratch ?? os.tmpdir(),
        credentials: credentialsFrom({ env: process.env }),
        shareWith,
      });
    const start = Math.floor(wallClockNow() / 1000) * 1000;
    const base = await open(f.base);
    const { report, diffs } = await runCheck({
      base,
      head: await open(f.head, base),
      newCluster: () => {
        const clock = new VirtualClock(start);
        return { client: new SimClient(new Simulation(clock, knobs)), clock };
      },
      policy,
      eachCommit: Boolean(f.eachCommit),
    });
    io.out(renderReport(format, report, diffs));
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (format === 'github' && summary) fs.appendFileSync(summary, renderMarkdown(report, diffs));
    return report.verdict === 'pass' ? EXIT.ok : EXIT.bad;
  } catch (err) {
    reportError(io, err);
    return EXIT.error;
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}
