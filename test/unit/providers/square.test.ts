import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { square } from '../../../lambdas/providers/square';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const KEY = 'sq0whsk-signature-key-example';
const URL = 'https://hooks.example.com/prod/webhooks/square';
const BODY =
  '{"merchant_id":"MLX","type":"payment.updated","event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc","created_at":"2024-01-02T03:04:05Z","data":{}}';
const NOW = Date.parse('2024-01-02T03:04:10Z');

const sign = (key: string, url: string, body: string) =>
  createHmac('sha256', key)
    .update(url + body)
    .digest('base64');
const request = (signature: string | string[] | undefined, body = BODY, url = URL) =>
  rawRequest({
    url,
    body,
    headers: signature === undefined ? {} : { 'x-square-hmacsha256-signature': signature },
  });
const verify = (req: ReturnType<typeof request>, secrets = [KEY]) =>
  verifyWith(square, req, { secrets, nowMs: NOW });

describe('square', () => {
  it('accepts HMAC-SHA256 over notification URL + body, with any active key', () => {
    assert.deepEqual(verify(request(sign(KEY, URL, BODY))), { ok: true });
    assert.deepEqual(verify(request(sign(KEY, URL, BODY)), ['new-key', KEY]), { ok: true });
  });

  it('rejects tampered body, another URL (stage or host), wrong key and encodings', () => {
    const sig = sign(KEY, URL, BODY);
    assertRejected(verify(request(sig, `${BODY} `)), 'signature_mismatch', [KEY, sig]);
    assertRejected(
      verify(request(sig, BODY, 'https://hooks.example.com/webhooks/square')),
      'signature_mismatch',
    );
    assertRejected(verify(request(sig), ['other']), 'signature_mismatch');
    assertRejected(
      verify(request(createHmac('sha256', KEY).update(BODY).digest('base64'))),
      'signature_mismatch',
    );
    assertRejected(verify(request(Buffer.from(sig, 'base64').toString('hex'))), 'malformed_signature');
    assertRejected(
      verify(
        request(
          createHmac('sha1', KEY)
            .update(URL + BODY)
            .digest('base64'),
        ),
      ),
      'malformed_signature',
    );
  });

  it('rejects missing, duplicated signatures and empty bodies', () => {
    assertRejected(verify(request(undefined)), 'missing_signature');
    assertRejected(verify(request([sign(KEY, URL, BODY), sign('x', URL, BODY)])), 'duplicate_header');
    assertRejected(verify(request(sign(KEY, URL, ''), '')), 'empty_body');
    assertRejected(verify(request(sign(KEY, URL, BODY)), []), 'no_active_secret');
  });

  it('extracts event_id, type and created_at', () => {
    const extraction = square.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['6a8f5f28-54a1-4eb0-a98a-3111513fd4fc', 'payment.updated', '2024-01-02T03:04:05.000Z']],
    );
  });
});
