/**
 * A caching `fs` for isomorphic-git.
 *
 * isomorphic-git reads every object the same way: probe the loose file `objects/xx/yyyy…`
 * (usually missing in a packed repository, so a failed open per object), then list
 * `objects/pack` to find the indexes. For thousands of blobs those filesystem round trips are
 * most of the time. This wrapper answers them from memory for the duration of a read session:
 * listings of `objects/`, `objects/pack` and the `objects/xx` fan-out directories are cached, a
 * loose probe for an object not in its fan-out listing (or whose fan-out directory is not in
 * `objects/`) fails at once without touching the disk, and
 * directory stats (isomorphic-git stats the git directory on every call) are remembered.
 * (Pack and index contents are kept by isomorphic-git's own `cache` object, which the source
 * passes to every call.)
 *
 * The cache is dropped on any write through this fs (a fetch adds packs and refs) and whenever
 * the owner calls `reset()` (the source does at the start of every resolve, so objects written
 * by another process between passes are seen).
 */
import nodeFs from 'node:fs';
import type { PromiseFsClient } from 'isomorphic-git';

/** SourceFs is the filesystem a Git source reads and writes through (node:fs in production; injectable for tests). */
export type SourceFs = typeof nodeFs;

const LOOSE_OBJECT = /[\\/]objects[\\/]([0-9a-f]{2})[\\/]([0-9a-f]{38})$/;
const CACHED_DIR = /[\\/]objects[\\/](?:pack|[0-9a-f]{2})$/;

/** ENOENT is the shared "no such file" answer for cached negative lookups (cheap: no stack capture per miss). */
const ENOENT: NodeJS.ErrnoException = Object.assign(new Error('ENOENT: no such file or directory (cached)'), { code: 'ENOENT' });

/** CacheFsStats counts what reached the real filesystem and what was answered from memory. */
export interface CacheFsStats {
  realCalls: number;
  cachedAnswers: number;
}

type Listing = Promise<{ names: string[]; set: Set<string> } | NodeJS.ErrnoException>;

/** CachingFs is an isomorphic-git `fs` client (it exposes `promises`) backed by an injected fs (node:fs by default). */
export class CachingFs {
  readonly stats: CacheFsStats = { realCalls: 0, cachedAnswers: 0 };
  readonly promises: PromiseFsClient['promises'] & Record<string, (...args: any[]) => Promise<any>>;
  private listings = new Map<string, Listing>();
  private dirStats = new Map<string, Promise<nodeFs.Stats>>();
  private readonly enabled: boolean;

  private readonly real: typeof nodeFs.promises;

  constructor(opts: { enabled?: boolean; fs?: SourceFs } = {}) {
    this.enabled = opts.enabled ?? true;
    const real = (opts.fs ?? nodeFs).promises;
    this.real = real;
    const count = <T>(p: Promise<T>): Promise<T> => {
      this.stats.realCalls++;
      return p;
    };
    const writing =
      (fn: (...args: any[]) => Promise<any>) =>
      async (...args: any[]): Promise<any> => {
        this.reset();
        try {
          return await count(fn(...args));
        } finally {
          this.reset();
        }
      };
    this.promises = {
      readFile: async (file: string, options?: any) => {
        // isomorphic-git probes `readFile()` without arguments to detect a promise fs.
        if (typeof file !== 'string') return Promise.reject(ENOENT);
        if (this.enabled && (await this.knownMissing(file))) {
          this.stats.cachedAnswers++;
          throw ENOENT;
        }
        return count(real.readFile(file, options));
      },
      readdir: async (dir: string, options?: any) => {
        if (this.enabled && options === undefined && CACHED_DIR.test(dir)) {
          const listing = await this.listing(dir);
          if (listing instanceof Error) throw listing;
          return [...listing.names];
        }
        return count(real.readdir(dir, options));
      },
      stat: async (file: string, options?: any) => {
        if (!this.enabled) return count(real.stat(file, options));
        if (await this.knownMissing(file)) {
          this.stats.cachedAnswers++;
          throw ENOENT;
        }
        // isomorphic-git checks that the git directory exists on every call: remember directories.
        const known = this.dirStats.get(file);
        if (known) {
          this.stats.cachedAnswers++;
          return known;
        }
        const p = count(real.stat(file, options));
        if (options === undefined) {
          const remembered = p.then((st) => {
            if (!st.isDirectory()) this.dirStats.delete(file);
            return st;
          });
          remembered.catch(() => this.dirStats.delete(file));
          this.dirStats.set(file, remembered);
        }
        return p;
      },
      lstat: async (file: string, options?: any) => {
        if (this.enabled && (await this.knownMissing(file))) {
          this.stats.cachedAnswers++;
          throw ENOENT;
        }
        return count(real.lstat(file, options));
      },
      readlink: (file: string, options?: any) => count(real.readlink(file, options)),
      writeFile: writing(real.writeFile),
      mkdir: writing(real.mkdir),
      rmdir: writing(real.rmdir),
      rm: writing(real.rm),
      unlink: writing(real.unlink),
      symlink: writing(real.symlink),
      rename: writing(real.rename),
    };
  }

  /** reset forgets every cached listing (call before reading objects another process may have written). */
  reset(): void {
    this.listings.clear();
    this.dirStats.clear();
  }

  private listing(dir: string): Listing {
    let p = this.listings.get(dir);
    if (!p) {
      this.stats.realCalls++;
      p = this.real.readdir(dir).then(
        (names) => ({ names, set: new Set(names) }),
        (err: NodeJS.ErrnoException) => err,
      );
      this.listings.set(dir, p);
    } else {
      this.stats.cachedAnswers++;
    }
    return p;
  }

  /** knownMissing is true when `file` is a loose object whose fan-out directory listing lacks it. */
  private async knownMissing(file: string): Promise<boolean> {
    const m = LOOSE_OBJECT.exec(file);
    if (!m) return false;
    // One listing of objects/ answers for all 256 fan-out directories (a packed repository has none).
    const objects = await this.listing(file.slice(0, file.length - 42));
    if (!(objects instanceof Error) && !objects.set.has(m[1]!)) return true;
    const dir = file.slice(0, file.length - 39);
    const listing = await this.listing(dir);
    if (listing instanceof Error) return listing.code === 'ENOENT';
    return !listing.set.has(m[2]!);
  }
}
