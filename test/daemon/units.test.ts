/** The daemon's pure parts: backoff, jitter, webhook verification, the status page's escaping. */
import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { backoffDelay, jittered, verifyWebhook } from '../../src/daemon/index.js';
import { statusPage } from '../../src/daemon/page.js';

describe('backoff and jitter', () => {
  test('1 s doubling per consecutive failure, capped at the interval', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, 60_000))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 1500))).toEqual([1000, 1500, 1500]);
  });
  test('±10%: random 0 → 90%, 0.5 → unchanged, 1 → 110%', () => {
    expect(jittered(60_000, () => 0)).toBe(54_000);
    expect(jittered(60_000, () => 0.5)).toBe(60_000);
    expect(jittered(60_000, () => 1)).toBe(66_000);
  });
});

describe('verifyWebhook', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const sig = (b: Buffer, s: string) => `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;
  test('a GitHub signature of the exact body, or the bearer secret, is ok', () => {
    expect(verifyWebhook({ 'x-hub-signature-256': sig(body, 's3cret') }, body, 's3cret')).toBe('ok');
    expect(verifyWebhook({ authorization: 'Bearer s3cret' }, body, 's3cret')).toBe('ok');
  });
  test('a signature of another body, with another secret, malformed, or a wrong token is wrong', () => {
    expect(verifyWebhook({ 'x-hub-signature-256': sig(Buffer.from('{}'), 's3cret') }, body, 's3cret')).toBe('wrong');
    expect(verifyWebhook({ 'x-hub-signature-256': sig(body, 'other') }, body, 's3cret')).toBe('wrong');
    expect(verifyWebhook({ 'x-hub-signature-256': 'sha1=abc' }, body, 's3cret')).toBe('wrong');
    expect(verifyWebhook({ authorization: 'Bearer s3cre' }, body, 's3cret')).toBe('wrong');
    expect(verifyWebhook({ authorization: 'Basic czNjcmV0' }, body, 's3cret')).toBe('wrong');
  });
  test('no credentials at all is missing', () => {
    expect(verifyWebhook({}, body, 's3cret')).toBe('missing');
  });
});

describe('status page', () => {
  test('escapes what comes from Git (subjects, reasons) and refreshes itself', () => {
    const html = statusPage({
      ready: false,
      time: '2026-11-25T00:00:00Z',
      sources: [
        {
          name: 'app',
          url: '/repo',
          ref: 'main',
          path: '',
          interval: '60s',
          lastAttemptedRevision: 'main@sha1:abc',
          lastAppliedRevision: null,
          outcome: 'Invalid',
          reason: 'x',
          reasons: [{ code: 'YAMLSyntax', object: 'a.yaml', message: 'a.yaml:1:1: <script>alert(1)</script>' }],
          running: false,
          nextRunAt: '2026-11-25T00:01:00Z',
          nextTrigger: 'interval',
          failures: 0,
          retryInMs: null,
          waiting: null,
          lastRunAt: null,
          lastDurationMs: null,
          deployments: [],
          workloads: [{ object: 'Job/default/<b>', state: 'Current', message: 'job "<b>" completed: 1/1 pods succeeded' }],
          services: [
            { object: 'Service/default/front', state: 'Serving', ready: 3, endpoints: 5 },
            { object: 'Service/default/db', state: 'Unmanaged', ready: 0, endpoints: 0 },
          ],
        },
      ],
    });
    expect(html).toContain('<meta http-equiv="refresh" content="5">');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('not ready');
    // Workloads other than Deployments are listed with their health, escaped like everything else.
    expect(html).toContain('<li class="Current">Job/default/&#60;b&#62;: job &#34;&#60;b&#62;&#34; completed: 1/1 pods succeeded</li>');
    // Services show their serving capacity.
    expect(html).toContain('<li class="Serving">Service/default/front: 3/5 endpoints ready</li>');
    expect(html).toContain('<li class="Unmanaged">Service/default/db: Unmanaged</li>');
  });
});
