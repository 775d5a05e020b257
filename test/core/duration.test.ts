/** Durations as flags and config take them (Go's time.ParseDuration units; a bare number is seconds), and as Go prints them. */
import { describe, expect, test } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/index.js';

describe('parseDuration', () => {
  test.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['90', 90_000],
    ['0', 0],
    ['0s', 0],
    [' 5m ', 300_000],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '1x', 'm', '10 s', '-5s', '1d', 's10', '1m30'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
  ])('%d ms → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('round trip for whole seconds', () => {
    for (const s of [1, 59, 61, 3599, 3601, 86_400]) expect(parseDuration(formatDuration(s * 1000))).toBe(s * 1000);
  });
});
