/**
 * Reading trees at a commit: path resolution with in-repository symlinks, the manifest listing
 * and the tree diff. Parsed trees are memoised by object id (trees are immutable), so a listing
 * at a new commit only reads the trees that changed.
 */
import git, { type PromiseFsClient } from 'isomorphic-git';
import { MfluxError } from '../core/errors.js';
import { DEFAULT_RULES, SOURCEIGNORE, type IgnoreRule, isIgnored, parseIgnore } from './ignore.js';
import type { NativeObjects } from './pack.js';
import type { DirEntry, TreeFile } from './types.js';

/** GitContext is what every isomorphic-git call needs: the fs client, the git directory and the shared object cache. */
export interface GitContext {
  fs: PromiseFsClient;
  gitdir: string;
  cache: object;
}

type NodeType = 'tree' | 'blob' | 'commit';

/** Entry is one tree entry. */
interface Entry {
  name: string;
  mode: string;
  oid: string;
  type: NodeType;
}

interface Tree {
  list: Entry[];
  byName: Map<string, Entry>;
}

interface Resolved {
  /** segs is the real path (no symlinks) from the repository root. */
  segs: string[];
  node: { type: NodeType; oid: string; mode: string };
}

const MODE_TREE = '040000';
const MODE_LINK = '120000';
const MODE_GITLINK = '160000';
const MAX_LINK_HOPS = 40;
const MEMO_LIMIT = 50_000;

/** isManifestName tells whether a file name is read as manifests (.yaml, .yml, .json). */
export function isManifestName(name: string): boolean {
  return /\.(ya?ml|json)$/i.test(name);
}

/** KUSTOMIZATION_NAME is the one kustomization file name without a manifest extension: listed too, so a change to it is seen. */
const KUSTOMIZATION_NAME = 'Kustomization';

/** isListedName tells whether a file is part of the listing: a manifest, or a kustomization named `Kustomization`. */
export function isListedName(name: string): boolean {
  return isManifestName(name) || name === KUSTOMIZATION_NAME;
}

/** normalizeRepoPath turns a --path value into posix segments below the root ('' and '.' are the root). */
export function normalizeRepoPath(p: string, subject: string): string[] {
  const raw = p.replace(/\\/g, '/');
  if (raw.startsWith('/')) {
    throw new MfluxError('PathEscape', `path ${p} must be relative to the repository root`, { subject, details: { path: p } });
  }
  const segs: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!segs.length) throw new MfluxError('PathEscape', `path ${p} leads outside the repository`, { subject, details: { path: p } });
      segs.pop();
    } else segs.push(part);
  }
  return segs;
}

const TYPE_OF_MODE: Record<string, NodeType> = { '040000': 'tree', '100644': 'blob', '100755': 'blob', '120000': 'blob', '160000': 'commit' };

/**
 * parseTree reads a tree object's entries as isomorphic-git's readTree returns them — modes
 * normalised (`40000` is `040000`), sorted by name — for the common case only: ASCII names
 * (where code-point order is `<`), known modes, well formed. Anything else (a name git would
 * refuse, like `.git` or `..`, included) is undefined, and isomorphic-git reads or refuses it.
 */
export function parseTree(buf: Buffer): Entry[] | undefined {
  const out: Entry[] = [];
  let cursor = 0;
  while (cursor < buf.length) {
    const space = buf.indexOf(0x20, cursor);
    const nul = buf.indexOf(0, cursor);
    if (space < 0 || nul < 0 || nul < space || nul + 21 > buf.length) return undefined;
    for (let i = space + 1; i < nul; i++) if (buf[i]! >= 0x80) return undefined;
    let mode = buf.toString('latin1', cursor, space);
    if (mode === '40000') mode = '040000';
    const type = TYPE_OF_MODE[mode];
    const name = buf.toString('latin1', space + 1, nul);
    if (!type || !safeName(name)) return undefined;
    out.push({ name, mode, oid: buf.toString('hex', nul + 1, nul + 21), type });
    cursor = nul + 21;
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** safeName is isomorphic-git's (and git's verify_path) test of an ASCII tree entry name: no separators, `.`, `..`, `.git` or its NTFS aliases. */
function safeName(name: string): boolean {
  if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') return false;
  const normalized = name.split(':')[0]!.toLowerCase().replace(/[. ]+$/, '');
  return normalized !== '.git' && !/^\.?git~[1-9]$/.test(normalized);
}

/** TreeReader answers tree questions for one repository. */
export class TreeReader {
  private trees = new Map<string, Promise<Tree>>();
  private links = new Map<string, Promise<string>>();
  private linkFree = new Map<string, Promise<boolean>>();
  private ignores = new Map<string, Promise<IgnoreRule[]>>();

  constructor(
    private readonly ctx: GitContext,
    private readonly subject: string,
    /** native reads tree objects with Node's zlib; whatever it cannot (or parseTree will not) read, isomorphic-git does. */
    private readonly native?: NativeObjects,
  ) {}

  /** entries reads (once) the entries of a tree. */
  entries(oid: string): Promise<Tree> {
    let p = this.trees.get(oid);
    if (!p) {
      if (this.trees.size > MEMO_LIMIT) this.trees.clear();
      p = this.readEntries(oid).then(
        (list) => ({ list, byName: new Map(list.map((e) => [e.name, e])) }),
        (err: { code?: string; data?: { filepath?: string } }) => {
          // isomorphic-git refuses trees holding `.git`, `..` or names with slashes, as git's fsck does.
          if (err?.code === 'UnsafeFilepathError') {
            throw new MfluxError('PathEscape', `tree ${oid.slice(0, 7)} holds an unsafe entry ${JSON.stringify(err.data?.filepath ?? '')}`, {
              subject: this.subject,
              details: { tree: oid, path: err.data?.filepath },
            });
          }
          throw err;
        },
      );
      p.catch(() => this.trees.delete(oid));
      this.trees.set(oid, p);
    }
    return p;
  }

  private async readEntries(oid: string): Promise<Entry[]> {
    const raw = await this.native?.readAs(oid, 'tree');
    const fast = raw && parseTree(raw);
    if (fast) return fast;
    const { tree } = await git.readTree({ ...this.ctx, oid });
    return tree.map((e) => ({ name: e.path, mode: e.mode, oid: e.oid, type: e.type as NodeType }));
  }

  private linkTarget(oid: string): Promise<string> {
    let p = this.links.get(oid);
    if (!p) {
      if (this.links.size > MEMO_LIMIT) this.links.clear();
      p = git.readBlob({ ...this.ctx, oid }).then(({ blob }) => Buffer.from(blob).toString('utf8'));
      p.catch(() => this.links.delete(oid));
      this.links.set(oid, p);
    }
    return p;
  }

  private escape(link: string, target: string): MfluxError {
    return new MfluxError('PathEscape', `symlink ${link} -> ${target} leads outside the repository`, {
      subject: this.subject,
      details: { path: link, target },
    });
  }

  /**
   * resolve walks `target` from the real directory `base` of the tree `root`, following symlinks
   * component by component like a filesystem would. Returns undefined when something on the way
   * is missing or not a directory; throws PathEscape when it climbs above the root or a link is
   * absolute. `link` names the symlink (or path option) being resolved, for messages.
   */
  async resolve(root: string, base: string[], target: string, link: string): Promise<Resolved | undefined> {
    if (target.startsWith('/')) throw this.escape(link, target);
    const stack: Resolved['node'][] = [{ type: 'tree', oid: root, mode: MODE_TREE }];
    const segs: string[] = [];
    const queue = [...base, ...target.split('/')];
    let hops = 0;
    while (queue.length) {
      const part = queue.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (!segs.length) throw this.escape(link, target);
        segs.pop();
        stack.pop();
        continue;
      }
      const dir = stack[stack.length - 1]!;
      if (dir.type !== 'tree') return undefined;
      const entry = (await this.entries(dir.oid)).byName.get(part);
      if (!entry) return undefined;
      if (entry.mode === MODE_LINK) {
        if (++hops > MAX_LINK_HOPS) {
          throw new MfluxError('Invalid', `symlink ${link} -> ${target}: too many levels of symbolic links`, { subject: this.subject, details: { path: link, target } });
        }
        const next = await this.linkTarget(entry.oid);
        if (next.startsWith('/')) throw this.escape(link, target);
        queue.unshift(...next.split('/'));
        continue;
      }
      segs.push(part);
      stack.push({ type: entry.type, oid: entry.oid, mode: entry.mode });
    }
    return { segs, node: stack[stack.length - 1]! };
  }

  /** locate finds the directory at `path` (posix segments) in `root`; undefined when it does not exist. */
  async locate(root: string, path: string[]): Promise<Resolved | undefined> {
    if (!path.length) return { segs: [], node: { type: 'tree', oid: root, mode: MODE_TREE } };
    const r = await this.resolve(root, [], path.join('/'), path.join('/'));
    return r && r.node.type === 'tree' ? r : undefined;
  }

  /**
   * list returns every manifest file under `path` of `root`, sorted by path. `onFile`, when given,
   * hears of each file as the walk finds it (in tree order, before the listing is complete).
   */
  async list(root: string, path: string[], commit: string, onFile?: (f: TreeFile) => void): Promise<TreeFile[]> {
    const start = await this.locate(root, path);
    if (!start) {
      throw new MfluxError('NotFound', `path ${path.join('/')} is not a directory at commit ${commit.slice(0, 7)}`, {
        subject: this.subject,
        details: { path: path.join('/'), commit },
      });
    }
    const out: TreeFile[] = [];
    if (await this.hiddenDir(root, path)) return out;
    const rules = await this.rulesAt(root, path.slice(0, -1));
    await this.walk(root, start.node.oid, path.join('/'), start.segs, new Set(), out, onFile, rules);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async walk(root: string, tree: string, display: string, real: string[], chain: Set<string>, out: TreeFile[], onFile: ((f: TreeFile) => void) | undefined, inherited: IgnoreRule[]): Promise<void> {
    chain.add(tree);
    const t = await this.entries(tree);
    const rules = await this.withOwnIgnore(t, display, inherited);
    for (const e of t.list) {
      if (e.name === '.git') continue;
      const p = display ? `${display}/${e.name}` : e.name;
      if (isIgnored(rules, p, e.mode === MODE_TREE)) continue;
      if (e.mode === MODE_TREE) {
        await this.walk(root, e.oid, p, [...real, e.name], chain, out, onFile, rules);
      } else if (e.mode === MODE_GITLINK) {
        continue;
      } else if (e.mode === MODE_LINK) {
        const target = await this.linkTarget(e.oid);
        const r = await this.resolve(root, real, target, p);
        if (!r) {
          if (isListedName(e.name)) {
            throw new MfluxError('NotFound', `symlink ${p} -> ${target} points to nothing`, { subject: this.subject, details: { path: p, target } });
          }
          continue;
        }
        if (r.node.type === 'tree') {
          if (!chain.has(r.node.oid)) await this.walk(root, r.node.oid, p, r.segs, chain, out, onFile, rules);
        } else if (r.node.type === 'blob' && isListedName(e.name)) {
          const f = { path: p, oid: r.node.oid };
          out.push(f);
          onFile?.(f);
        }
      } else if (isListedName(e.name)) {
        const f = { path: p, oid: e.oid };
        out.push(f);
        onFile?.(f);
      }
    }
    chain.delete(tree);
  }

  /** withOwnIgnore adds a folder's own .sourceignore (patterns relative to it) to what it inherits. */
  private async withOwnIgnore(t: Tree, display: string, inherited: IgnoreRule[]): Promise<IgnoreRule[]> {
    const own = t.byName.get(SOURCEIGNORE);
    if (!own || own.type !== 'blob') return inherited;
    return [...inherited, ...parseIgnore(await this.linkTarget(own.oid), display)];
  }

  /** ignoreBlob is the blob id of the .sourceignore in a folder (undefined when it has none). */
  private async ignoreBlob(root: string, segs: string[]): Promise<string | undefined> {
    const d = await this.locate(root, segs);
    return d ? (await this.entries(d.node.oid)).byName.get(SOURCEIGNORE)?.oid : undefined;
  }

  /** rulesAt is every ignore rule in force inside the folder `segs`: Flux's defaults, then each .sourceignore from the root down. */
  rulesAt(root: string, segs: string[]): Promise<IgnoreRule[]> {
    const key = `${root}:${segs.join('/')}`;
    let p = this.ignores.get(key);
    if (!p) {
      if (this.ignores.size > MEMO_LIMIT) this.ignores.clear();
      p = (async () => {
        const inherited = segs.length === 0 ? DEFAULT_RULES : await this.rulesAt(root, segs.slice(0, -1));
        const d = await this.locate(root, segs);
        return d ? this.withOwnIgnore(await this.entries(d.node.oid), segs.join('/'), inherited) : inherited;
      })();
      p.catch(() => this.ignores.delete(key));
      this.ignores.set(key, p);
    }
    return p;
  }

  /** hiddenDir tells whether a folder, or one of the folders above it, is excluded by an ignore rule. */
  private async hiddenDir(root: string, segs: string[]): Promise<boolean> {
    for (let i = 1; i <= segs.length; i++) {
      if (isIgnored(await this.rulesAt(root, segs.slice(0, i - 1)), segs.slice(0, i).join('/'), true)) return true;
    }
    return false;
  }

  /**
   * dir lists one folder at `segs` (following symlinks, PathEscape for escaping ones): each entry's
   * name, whether it is a file or a folder and its object id. Ignored entries are left out; null
   * when the folder does not exist, is not a folder, or is ignored.
   */
  async dir(root: string, segs: string[]): Promise<DirEntry[] | null> {
    const d = await this.locate(root, segs);
    if (!d || (await this.hiddenDir(root, segs))) return null;
    const display = segs.join('/');
    const rules = await this.rulesAt(root, segs);
    const out: DirEntry[] = [];
    for (const e of (await this.entries(d.node.oid)).list) {
      if (e.name === '.git' || e.mode === MODE_GITLINK) continue;
      const p = display ? `${display}/${e.name}` : e.name;
      let node: { type: NodeType; oid: string } = e;
      if (e.mode === MODE_LINK) {
        const r = await this.resolve(root, d.segs, await this.linkTarget(e.oid), p);
        if (!r) continue;
        node = r.node;
      }
      const type = node.type === 'tree' ? 'dir' : node.type === 'blob' ? 'file' : undefined;
      if (!type || isIgnored(rules, p, type === 'dir')) continue;
      out.push({ name: e.name, type, oid: node.oid });
    }
    return out;
  }

  /** hasLinks tells whether a tree contains a symlink anywhere below it (memoised by tree id). */
  private async hasLinks(tree: string): Promise<boolean> {
    let p = this.linkFree.get(tree);
    if (!p) {
      if (this.linkFree.size > MEMO_LIMIT) this.linkFree.clear();
      p = (async () => {
        const { list } = await this.entries(tree);
        if (list.some((e) => e.mode === MODE_LINK && e.name !== '.git')) return true;
        for (const e of list) if (e.mode === MODE_TREE && e.name !== '.git' && (await this.hasLinks(e.oid))) return true;
        return false;
      })();
      p.catch(() => this.linkFree.delete(tree));
      this.linkFree.set(tree, p);
    }
    return p;
  }

  /**
   * changed lists the manifest paths under `path` that differ between two root trees. Equal
   * subtrees are skipped. When either side has symlinks under the path (a link's target can
   * change outside the diffed subtree), the two resolved listings are compared instead.
   */
  async changed(rootA: string, rootB: string, path: string[], commits: [string, string]): Promise<string[]> {
    const a = await this.locate(rootA, path);
    const b = await this.locate(rootB, path);
    const display = path.join('/');
    if ((a && (await this.hasLinks(a.node.oid))) || (b && (await this.hasLinks(b.node.oid)))) {
      const la = a ? await this.list(rootA, path, commits[0]) : [];
      const lb = b ? await this.list(rootB, path, commits[1]) : [];
      const before = new Map(la.map((f) => [f.path, f.oid]));
      const out = new Set<string>();
      for (const f of lb) if (before.get(f.path) !== f.oid) out.add(f.path);
      const after = new Set(lb.map((f) => f.path));
      for (const f of la) if (!after.has(f.path)) out.add(f.path);
      return [...out].sort();
    }
    const out: string[] = [];
    // A .sourceignore above the path changes what is listed below it.
    for (let i = 0; i < path.length; i++) {
      const at = path.slice(0, i);
      const [ia, ib] = [await this.ignoreBlob(rootA, at), await this.ignoreBlob(rootB, at)];
      if (ia !== ib) out.push([...at, SOURCEIGNORE].join('/'));
    }
    await this.diffTrees(a?.node.oid, b?.node.oid, display, out);
    return out.sort();
  }

  private async diffTrees(a: string | undefined, b: string | undefined, display: string, out: string[]): Promise<void> {
    if (a === b) return;
    const ta = a ? await this.entries(a) : undefined;
    const tb = b ? await this.entries(b) : undefined;
    const names = new Set([...(ta?.byName.keys() ?? []), ...(tb?.byName.keys() ?? [])]);
    for (const name of [...names].sort()) {
      if (name === '.git') continue;
      const x = ta?.byName.get(name);
      const y = tb?.byName.get(name);
      if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
      const p = display ? `${display}/${name}` : name;
      const subA = x?.mode === MODE_TREE ? x.oid : undefined;
      const subB = y?.mode === MODE_TREE ? y.oid : undefined;
      if (subA || subB) await this.diffTrees(subA, subB, p, out);
      const listed = isListedName(name) || name === SOURCEIGNORE;
      const blobA = x && x.type === 'blob' && listed ? x.oid : undefined;
      const blobB = y && y.type === 'blob' && listed ? y.oid : undefined;
      if ((blobA || blobB) && blobA !== blobB) out.push(p);
    }
  }
}
