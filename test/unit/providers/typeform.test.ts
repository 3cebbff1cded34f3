import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { typeform } from '../../../lambdas/providers/typeform';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'typeform-webhook-secret';
const BODY =
  '{"event_id":"01HF0Z1Y3A4B5C6D7E8F9G0H1J","event_type":"form_response","form_response":{"form_id":"lT4Z3j","token":"a3a12ec67a1365927098a606107fac15","submitted_at":"2023-11-14T22:13:20Z"}}';
const sig = (secret: string, body = BODY) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('base64')}`;
const request = (header: string | undefined, body = BODY) =>
  rawRequest({ body, headers: header === undefined ? {} : { 'Typeform-Signature': header } });
const verify = (req: ReturnType<typeof request>, secrets = [SECRET]) =>
  verifyWith(typeform, req, { secrets, nowMs: 0 });

describe('typeform', () => {
  it('accepts sha256=<base64 HMAC-SHA256 of the body>, with any active secret', () => {
    assert.deepEqual(verify(request(sig(SECRET))), { ok: true });
    assert.deepEqual(verify(request(sig(SECRET)), ['rotated', SECRET]), { ok: true });
  });

  it('rejects hex encoding, tampering, wrong secret and other prefixes', () => {
    const hex = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
    assertRejected(verify(request(hex)), 'malformed_signature');
    assertRejected(verify(request(sig(SECRET), `${BODY} `)), 'signature_mismatch', [SECRET]);
    assertRejected(verify(request(sig('other'))), 'signature_mismatch');
    assertRejected(verify(request(sig(SECRET).replace('sha256=', 'sha1='))), 'unsupported_signature_version');
    assertRejected(verify(request(sig(SECRET).replace('sha256=', ''))), 'unsupported_signature_version');
    assertRejected(verify(request(undefined)), 'missing_signature');
    assertRejected(verify(request(sig(SECRET, ''), '')), 'empty_body');
  });

  it('extracts event_id, event_type and submitted_at', () => {
    const extraction = typeform.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['01HF0Z1Y3A4B5C6D7E8F9G0H1J', 'form_response', '2023-11-14T22:13:20.000Z']],
    );
  });
});
