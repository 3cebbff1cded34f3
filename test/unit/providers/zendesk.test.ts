import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { zendesk } from '../../../lambdas/providers/zendesk';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

// Zendesk's signing secrets look like base64; Zendesk uses the text itself as the key.
const SECRET = 'dGhpc19zZWNyZXRfbG9va3NfbGlrZV9iYXNlNjQ=';
const TS = '2024-03-05T10:20:30Z';
const NOW = Date.parse(TS) + 10_000;
const BODY =
  '{"type":"zen:event-type:ticket.created","account_id":1,"id":"cbe4028c-7239-495d-b020-f22348516046","time":"2024-03-05T10:20:29Z","subject":"zen:ticket:1","detail":{}}';

const sign = (key: string | Buffer, ts = TS, body = BODY) =>
  createHmac('sha256', key)
    .update(ts + body)
    .digest('base64');
function request(signature: string | undefined, ts: string | null = TS, body = BODY) {
  const headers: Record<string, string> = {};
  if (signature !== undefined) headers['X-Zendesk-Webhook-Signature'] = signature;
  if (ts !== null) headers['X-Zendesk-Webhook-Signature-Timestamp'] = ts;
  return rawRequest({ body, headers });
}
const verify = (req: ReturnType<typeof request>, secrets = [SECRET], nowMs = NOW) =>
  verifyWith(zendesk, req, { secrets, nowMs });

describe('zendesk', () => {
  it('accepts HMAC-SHA256 base64 over timestamp + body with the secret used verbatim', () => {
    assert.deepEqual(verify(request(sign(SECRET))), { ok: true });
    assert.deepEqual(verify(request(sign(SECRET)), ['rotated', SECRET]), { ok: true });
  });

  it('rejects the base64-decoded key (wrong derivation), tampering and wrong secrets', () => {
    assertRejected(verify(request(sign(Buffer.from(SECRET, 'base64')))), 'signature_mismatch', [SECRET]);
    assertRejected(verify(request(sign(SECRET), TS, `${BODY} `)), 'signature_mismatch');
    assertRejected(verify(request(sign(SECRET)), ['other']), 'signature_mismatch');
    assertRejected(
      verify(request(createHmac('sha256', SECRET).update(BODY).digest('base64'))),
      'signature_mismatch',
    );
    assertRejected(
      verify(
        request(
          createHmac('sha256', SECRET)
            .update(TS + BODY)
            .digest('hex'),
        ),
      ),
      'malformed_signature',
    );
  });

  it('parses the ISO timestamp and enforces the window both ways', () => {
    assertRejected(verify(request(sign(SECRET)), [SECRET], Date.parse(TS) + 301_000), 'timestamp_too_old');
    assertRejected(verify(request(sign(SECRET)), [SECRET], Date.parse(TS) - 301_000), 'timestamp_in_future');
    const epoch = String(Date.parse(TS) / 1000);
    assertRejected(verify(request(sign(SECRET, epoch), epoch)), 'malformed_timestamp');
    assertRejected(verify(request(sign(SECRET, 'yesterday'), 'yesterday')), 'malformed_timestamp');
    const offset = '2024-03-05T11:20:30+01:00';
    assert.deepEqual(verify(request(sign(SECRET, offset), offset)), { ok: true });
  });

  it('rejects missing headers and empty bodies', () => {
    assertRejected(verify(request(undefined)), 'missing_signature');
    assertRejected(verify(request(sign(SECRET), null)), 'missing_timestamp');
    assertRejected(verify(request(sign(SECRET, TS, ''), TS, '')), 'empty_body');
  });

  it('extracts event-subscription id, type and time; trigger bodies have no id', () => {
    const extraction = zendesk.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['cbe4028c-7239-495d-b020-f22348516046', 'zen:event-type:ticket.created', '2024-03-05T10:20:29.000Z']],
    );
    const trigger = zendesk.extract(request(undefined, TS, '{"ticket_id":"42","status":"open"}'), {});
    assert.ok(trigger.ok);
    assert.equal(trigger.events[0]?.providerEventId, undefined);
  });
});
