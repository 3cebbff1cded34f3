import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { paddle } from '../../../lambdas/providers/paddle';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const BODY =
  '{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.completed","occurred_at":"2023-08-21T11:57:47.390028Z","notification_id":"ntf_01h8bzam1z32agrxjwhjgqk8w6","data":{}}';
const TS = 1_692_619_068;
const NOW = TS * 1000 + 2000;

const h1 = (secret: string, ts: number | string, body = BODY) =>
  createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');
const request = (header: string | string[] | undefined, body = BODY) =>
  rawRequest({ body, headers: header === undefined ? {} : { 'Paddle-Signature': header } });
const verify = (
  req: ReturnType<typeof request>,
  secrets = [SECRET],
  nowMs = NOW,
  toleranceSeconds?: number,
) => verifyWith(paddle, req, { secrets, nowMs, toleranceSeconds });

describe('paddle', () => {
  it('accepts ts:body HMAC-SHA256 hex, and any h1 during secret rotation', () => {
    assert.deepEqual(verify(request(`ts=${TS};h1=${h1(SECRET, TS)}`)), { ok: true });
    assert.deepEqual(verify(request(`ts=${TS};h1=${h1('old', TS)};h1=${h1(SECRET, TS)}`)), { ok: true });
    assert.deepEqual(verify(request(`ts=${TS};h1=${h1('old', TS)}`), [SECRET, 'old']), { ok: true });
    assert.deepEqual(verify(request(`h1=${h1(SECRET, TS)};ts=${TS};v2=future`)), { ok: true });
  });

  it('defaults to the SDK five-second window, both ways, and honours a source override', () => {
    const header = `ts=${TS};h1=${h1(SECRET, TS)}`;
    assert.equal(paddle.defaultToleranceSeconds, 5);
    assertRejected(verify(request(header), [SECRET], TS * 1000 + 6000), 'timestamp_too_old');
    assertRejected(verify(request(header), [SECRET], TS * 1000 - 6000), 'timestamp_in_future');
    assert.deepEqual(verify(request(header), [SECRET], TS * 1000 + 60_000, 120), { ok: true });
  });

  it('rejects tampered body, wrong secret, base64 encoding, and a signature over another timestamp', () => {
    const sig = h1(SECRET, TS);
    assertRejected(verify(request(`ts=${TS};h1=${sig}`, `${BODY}\n`)), 'signature_mismatch', [SECRET, sig]);
    assertRejected(verify(request(`ts=${TS};h1=${sig}`), ['other']), 'signature_mismatch');
    assertRejected(verify(request(`ts=${TS + 1};h1=${sig}`)), 'signature_mismatch');
    const b64 = Buffer.from(sig, 'hex').toString('base64');
    assertRejected(verify(request(`ts=${TS};h1=${b64}`)), 'malformed_signature');
  });

  it('rejects missing and garbled headers', () => {
    const sig = h1(SECRET, TS);
    assertRejected(verify(request(undefined)), 'missing_signature');
    assertRejected(verify(request(`h1=${sig}`)), 'missing_timestamp');
    assertRejected(verify(request(`ts=${TS}`)), 'unsupported_signature_version');
    assertRejected(verify(request(`ts=${TS};h1=${sig};ts=${TS}`)), 'duplicate_header');
    assertRejected(verify(request(`ts=${TS}h1=${sig}`)), 'unsupported_signature_version');
    assertRejected(verify(request(`ts=abc;h1=${sig}`)), 'malformed_timestamp');
    assertRejected(verify(request(`ts=${TS};h1=${sig.slice(2)}`)), 'malformed_signature');
    assertRejected(verify(request(`garbage`)), 'malformed_header');
    assertRejected(verify(request([`ts=${TS};h1=${sig}`, 'ts=1;h1=00'])), 'duplicate_header');
    assertRejected(verify(request(`ts=${TS};h1=${h1(SECRET, TS, '')}`, '')), 'empty_body');
  });

  it('extracts event_id, event_type and occurred_at', () => {
    const extraction = paddle.extract(request(undefined), {});
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['evt_01h8bzakzx3hm2fmen703n5q45', 'transaction.completed', '2023-08-21T11:57:47.390Z']],
    );
  });
});
