/** Webhook authentication: GitHub's X-Hub-Signature-256 (HMAC-SHA256 of the body) or a bearer token. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** MAX_WEBHOOK_BODY is the largest body accepted (1 MiB); larger ones get 413 unread. */
export const MAX_WEBHOOK_BODY = 1024 * 1024;

/** WebhookVerdict: ok, no credentials sent, or wrong ones. */
export type WebhookVerdict = 'ok' | 'missing' | 'wrong';

/**
 * verifyWebhook checks a request against the shared secret: `X-Hub-Signature-256: sha256=<hex>`
 * must be the HMAC-SHA256 of the exact body bytes, or `Authorization: Bearer <secret>` must carry
 * the secret itself. Comparisons take constant time so the secret cannot be guessed byte by byte.
 */
export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string): WebhookVerdict {
  const sig = header(headers, 'x-hub-signature-256');
  const auth = header(headers, 'authorization');
  if (sig === undefined && auth === undefined) return 'missing';
  if (sig !== undefined) {
    const m = /^sha256=([0-9a-f]{64})$/i.exec(sig.trim());
    if (!m) return 'wrong';
    const want = createHmac('sha256', secret).update(body).digest();
    return timingSafeEqual(Buffer.from(m[1]!, 'hex'), want) ? 'ok' : 'wrong';
  }
  const b = /^Bearer\s+(.+)$/i.exec(auth!.trim());
  if (!b) return 'wrong';
  return sameSecret(b[1]!, secret) ? 'ok' : 'wrong';
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** sameSecret compares in constant time (hashing first, so different lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHmac('sha256', 'mflux-webhook').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
