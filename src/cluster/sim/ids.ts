/** Deterministic identifiers for the simulator (uids, generated names, IPs), so traces are reproducible. */

/** NAME_ALPHABET is the apiserver's alphabet for generated names and pod-template hashes (no vowels, no 0/1/3). */
export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** IdSource hands out uids, name suffixes and addresses from a seeded generator whose state is persisted. */
export class IdSource {
  private state: number;
  private serviceIPs: number;
  private podIPs: number;

  constructor(saved?: string) {
    const s = saved ? (JSON.parse(saved) as { state: number; serviceIPs: number; podIPs: number }) : undefined;
    this.state = s?.state ?? 0x6d666c78; // "mflx"
    this.serviceIPs = s?.serviceIPs ?? 10;
    this.podIPs = s?.podIPs ?? 2;
  }

  /** next32 returns the next 32-bit value of a mulberry32 sequence. */
  next32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uid returns a version-4-shaped UUID. */
  uid(): string {
    const h = (n: number) => n.toString(16).padStart(8, '0');
    const a = h(this.next32());
    const b = h(this.next32());
    const c = h(this.next32());
    const d = h(this.next32());
    const variant = ((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  /** nameSuffix returns n characters from the apiserver's generateName alphabet. */
  nameSuffix(n = 5): string {
    let out = '';
    for (let i = 0; i < n; i++) out += NAME_ALPHABET[this.next32() % NAME_ALPHABET.length];
    return out;
  }

  /** serviceIP allocates the next ClusterIP from 10.96.0.0/12. */
  serviceIP(): string {
    const n = this.serviceIPs++;
    return `10.96.${(n >> 8) & 255}.${n & 255}`;
  }

  /** podIP allocates the next pod address from 10.244.0.0/16. */
  podIP(): string {
    const n = this.podIPs++;
    return `10.244.${(n >> 8) & 255}.${n & 255}`;
  }

  /** save serialises the generator state for the state store. */
  save(): string {
    return JSON.stringify({ state: this.state, serviceIPs: this.serviceIPs, podIPs: this.podIPs });
  }
}

/**
 * fnv1a32 hashes a string (UTF-8) with 32-bit FNV-1a, the hash upstream uses for pod-template-hash.
 * Example: fnv1a32("") = 2166136261.
 */
export function fnv1a32(text: string, extra?: Uint8Array): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  if (extra) {
    for (const b of extra) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/**
 * safeEncode maps each character of a string through NAME_ALPHABET at (char code mod 27), as
 * apimachinery's SafeEncodeString does, so decimal digits become 0→4 1→5 2→6 3→7 4→8 5→9 6→b 7→c 8→d 9→f.
 * Example: "2166136261" → "65bb57b6b5".
 */
export function safeEncode(text: string): string {
  let out = '';
  for (const ch of text) out += NAME_ALPHABET[ch.charCodeAt(0) % NAME_ALPHABET.length];
  return out;
}
