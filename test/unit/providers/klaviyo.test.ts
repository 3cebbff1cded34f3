import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { klaviyo } from '../../../lambdas/providers/klaviyo';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'klaviyo-webhook-secret';
const OLD_SECRET = 'klaviyo-webhook-secret-old';
const NOW = 1_750_000_000_000;
/** The header as Klaviyo sends it: an HTTP-date, here five hours off (as reported for live deliveries). */
const TS = new Date(NOW + 5 * 3600_000).toUTCString();
/** `meta.timestamp` in the format live deliveries carry (microseconds, `+00:00`). */
const SENT = '2025-06-15T15:06:40.101159+00:00';

function bodyWith(meta: Record<string, unknown>): string {
  return JSON.stringify({
    data: [
      {
        topic: 'event:klaviyo.opened_email',
        external_id: 'ext-1',
        id: 'id-1',
        timestamp: '2025-06-15T15:00:00Z',
      },
      { type: 'event', id: 'id-2', attributes: { datetime: '2025-06-15T15:01:00+00:00' } },
    ],
    meta: { klaviyo_account_id: 'AbC123', klaviyo_webhook_id: 'wh-1', ...meta },
  });
}
const BODY = bodyWith({ timestamp: SENT });

const sig = (secret: string, ts: string = TS, body: string | Buffer = BODY) =>
  createHmac('sha256', secret).update(body).update(ts).digest('hex');

function request(h: { sig?: string | string[]; ts?: string }, body: string | Buffer = BODY) {
  const headers: Record<string, string | string[]> = { 'Klaviyo-Webhook-Id': 'wh-1' };
  if (h.sig !== '') headers['Klaviyo-Signature'] = h.sig ?? sig(SECRET, h.ts ?? TS, body);
  if (h.ts !== '') headers['Klaviyo-Timestamp'] = h.ts ?? TS;
  return rawRequest({ headers, body });
}

const verify = (req: ReturnType<typeof request>, secrets = [SECRET], nowMs = NOW) =>
  verifyWith(klaviyo, req, { secrets, nowMs });

describe('klaviyo: verification', () => {
  it('NOW and SENT agree (the test clock)', () => {
    assert.equal(Date.parse(SENT) - NOW, 101);
  });

  it('accepts the documented format: HTTP-date Klaviyo-Timestamp, signed as received and appended; rotation', () => {
    assert.match(TS, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.equal(verify(request({})).ok, true);
    assert.equal(verify(request({ sig: sig(OLD_SECRET) }), [SECRET, OLD_SECRET]).ok, true);
    // The header is hours off real time: it is never read as a clock, only signed.
    assert.equal(verify(request({ ts: 'Thu, 04 Jan 2024 18:05:25 GMT' })).ok, true);
  });

  it('rejects the timestamp prefixed instead of appended, tampering and wrong secrets', () => {
    const prefixed = createHmac('sha256', SECRET).update(TS).update(BODY).digest('hex');
    assertRejected(verify(request({ sig: prefixed })), 'signature_mismatch');
    const bodyOnly = createHmac('sha256', SECRET).update(BODY).digest('hex');
    assertRejected(verify(request({ sig: bodyOnly })), 'signature_mismatch');
    assertRejected(verify(request({ sig: sig(SECRET) }, `${BODY} `)), 'signature_mismatch');
    assertRejected(verify(request({}), [OLD_SECRET]), 'signature_mismatch', [SECRET, OLD_SECRET]);
    // The header text is signed as received: another spelling of the same instant does not verify.
    const other = new Date(NOW + 5 * 3600_000).toISOString();
    assertRejected(verify(request({ sig: sig(SECRET), ts: other })), 'signature_mismatch');
    // A newer meta.timestamp cannot be swapped into a captured body.
    const fresher = bodyWith({ timestamp: '2025-06-15T15:10:00+00:00' });
    assertRejected(verify(request({ sig: sig(SECRET) }, fresher)), 'signature_mismatch');
  });

  it('rejects base64 and wrong-length signatures', () => {
    const b64 = createHmac('sha256', SECRET).update(BODY).update(TS).digest('base64');
    assertRejected(verify(request({ sig: b64 })), 'malformed_signature');
    assertRejected(verify(request({ sig: sig(SECRET).slice(2) })), 'malformed_signature');
  });

  it('replay window ±300 s on the signed meta.timestamp, whatever the header says', () => {
    const sentAt = (timestamp: unknown) => request({}, bodyWith({ timestamp }));
    assert.equal(verify(sentAt('2025-06-15T15:06:40Z'), [SECRET], NOW + 299_000).ok, true);
    assertRejected(verify(sentAt(SENT), [SECRET], NOW + 301_000), 'timestamp_too_old');
    assertRejected(verify(sentAt(SENT), [SECRET], NOW - 301_000), 'timestamp_in_future');
    // A stale delivery stays stale even with a "fresh" header.
    const stale = bodyWith({ timestamp: '2025-06-15T14:00:00+00:00' });
    const freshHeader = new Date(NOW).toUTCString();
    assertRejected(verify(request({ ts: freshHeader }, stale)), 'timestamp_too_old');
    // Zones, no zone (UTC) and epoch numbers in seconds or milliseconds.
    assert.equal(verify(sentAt('2025-06-15T17:06:40.1+02:00')).ok, true);
    assert.equal(verify(sentAt('2025-06-15T15:06:40')).ok, true);
    assert.equal(verify(sentAt(NOW / 1000)).ok, true);
    assert.equal(verify(sentAt(String(NOW))).ok, true);
    for (const bad of [
      'yesterday',
      '1.5e9',
      '2025-06-15',
      '2025-02-30T15:06:40Z',
      '2025-13-01T15:06:40Z',
      '2025-06-15T15:60:40Z',
      true,
      {},
    ]) {
      assertRejected(verify(sentAt(bad)), 'malformed_timestamp');
    }
    assertRejected(verify(request({}, bodyWith({}))), 'missing_timestamp');
    assertRejected(verify(request({}, bodyWith({ timestamp: '' }))), 'missing_timestamp');
    assertRejected(verify(request({}, 'not json')), 'malformed_body');
  });

  it('missing, duplicated and empty inputs', () => {
    assertRejected(verify(request({ sig: '' })), 'missing_signature');
    assertRejected(verify(request({ ts: '' })), 'missing_timestamp');
    assertRejected(verify(request({ sig: [sig(SECRET), sig(OLD_SECRET)] })), 'duplicate_header');
    assertRejected(verify(request({ sig: sig(SECRET, TS, '') }, '')), 'empty_body');
    assertRejected(verify(request({}), []), 'no_active_secret');
  });
});

describe('klaviyo: extraction', () => {
  it('one event per data[] element: external_id (fallback id), topic (fallback type), time', () => {
    const extraction = klaviyo.extract(request({}), undefined);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        ['ext-1', 'event:klaviyo.opened_email', '2025-06-15T15:00:00.000Z'],
        ['id-2', 'event', '2025-06-15T15:01:00.000Z'],
      ],
    );
  });

  it('reads the time from a Get Event payload and refuses a webhook id that differs from the signed one', () => {
    const body = JSON.stringify({
      data: [
        {
          topic: 'event:klaviyo.email_delivered',
          external_id: 'ext-9',
          payload: { data: { type: 'event', attributes: { datetime: '2025-06-15T15:02:00+00:00' } } },
        },
      ],
      meta: { klaviyo_webhook_id: 'wh-1' },
    });
    const extraction = klaviyo.extract(request({}, body), undefined);
    assert.ok(extraction.ok);
    assert.equal(extraction.events[0]?.occurredAt, '2025-06-15T15:02:00.000Z');
    const spoofed = rawRequest({ headers: { 'Klaviyo-Webhook-Id': 'wh-2' }, body });
    assert.equal(klaviyo.extract(spoofed, undefined).ok, false);
  });

  it('bodies without a usable data[] are unusable', () => {
    for (const body of ['{}', '{"data":[]}', '{"data":[null]}', 'x']) {
      assert.equal(klaviyo.extract(request({}, body), undefined).ok, false, body);
    }
  });
});
