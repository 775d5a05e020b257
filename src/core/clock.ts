/** Clocks: the only place mini-flux reads the time or waits. */

/** Clock is the source of "now" (milliseconds since the epoch) and the only way to wait. */
export interface Clock {
  /** now returns the current time in epoch milliseconds. */
  now(): number;
  /** sleepUntil resolves once now() ≥ at (or early, when `signal` aborts); a virtual clock jumps there at once. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
  /** virtual is true when time only moves because the program moves it. */
  readonly virtual: boolean;
}

/** RealClock follows the wall clock and waits with timers. */
export class RealClock implements Clock {
  readonly virtual = false;
  now(): number {
    return Date.now();
  }
  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    const ms = at - Date.now();
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      // An abort ends the wait at once (a daemon stopping, or a webhook waking a source), and the timer goes with it.
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** VirtualClock moves only when told to; sleepUntil jumps straight to the deadline, so a 10-minute rollout simulates in milliseconds. */
export class VirtualClock implements Clock {
  readonly virtual = true;
  private t: number;
  constructor(start: number) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  /** advanceTo moves time forward to `at`; time never runs backwards. */
  advanceTo(at: number): void {
    if (at > this.t) this.t = at;
  }
  /** advanceBy moves time forward by `ms`. */
  advanceBy(ms: number): void {
    this.advanceTo(this.t + ms);
  }
  sleepUntil(at: number): Promise<void> {
    this.advanceTo(at);
    return Promise.resolve();
  }
}

/** wallClockNow reads the wall clock once (for seeding a new virtual timeline and stamping ledger records). */
export function wallClockNow(): number {
  return Date.now();
}

// The last second toRFC3339 rendered: the simulator stamps everything of an instant with the same one.
let renderedSecond = Number.NaN;
let rendered = '';

/** toRFC3339 renders epoch milliseconds as Kubernetes writes timestamps (second precision, UTC, "Z"). */
export function toRFC3339(ms: number): string {
  const second = Math.floor(ms / 1000) * 1000;
  if (second !== renderedSecond) {
    rendered = new Date(second).toISOString().replace('.000Z', 'Z');
    renderedSecond = second;
  }
  return rendered;
}

// PARSED remembers recent answers of parseRFC3339: the simulator stamps every object and condition
// of an instant with one string, and its controllers read those back on every sync (Date.parse was
// 1% of a 100k-pod rollout). Bounded: cleared once it holds PARSED_MAX strings.
const PARSED = new Map<string, number>();
const PARSED_MAX = 4096;

/** parseRFC3339 reads a Kubernetes timestamp back to epoch milliseconds (NaN when it is not one). */
export function parseRFC3339(ts: string): number {
  let ms = PARSED.get(ts);
  if (ms === undefined) {
    ms = Date.parse(ts);
    if (PARSED.size >= PARSED_MAX) PARSED.clear();
    PARSED.set(ts, ms);
  }
  return ms;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * parseDuration reads a Go-style duration ("10s", "1m30s", "500ms", "2h") into milliseconds;
 * a bare number is taken as seconds. Returns undefined for anything else.
 * Example: "1m30s" → 90000.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  if (s.length === 0) return undefined;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return Math.round(total);
}

/** formatDuration writes milliseconds the way Go prints a time.Duration ("1m30s", "10s", "0s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = rest / 1000;
  let out = '';
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  out += `${Number.isInteger(sec) ? sec : sec.toFixed(3).replace(/0+$/, '')}s`;
  return (neg ? '-' : '') + out;
}
