import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { mailchimpTransactional } from '../../../lambdas/providers/mailchimp-transactional';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const KEY = 'mandrill-webhook-key-abc123';
const URL = 'https://hooks.example.com/prod/webhooks/mandrill';
const EVENTS = JSON.stringify([
  { event: 'send', _id: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa', ts: 1700000000, msg: { email: 'a@example.com' } },
  { event: 'open', _id: 'exampleaaaaaaaaaaaaaaaaaaaaaaaaa', ts: 1700000100, msg: { email: 'a@example.com' } },
  { type: 'blacklist', action: 'add', reject: { email: 'b@example.com' } },
]);
const BODY = new URLSearchParams({ mandrill_events: EVENTS }).toString();

// Mandrill's documented algorithm: URL, then each POST field name + value, names sorted.
const sign = (key: string, url: string, fields: Record<string, string>) =>
  createHmac('sha1', key)
    .update(
      url +
        Object.keys(fields)
          .sort()
          .map((name) => name + fields[name])
          .join(''),
    )
    .digest('base64');
const request = (signature: string | undefined, body = BODY, url = URL) =>
  rawRequest({ url, body, headers: signature === undefined ? {} : { 'X-Mandrill-Signature': signature } });
const verify = (req: ReturnType<typeof request>, secrets = [KEY]) =>
  verifyWith(mailchimpTransactional, req, { secrets, nowMs: 0 });

describe('mailchimp transactional (mandrill)', () => {
  it('accepts HMAC-SHA1 base64 over URL + sorted fields, with any active key', () => {
    const sig = sign(KEY, URL, { mandrill_events: EVENTS });
    assert.deepEqual(verify(request(sig)), { ok: true });
    assert.deepEqual(verify(request(sig), ['rotated', KEY]), { ok: true });
    const fields = { zeta: '1', mandrill_events: EVENTS, alpha: 'x y' };
    assert.deepEqual(verify(request(sign(KEY, URL, fields), new URLSearchParams(fields).toString())), {
      ok: true,
    });
  });

  it('rejects another URL, tampered events, wrong key and encodings', () => {
    const sig = sign(KEY, URL, { mandrill_events: EVENTS });
    assertRejected(verify(request(sig, BODY, `${URL}/`)), 'signature_mismatch', [KEY, sig]);
    assertRejected(
      verify(request(sig, new URLSearchParams({ mandrill_events: `${EVENTS} ` }).toString())),
      'signature_mismatch',
    );
    assertRejected(verify(request(sig), ['other']), 'signature_mismatch');
    assertRejected(verify(request(Buffer.from(sig, 'base64').toString('hex'))), 'malformed_signature');
    assertRejected(
      verify(request(createHmac('sha256', KEY).update(URL).digest('base64'))),
      'malformed_signature',
    );
  });

  it('rejects missing signatures, repeated fields, non-UTF-8 and empty bodies', () => {
    const sig = sign(KEY, URL, { mandrill_events: EVENTS });
    assertRejected(verify(request(undefined)), 'missing_signature');
    assertRejected(verify(request(sig, `${BODY}&${BODY}`)), 'malformed_body');
    assertRejected(
      verify(request(sig, Buffer.from([0x61, 0x3d, 0xff]).toString('latin1'))),
      'signature_mismatch',
    );
    assertRejected(verify({ ...request(sig), body: Buffer.from([0x61, 0x3d, 0xff]) }), 'malformed_body');
    assertRejected(verify(request(sig, '')), 'empty_body');
  });

  it('extracts one event per element with _id:event:ts ids', () => {
    const extraction = mailchimpTransactional.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        ['exampleaaaaaaaaaaaaaaaaaaaaaaaaa:send:1700000000', 'send', '2023-11-14T22:13:20.000Z'],
        ['exampleaaaaaaaaaaaaaaaaaaaaaaaaa:open:1700000100', 'open', '2023-11-14T22:15:00.000Z'],
        [undefined, 'blacklist', undefined],
      ],
    );
    const empty = new URLSearchParams({ mandrill_events: '[]' }).toString();
    assert.equal(mailchimpTransactional.extract(request(undefined, empty), {}).ok, false);
  });
});
