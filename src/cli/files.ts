/** Reading manifest files from disk for `mflux apply -f` (the GitOps path reads from Git instead). */
import fs from 'node:fs';
import path from 'node:path';
import { MfluxError } from '../core/index.js';
import type { ManifestFile } from '../manifests/index.js';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** readManifestPaths reads files and directories (recursively, skipping dot-entries) into manifest files named relative to cwd. */
export function readManifestPaths(paths: string[], cwd = process.cwd()): ManifestFile[] {
  const out: ManifestFile[] = [];
  const visit = (p: string, explicit: boolean) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new MfluxError('Usage', `the path "${path.relative(cwd, p) || p}" does not exist`);
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        visit(path.join(p, name), false);
      }
    } else if (explicit || MANIFEST_EXT.test(p)) {
      out.push({ path: path.relative(cwd, p) || p, content: fs.readFileSync(p, 'utf8') });
    }
  };
  for (const p of paths) visit(path.resolve(cwd, p), true);
  return out;
}
