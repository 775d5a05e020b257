/** Label and label-selector text as apimachinery writes it (labels.Selector.String and friends). */

/** LabelSelector is metav1.LabelSelector as it appears in JSON. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function requirementString(key: string, operator: string, values: string[]): string {
  const vals = [...values].sort();
  switch (operator) {
    case 'In':
      return `${key} in (${vals.join(',')})`;
    case 'NotIn':
      return `${key} notin (${vals.join(',')})`;
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    default:
      return `${key}=${vals[0] ?? ''}`;
  }
}

/**
 * selectorString is LabelSelectorAsSelector(sel).String(): requirements sorted by key, joined by
 * ",", matchLabels as "k=v", expressions as "k in (a,b)", "k notin (a)", "k", "!k"; "" when empty.
 * Example: {matchLabels:{app:"front"}} → "app=front".
 */
export function selectorString(sel: LabelSelector | null | undefined): string {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) reqs.push({ key: e.key, text: requirementString(e.key, e.operator, e.values ?? []) });
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** formatLabelSelector is metav1.FormatLabelSelector: selectorString, or "<none>" when that is empty. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  return selectorString(sel) || '<none>';
}

/** formatLabels is labels.FormatLabels: "k=v" pairs sorted by key and joined by ",", or "<none>". */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}
