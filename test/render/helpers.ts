/** Test helpers for render: a TreeReader over a folder on disk, and the golden cases. */
import fs from 'node:fs';
import path from 'node:path';
import type { TreeEntry, TreeReader } from '../../src/render/index.js';

export const FIXTURES = path.resolve(__dirname, 'fixtures');
export const GOLDEN = path.resolve(__dirname, 'golden');

/** dirReader reads a folder on disk as a source tree rooted at `root`. */
export function dirReader(root: string): TreeReader {
  return {
    readFile: (p) => fs.promises.readFile(path.join(root, p)),
    list: (d): TreeEntry[] | null => {
      try {
        return fs.readdirSync(path.join(root, d), { withFileTypes: true }).map((e) => ({ name: e.name, type: e.isDirectory() ? 'dir' : 'file' }));
      } catch {
        return null;
      }
    },
  };
}

/** memReader serves a tree held in memory (path → text). */
export function memReader(files: Record<string, string>): TreeReader {
  return {
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT ${p}`);
      return files[p]!;
    },
    list: (d) => {
      const prefix = d === '' ? '' : `${d}/`;
      const seen = new Map<string, 'file' | 'dir'>();
      for (const f of Object.keys(files)) {
        if (!f.startsWith(prefix)) continue;
        const rest = f.slice(prefix.length);
        const i = rest.indexOf('/');
        seen.set(i < 0 ? rest : rest.slice(0, i), i < 0 ? 'file' : 'dir');
      }
      return seen.size === 0 && d !== '' ? null : [...seen].map(([name, type]) => ({ name, type }));
    },
  };
}

/** CASES are the golden cases: the fixture folder (the reader's root) and the folder to build inside it. */
export const CASES: { name: string; build: string }[] = [
  { name: 'podinfo', build: 'overlays/prod' },
  { name: 'components', build: 'overlay' },
  { name: 'rbac-prefix', build: '' },
  { name: 'patches', build: '' },
  { name: 'replacements', build: '' },
  { name: 'transformers', build: '' },
  { name: 'flux-plain', build: '' },
];

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * fluxResources lists, as Flux's kustomize-controller generator does, the resources of a folder
 * without a kustomization: every .yaml/.yml file below it in lexical walk order, except that a
 * sub-folder holding a kustomization is listed itself and not entered.
 */
export function fluxResources(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (KUSTOMIZATION_FILES.some((k) => fs.existsSync(path.join(dir, p, k)))) out.push(`./${p}`);
      else out.push(...fluxResources(dir, p));
    } else if (/\.ya?ml$/.test(e.name)) out.push(`./${p}`);
  }
  return out;
}
