/** Label selectors in their string form (`app=web,tier in (a,b),!canary`), parsed as apimachinery's labels.Parse does: for the API's labelSelector= and kustomize's patch targets alike. */

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
