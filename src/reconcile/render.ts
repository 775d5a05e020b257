/**
 * The render stage: the desired objects at a commit, from the files under --path. A folder that
 * holds a kustomization (kustomization.yaml/.yml/Kustomization), or has one anywhere below it, is
 * built with the native kustomize engine (render/) reading the commit's tree, with Flux's rule for
 * a folder without one. A plain folder of manifests keeps the per-blob path (read.ts: only changed
 * blobs are read, parsed in a worker when many), which is what large plain repositories need.
 *
 * Incremental: the engine keeps each folder's build with the version of every file and folder it
 * read (SourceMemo.render); a folder none of whose inputs changed is not built again.
 */
import { createHash } from 'node:crypto';
import { MfluxError } from '../core/index.js';
import type { ParsedObject } from '../manifests/index.js';
import { KUSTOMIZATION_FILE_NAMES, type RenderCache, type TreeEntry, type TreeReader, renderKustomization } from '../render/index.js';
import type { DirEntry, GitSource } from '../source/index.js';
import type { SourceMemo } from './memo.js';
import { type DesiredState, type ReadDesiredOptions, readDesired } from './read.js';

/** RenderedState is the desired state as the pass uses it: objects and issues, how each object is keyed for the memo, and whether it was rendered. */
export interface RenderedState extends DesiredState {
  /** rendered is true when a kustomization built the objects. */
  rendered: boolean;
  /** oidOf names the version of an object's source: its blob for a plain file, a hash of the rendered object otherwise. */
  oidOf: (p: ParsedObject) => string;
  /** validKey is what SourceMemo.valid remembers an object under (its file, or its rendered content). */
  validKey: (p: ParsedObject) => string;
  /** files counts the files listed (plain) or read by the build (rendered). */
  files: number;
}

/** RENDER_CODES are the errors of a render that mean the commit itself is bad (Invalid), not that reading failed. */
export const RENDER_CODES = new Set(['KustomizeError', 'KustomizeUnsupported', 'PathEscape', 'YAMLSyntax', 'InvalidManifest', 'InvalidEncoding', 'ManifestTooLarge', 'ManifestTooDeep', 'YAMLAliasLimit', 'RequestTooLarge']);

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** GitTree is the render engine's view of one commit: folders listed and files read through the GitSource (ignore rules applied there). */
export class GitTree implements TreeReader {
  private readonly dirs = new Map<string, Promise<DirEntry[] | null>>();
  /** read counts the files read. */
  read = 0;

  constructor(
    private readonly source: GitSource,
    private readonly commit: string,
  ) {}

  private entries(dir: string): Promise<DirEntry[] | null> {
    const key = dir === '.' ? '' : dir;
    let p = this.dirs.get(key);
    if (!p) {
      p = this.source.listDir(this.commit, key);
      this.dirs.set(key, p);
    }
    return p;
  }

  async list(dir: string): Promise<TreeEntry[] | null> {
    const e = await this.entries(dir);
    return e && e.map((x) => ({ name: x.name, type: x.type }));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const e = (await this.entries(dirname(path)))?.find((x) => x.name === basename(path) && x.type === 'file');
    if (!e) throw new MfluxError('KustomizeError', 'no such file in the source', { subject: path });
    this.read++;
    return (await this.source.readBlobBytes([e.oid])).get(e.oid)!;
  }

  async stat(key: string): Promise<string | undefined> {
    const path = key.slice(2);
    if (key.startsWith('d:')) {
      const e = await this.entries(path);
      return e ? e.map((x) => `${x.type[0]}${x.name}`).join('/') : undefined;
    }
    return (await this.entries(dirname(path)))?.find((x) => x.name === basename(path))?.oid;
  }
}

/** hasKustomization tells whether a folder listing holds a kustomization file. */
function hasKustomization(entries: { name: string; type: string }[] | null): boolean {
  return Boolean(entries?.some((e) => e.type === 'file' && KUSTOMIZATION_FILE_NAMES.includes(e.name)));
}

/** memoCache is the source's render cache (created on first use). */
function memoCache(memo: SourceMemo): RenderCache {
  memo.render ??= new Map();
  return memo.render;
}

/**
 * renderDesired reads the desired objects at a commit: rendered when --path holds a kustomization
 * or has one below it, read file by file otherwise. A render error (a bad kustomization, a missing
 * file, a refused field) throws an MfluxError whose subject is file:line.
 */
export async function renderDesired(source: GitSource, commit: string, memo: SourceMemo, opts: ReadDesiredOptions & { keepBuilds?: boolean } = {}): Promise<RenderedState> {
  const top = await source.listDir(commit, source.path);
  if (!hasKustomization(top)) {
    const plain = await readDesired(source, commit, memo, opts);
    // A kustomization below, or a Helm chart (which the engine refuses whole), takes the engine's path.
    const nested = (memo.listing ?? []).some((f) => KUSTOMIZATION_FILE_NAMES.includes(basename(f.path)) || basename(f.path) === 'Chart.yaml');
    if (!nested) {
      const oidOf = (p: ParsedObject) => memo.files.get(p.origin.file)?.oid ?? '';
      // Legal (nothing to apply), but almost always a wrong --path or a format mflux does not render (jsonnet).
      const warnings = memo.listing?.length ? plain.warnings : [...plain.warnings, `${source.path || '.'}: no Kubernetes manifests (.yaml/.yml/.json) found below it; nothing to apply`];
      return { ...plain, warnings, rendered: false, oidOf, validKey: (p) => p.origin.file, files: memo.listing?.length ?? 0 };
    }
  }
  return render(source, commit, memo, opts.keepBuilds ?? true);
}

async function render(source: GitSource, commit: string, memo: SourceMemo, keepBuilds: boolean): Promise<RenderedState> {
  const tree = new GitTree(source, commit);
  const warnings: string[] = [];
  const docs = await renderKustomization(tree, source.path, { cache: keepBuilds ? memoCache(memo) : undefined, onWarning: (w) => warnings.push(w) });
  const hashes = new WeakMap<ParsedObject, string>();
  const oidOf = (p: ParsedObject) => {
    let h = hashes.get(p);
    if (h === undefined) {
      h = createHash('sha1').update(JSON.stringify(p.object)).digest('hex');
      hashes.set(p, h);
    }
    return h;
  };
  const objects: ParsedObject[] = docs.map((d) => ({ object: d.object, origin: d.origin.kustomizations.length ? { file: d.origin.file, line: d.origin.line, kustomizations: d.origin.kustomizations } : { file: d.origin.file, line: d.origin.line } }));
  // Validation is remembered by rendered content: the same base file renders differently in each overlay.
  const current = new Set(objects.map((p) => `r:${oidOf(p)}`));
  for (const k of memo.valid) if (k.startsWith('r:') && !current.has(k)) memo.valid.delete(k);
  memo.commit = commit;
  // The file listing belongs to the per-blob path: a later plain read must list afresh, not diff from it.
  memo.listing = undefined;
  return { objects, issues: [], warnings, reread: tree.read, rendered: true, oidOf, validKey: (p) => `r:${oidOf(p)}`, files: tree.read };
}
