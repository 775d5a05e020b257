/**
 * A re-implementation of Go's text/tabwriter (left-aligned, space padding, no flags) — the
 * aligner behind every kubectl table. Input is text whose cells end with '\t'; the text after the
 * last tab of a line is not a cell of any column and is never padded.
 *
 * Column widths are decided per "column block": a run of consecutive lines that all have a
 * tab-terminated cell at that column index. A line with fewer cells ends the block, so
 * `Name:\tx` lines separated by a tab-less `Pod Template:` line align independently — the
 * behaviour `kubectl describe` relies on. Width of a column = max(minWidth, widest cell + padding),
 * where width counts Unicode code points (Go counts runes).
 */

/** TabwriterOptions are the tabwriter.Init parameters that matter when padding with spaces. */
export interface TabwriterOptions {
  /** minWidth is the minimal cell width including any padding. */
  minWidth?: number;
  /** padding is added to the widest cell of a column to get the column width. */
  padding?: number;
}

/** GET_TABWRITER is cli-runtime's GetNewTabWriter: minwidth 6, tabwidth 4, padding 3, pad ' ' (kubectl get). */
export const GET_TABWRITER: Required<TabwriterOptions> = { minWidth: 6, padding: 3 };

/** DESCRIBE_TABWRITER is kubectl's tabbedString writer: minwidth 0, tabwidth 8, padding 2, pad ' ' (describe, rollout history). */
export const DESCRIBE_TABWRITER: Required<TabwriterOptions> = { minWidth: 0, padding: 2 };

interface Cell {
  text: string;
  width: number;
}

function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * tabwrite aligns tab-separated text exactly as a Go tabwriter with pad char ' ' and no flags
 * would after one Flush. Example: tabwrite("a\tbb\nccc\td\n", {padding: 2}) → "a    bb\nccc  d\n".
 */
export function tabwrite(text: string, opts: TabwriterOptions = {}): string {
  const minWidth = opts.minWidth ?? 0;
  const padding = opts.padding ?? 0;
  // Each line is a list of cells; all but the last were terminated by '\t'.
  const lines: Cell[][] = text.split('\n').map((line) => line.split('\t').map((t) => ({ text: t, width: runeWidth(t) })));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      let s = '';
      line.forEach((c, j) => {
        s += c.text;
        if (j < widths.length) s += ' '.repeat(Math.max(0, widths[j]! - c.width));
      });
      out.push(s);
    }
  };

  // Mirrors tabwriter.format: find each block of lines that has a cell in `column`,
  // size the column over that block, then recurse for the columns to its right.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = minWidth;
      for (; t < line1; t++) {
        const line = lines[t]!;
        if (column >= line.length - 1) break;
        const w = line[column]!.width + padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}

/**
 * tabulate joins rows of cells with tabs (one line per row, each ending in '\n') and aligns them;
 * defaults are kubectl get's (minWidth 6, padding 3), so the last column is never padded.
 * Example: tabulate([['NAME','AGE'],['front','5s']]) → "NAME    AGE\nfront   5s\n".
 */
export function tabulate(rows: string[][], opts: TabwriterOptions = {}): string {
  if (rows.length === 0) return '';
  const merged = { minWidth: opts.minWidth ?? GET_TABWRITER.minWidth, padding: opts.padding ?? GET_TABWRITER.padding };
  return tabwrite(rows.map((r) => r.join('\t')).join('\n') + '\n', merged);
}
