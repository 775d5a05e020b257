/** Label and annotation selectors of kustomize's patch and replacement targets, in their string form; parsed by manifests' parseLabelSelector. */
import { MfluxError } from '../core/errors.js';
import { SelectorError, parseLabelSelector } from '../manifests/index.js';

/** matchesSelector tells whether a label (or annotation) map satisfies a selector string; an empty selector matches everything. */
export function matchesSelector(selector: string | undefined, labels: Record<string, unknown> | undefined, subject: string): boolean {
  if (!selector || selector.trim() === '') return true;
  let match: ReturnType<typeof parseLabelSelector>;
  try {
    match = parseLabelSelector(selector);
  } catch (err) {
    if (err instanceof SelectorError) throw new MfluxError('KustomizeError', `${err.message} in selector "${selector}"`, { subject });
    throw err;
  }
  const l = labels ?? {};
  return match(Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)])));
}
