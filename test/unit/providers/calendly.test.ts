import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { calendly } from '../../../lambdas/providers/calendly';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const KEY = 'calendly-webhook-signing-key';
const T = 1_700_000_000;
const NOW = T * 1000 + 30_000;
const BODY =
  '{"created_at":"2023-11-14T22:13:19.000000Z","created_by":"https://api.calendly.com/users/AAA","event":"invitee.created","payload":{"uri":"https://api.calendly.com/scheduled_events/EV1/invitees/INV1"}}';
const v1 = (key: string, t: number | string = T, body = BODY) =>
  createHmac('sha256', key).update(`${t}.${body}`).digest('hex');
const request = (header: string | undefined, body = BODY) =>
  rawRequest({ body, headers: header === undefined ? {} : { 'Calendly-Webhook-Signature': header } });
const verify = (req: ReturnType<typeof request>, secrets = [KEY], nowMs = NOW) =>
  verifyWith(calendly, req, { secrets, nowMs });

describe('calendly', () => {
  it('accepts t=..,v1=.. over t.body, any v1 and any active key', () => {
    assert.deepEqual(verify(request(`t=${T},v1=${v1(KEY)}`)), { ok: true });
    assert.deepEqual(verify(request(`t=${T},v1=${v1('old')},v1=${v1(KEY)}`)), { ok: true });
    assert.deepEqual(verify(request(`t=${T},v1=${v1('old')}`), [KEY, 'old']), { ok: true });
  });

  it('applies the 180 s default window both ways', () => {
    assert.equal(calendly.defaultToleranceSeconds, 180);
    assertRejected(verify(request(`t=${T},v1=${v1(KEY)}`), [KEY], T * 1000 + 181_000), 'timestamp_too_old');
    assertRejected(verify(request(`t=${T},v1=${v1(KEY)}`), [KEY], T * 1000 - 181_000), 'timestamp_in_future');
  });

  it('rejects tampering, wrong keys, encodings and garbled headers', () => {
    assertRejected(verify(request(`t=${T},v1=${v1(KEY)}`, `${BODY} `)), 'signature_mismatch', [KEY, v1(KEY)]);
    assertRejected(verify(request(`t=${T},v1=${v1(KEY)}`), ['other']), 'signature_mismatch');
    assertRejected(verify(request(`t=${T + 1},v1=${v1(KEY)}`)), 'signature_mismatch');
    const b64 = Buffer.from(v1(KEY), 'hex').toString('base64');
    assertRejected(verify(request(`t=${T},v1=${b64}`)), 'malformed_signature');
    assertRejected(verify(request(`v1=${v1(KEY)}`)), 'missing_timestamp');
    assertRejected(verify(request(`t=${T}`)), 'unsupported_signature_version');
    assertRejected(verify(request(`t=${T},t=${T},v1=${v1(KEY)}`)), 'duplicate_header');
    assertRejected(verify(request(`t=now,v1=${v1(KEY, 'now')}`)), 'malformed_timestamp');
    assertRejected(verify(request('nonsense')), 'malformed_header');
    assertRejected(verify(request(undefined)), 'missing_signature');
  });

  it('derives a stable id from event and payload.uri', () => {
    const extraction = calendly.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        [
          'invitee.created:https://api.calendly.com/scheduled_events/EV1/invitees/INV1',
          'invitee.created',
          '2023-11-14T22:13:19.000Z',
        ],
      ],
    );
  });
});
