/** Revision strings in Flux's form: `main@sha1:<40 hex>`, `v1.0.0@sha1:<40 hex>`, `sha1:<40 hex>`. */

/** RefKind is how a ref was resolved. */
export type RefKind = 'branch' | 'tag' | 'sha';

/** formatRevision writes a revision string; a ref that is itself a SHA gives the bare `sha1:<sha>`. */
export function formatRevision(ref: string, kind: RefKind, commit: string): string {
  return kind === 'sha' ? `sha1:${commit}` : `${ref}@sha1:${commit}`;
}

/** parseRevision reads a revision string back: `{ ref, commit }` (ref undefined for `sha1:<sha>`), or undefined. */
export function parseRevision(text: string): { ref?: string; commit: string } | undefined {
  const m = /^(?:(.+)@)?sha1:([0-9a-f]{40})$/.exec(text);
  if (!m) return undefined;
  return m[1] === undefined ? { commit: m[2]! } : { ref: m[1], commit: m[2]! };
}

/** isShaLike tells whether a ref could be an abbreviated or full commit SHA (4 to 40 hex digits). */
export function isShaLike(ref: string): boolean {
  return /^[0-9a-f]{4,40}$/i.test(ref);
}
