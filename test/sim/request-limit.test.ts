/**
 * The API server's 3 MiB request limit at its exact edge. The simulator checks a cheap upper bound
 * of an object's JSON size before serialising it, so these bodies sit right at the limit, with
 * characters whose JSON takes 1, 2, 3 or 6 bytes, to show the bound never lets a body through that
 * the exact count refuses, nor refuses one it accepts.
 */
import { describe, expect, test } from 'vitest';
import { type KubeObject, MfluxError, VirtualClock } from '../../src/core/index.js';
import { ApiServer } from '../../src/cluster/sim/apiserver.js';
import { IdSource } from '../../src/cluster/sim/ids.js';
import { MAX_REQUEST_BYTES } from '../../src/manifests/index.js';

const bytes = (o: KubeObject) => Buffer.byteLength(JSON.stringify(o), 'utf8');

// sized returns a ConfigMap whose JSON body is exactly `target` bytes, its annotation value made of `unit` (plus ASCII padding).
function sized(target: number, unit: string): KubeObject {
  const make = (value: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'edge', namespace: 'default', annotations: { big: value } } });
  const unitBytes = bytes(make(unit)) - bytes(make(''));
  const n = Math.floor((target - bytes(make(''))) / unitBytes);
  const obj = make(unit.repeat(n) + 'x'.repeat(target - bytes(make(unit.repeat(n)))));
  expect(bytes(obj)).toBe(target);
  return obj;
}

describe('request limit at the edge', () => {
  for (const [what, unit] of [
    ['ASCII', 'a'],
    ['two-byte UTF-8', 'é'],
    ['three-byte UTF-8', '€'],
    ['escaped control characters', '\u0001'],
  ] as const) {
    test(`${what}: a body of exactly ${MAX_REQUEST_BYTES} bytes is stored, one byte more is RequestTooLarge`, () => {
      const api = new ApiServer(new VirtualClock(0), new IdSource());
      expect(api.create(sized(MAX_REQUEST_BYTES, unit)).metadata.uid).toBeTruthy();
      api.delete('ConfigMap', 'default', 'edge');
      let err: unknown;
      try {
        api.create(sized(MAX_REQUEST_BYTES + 1, unit));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MfluxError);
      expect((err as MfluxError).code).toBe('RequestTooLarge');
      expect(api.get('ConfigMap', 'default', 'edge')).toBeUndefined();
    });
  }
});
