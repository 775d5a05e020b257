/**
 * parse-worker runs in a worker thread for readDesired (read.ts): it parses chunks of manifest
 * files with the same parseManifestFile the main thread uses and posts the results back (a
 * structured clone keeps NaN, -0, `__proto__` keys and shared YAML aliases as they are). It
 * imports nothing but the parser, so it starts quickly.
 */
import { parentPort } from 'node:worker_threads';
import { type ManifestFile, type ManifestIssue, type ParsedObject, parseManifestFile } from '../manifests/parse.js';

/** ParseRequest is one chunk of files to parse. */
export interface ParseRequest {
  id: number;
  files: ManifestFile[];
  /** claim is shared with the main thread: whoever turns it from 0 first parses the chunk (the worker sets 1). */
  claim: Int32Array;
}

/** ParseReply answers a ParseRequest: one result per file, in order — or an error, and the main thread parses that chunk itself. */
export interface ParseReply {
  id: number;
  results?: { objects: ParsedObject[]; issues: ManifestIssue[]; notes: string[] }[];
  error?: string;
}

const port = parentPort;
if (port) {
  port.on('message', (req: ParseRequest) => {
    // The main thread parses what it claims itself, once it has read everything: skip those.
    if (Atomics.compareExchange(req.claim, 0, 0, 1) !== 0) return;
    let reply: ParseReply;
    try {
      const results = req.files.map((f) => {
        const issues: ManifestIssue[] = [];
        const notes: string[] = [];
        const objects = parseManifestFile(f, issues, notes);
        return { objects, issues, notes };
      });
      reply = { id: req.id, results };
    } catch (err) {
      reply = { id: req.id, error: String((err as Error)?.message ?? err) };
    }
    try {
      port.postMessage(reply);
    } catch (err) {
      // A value that cannot be cloned: the main thread parses this chunk itself.
      port.postMessage({ id: req.id, error: String((err as Error)?.message ?? err) } satisfies ParseReply);
    }
  });
}
