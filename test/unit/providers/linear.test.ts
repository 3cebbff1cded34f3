import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { linear } from '../../../lambdas/providers/linear';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'lin_wh_signing_secret_example';
const NOW = 1_700_000_000_000;
const body = (webhookTimestamp: unknown = NOW - 5000) =>
  JSON.stringify({
    action: 'create',
    type: 'Issue',
    createdAt: '2023-11-14T22:13:15.000Z',
    data: { id: 'issue-1' },
    webhookId: 'wh-1',
    webhookTimestamp,
  });
const sign = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
function request(text: string, signature: string | null = sign(SECRET, text), delivery?: string) {
  const headers: Record<string, string> = {};
  if (signature !== null) headers['Linear-Signature'] = signature;
  if (delivery) headers['Linear-Delivery'] = delivery;
  return rawRequest({ body: text, headers });
}
const verify = (req: ReturnType<typeof request>, secrets = [SECRET], nowMs = NOW) =>
  verifyWith(linear, req, { secrets, nowMs });

describe('linear', () => {
  it('accepts hex HMAC-SHA256 of the body with a fresh webhookTimestamp', () => {
    assert.deepEqual(verify(request(body())), { ok: true });
    assert.deepEqual(verify(request(body()), ['rotated', SECRET]), { ok: true });
  });

  it('applies the 60 s window to the signed body timestamp (milliseconds)', () => {
    assertRejected(verify(request(body(NOW - 61_000))), 'timestamp_too_old');
    assertRejected(verify(request(body(NOW + 61_000))), 'timestamp_in_future');
    assertRejected(verify(request(body(Math.floor(NOW / 1000)))), 'timestamp_too_old');
    assertRejected(verify(request(body('soon'))), 'malformed_timestamp');
    // Linear sends a JSON number, and @linear/sdk accepts nothing else.
    assertRejected(verify(request(body(String(NOW - 5000)))), 'malformed_timestamp');
    assertRejected(verify(request(body(null))), 'malformed_timestamp');
    assertRejected(verify(request(JSON.stringify({ type: 'Issue' }))), 'missing_timestamp');
  });

  it('rejects tampering, wrong secret, base64 and missing signatures before reading the body', () => {
    const text = body();
    assertRejected(verify(request(`${text} `, sign(SECRET, text))), 'signature_mismatch', [SECRET]);
    assertRejected(verify(request(text), ['other']), 'signature_mismatch');
    assertRejected(
      verify(request(text, createHmac('sha256', SECRET).update(text).digest('base64'))),
      'malformed_signature',
    );
    assertRejected(verify(request(text, null)), 'missing_signature');
    assertRejected(verify(request('', sign(SECRET, ''))), 'empty_body');
  });

  it('rejects a signed body that starts with a UTF-8 byte order mark, as the SDK does', () => {
    const bom = `\uFEFF${body()}`;
    assertRejected(verify(request(bom)), 'malformed_body');
    assert.deepEqual(verify(request(body().replace('"issue-1"', '"\uFEFFissue-1"'))), { ok: true });
    // The signature is checked first: an unsigned BOM body is a mismatch, not a malformed body.
    assertRejected(verify(request(bom, sign(SECRET, body()))), 'signature_mismatch');
  });

  it('id from the signed body without its per-attempt webhookTimestamp, never the unsigned Linear-Delivery', () => {
    const idOf = (text: string, delivery?: string) => {
      const extraction = linear.extract(request(text, undefined, delivery), {});
      assert.ok(extraction.ok);
      return extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]);
    };
    const [[id, type, occurredAt] = []] = idOf(body(), 'delivery-123');
    assert.match(String(id), /^linear-body:[0-9a-f]{64}$/);
    assert.deepEqual([type, occurredAt], ['Issue.create', '2023-11-14T22:13:15.000Z']);
    // A replay with a fresh Linear-Delivery, and Linear's own retry (re-signed with a new
    // webhookTimestamp), are the same event.
    assert.equal(idOf(body(), 'fresh-delivery')[0]?.[0], id);
    assert.equal(idOf(body(NOW + 60_000), 'retry')[0]?.[0], id);
    // Key order on the wire does not matter; a different action is a different event.
    const reordered = JSON.stringify({ ...JSON.parse(body()), action: undefined, type: undefined });
    assert.notEqual(idOf(reordered)[0]?.[0], id);
    assert.notEqual(idOf(body().replace('"create"', '"update"'))[0]?.[0], id);
  });
});
