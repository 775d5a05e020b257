/**
 * A small isomorphic-git HTTP client on node:http/node:https, with an inactivity timeout.
 * (The stock `isomorphic-git/http/node` client has no timeout: a silent server would hang a pass.)
 */
import http from 'node:http';
import https from 'node:https';
import type { GitHttpResponse, HttpClient } from 'isomorphic-git';

export type { HttpClient };

/** makeHttpClient returns a client whose requests fail with ETIMEDOUT after `timeoutMs` without socket activity. */
export function makeHttpClient(timeoutMs: number): HttpClient {
  return {
    async request({ url, method = 'GET', headers = {}, body }) {
      let payload: Buffer | undefined;
      if (body) {
        const chunks: Uint8Array[] = [];
        for await (const c of body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>) chunks.push(c);
        payload = Buffer.concat(chunks);
      }
      const u = new URL(url);
      const mod = u.protocol === 'https:' ? https : http;
      const reqHeaders: Record<string, string | number> = { ...headers };
      if (payload) reqHeaders['content-length'] = payload.length;
      return new Promise<GitHttpResponse>((resolve, reject) => {
        const req = mod.request(u, { method, headers: reqHeaders, timeout: timeoutMs }, (res) => {
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({
            url,
            method,
            statusCode: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: flat,
            body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
          });
        });
        req.on('error', reject);
        req.on('timeout', () => {
          const err: NodeJS.ErrnoException = new Error(`no response within ${timeoutMs}ms`);
          err.code = 'ETIMEDOUT';
          req.destroy(err);
        });
        req.end(payload);
      });
    },
  };
}
