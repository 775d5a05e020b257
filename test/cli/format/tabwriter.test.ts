import { describe, expect, it } from 'vitest';
import { DESCRIBE_TABWRITER, GET_TABWRITER, tabulate, tabwrite } from '../../../src/cli/format/tabwriter.js';

describe('tabulate (kubectl get tabwriter: minwidth 6, padding 3)', () => {
  it('pads every column but the last to widest cell + 3', () => {
    expect(
      tabulate([
        ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
        ['front', '3/3', '2', '3', '2m55s'],
      ]),
    ).toBe('NAME    READY   UP-TO-DATE   AVAILABLE   AGE\nfront   3/3     2            3           2m55s\n');
  });

  it('never makes a padded column narrower than minwidth 6', () => {
    expect(tabulate([['A', 'B', 'C'], ['x', 'yy', 'z']])).toBe('A     B     C\nx     yy    z\n');
  });

  it('does not pad the last column even when cells differ in width', () => {
    const out = tabulate([['NAME', 'MESSAGE'], ['a', 'short'], ['b', 'a much longer message']]);
    expect(out.split('\n').map((l) => l.length)).toEqual([14, 12, 28, 0]);
    expect(out.endsWith('message\n')).toBe(true);
  });

  it('keeps empty cells aligned', () => {
    expect(tabulate([['A', 'SUB', 'Z'], ['1', '', 'z']])).toBe('A     SUB   Z\n1           z\n');
  });

  it('counts code points, not UTF-16 units or bytes (Go counts runes)', () => {
    expect(tabulate([['NAME', 'X'], ['日本語', 'y'], ['😀', 'z']])).toBe('NAME   X\n日本語    y\n😀      z\n');
  });

  it('accepts other padding/minwidth', () => {
    expect(tabulate([['REVISION', 'CHANGE-CAUSE'], ['1', '<none>']], DESCRIBE_TABWRITER)).toBe('REVISION  CHANGE-CAUSE\n1         <none>\n');
    expect(tabulate([['a', 'b']], { padding: 1 })).toBe('a     b\n');
    expect(GET_TABWRITER).toEqual({ minWidth: 6, padding: 3 });
  });

  it('returns "" for no rows', () => {
    expect(tabulate([])).toBe('');
  });
});

describe('tabwrite (Go text/tabwriter column blocks)', () => {
  const d = (s: string): string => tabwrite(s, DESCRIBE_TABWRITER);

  it('aligns a block of consecutive lines that share a column', () => {
    expect(d('Name:\tfront\nCreationTimestamp:\tx\n')).toBe('Name:               front\nCreationTimestamp:  x\n');
  });

  it('restarts widths after a line without tabs', () => {
    expect(d('a:\tx\nlonger:\ty\nbreak\nb:\tz\n')).toBe('a:       x\nlonger:  y\nbreak\nb:  z\n');
  });

  it('sizes inner columns only over lines that have them', () => {
    // Column 1 exists only on the first two lines; the third line shares column 0 only.
    expect(d('  Type\tStatus\tReason\n  Available \tTrue\tMinimumReplicasAvailable\nOldReplicaSets:\t<none>\n')).toBe(
      '  Type           Status  Reason\n  Available      True    MinimumReplicasAvailable\nOldReplicaSets:  <none>\n',
    );
  });

  it('pads a trailing empty cell (so "a\\t" leaves trailing spaces, as Go does)', () => {
    expect(d('a\t\nbbb\tc\n')).toBe('a    \nbbb  c\n');
  });

  it('writes an unterminated last line without adding a newline', () => {
    expect(d('a\tb')).toBe('a  b');
    expect(d('')).toBe('');
  });

  it('treats a continuation line with an empty first cell as part of the block', () => {
    expect(d('Labels:\tapp=front\n\ttier=web\nSelector:\tapp=front\n')).toBe(
      'Labels:    app=front\n           tier=web\nSelector:  app=front\n',
    );
  });
});
