/** Reading manifest files from disk for `mflux apply -f` (the GitOps path reads from Git instead). */
import fs from 'node:fs';
import path from 'node:path';
import { MfluxError } from '../core/index.js';
import { MAX_FILE_BYTES, type ManifestFile } from '../manifests/index.js';

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
      // Bytes, not text: the parser refuses what is not UTF-8 instead of replacing it with U+FFFD,
      // and of a file over the limit only enough is read to tell the parser so.
      out.push({ path: path.relative(cwd, p) || p, content: st.size > MAX_FILE_BYTES ? readPrefix(p, MAX_FILE_BYTES + 1) : fs.readFileSync(p) });
    }
  };
  for (const p of paths) visit(path.resolve(cwd, p), true);
  return out;
}

function readPrefix(p: string, n: number): Uint8Array {
  const fd = fs.openSync(p, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}
