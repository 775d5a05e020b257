/**
 * NativeObjects: reads blobs from a repository's object store with Node's own zlib.
 *
 * isomorphic-git inflates every object with pako (a JavaScript inflate that sets up a fresh state
 * and a 64 KiB output buffer per object): for the 10,000 blobs of a large repository that was
 * most of the time of reading a commit, and much of its garbage. This reader handles the common
 * cases — a loose object, or a packed one (whole, or a delta against another object in the packs,
 * by offset or by id) in a version-2 pack index — and answers `undefined` for anything else (and
 * on any error), so the caller falls back to isomorphic-git, which then reads or reports it as it
 * always did. Every file access goes through the injected fs.
 */
import { createHash } from 'node:crypto';
import nodePath from 'node:path';
import zlib from 'node:zlib';
import type { SourceFs } from './cachefs.js';

/** Pack is one pack file and its version-2 index, both in memory (as isomorphic-git keeps them). */
interface Pack {
  name: string;
  idx: Buffer;
  pack: Buffer;
  count: number;
}

const TYPES = ['', 'commit', 'tree', 'blob', 'tag', '', 'ofs_delta', 'ref_delta'] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** BASE_CACHE_BYTES bounds the delta bases kept between reads (a base usually serves many deltas). */
const BASE_CACHE_BYTES = 16 << 20;
/**
 * MAX_PACK_BYTES: a larger pack is left to isomorphic-git. This reader keeps its packs in memory
 * as isomorphic-git does (which also loads them, to read commits), so a pack read both ways is
 * held twice; the bound keeps that second copy small next to what a GitOps repository needs.
 */
const MAX_PACK_BYTES = 128 << 20;
/** MAX_DELTA_DEPTH stops a malformed pack whose deltas loop. */
const MAX_DELTA_DEPTH = 10_000;

/** GitObject is an object's type and content. */
export interface GitObject {
  type: string;
  object: Buffer;
}

/** NativeObjects reads objects of one object store; `reset` forgets the packs (after a fetch, gc or repack). */
export class NativeObjects {
  private packs: Promise<Pack[]> | undefined;
  private packsOf: string | undefined;
  private bases = new Map<string, GitObject>();
  private baseBytes = 0;

  /** `dir.gitdir` is read at every call: a remote's first clone moves its git directory. */
  constructor(
    private readonly fs: SourceFs,
    private readonly dir: { readonly gitdir: string },
  ) {}

  /** reset drops the packs and cached delta bases, so the next read lists the packs again. */
  reset(): void {
    this.packs = undefined;
    this.bases.clear();
    this.baseBytes = 0;
  }

  /** readAs returns the content of an object of the given type, or undefined when this reader cannot (not found, another type, anything unexpected). */
  async readAs(oid: string, type: 'blob' | 'tree' | 'commit'): Promise<Buffer | undefined> {
    const o = await this.readAny(oid);
    return o?.type === type ? o.object : undefined;
  }

  /** readAny returns an object of any type, or undefined when this reader cannot read it. */
  async readAny(oid: string): Promise<GitObject | undefined> {
    try {
      return await this.read(oid, 0);
    } catch {
      return undefined;
    }
  }

  private async read(oid: string, depth: number): Promise<GitObject | undefined> {
    if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
    if (this.dir.gitdir !== this.packsOf) {
      // A first clone is built in a temporary directory, then moved: never mix two directories' packs.
      this.reset();
      this.packsOf = this.dir.gitdir;
    }
    const packs = await this.loadPacks();
    const key = Buffer.from(oid, 'hex');
    for (const p of packs) {
      const at = findOffset(p, key);
      if (at !== undefined) return this.readPacked(p, at, depth);
    }
    return this.readLoose(oid);
  }

  private loadPacks(): Promise<Pack[]> {
    if (!this.packs) {
      const p = this.listPacks();
      p.catch(() => {
        if (this.packs === p) this.packs = undefined;
      });
      this.packs = p;
    }
    return this.packs;
  }

  private async listPacks(): Promise<Pack[]> {
    const dir = nodePath.join(this.dir.gitdir, 'objects', 'pack');
    let names: string[];
    try {
      names = await this.fs.promises.readdir(dir);
    } catch {
      return [];
    }
    const out: Pack[] = [];
    for (const name of names.filter((n) => n.endsWith('.idx')).sort()) {
      const idx = await this.fs.promises.readFile(nodePath.join(dir, name));
      // Only version-2 indexes (what git has written since 1.5.2); anything else is left to isomorphic-git.
      if (idx.length < 8 + 256 * 4 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
      const packPath = nodePath.join(dir, name.replace(/\.idx$/, '.pack'));
      if ((await this.fs.promises.stat(packPath)).size > MAX_PACK_BYTES) continue;
      const pack = await this.fs.promises.readFile(packPath);
      if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') continue;
      // As isomorphic-git does: the pack's checksum must be the index's, and its content must hash to it — a damaged pack is left to isomorphic-git to report.
      const trailer = pack.subarray(pack.length - 20);
      if (!trailer.equals(idx.subarray(idx.length - 40, idx.length - 20))) continue;
      if (!createHash('sha1').update(pack.subarray(0, pack.length - 20)).digest().equals(trailer)) continue;
      out.push({ name, idx, pack, count: idx.readUInt32BE(8 + 255 * 4) });
    }
    return out;
  }

  private async readLoose(oid: string): Promise<GitObject | undefined> {
    let raw: Buffer;
    try {
      raw = await this.fs.promises.readFile(nodePath.join(this.dir.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)));
    } catch {
      return undefined;
    }
    const data = zlib.inflateSync(raw);
    const space = data.indexOf(0x20);
    const nul = data.indexOf(0, space);
    if (space < 0 || nul < 0) return undefined;
    const size = Number(data.toString('latin1', space + 1, nul));
    const object = data.subarray(nul + 1);
    if (object.length !== size) return undefined;
    return { type: data.toString('latin1', 0, space), object };
  }

  private async readPacked(p: Pack, start: number, depth: number): Promise<GitObject | undefined> {
    if (depth > MAX_DELTA_DEPTH) return undefined;
    const { pack } = p;
    let pos = start;
    let byte = pack[pos++]!;
    const type = (byte >> 4) & 7;
    let size = byte & 15;
    for (let shift = 4; byte & 0x80; shift += 7) {
      byte = pack[pos++]!;
      size += (byte & 0x7f) * 2 ** shift;
    }
    if (type === OFS_DELTA || type === REF_DELTA) {
      let base: GitObject | undefined;
      if (type === OFS_DELTA) {
        // The base's distance back, in git's offset encoding (each continuation adds one before shifting).
        byte = pack[pos++]!;
        let back = byte & 0x7f;
        while (byte & 0x80) {
          byte = pack[pos++]!;
          back = (back + 1) * 128 + (byte & 0x7f);
        }
        base = await this.base(p, start - back, depth);
      } else {
        const baseOid = pack.toString('hex', pos, pos + 20);
        pos += 20;
        base = await this.baseById(baseOid, depth);
      }
      if (!base) return undefined;
      const delta = inflate(pack, pos, size);
      return { type: base.type, object: applyDelta(delta, base.object) };
    }
    const name = TYPES[type];
    if (!name) return undefined;
    return { type: name, object: inflate(pack, pos, size) };
  }

  /** base reads a delta's base by its offset in the pack, keeping it for the next delta against it. */
  private async base(p: Pack, offset: number, depth: number): Promise<GitObject | undefined> {
    const key = `${p.name}:${offset}`;
    const known = this.bases.get(key);
    if (known) return known;
    const o = await this.readPacked(p, offset, depth + 1);
    if (o) this.keep(key, o);
    return o;
  }

  private async baseById(oid: string, depth: number): Promise<GitObject | undefined> {
    const known = this.bases.get(oid);
    if (known) return known;
    const o = await this.read(oid, depth + 1);
    if (o) this.keep(oid, o);
    return o;
  }

  private keep(key: string, o: GitObject): void {
    if (this.baseBytes + o.object.length > BASE_CACHE_BYTES) {
      this.bases.clear();
      this.baseBytes = 0;
    }
    this.bases.set(key, o);
    this.baseBytes += o.object.length;
  }
}

/** findOffset looks an object id up in a version-2 index: the fan-out table narrows the range, a binary search finds it. */
function findOffset(p: Pack, key: Buffer): number | undefined {
  const { idx, count } = p;
  const first = key[0]!;
  let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
  let hi = idx.readUInt32BE(8 + first * 4);
  const names = 8 + 256 * 4;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = names + mid * 20;
    const c = idx.compare(key, 0, 20, at, at + 20);
    if (c === 0) {
      const offsets = names + count * 20 + count * 4;
      const small = idx.readUInt32BE(offsets + mid * 4);
      if (!(small & 0x80000000)) return small;
      // The high bit points into the table of 8-byte offsets (packs over 2 GiB).
      const large = offsets + count * 4 + (small & 0x7fffffff) * 8;
      return Number(idx.readBigUInt64BE(large));
    }
    if (c > 0) hi = mid;
    else lo = mid + 1;
  }
  return undefined;
}

/** inflate decompresses the zlib stream at `pos` (the pack's bytes after it are ignored), checking the size the pack announced. */
function inflate(pack: Buffer, pos: number, size: number): Buffer {
  // One output chunk of the announced size (the default is 16 KiB per object, mostly garbage).
  const out = zlib.inflateSync(pack.subarray(pos), { maxOutputLength: Math.max(size, 1), chunkSize: Math.max(size + 1, 64) });
  if (out.length !== size) throw new Error(`packed object at ${pos} has ${out.length} bytes, not ${size}`);
  return out;
}

/** readSize reads a delta header's size (little-endian base-128). */
function readSize(d: Buffer, at: { pos: number }): number {
  let size = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = d[at.pos++]!;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return size;
}

/** applyDelta rebuilds an object from its base and a git delta (copy-from-base and insert instructions). */
export function applyDelta(delta: Buffer, base: Buffer): Buffer {
  const at = { pos: 0 };
  if (readSize(delta, at) !== base.length) throw new Error('delta base size mismatch');
  const out = Buffer.allocUnsafeSlow(readSize(delta, at));
  let o = 0;
  while (at.pos < delta.length) {
    const op = delta[at.pos++]!;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) off += delta[at.pos++]! * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) len += delta[at.pos++]! << (8 * i);
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > out.length) throw new Error('delta copies outside its base');
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op > 0) {
      if (o + op > out.length || at.pos + op > delta.length) throw new Error('delta inserts past its end');
      delta.copy(out, o, at.pos, at.pos + op);
      o += op;
      at.pos += op;
    } else {
      throw new Error('delta has a reserved instruction');
    }
  }
  if (o !== out.length) throw new Error('delta result size mismatch');
  return out;
}

/** CommitFields are the parts of a commit a source uses, as isomorphic-git's readCommit parses them. */
export interface CommitFields {
  tree: string;
  parent: string[];
  author: { name: string; email: string; timestamp: number };
  committer: { name: string; email: string; timestamp: number };
  message: string;
}

const PERSON = /^(.*) <(.*)> (.*) (.*)$/;

/**
 * parseCommit reads a commit object the way isomorphic-git's GitCommit.parse does (headers with
 * continuation lines, the first of each key kept, the message after the first blank line with
 * its line breaks normalised). Undefined where isomorphic-git would fail or a field is missing:
 * the caller then asks isomorphic-git, which reports it as it always has.
 */
export function parseCommit(buf: Buffer): CommitFields | undefined {
  const text = buf.toString('utf8');
  const blank = text.indexOf('\n\n');
  if (blank < 0) return undefined;
  const hs: string[] = [];
  for (const h of text.slice(0, blank).split('\n')) {
    if (h[0] === ' ' && hs.length > 0) hs[hs.length - 1] += `\n${h.slice(1)}`;
    else hs.push(h);
  }
  const keyOf = (h: string) => h.slice(0, h.indexOf(' '));
  const valueOf = (h: string) => h.slice(h.indexOf(' ') + 1);
  if (hs.length === 0 || keyOf(hs[0]!) !== 'tree') return undefined;
  const tree = valueOf(hs[0]!);
  const parent: string[] = [];
  let i = 1;
  for (; i < hs.length && keyOf(hs[i]!) === 'parent'; i++) parent.push(valueOf(hs[i]!));
  const rest = new Map<string, string>();
  for (; i < hs.length; i++) if (!rest.has(keyOf(hs[i]!))) rest.set(keyOf(hs[i]!), valueOf(hs[i]!));
  const person = (v: string | undefined) => {
    const m = v === undefined ? null : PERSON.exec(v);
    return m ? { name: m[1]!, email: m[2]!, timestamp: Number(m[3]) } : undefined;
  };
  const author = person(rest.get('author'));
  const committer = person(rest.get('committer'));
  if (!author || !committer) return undefined;
  const message = `${text.slice(blank + 2).replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
  return { tree, parent, author, committer, message };
}
