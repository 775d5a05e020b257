import { describe, expect, it } from 'vitest';
import { toList } from '../../../src/cli/format/list.js';
import { newRS, oldRS } from './fixtures.js';

describe('toList', () => {
  it('wraps objects like kubectl get -o json', () => {
    const items = [oldRS(0), newRS(3)];
    const list = toList(items);
    expect(list).toEqual({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });
    expect(Object.keys(list)).toEqual(['apiVersion', 'items', 'kind', 'metadata']);
    expect(list.items).not.toBe(items);
  });
  it('handles an empty listing', () => {
    expect(JSON.stringify(toList([]))).toBe('{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}');
  });
});
