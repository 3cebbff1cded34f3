import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { segment } from '../../../lambdas/providers/segment';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'segment-shared-secret';
const OLD_SECRET = 'segment-shared-secret-old';
const NOW = 1_750_000_000_000;
const TRACK = {
  type: 'track',
  event: 'Checkout Started',
  messageId: 'ajs-next-1a2b3c',
  userId: 'user_4711',
  timestamp: '2025-06-15T15:00:00.000Z',
};
const IDENTIFY = {
  type: 'identify',
  messageId: 'ajs-next-4d5e6f',
  traits: { email: 'ada@example.com' },
  timestamp: '2025-06-15T14:59:00.000Z',
};
const BODY = JSON.stringify(TRACK);

const sig = (secret: string, body: string | Buffer = BODY) =>
  createHmac('sha1', secret).update(body).digest('hex');
const request = (headers: Record<string, string | string[]>, body: string | Buffer = BODY) =>
  rawRequest({ headers, body });
const verify = (req: ReturnType<typeof request>, secrets = [SECRET]) =>
  verifyWith(segment, req, { secrets, nowMs: NOW });

describe('segment: verification', () => {
  it('accepts the hex HMAC-SHA1 of the raw body; rotation on the receiving side', () => {
    assert.equal(verify(request({ 'X-Signature': sig(SECRET) })).ok, true);
    assert.equal(verify(request({ 'X-Signature': sig(OLD_SECRET) }), [SECRET, OLD_SECRET]).ok, true);
  });

  it('rejects tampering, wrong secrets, SHA-256 MACs, base64 and non-hex', () => {
    assertRejected(verify(request({ 'X-Signature': sig(SECRET) }, `${BODY}\n`)), 'signature_mismatch');
    assertRejected(verify(request({ 'X-Signature': sig(OLD_SECRET) })), 'signature_mismatch', [
      SECRET,
      OLD_SECRET,
    ]);
    const sha256 = createHmac('sha256', SECRET).update(BODY).digest('hex');
    assertRejected(verify(request({ 'X-Signature': sha256 })), 'malformed_signature');
    const b64 = createHmac('sha1', SECRET).update(BODY).digest('base64');
    assertRejected(verify(request({ 'X-Signature': b64 })), 'malformed_signature');
    assertRejected(verify(request({ 'X-Signature': 'z'.repeat(40) })), 'malformed_signature');
  });

  it('missing, duplicated and empty inputs', () => {
    assertRejected(verify(request({})), 'missing_signature');
    assertRejected(verify(request({ 'X-Signature': [sig(SECRET), sig(OLD_SECRET)] })), 'duplicate_header');
    assertRejected(verify(request({ 'X-Signature': sig(SECRET, '') }, '')), 'empty_body');
    assertRejected(verify(request({ 'X-Signature': sig(SECRET) }), []), 'no_active_secret');
  });
});

describe('segment: extraction', () => {
  it('a single message: messageId, type and timestamp; the track name stays in the JSON', () => {
    const extraction = segment.extract(request({}), undefined);
    assert.ok(extraction.ok);
    const [event] = extraction.events;
    assert.deepEqual(
      [event?.providerEventId, event?.eventType, event?.occurredAt],
      ['ajs-next-1a2b3c', 'track', TRACK.timestamp],
    );
    assert.equal(JSON.parse(event?.raw.toString() ?? '{}').event, 'Checkout Started');
  });

  it('a batch splits into one event per message, each with its own id and bytes', () => {
    const extraction = segment.extract(
      request({}, JSON.stringify({ batch: [TRACK, IDENTIFY], sentAt: 'x' })),
      undefined,
    );
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType]),
      [
        ['ajs-next-1a2b3c', 'track'],
        ['ajs-next-4d5e6f', 'identify'],
      ],
    );
    assert.deepEqual(JSON.parse(extraction.events[1]?.raw.toString() ?? '{}'), IDENTIFY);
  });

  it('empty batches, non-object elements and non-JSON bodies are unusable', () => {
    for (const body of ['{"batch":[]}', '{"batch":[1,{"type":"track"}]}', '[]', 'text']) {
      assert.equal(segment.extract(request({}, body), undefined).ok, false, body);
    }
  });
});
