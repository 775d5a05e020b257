/** metadata.name validation per kind, with the API server's exact messages (ValidateObjectMeta's nameFn for each kind). */
import { BUILTIN_KINDS, type FieldError, type KubeObject, type NameRule } from '../core/index.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** SUBDOMAIN_MSG is IsDNS1123Subdomain's regex message. */
export const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
/** LABEL_MSG is IsDNS1123Label's regex message. */
export const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
/** LABEL1035_MSG is IsDNS1035Label's regex message. */
export const LABEL1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

const maxLen = (n: number) => `must be no more than ${n} characters`;

/**
 * nameProblems returns what the API server says about a name under a rule, in its order: the
 * length first, then the pattern (IsDNS1123Subdomain reports both when both fail).
 * Example: ("Front", 'subdomain') → [SUBDOMAIN_MSG]; ("system:auth", 'path-segment') → [].
 */
export function nameProblems(name: string, rule: NameRule): string[] {
  const out: string[] = [];
  switch (rule) {
    case 'subdomain':
      if (name.length > 253) out.push(maxLen(253));
      if (!DNS1123_SUBDOMAIN.test(name)) out.push(SUBDOMAIN_MSG);
      break;
    case 'label':
      if (name.length > 63) out.push(maxLen(63));
      if (!DNS1123_LABEL.test(name)) out.push(LABEL_MSG);
      break;
    case 'label1035':
      if (name.length > 63) out.push(maxLen(63));
      if (!DNS1035_LABEL.test(name)) out.push(LABEL1035_MSG);
      break;
    case 'path-segment':
      // path.IsValidPathSegmentName: "." and ".." alone end the check; "/" and "%" are each reported.
      if (name === '.' || name === '..') return [`may not be '${name}'`];
      for (const bad of ['/', '%']) if (name.includes(bad)) out.push(`may not contain '${bad}'`);
      break;
    case 'any':
      break;
  }
  return out;
}

/**
 * validateName checks metadata.name of one object under its kind's rule (`rule`, else the
 * built-in kind's, else DNS subdomain as for custom resources), plus the kind-specific name
 * rules: a CRD is named plural.group, an APIService version.group, a CronJob ≤ 52 characters.
 */
export function validateName(obj: KubeObject, rule?: NameRule): FieldError[] {
  const name = obj.metadata?.name;
  if (!name) return [{ field: 'metadata.name', type: 'Required', detail: 'name or generateName is required' }];
  const r = rule ?? BUILTIN_KINDS.kindInfo(obj.kind)?.nameRule ?? 'subdomain';
  const details = nameProblems(name, r);
  if (obj.kind === 'CustomResourceDefinition' && name !== `${obj.spec?.names?.plural}.${obj.spec?.group}`) details.push('must be spec.names.plural+"."+spec.group');
  if (obj.kind === 'APIService' && details.length === 0) {
    const required = `${obj.spec?.version ?? ''}.${obj.spec?.group ?? ''}`;
    if (name !== required) details.push(`must be \`spec.version+"."+spec.group\`: ${JSON.stringify(required)}`);
  }
  const errs: FieldError[] = details.map((detail) => ({ field: 'metadata.name', type: 'Invalid', value: name, detail }));
  // The CronJob controller appends an 11-character suffix to the Job names it creates (a Job name is at most 63).
  if (obj.kind === 'CronJob' && name.length > 52) errs.push({ field: 'metadata.name', type: 'Invalid', value: name, detail: maxLen(52) });
  return errs;
}
