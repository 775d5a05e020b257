/** The render module's inputs and outputs: the tree reader it is given and the documents it returns. */
import type { KubeObject } from '../core/object.js';

/** TreeEntry is one entry of a directory listing: its base name and whether it is a file or a folder. */
export interface TreeEntry {
  name: string;
  type: 'file' | 'dir';
}

/**
 * TreeReader is the injected view of a file tree (a Git commit, a folder): paths are POSIX,
 * relative to the tree's root ('' or '.' is the root itself). The root is also the load
 * restrictor's boundary: nothing outside it is ever asked for.
 */
export interface TreeReader {
  /** readFile returns a file's bytes (or text); it rejects when the file does not exist. */
  readFile(path: string): Promise<Uint8Array | string> | Uint8Array | string;
  /** list returns a folder's entries, or null when the path is not a folder. */
  list(dir: string): Promise<TreeEntry[] | null> | TreeEntry[] | null;
  /**
   * stat, when given, names the version of one input of a build: `f:<path>` a file (its blob id),
   * `d:<path>` a folder's listing (its entries' names and types). With it and a RenderCache, a
   * sub-kustomization whose inputs all kept their version is not built again.
   */
  stat?(key: string): Promise<string | undefined>;
}

/** CachedBuild is one folder's build as a RenderCache keeps it: the version of every input it read, and its result (opaque to callers). */
export interface CachedBuild {
  reads: Map<string, string | undefined>;
  result: unknown;
  warnings: string[];
}

/** RenderCache keeps builds of folders between renders (by folder path); the caller owns it and keeps it per source. */
export type RenderCache = Map<string, CachedBuild>;

/** RenderOptions are a render's optional companions: a cache of folder builds, and where notes about skipped files go. */
export interface RenderOptions {
  cache?: RenderCache;
  /** onWarning hears of a file a generated kustomization skipped (it holds no Kubernetes object). */
  onWarning?: (message: string) => void;
  /** builds counts, when given, the folders actually built (cache misses), for tests and benchmarks. */
  stats?: { built: number; reused: number };
}

/** RenderOrigin is where a rendered object came from: the file and 1-based line of its document, and every kustomization file that changed or generated it, innermost first. */
export interface RenderOrigin {
  file: string;
  line: number;
  kustomizations: string[];
}

/** RenderedDocument is one object of a render, with its origin. */
export interface RenderedDocument {
  object: KubeObject;
  origin: RenderOrigin;
}
