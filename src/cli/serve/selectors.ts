/** Label and field selectors as the API server parses them (`labelSelector=`, `fieldSelector=` query parameters). */
import type { KubeObject } from '../../core/index.js';

/** SelectorError is a selector the API server would refuse with 400 BadRequest. */
export class SelectorError extends Error {}

type Requirement = { key: string; op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists'; values: string[] };

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** splitTerms splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  if (depth !== 0) throw new SelectorError(`unable to parse requirement: unbalanced parentheses in "${text}"`);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function checkKey(key: string): string {
  if (!KEY_RE.test(key) || key.length > 317) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(v: string): string {
  if (!VALUE_RE.test(v) || v.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value: "${v}"`);
  return v;
}

/** parseLabelSelector reads `a=b,c!=d,e in (x,y),f notin (z),g,!h`; an empty text selects everything. */
export function parseLabelSelector(text: string): (labels: Record<string, string> | undefined) => boolean {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(term))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim()));
      reqs.push({ key: checkKey(m[1]!), op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      reqs.push({ key: checkKey(m[1]!), op: m[2] === '!=' ? 'neq' : 'eq', values: [checkValue(m[3]!)] });
    } else if ((m = /^!\s*(\S+)$/.exec(term))) {
      reqs.push({ key: checkKey(m[1]!), op: 'notexists', values: [] });
    } else if (/^\S+$/.test(term)) {
      reqs.push({ key: checkKey(term), op: 'exists', values: [] });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, exists`);
    }
  }
  return (labels) => {
    const l = labels ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      const v = l[r.key];
      switch (r.op) {
        case 'eq':
          return has && v === r.values[0];
        case 'neq':
          return !has || v !== r.values[0];
        case 'in':
          return has && r.values.includes(v!);
        case 'notin':
          return !has || !r.values.includes(v!);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
  };
}

/** FIELDS are the field labels every kind supports, plus those of Events (the ones kubectl describe uses). */
const COMMON_FIELDS: Record<string, (o: any) => string | undefined> = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace,
};
const EVENT_FIELDS: Record<string, (o: any) => string | undefined> = {
  'involvedObject.kind': (o) => o.involvedObject?.kind,
  'involvedObject.namespace': (o) => o.involvedObject?.namespace,
  'involvedObject.name': (o) => o.involvedObject?.name,
  'involvedObject.uid': (o) => o.involvedObject?.uid,
  'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
  'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
  'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
  reason: (o) => o.reason,
  reportingComponent: (o) => o.reportingComponent,
  source: (o) => o.source?.component,
  type: (o) => o.type,
};
const POD_FIELDS: Record<string, (o: any) => string | undefined> = {
  'spec.nodeName': (o) => o.spec?.nodeName,
  'status.phase': (o) => o.status?.phase,
};

/** parseFieldSelector reads `metadata.name=x,involvedObject.kind!=Pod` for a kind; an unsupported field is a SelectorError. */
export function parseFieldSelector(text: string, kind: string): (o: KubeObject) => boolean {
  const fields = { ...COMMON_FIELDS, ...(kind === 'Event' ? EVENT_FIELDS : {}), ...(kind === 'Pod' ? POD_FIELDS : {}) };
  const reqs: { get: (o: any) => string | undefined; neq: boolean; value: string }[] = [];
  for (const term of text.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const get = fields[m[1]!.trim()];
    if (!get) throw new SelectorError(`field label not supported: ${m[1]!.trim()}`);
    reqs.push({ get, neq: m[2] === '!=', value: m[3]!.trim() });
  }
  return (o) => reqs.every((r) => ((r.get(o) ?? '') === r.value) !== r.neq);
}
