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
