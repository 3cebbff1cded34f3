import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { shopify } from '../../../lambdas/providers/shopify';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'shpss_0123456789abcdef0123456789abcdef';
const OLD_SECRET = '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';
const BODY = '{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00","line_items":[]}';
const NOW = 1_750_000_000_000;

const mac = (secret: string, body: string | Buffer = BODY) =>
  createHmac('sha256', secret).update(body).digest('base64');

/** The delivery headers Shopify sends (and the verifier requires) alongside `X-Shopify-Hmac-Sha256`. */
const DELIVERY = {
  'X-Shopify-Topic': 'orders/create',
  'X-Shopify-Shop-Domain': 'example.myshopify.com',
  'X-Shopify-API-Version': '2025-07',
  'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
};
/** The events API's spelling, which adds `shopify-event-id`. */
const EVENTS_DELIVERY = {
  'shopify-topic': 'orders/create',
  'shopify-shop-domain': 'example.myshopify.com',
  'shopify-api-version': '2025-07',
  'shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
};

/** A request with the classic delivery headers, the events API's when `headers` signs with `shopify-*`. */
function request(headers: Record<string, string | string[]>, body: string | Buffer = BODY) {
  const delivery = 'shopify-hmac-sha256' in headers ? EVENTS_DELIVERY : DELIVERY;
  return rawRequest({ headers: { ...delivery, ...headers }, body });
}

const verify = (req: ReturnType<typeof request>, secrets = [SECRET]) =>
  verifyWith(shopify, req, { secrets, nowMs: NOW });

describe('shopify: verification', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body, under either header spelling', () => {
    // No official vector is published (Shopify's own libraries test with computed MACs), so the docs'
    // recipe (base64 HMAC-SHA256 of the raw bytes, secret as UTF-8) is the oracle here; the SDK's
    // webhooks.validate is compared in shopify.differential.test.ts.
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

  it('both signature headers: the same value is fine, different values are a duplicate', () => {
    const both = { 'X-Shopify-Hmac-Sha256': mac(SECRET), 'shopify-hmac-sha256': mac(SECRET) };
    assert.equal(verify(request(both)).ok, true);
    for (const other of [mac(OLD_SECRET), '', 'not base64']) {
      assertRejected(verify(request({ ...both, 'X-Shopify-Hmac-Sha256': other })), 'duplicate_header');
      assertRejected(verify(request({ ...both, 'shopify-hmac-sha256': other })), 'duplicate_header');
    }
    // Both sent, both empty: no signature at all.
    assertRejected(
      verify(request({ 'X-Shopify-Hmac-Sha256': '', 'shopify-hmac-sha256': ' ' })),
      'missing_signature',
    );
  });

  it('both signature headers select the events API headers, as the SDK does', () => {
    const both = { 'X-Shopify-Hmac-Sha256': mac(SECRET), 'shopify-hmac-sha256': mac(SECRET) };
    const classicOnly = rawRequest({ headers: { ...DELIVERY, ...both }, body: BODY });
    const verdict = verify(classicOnly);
    assertRejected(verdict, 'missing_header');
    assert.ok(!verdict.ok && verdict.message.includes('shopify-topic'), JSON.stringify(verdict));
  });

  it('requires the topic, shop domain, API version and webhook id headers (and the event id for events)', () => {
    for (const name of Object.keys(DELIVERY)) {
      const headers: Record<string, string> = { ...DELIVERY, 'X-Shopify-Hmac-Sha256': mac(SECRET) };
      delete headers[name];
      const verdict = verify(rawRequest({ headers, body: BODY }));
      assertRejected(verdict, 'missing_header');
      assert.ok(!verdict.ok && verdict.message.includes(name), `${name}: ${JSON.stringify(verdict)}`);
      assertRejected(
        verify(rawRequest({ headers: { ...headers, [name]: '  ' }, body: BODY })),
        'missing_header',
      );
    }
    for (const name of Object.keys(EVENTS_DELIVERY)) {
      const headers: Record<string, string> = { ...EVENTS_DELIVERY, 'shopify-hmac-sha256': mac(SECRET) };
      delete headers[name];
      const verdict = verify(rawRequest({ headers, body: BODY }));
      assertRejected(verdict, 'missing_header');
      assert.ok(!verdict.ok && verdict.message.includes(name), `${name}: ${JSON.stringify(verdict)}`);
    }
    // The other family's spelling does not stand in: the signature header decides which one is read.
    const mixed = rawRequest({
      headers: { ...EVENTS_DELIVERY, 'X-Shopify-Hmac-Sha256': mac(SECRET) },
      body: BODY,
    });
    assertRejected(verify(mixed), 'missing_header');
    // Every missing header is named.
    const bare = verify(rawRequest({ headers: { 'X-Shopify-Hmac-Sha256': mac(SECRET) }, body: BODY }));
    assert.ok(!bare.ok);
    assert.equal(
      bare.message,
      'Missing X-Shopify-Topic, X-Shopify-Shop-Domain, X-Shopify-API-Version, X-Shopify-Webhook-Id headers',
    );
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
  it('id from the signed body, never the unsigned event/webhook id headers; topic as a label; time from the body', () => {
    const body =
      '{"id":820982911946154508,"updated_at":"2023-03-29T18:00:27-04:00","created_at":"2023-03-29T17:59:00-04:00"}';
    const bodyId = `shopify-body:${createHash('sha256').update(body).digest('hex')}`;
    const headers = {
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'X-Shopify-Triggered-At': '2023-03-29T18:00:27.877041743Z',
    };
    const extraction = shopify.extract(rawRequest({ headers, body }), undefined);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [[bodyId, 'orders/create', '2023-03-29T22:00:27.000Z']],
    );
    // A replay with fresh ids and another topic (all unsigned) is the same event.
    const replay = shopify.extract(
      rawRequest({
        headers: { ...headers, 'X-Shopify-Event-Id': 'fresh', 'X-Shopify-Topic': 'orders/paid' },
        body,
      }),
      undefined,
    );
    assert.ok(replay.ok);
    assert.equal(replay.events[0]?.providerEventId, bodyId);
    const events = shopify.extract(
      rawRequest({ headers: { 'shopify-topic': 'products/update', 'shopify-event-id': 'e1' }, body: '{}' }),
      undefined,
    );
    assert.ok(events.ok);
    assert.deepEqual(
      [events.events[0]?.providerEventId, events.events[0]?.eventType],
      [`shopify-body:${createHash('sha256').update('{}').digest('hex')}`, 'products/update'],
    );
  });
});
