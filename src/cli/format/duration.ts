/** Human-readable times as kubectl prints them. Pure: "now" is always an argument. */

import { parseRFC3339 } from '../../core/clock.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * humanDuration is apimachinery's duration.HumanDuration: ~2-3 significant figures.
 * Boundaries: < -1s "<invalid>"; (-2s, 0) "0s"; < 2m seconds ("119s"); < 10m "XmYs" (or "Xm");
 * < 3h minutes ("179m"); < 8h "XhYm" (or "Xh"); < 48h hours; < 8d "XdYh" (or "Xd"); < 2y days;
 * < 8y "XyYd" (or "Xy"); else years. Examples: 64000 → "64s", 175000 → "2m55s", 11100000 → "3h5m".
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  // Go: int(d.Seconds()) truncates toward zero.
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * age is kubectl's translateTimestampSince: humanDuration(now − timestamp), or "<unknown>" when
 * the timestamp is missing (or unparsable). Example: age("2021-10-10T00:02:34Z", t0 + 39s) → "39s".
 */
export function age(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = parseRFC3339(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * rfc1123z formats epoch ms like Go's time.RFC1123Z in a zone `tzOffsetMinutes` east of UTC.
 * Example: rfc1123z(Date.parse("2021-10-10T00:02:34Z"), 540) → "Sun, 10 Oct 2021 09:02:34 +0900".
 */
export function rfc1123z(ms: number, tzOffsetMinutes = 0): string {
  const d = new Date(ms + tzOffsetMinutes * MINUTE);
  const sign = tzOffsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(tzOffsetMinutes);
  const year = d.getUTCFullYear();
  return (
    `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${pad(year, 4)} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ` +
    `${sign}${pad(Math.trunc(off / 60))}${pad(off % 60)}`
  );
}

/** GO_ZERO_TIME_RFC1123Z is how Go prints an unset metav1.Time with RFC1123Z (kubectl shows it for a missing creationTimestamp). */
export const GO_ZERO_TIME_RFC1123Z = 'Mon, 01 Jan 0001 00:00:00 +0000';
