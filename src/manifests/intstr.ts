/** IntOrString arithmetic for maxSurge/maxUnavailable, as the API server and controller do it. */

/** IntOrPercent is a Kubernetes IntOrString as it appears in a manifest: 3 or "25%". */
export type IntOrPercent = number | string;

/** PERCENT_RE is the validation regex for percent strings ('[0-9]+%'). */
export const PERCENT_RE = /^[0-9]+%$/;

/**
 * scaledValue resolves an IntOrPercent against a total: integers pass through, "N%" is
 * N × total / 100 rounded up (maxSurge) or down (maxUnavailable). Throws on a malformed string.
 * Example: ("30%", 3, up) → ceil(0.9) = 1; ("10%", 3, down) → floor(0.3) = 0; ("39%", 10, up) → 4.
 */
export function scaledValue(v: IntOrPercent | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const n = Number.parseInt(v.slice(0, -1), 10);
  if (!Number.isFinite(n) || String(n) !== v.slice(0, -1).replace(/^0+(?=\d)/, '')) {
    throw new Error(`invalid value "${v}": percentage must be an integer`);
  }
  const raw = (n * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/**
 * resolveFenceposts turns (maxSurge, maxUnavailable) into pod counts for `desired` replicas.
 * Surge rounds up, unavailable rounds down, and if both come out 0 unavailable becomes 1 so a
 * rollout can always make progress.
 * Example: ("30%", "10%", 3) → surge ceil(0.9)=1, unavailable floor(0.3)=0 → (1, 0);
 *          ("0%", "0%", 0) → (0, 0) → fencepost → (0, 1).
 */
export function resolveFenceposts(maxSurge: IntOrPercent | undefined, maxUnavailable: IntOrPercent | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}
