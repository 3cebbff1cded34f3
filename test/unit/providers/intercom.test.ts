import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { intercom } from '../../../lambdas/providers/intercom';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'intercom-client-secret';
const BODY =
  '{"type":"notification_event","id":"notif_ccd8a4d2-c2f1-4a2b-9d2a-8f1e2b3c4d5e","topic":"conversation.user.created","created_at":1700000000,"data":{}}';
const sig = (secret: string, body = BODY) => `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
const request = (header: string | undefined, body = BODY) =>
  rawRequest({ body, headers: header === undefined ? {} : { 'X-Hub-Signature': header } });
const verify = (req: ReturnType<typeof request>, secrets = [SECRET]) =>
  verifyWith(intercom, req, { secrets, nowMs: 0 });

describe('intercom', () => {
  it('accepts sha1=<hex HMAC-SHA1 of the body>, with any active secret', () => {
    assert.deepEqual(verify(request(sig(SECRET))), { ok: true });
    assert.deepEqual(verify(request(sig(SECRET)), ['rotated', SECRET]), { ok: true });
  });

  it('rejects tampered body, wrong secret, SHA-256, base64 and a missing prefix', () => {
    assertRejected(verify(request(sig(SECRET), `${BODY} `)), 'signature_mismatch', [SECRET]);
    assertRejected(verify(request(sig('other'))), 'signature_mismatch');
    assertRejected(
      verify(request(`sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`)),
      'unsupported_signature_version',
    );
    assertRejected(
      verify(request(`sha1=${createHmac('sha1', SECRET).update(BODY).digest('base64')}`)),
      'malformed_signature',
    );
    assertRejected(verify(request(sig(SECRET).slice(5))), 'unsupported_signature_version');
    assertRejected(verify(request(undefined)), 'missing_signature');
    assertRejected(verify(request(sig(SECRET, ''), '')), 'empty_body');
  });

  it('extracts id, topic and created_at', () => {
    const extraction = intercom.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        [
          'notif_ccd8a4d2-c2f1-4a2b-9d2a-8f1e2b3c4d5e',
          'conversation.user.created',
          '2023-11-14T22:13:20.000Z',
        ],
      ],
    );
  });
});
