/** Kubernetes label selectors in their string form ("app=web,tier in (a,b),!canary"), as kustomize's patch targets use them. */
import { MfluxError } from '../core/errors.js';

type Requirement = { key: string; op: 'in' | 'notin' | 'exists' | '!exists' | '=' | '!='; values: string[] };

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function parse(selector: string, subject: string): Requirement[] {
  return splitTop(selector).map((part) => {
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (m) return { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
    m = /^!\s*(\S+)$/.exec(part);
    if (m) return { key: m[1]!, op: '!exists', values: [] };
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) return { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] };
    m = /^([^=!\s(),]+)$/.exec(part);
    if (m) return { key: m[1]!, op: 'exists', values: [] };
    throw new MfluxError('KustomizeError', `unable to parse selector requirement "${part}" in "${selector}"`, { subject });
  });
}

/** matchesSelector tells whether a label (or annotation) map satisfies a selector string; an empty selector matches everything. */
export function matchesSelector(selector: string | undefined, labels: Record<string, unknown> | undefined, subject: string): boolean {
  if (!selector || selector.trim() === '') return true;
  const l = labels ?? {};
  return parse(selector, subject).every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = has ? String(l[r.key]) : undefined;
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
      case 'in':
        return has && r.values.includes(v!);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(v!);
    }
  });
}
