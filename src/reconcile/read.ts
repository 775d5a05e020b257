/**
 * Reading the desired state at a commit: list the manifests, read the blobs that changed since the
 * last pass, parse them. Unchanged (path, blob) pairs come from the SourceMemo, neither read nor
 * parsed again.
 *
 * A large batch (a first pass over a big repository) uses the second core. Reading starts while
 * the tree is still being listed: the listing reports each file as it finds it, this thread reads
 * the changed ones chunk by chunk and posts every chunk to a worker thread (parse-worker.js) that
 * parses it. Once everything is read, this thread parses the chunks the worker has not got to yet.
 * Where the compiled worker script is missing (sources run as .ts under a test runner) or the
 * worker fails, this thread parses everything itself: the results are the same either way.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ManifestFile, type ManifestIssue, type ParsedObject, parseManifestFile } from '../manifests/index.js';
import type { GitSource, TreeFile } from '../source/index.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';
import type { SourceMemo } from './memo.js';

/** WORKER_MIN_FILES is the number of files to read and parse from which a worker thread helps (starting one costs ~30 ms). */
export const WORKER_MIN_FILES = 500;
/** EMPTY stands in for a blob that was not returned. */
const EMPTY = new Uint8Array(0);
/**
 * own returns bytes that fill their buffer: posting a view to the worker would clone the whole
 * buffer behind it. (A copy through the Uint8Array constructor: a Buffer's own `slice` is a view.)
 */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
}
/** CHUNK_FILES is how many files are read, posted to the worker and claimed at a time. */
const CHUNK_FILES = 128;

/** ReadDesiredOptions tunes how a batch is parsed (tests force or forbid the worker). */
export interface ReadDesiredOptions {
  /** workerMinFiles is the number of files to (re)parse from which a worker thread helps; default WORKER_MIN_FILES. */
  workerMinFiles?: number;
  /** workerParsesAll leaves every chunk to the worker instead of sharing the rest once all is read (tests: a deterministic worker path). */
  workerParsesAll?: boolean;
  /** onParsed reports how many files were read and parsed, and how many of them the worker parsed. */
  onParsed?: (s: { files: number; inWorker: number }) => void;
}

/** DesiredState is what readDesired returns: every object and issue at the commit, in listing order. */
export interface DesiredState {
  objects: ParsedObject[];
  issues: ManifestIssue[];
  /** warnings name the files skipped because they hold no Kubernetes object. */
  warnings: string[];
  /** reread counts the files read and parsed in this call (the rest came from the cache). */
  reread: number;
}

type Parsed = { objects: ParsedObject[]; issues: ManifestIssue[]; notes: string[] };
// Blobs are read as bytes and decoded by the parser (strict UTF-8, size-limited), here or in the worker.

/** readDesired lists the manifests at a commit and parses them, reusing the cache for every (path, blob) seen before. */
export async function readDesired(source: GitSource, commit: string, cache: SourceMemo, opts: ReadDesiredOptions = {}): Promise<DesiredState> {
  const batch = new Batch(source, cache, opts.workerMinFiles ?? WORKER_MIN_FILES, opts.workerParsesAll ?? false);
  try {
    const previous = cache.listing;
    let listing: TreeFile[];
    if (previous && cache.commit === commit) {
      listing = previous;
    } else if (previous && cache.commit) {
      // The tree diff says whether any manifest path changed; when none did, the old listing stands.
      const changed = await source.changedPaths(cache.commit, commit);
      listing = changed.length === 0 ? previous : await source.listManifests(commit, batch.onFile);
    } else {
      listing = await source.listManifests(commit, batch.onFile);
    }
    const stale = listing.filter((f) => cache.files.get(f.path)?.oid !== f.oid);
    const parsed = await batch.finish(stale);
    opts.onParsed?.({ files: stale.length, inWorker: batch.inWorker });
    for (let i = 0; i < stale.length; i++) {
      const f = stale[i]!;
      cache.files.set(f.path, { oid: f.oid, objects: parsed[i]!.objects, issues: parsed[i]!.issues, notes: parsed[i]!.notes });
      cache.valid.delete(f.path);
    }
    const present = new Set(listing.map((f) => f.path));
    for (const p of cache.files.keys()) {
      if (present.has(p)) continue;
      cache.files.delete(p);
      cache.valid.delete(p);
    }
    cache.commit = commit;
    cache.listing = listing;
    const objects: ParsedObject[] = [];
    const issues: ManifestIssue[] = [];
    const warnings: string[] = [];
    for (const f of listing) {
      const c = cache.files.get(f.path)!;
      for (const o of c.objects) objects.push(o);
      for (const i of c.issues) issues.push(i);
      if (c.notes) warnings.push(...c.notes);
    }
    return { objects, issues, warnings, reread: stale.length };
  } finally {
    batch.close();
  }
}

function parseOne(file: ManifestFile): Parsed {
  const issues: ManifestIssue[] = [];
  const notes: string[] = [];
  const objects = parseManifestFile(file, issues, notes);
  return { objects, issues, notes };
}

/** workerScript is the compiled worker next to this file, or null when there is none (sources run as .ts). */
let workerScript: string | null | undefined;

function startWorker(): Worker | undefined {
  if (workerScript === undefined) {
    try {
      const p = fileURLToPath(new URL('./parse-worker.js', import.meta.url));
      workerScript = existsSync(p) ? p : null;
    } catch {
      workerScript = null;
    }
  }
  if (!workerScript) return undefined;
  try {
    return new Worker(workerScript);
  } catch {
    return undefined;
  }
}

/** The flag each chunk shares with the worker: set once, with compareExchange, by whichever thread parses the chunk (the worker sets 1). */
const UNCLAIMED = 0;
const BY_MAIN = 2;

interface Chunk {
  files: TreeFile[];
  texts: ManifestFile[];
  claim: Int32Array;
  results?: Parsed[];
  /** failed: the worker claimed the chunk but could not parse it (or send the result). */
  failed: boolean;
}

/**
 * Batch reads and parses one pass's changed files. Small batches are read and parsed in one go on
 * this thread, after the listing. Once the listing has reported WORKER_MIN_FILES changed files, a
 * worker starts and the batch goes chunk by chunk: each chunk is read as soon as it is full and
 * posted to the worker, which parses chunks in order. When all is read, this thread parses, from
 * the back, the chunks the worker has not claimed; a shared flag per chunk makes sure exactly one
 * thread parses it, and neither waits on the other's event loop for that.
 */
class Batch {
  inWorker = 0;
  private worker: Worker | undefined;
  private noWorker = false;
  private alive = false;
  private closed = false;
  private pending: TreeFile[] = [];
  private queued = new Map<string, string>();
  private chunks: Chunk[] = [];
  private reading: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    private readonly source: GitSource,
    private readonly cache: SourceMemo,
    private readonly minFiles: number,
    private readonly workerParsesAll: boolean,
  ) {}

  /** onFile hears of a file from the listing walk; a changed one joins the batch. */
  readonly onFile = (f: TreeFile): void => {
    if (this.cache.files.get(f.path)?.oid === f.oid || this.queued.get(f.path) === f.oid) return;
    this.queued.set(f.path, f.oid);
    this.pending.push(f);
    if (!this.worker && this.pending.length >= this.minFiles) this.startShared();
    if (this.worker && this.pending.length >= CHUNK_FILES) this.flush(false);
  };

  /** finish returns the parsed stale files, in their order. */
  async finish(stale: TreeFile[]): Promise<Parsed[]> {
    if (stale.length === 0) return [];
    if (!this.worker && stale.length >= this.minFiles) this.startShared();
    if (!this.worker) {
      const blobs = await this.source.readBlobBytes([...new Set(stale.map((f) => f.oid))]);
      return stale.map((f) => parseOne({ path: f.path, content: blobs.get(f.oid) ?? EMPTY }));
    }
    // Whatever the listing did not report (or reported with another blob) is read now.
    for (const f of stale) {
      if (this.queued.get(f.path) === f.oid) continue;
      this.queued.set(f.path, f.oid);
      this.pending.push(f);
    }
    this.flush(true);
    await this.reading;
    for (let i = this.chunks.length - 1; i >= 0 && !this.workerParsesAll; i--) {
      const c = this.chunks[i]!;
      if (Atomics.compareExchange(c.claim, 0, UNCLAIMED, BY_MAIN) === UNCLAIMED) c.results = c.texts.map(parseOne);
    }
    for (;;) {
      let waiting = false;
      for (const c of this.chunks) {
        if (c.results) continue;
        if (c.failed || !this.alive) {
          // The worker could not parse it, or is gone: this thread does (any late answer is ignored).
          Atomics.compareExchange(c.claim, 0, UNCLAIMED, BY_MAIN);
          c.results = c.texts.map(parseOne);
        } else waiting = true;
      }
      if (!waiting) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const byPath = new Map<string, { oid: string; parsed: Parsed }>();
    for (const c of this.chunks) for (let k = 0; k < c.files.length; k++) byPath.set(c.files[k]!.path, { oid: c.files[k]!.oid, parsed: c.results![k]! });
    return stale.map((f) => {
      const r = byPath.get(f.path);
      if (!r || r.oid !== f.oid) throw new Error(`internal: ${f.path} was not read`);
      return r.parsed;
    });
  }

  /** close stops the worker; reads still queued (the listing failed) are skipped. */
  close(): void {
    this.closed = true;
    this.alive = false;
    if (this.worker) void this.worker.terminate();
  }

  private startShared(): void {
    if (this.noWorker) return;
    const w = startWorker();
    if (!w) {
      this.noWorker = true;
      return;
    }
    this.worker = w;
    this.alive = true;
    w.on('message', (reply: ParseReply) => {
      const c = this.chunks[reply.id];
      if (!c || c.results) return;
      if (reply.results && reply.results.length === c.files.length) {
        c.results = reply.results;
        this.inWorker += c.files.length;
      } else {
        c.failed = true;
      }
      this.wake?.();
    });
    const dead = () => {
      this.alive = false;
      this.wake?.();
    };
    w.on('error', dead);
    w.on('messageerror', dead);
    w.on('exit', dead);
  }

  /** flush queues the pending files for reading, in full chunks (and the rest too when `all`). */
  private flush(all: boolean): void {
    while (this.pending.length >= CHUNK_FILES || (all && this.pending.length > 0)) {
      const files = this.pending.splice(0, CHUNK_FILES);
      this.reading = this.reading.then(() => this.read(files));
      // A failed read surfaces where finish() awaits it; until then it must not count as unhandled.
      this.reading.catch(() => undefined);
    }
  }

  private async read(files: TreeFile[]): Promise<void> {
    if (this.closed) return;
    const blobs = await this.source.readBlobBytes([...new Set(files.map((f) => f.oid))]);
    const c: Chunk = {
      files,
      texts: files.map((f) => ({ path: f.path, content: own(blobs.get(f.oid) ?? EMPTY) })),
      claim: new Int32Array(new SharedArrayBuffer(4)),
      failed: false,
    };
    this.chunks.push(c);
    if (this.alive) this.worker!.postMessage({ id: this.chunks.length - 1, files: c.texts, claim: c.claim } satisfies ParseRequest);
  }
}
