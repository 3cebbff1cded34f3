import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { shopify } from '../../../lambdas/providers/shopify';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'shpss_0123456789abcdef0123456789abcdef';
const OLD_SECRET = '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';
const BODY = '{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00","line_items":[]}';
const NOW = 1_750_000_000_000;

const mac = (secret: string, body: string | Buffer = BODY) =>
  createHmac('sha256', secret).update(body).digest('base64');

function request(headers: Record<string, string | string[]>, body: string | Buffer = BODY) {
  return rawRequest({ headers, body });
}

const verify = (req: ReturnType<typeof request>, secrets = [SECRET]) =>
  verifyWith(shopify, req, { secrets, nowMs: NOW });

describe('shopify: verification', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body, under either header spelling', () => {
    // No official vector is published (Shopify's own libraries test with computed MACs); the SDK is not
    // a devDependency, so the docs' recipe (base64 HMAC-SHA256 of the raw bytes, secret as UTF-8) is the oracle.
    assert.equal(verify(request({ 'X-Shopify-Hmac-Sha256': mac(SECRET) })).ok, true);
    assert.equal(verify(request({ 'shopify-hmac-sha256': mac(SECRET) })).ok, true);
  });

  it('rotation: either active secret verifies', () => {
    assert.equal(
      verify(request({ 'X-Shopify-Hmac-Sha256': mac(OLD_SECRET) }), [SECRET, OLD_SECRET]).ok,
      true,
    );
    assertRejected(verify(request({ 'X-Shopify-Hmac-Sha256': mac(OLD_SECRET) })), 'signature_mismatch', [
      SECRET,
      OLD_SECRET,
    ]);
  });

  it('rejects tampering, hex where base64 is expected, and malformed base64', () => {
    assertRejected(
      verify(request({ 'X-Shopify-Hmac-Sha256': mac(SECRET) }, `${BODY} `)),
      'signature_mismatch',
    );
    const hex = createHmac('sha256', SECRET).update(BODY).digest('hex');
    assertRejected(verify(request({ 'X-Shopify-Hmac-Sha256': hex })), 'malformed_signature');
    assertRejected(
      verify(request({ 'X-Shopify-Hmac-Sha256': mac(SECRET).replace(/=$/, '') })),
      'malformed_signature',
    );
    assertRejected(verify(request({ 'X-Shopify-Hmac-Sha256': '***' })), 'malformed_signature');
    assertRejected(
      verify(request({ 'X-Shopify-Hmac-Sha256': Buffer.alloc(20).toString('base64') })),
      'malformed_signature',
    );
  });

  it('missing, duplicated and empty inputs; non-UTF-8 bodies verify as bytes', () => {
    assertRejected(verify(request({})), 'missing_signature');
    assertRejected(
      verify(request({ 'X-Shopify-Hmac-Sha256': [mac(SECRET), mac(OLD_SECRET)] })),
      'duplicate_header',
    );
    assertRejected(verify(request({ 'X-Shopify-Hmac-Sha256': mac(SECRET, '') }, '')), 'empty_body');
    assertRejected(verify(request({ 'X-Shopify-Hmac-Sha256': mac(SECRET) }), []), 'no_active_secret');
    const binary = Buffer.from([0x80, 0x81, 0xfe]);
    assert.equal(verify(request({ 'X-Shopify-Hmac-Sha256': mac(SECRET, binary) }, binary)).ok, true);
  });

  it('no replay window: an old X-Shopify-Triggered-At does not matter (it is not signed)', () => {
    const req = request({
      'X-Shopify-Hmac-Sha256': mac(SECRET),
      'X-Shopify-Triggered-At': '2020-01-01T00:00:00Z',
    });
    assert.equal(verify(req).ok, true);
    assert.equal(shopify.defaultToleranceSeconds, undefined);
  });
});

describe('shopify: extraction', () => {
  it('id from X-Shopify-Event-Id, falling back to X-Shopify-Webhook-Id; topic and triggered-at', () => {
    const headers = {
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'X-Shopify-Triggered-At': '2023-03-29T18:00:27.877041743Z',
    };
    const extraction = shopify.extract(request(headers), undefined);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['98880550-7158-44d4-b7cd-2c97c8a091b5', 'orders/create', '2023-03-29T18:00:27.877Z']],
    );
    const { 'X-Shopify-Event-Id': _, ...older } = headers;
    const fallback = shopify.extract(request(older), undefined);
    assert.ok(fallback.ok);
    assert.equal(fallback.events[0]?.providerEventId, 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043');
    const events = shopify.extract(
      request({ 'shopify-topic': 'products/update', 'shopify-event-id': 'e1' }),
      undefined,
    );
    assert.ok(events.ok);
    assert.deepEqual(
      [events.events[0]?.providerEventId, events.events[0]?.eventType],
      ['e1', 'products/update'],
    );
  });
});
