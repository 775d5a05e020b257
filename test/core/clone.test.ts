/** cloneObject copies like structuredClone (aliases, cycles, `__proto__` keys, holes, Dates) without sharing anything with its input. */
import * as yaml from 'js-yaml';
import { expect, test } from 'vitest';
import { cloneObject, cloneUnfrozen, deepFreeze } from '../../src/core/index.js';

test('cloneObject gives what structuredClone gives, for JSON-shaped values and the odd ones YAML and callers produce', () => {
  const shared = { x: 1 };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const withProto = JSON.parse('{"__proto__": {"polluted": true}, "b": [1, 2, 3]}');
  delete withProto.b[1];
  const values: unknown[] = [
    { a: [1, { b: 2 }], d: new Date(0), m: new Map([['k', 1]]), u: undefined, n: Number.NaN, z: -0, nil: null },
    { s1: shared, s2: shared, arr: [shared] },
    cyclic,
    withProto,
    yaml.load('a: &x {k: [1, 2]}\nb: *x\n'),
    'text',
    7,
    null,
  ];
  for (const v of values) {
    const copy = cloneObject(v);
    expect(copy).toStrictEqual(structuredClone(v));
    if (v !== null && typeof v === 'object') expect(copy).not.toBe(v);
  }
  const aliased = cloneObject(values[1] as { s1: object; s2: object; arr: object[] });
  expect(aliased.s1).toBe(aliased.s2);
  expect(aliased.arr[0]).toBe(aliased.s1);
  expect(aliased.s1).not.toBe(shared);
  const cyc = cloneObject(cyclic);
  expect(cyc.self).toBe(cyc);
  const p = cloneObject(withProto);
  expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
  expect(Object.keys(p)).toEqual(['__proto__', 'b']);
  expect(1 in p.b).toBe(false);
  expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  const first = values[0] as { a: [number, { b: number }]; d: Date };
  const deep = cloneObject(first);
  deep.a[1].b = 3;
  expect(first.a[1].b).toBe(2);
  expect(deep.d).toBeInstanceOf(Date);
  expect(deep.d).not.toBe(first.d);
});

test('cloneObject refuses what structuredClone refuses', () => {
  expect(() => cloneObject({ f() {} })).toThrow();
  expect(() => cloneObject(() => 1)).toThrow();
});

test('cloneUnfrozen copies like cloneObject but keeps what is frozen (it cannot change) as it is', () => {
  const frozen = deepFreeze({ labels: { app: 'web' } });
  const input = { metadata: { name: 'p', shared: frozen, own: { a: [1, 2] } }, list: [frozen] };
  const copy = cloneUnfrozen(input);
  expect(copy).toEqual(input);
  expect(copy.metadata).not.toBe(input.metadata);
  expect(copy.metadata.own).not.toBe(input.metadata.own);
  expect(copy.metadata.own.a).not.toBe(input.metadata.own.a);
  expect(copy.metadata.shared).toBe(frozen);
  expect(copy.list[0]).toBe(frozen);
  // cloneObject copies frozen values too.
  expect(cloneObject(input).metadata.shared).not.toBe(frozen);
  expect(cloneUnfrozen('x')).toBe('x');
});
