/** The protobuf writer behind `/openapi/v2`: lengths are varints (the old writer put any length in one byte). */
import { describe, expect, test } from 'vitest';
import { EMPTY_OPENAPI_V2, protoField, varint } from '../../src/cli/serve/server.js';

describe('protobuf encoding', () => {
  test('varints as the protobuf encoding guide gives them', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(1)]).toEqual([1]);
    expect([...varint(127)]).toEqual([0x7f]);
    expect([...varint(128)]).toEqual([0x80, 0x01]);
    expect([...varint(150)]).toEqual([0x96, 0x01]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 31)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x08]);
  });

  test('a field of 200 bytes carries a two-byte length; field numbers past 15 take a two-byte key', () => {
    const f = protoField(1, Buffer.alloc(200, 0x61));
    expect([...f.subarray(0, 3)]).toEqual([0x0a, 0xc8, 0x01]);
    expect(f.length).toBe(203);
    expect([...protoField(16, Buffer.from('x'))]).toEqual([0x82, 0x01, 0x01, 0x78]);
  });

  test('the served OpenAPI document starts with swagger "2.0" in field 1', () => {
    expect([...EMPTY_OPENAPI_V2.subarray(0, 5)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]);
  });
});
