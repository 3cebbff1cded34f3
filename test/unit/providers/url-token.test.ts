import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { urlToken } from '../../../lambdas/providers/url-token';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const TOKEN = 'tok_4f9c2b7e1d8a6035';
const BASE = 'https://hooks.example.com/prod/webhooks/mailchimp';
const request = (url: string, headers: Record<string, string | string[]> = {}) =>
  rawRequest({ url, headers, body: 'type=subscribe&data%5Bid%5D=1' });
const verify = (req: ReturnType<typeof request>, secrets = [TOKEN], options = {}) =>
  verifyWith(urlToken, req, { secrets, nowMs: 0, options });

describe('url-token', () => {
  it('accepts the token in the query string, any active token', () => {
    assert.deepEqual(verify(request(`${BASE}?token=${TOKEN}`)), { ok: true });
    assert.deepEqual(verify(request(`${BASE}?a=1&token=${TOKEN}`), ['tok_previous_00000000', TOKEN]), {
      ok: true,
    });
    assert.deepEqual(verify(request(`${BASE}?key=${TOKEN}`), [TOKEN], { param: 'key' }), { ok: true });
    assert.deepEqual(
      verify(request(BASE, { 'X-Webhook-Token': TOKEN }), [TOKEN], { header: 'X-Webhook-Token' }),
      {
        ok: true,
      },
    );
  });

  it('rejects wrong, missing and repeated tokens without echoing them', () => {
    assertRejected(verify(request(`${BASE}?token=${TOKEN}x`)), 'unauthorized', [TOKEN]);
    assertRejected(verify(request(`${BASE}?token=${TOKEN.toUpperCase()}`)), 'unauthorized');
    assertRejected(verify(request(BASE)), 'missing_signature');
    assertRejected(verify(request(`${BASE}?token=`)), 'missing_signature');
    assertRejected(verify(request(`${BASE}?token=${TOKEN}&token=${TOKEN}`)), 'duplicate_header');
    assertRejected(
      verify(request(`${BASE}?token=${TOKEN}`), [TOKEN], { header: 'X-Webhook-Token' }),
      'missing_signature',
    );
    assertRejected(verify(request('not a url')), 'malformed_header');
  });

  it('refuses short tokens as configuration errors', () => {
    assertRejected(verify(request(`${BASE}?token=short`), ['short']), 'invalid_secret_config');
    assertRejected(verify(request(`${BASE}?token=${TOKEN}`), []), 'no_active_secret');
  });

  it('validates options and extracts by configured paths', () => {
    assert.deepEqual(urlToken.validateOptions?.({ param: 'key', typePath: 'type' }), []);
    assert.equal(urlToken.validateOptions?.({ param: '' }).length, 1);
    const extraction = urlToken.extract(request(BASE), { idPaths: ['data[id]', 'type'], typePath: 'type' });
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType]),
      [['1:subscribe', 'subscribe']],
    );
  });
});
