import { describe, expect, it } from 'vitest';
import { age, GO_ZERO_TIME_RFC1123Z, humanDuration, rfc1123z } from '../../../src/cli/format/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  const table: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-1999, '0s'], // int(-1.999) = -1: tolerated clock skew
    [-1 * S, '0s'],
    [0, '0s'],
    [999, '0s'],
    [39 * S, '39s'],
    [64 * S, '64s'], // under 2 minutes prints seconds
    [119 * S + 999, '119s'],
    [2 * M, '2m'],
    [175 * S, '2m55s'],
    [223 * S, '3m43s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 59 * S, '10m'],
    [179 * M + 59 * S, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M + 59 * S, '7h59m'],
    [8 * H, '8h'],
    [47 * H + 59 * M, '47h'],
    [48 * H, '2d'],
    [51 * H, '2d3h'],
    [8 * D - 1, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D - H, '7y364d'],
    [8 * 365 * D, '8y'],
    [10 * 365 * D, '10y'],
  ];
  it.each(table)('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
  it('rejects non-finite input', () => {
    expect(humanDuration(Number.NaN)).toBe('<invalid>');
  });
});

describe('age (translateTimestampSince)', () => {
  const t0 = Date.parse('2021-10-10T00:02:34Z');
  it('is humanDuration(now − timestamp)', () => {
    expect(age('2021-10-10T00:02:34Z', t0 + 39 * S)).toBe('39s');
    expect(age('2021-10-10T00:02:34Z', t0 + 201 * S)).toBe('3m21s');
  });
  it('is <unknown> for a missing or unparsable timestamp', () => {
    expect(age(undefined, t0)).toBe('<unknown>');
    expect(age('', t0)).toBe('<unknown>');
    expect(age('not a time', t0)).toBe('<unknown>');
  });
  it('tolerates a timestamp up to 1s in the future and rejects more', () => {
    expect(age('2021-10-10T00:02:35Z', t0)).toBe('0s');
    expect(age('2021-10-10T00:02:40Z', t0)).toBe('<invalid>');
  });
});

describe('rfc1123z (Go time.RFC1123Z)', () => {
  const t0 = Date.parse('2021-10-10T00:02:34Z');
  it('prints the article creation time in JST', () => {
    expect(rfc1123z(t0, 540)).toBe('Sun, 10 Oct 2021 09:02:34 +0900');
  });
  it('defaults to UTC', () => {
    expect(rfc1123z(t0)).toBe('Sun, 10 Oct 2021 00:02:34 +0000');
  });
  it('handles negative and half-hour offsets and crosses the date line', () => {
    expect(rfc1123z(t0, -300)).toBe('Sat, 09 Oct 2021 19:02:34 -0500');
    expect(rfc1123z(t0, 330)).toBe('Sun, 10 Oct 2021 05:32:34 +0530');
  });
  it('zero-pads the day and time fields', () => {
    expect(rfc1123z(Date.parse('2024-03-01T01:02:03Z'))).toBe('Fri, 01 Mar 2024 01:02:03 +0000');
  });
  it('names the Go zero time for unset timestamps', () => {
    expect(GO_ZERO_TIME_RFC1123Z).toBe('Mon, 01 Jan 0001 00:00:00 +0000');
  });
});
