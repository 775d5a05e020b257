/**
 * `kubectl rollout history deployment/<name>` text (kubectl polymorphichelpers/history.go +
 * cmd/rollout/rollout_history.go). kubectl prints the result through its name printer as
 * "<kind>.<group>/<name> <operation>\n", where the operation is "<with revision #N>\n<body>" —
 * hence the trailing space after the name and the blank line that ends the table.
 */

import type { KubeObject } from '../../core/object.js';
import { describePodTemplate } from './describe.js';
import { DESCRIBE_TABWRITER, tabwrite } from './tabwriter.js';

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/** rsRevision is deploymentutil.Revision: the RS's revision annotation as an integer; a missing annotation counts as 0, an unparsable one as undefined (skipped). */
export function rsRevision(rs: KubeObject): number | undefined {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  // strconv.ParseInt(v, 10, 64): optional sign and decimal digits only.
  if (!/^[+-]?\d+$/.test(v)) return undefined;
  return Number.parseInt(v, 10);
}

/**
 * formatRolloutHistory renders `kubectl rollout history deployment/<d>` from the ReplicaSets the
 * Deployment owns. Without `revision`: "deployment.apps/<d> \nREVISION  CHANGE-CAUSE\n1         <none>\n\n"
 * (revisions ascending, change-cause from each RS's kubernetes.io/change-cause). With `revision`:
 * "deployment.apps/<d> with revision #N\n" + the raw (tab-separated, unaligned) pod template + "\n".
 * No ReplicaSets: "deployment.apps/<d> \nNo rollout history found.\n". A missing revision throws
 * Error("unable to find the specified revision").
 */
export function formatRolloutHistory(d: KubeObject, rss: KubeObject[], revision?: number): string {
  // Later ReplicaSets with the same revision overwrite earlier ones, like kubectl's map.
  const history = new Map<number, any>();
  for (const rs of rss) {
    const v = rsRevision(rs);
    if (v === undefined) continue;
    const template = structuredClone(rs.spec?.template ?? {});
    const changeCause = rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '';
    if (changeCause) {
      template.metadata ??= {};
      template.metadata.annotations = { ...(template.metadata.annotations ?? {}), [CHANGE_CAUSE_ANNOTATION]: changeCause };
    }
    history.set(v, template);
  }

  const header = (operation: string): string => `deployment.apps/${d.metadata.name} ${operation}\n`;
  if (history.size === 0) return header('\nNo rollout history found.');

  if (revision !== undefined && revision > 0) {
    const template = history.get(revision);
    if (!template) throw new Error('unable to find the specified revision');
    return header(`with revision #${revision}\n${describePodTemplate(template)}`);
  }

  const revisions = [...history.keys()].sort((a, b) => a - b);
  let body = 'REVISION\tCHANGE-CAUSE\n';
  // kubectl reads the cause back from the (annotated) template, so a template-level annotation also counts.
  for (const r of revisions) body += `${r}\t${history.get(r)?.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>'}\n`;
  return header(`\n${tabwrite(body, DESCRIBE_TABWRITER)}`);
}

/**
 * formatRevisionHistory renders `kubectl rollout history statefulset/<n>|daemonset/<n>` from the
 * ControllerRevisions the object owns (history.go printHistory): `resource` is the name printer's
 * "statefulset.apps/web"; change-cause comes from each revision's annotations (copied from the set
 * when the revision was made). With `revision`, the pod template that revision's patch restores.
 */
export function formatRevisionHistory(resource: string, revisions: KubeObject[], revision?: number): string {
  const history = new Map<number, KubeObject>();
  for (const r of revisions) history.set(typeof r.revision === 'number' ? r.revision : 0, r);
  const header = (operation: string): string => `${resource} ${operation}\n`;
  if (history.size === 0) return header('\nNo rollout history found.');
  if (revision !== undefined && revision > 0) {
    const r = history.get(revision);
    if (!r) throw new Error('unable to find the specified revision');
    const { $patch: _p, ...template } = ((r.data as any)?.spec?.template ?? {}) as Record<string, unknown>;
    return header(`with revision #${revision}\n${describePodTemplate(template)}`);
  }
  let body = 'REVISION\tCHANGE-CAUSE\n';
  for (const n of [...history.keys()].sort((a, b) => a - b)) body += `${n}\t${history.get(n)!.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>'}\n`;
  return header(`\n${tabwrite(body, DESCRIBE_TABWRITER)}`);
}
