/**
 * The check's policy file: `{maxPrune: 20% | N, block: [RecreateDowntime, ...], minServingRatio: 0.5}`, either as the
 * whole document or under a top-level `policy:` key (as in config/mflux.yaml, whose other keys
 * are left to their owners). Validated with zod; every problem names the file and the field.
 */
import { load } from 'js-yaml';
import { z } from 'zod';
import { MfluxError } from '../core/index.js';
import { DEFAULT_POLICY, IMPACT_CODES, type ImpactCode, type Policy } from '../plan/index.js';

const RATIO = 'must be a number from 0 to 1 (0.5: warn when fewer than half the desired endpoints are ready)';

const PolicySchema = z.strictObject({
  maxPrune: z
    .custom<number | string>((v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^\s*\d+\s*%?\s*$/.test(v)), {
      error: 'must be a count (5) or a percentage of the inventory ("20%")',
    })
    .optional(),
  block: z
    .array(z.enum(IMPACT_CODES as unknown as [ImpactCode, ...ImpactCode[]], { error: `must be one of ${IMPACT_CODES.join(', ')}` }), {
      error: `must be a list of impacts (${IMPACT_CODES.join(', ')})`,
    })
    .optional(),
  minServingRatio: z.number({ error: RATIO }).min(0, { error: RATIO }).max(1, { error: RATIO }).optional(),
});

function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/**
 * parsePolicy reads a policy document (YAML or JSON text) named `file` into a guard Policy;
 * unset fields keep the defaults (maxPrune 20%, nothing blocks). Throws PolicyInvalid naming the
 * file and each bad field. Example: `policy: {maxPrune: 2, block: [RecreateDowntime]}` →
 * {maxPrune: 2, block: ['RecreateDowntime']}.
 */
export function parsePolicy(text: string, file: string): Policy {
  const fail = (msg: string) => new MfluxError('PolicyInvalid', msg, { subject: `policy file ${file}` });
  // An empty (or comment-only) file is no policy: the defaults.
  if (text.split(/\r?\n/).every((l) => /^\s*(#.*)?$/.test(l))) return { ...DEFAULT_POLICY, block: [] };
  let doc: unknown;
  try {
    doc = load(text);
  } catch (err) {
    throw fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === undefined || doc === null) return { ...DEFAULT_POLICY, block: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw fail('expected a mapping {maxPrune, block} or a top-level policy: key');
  const nested = Object.prototype.hasOwnProperty.call(doc, 'policy');
  const body = nested ? (doc as Record<string, unknown>).policy : doc;
  const prefix = nested ? 'policy' : '';
  if (body === null || body === undefined) return { ...DEFAULT_POLICY, block: [] };
  const r = PolicySchema.safeParse(body);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const at = fieldPath([...(prefix ? [prefix] : []), ...i.path]);
      if (i.code === 'unrecognized_keys') return `${at ? `${at}: ` : ''}unknown field(s) ${i.keys.join(', ')} (expected maxPrune, block, minServingRatio)`;
      if (i.code === 'invalid_type' && i.path.length === 0) return `${at ? `${at}: ` : ''}expected a mapping {maxPrune, block}`;
      return `${at}: ${i.message}`;
    });
    throw fail(problems.join('; '));
  }
  const maxPrune = r.data.maxPrune === undefined ? DEFAULT_POLICY.maxPrune : typeof r.data.maxPrune === 'number' ? r.data.maxPrune : r.data.maxPrune.replace(/\s+/g, '');
  return {
    maxPrune: typeof maxPrune === 'string' && /^\d+$/.test(maxPrune) ? Number(maxPrune) : maxPrune,
    block: [...new Set(r.data.block ?? [])],
    ...(r.data.minServingRatio !== undefined ? { minServingRatio: r.data.minServingRatio } : {}),
  };
}
