import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseStripeSignatureHeader, stripe } from '../../../lambdas/providers/stripe';
import { assertRejected, rawRequest, reasonOf, verifyWith } from './scheme-test-kit';

// Vector produced by stripe-node's own `webhooks.generateTestHeaderString` (stripe@23) for this payload,
// secret and timestamp; kept literal so the test does not depend on the SDK.
const VECTOR = {
  secret: 'whsec_test_secret',
  payload: '{"id":"evt_test_webhook","object":"event","type":"invoice.paid","created":1700000000}',
  header: 't=1700000000,v1=f95709f458165896f52c60f3d8109a63dfb31a7f3a92ec8eec6245b437365a2f',
  nowMs: 1_700_000_010_000,
};

const SECRET = 'whsec_5f8a0c2e4b6d8f0a1c3e5b7d9f1a3c5e';
const OLD_SECRET = 'whsec_0000aaaa1111bbbb2222cccc3333dddd';
const NOW = 1_750_000_000_000;
const T = Math.floor(NOW / 1000);
const BODY =
  '{"id":"evt_1PqLocal","object":"event","type":"customer.subscription.updated","created":1749999990,"data":{"object":{"id":"sub_1"}}}';

const mac = (secret: string | Buffer, t: number | string, body: string | Buffer) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

function signed(header: string, body: string | Buffer = BODY) {
  return rawRequest({ headers: { 'Stripe-Signature': header }, body });
}

const verify = (req: ReturnType<typeof signed>, secrets = [SECRET], nowMs = NOW, toleranceSeconds = 300) =>
  verifyWith(stripe, req, { secrets, nowMs, toleranceSeconds });

describe('stripe: official vector', () => {
  it('accepts the header stripe-node generates', () => {
    const req = signed(VECTOR.header, VECTOR.payload);
    assert.deepEqual(verifyWith(stripe, req, { secrets: [VECTOR.secret], nowMs: VECTOR.nowMs }), {
      ok: true,
    });
  });

  it('keys the HMAC with the whsec_ string verbatim, not base64-decoded', () => {
    const decodedKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const wrongDerivation = signed(`t=${T},v1=${mac(decodedKey, T, BODY)}`);
    assertRejected(verify(wrongDerivation), 'signature_mismatch', [SECRET]);
    const withoutPrefix = signed(`t=${T},v1=${mac(SECRET.slice(6), T, BODY)}`);
    assertRejected(verify(withoutPrefix), 'signature_mismatch');
    assert.equal(verify(signed(`t=${T},v1=${mac(SECRET, T, BODY)}`)).ok, true);
  });
});

describe('stripe: verification', () => {
  const good = () => `t=${T},v1=${mac(SECRET, T, BODY)}`;

  it('accepts a fresh, correctly signed request, with v0 and unknown schemes ignored', () => {
    assert.equal(verify(signed(good())).ok, true);
    assert.equal(verify(signed(`${good()},v0=${'ab'.repeat(32)},v9=zzz`)).ok, true);
    assert.equal(verify(signed(`v1=${mac(SECRET, T, BODY)}, t=${T}`)).ok, true, 'order and spaces');
  });

  it('accepts upper-case hex of the right MAC (bytes are compared, not text)', () => {
    assert.equal(verify(signed(`t=${T},v1=${mac(SECRET, T, BODY).toUpperCase()}`)).ok, true);
  });

  it('rejects a tampered body, a wrong secret and a MAC over the body alone', () => {
    assertRejected(verify(signed(good(), `${BODY} `)), 'signature_mismatch');
    assertRejected(verify(signed(good()), ['whsec_other']), 'signature_mismatch');
    const bodyOnly = createHmac('sha256', SECRET).update(BODY).digest('hex');
    assertRejected(verify(signed(`t=${T},v1=${bodyOnly}`)), 'signature_mismatch');
  });

  it('rejects base64 where hex is expected, wrong lengths and non-hex', () => {
    const b64 = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('base64');
    assertRejected(verify(signed(`t=${T},v1=${b64}`)), 'malformed_signature');
    assertRejected(verify(signed(`t=${T},v1=${mac(SECRET, T, BODY).slice(0, 62)}`)), 'malformed_signature');
    assertRejected(verify(signed(`t=${T},v1=${mac(SECRET, T, BODY)}0`)), 'malformed_signature');
    assertRejected(verify(signed(`t=${T},v1=${'g'.repeat(64)}`)), 'malformed_signature');
    assertRejected(verify(signed(`t=${T},v1=`)), 'malformed_signature');
  });

  it('rotation: two active secrets and two v1 signatures, any pair matches', () => {
    const header = `t=${T},v1=${mac(OLD_SECRET, T, BODY)},v1=${mac(SECRET, T, BODY)}`;
    assert.equal(verify(signed(header), [SECRET]).ok, true);
    assert.equal(verify(signed(header), [OLD_SECRET]).ok, true);
    assert.equal(verify(signed(`t=${T},v1=${mac(OLD_SECRET, T, BODY)}`), [SECRET, OLD_SECRET]).ok, true);
    assert.equal(verify(signed(`t=${T},v1=${'00'.repeat(32)},v1=${mac(SECRET, T, BODY)}`)).ok, true);
    assertRejected(verify(signed(header), ['whsec_third']), 'signature_mismatch');
  });

  it('a v0 signature alone is an unsupported version', () => {
    assertRejected(verify(signed(`t=${T},v0=${mac(SECRET, T, BODY)}`)), 'unsupported_signature_version');
  });

  it('replay window: rejects stale and far-future timestamps, in seconds', () => {
    const at = (t: number) => signed(`t=${t},v1=${mac(SECRET, t, BODY)}`);
    assert.equal(verify(at(T - 299)).ok, true);
    assertRejected(verify(at(T - 301)), 'timestamp_too_old');
    assert.equal(verify(at(T + 299)).ok, true);
    assertRejected(verify(at(T + 301)), 'timestamp_in_future');
    assert.equal(verify(at(T - 3000), [SECRET], NOW, 3600).ok, true, 'per-source tolerance');
    const ms = NOW;
    assertRejected(verify(signed(`t=${ms},v1=${mac(SECRET, ms, BODY)}`)), 'timestamp_in_future');
  });

  it('rejects non-numeric, repeated and missing timestamps', () => {
    assertRejected(verify(signed(`t=abc,v1=${mac(SECRET, 'abc', BODY)}`)), 'malformed_timestamp');
    assertRejected(verify(signed(`t=${T}.5,v1=${mac(SECRET, `${T}.5`, BODY)}`)), 'malformed_timestamp');
    assertRejected(verify(signed(`t=-${T},v1=${mac(SECRET, `-${T}`, BODY)}`)), 'malformed_timestamp');
    assertRejected(verify(signed(`t=${T},t=${T - 1},v1=${mac(SECRET, T, BODY)}`)), 'malformed_header');
    assertRejected(verify(signed(`v1=${mac(SECRET, T, BODY)}`)), 'missing_timestamp');
  });

  it('rejects missing, empty, duplicated and garbled headers', () => {
    assertRejected(verify(rawRequest({ body: BODY })), 'missing_signature');
    assertRejected(verify(signed('')), 'missing_signature');
    assertRejected(verify(signed('garbage')), 'malformed_header');
    assertRejected(verify(signed(`t=${T}`)), 'missing_signature');
    const twice = rawRequest({
      headers: { 'stripe-signature': [good(), `t=${T},v1=${'0'.repeat(64)}`] },
      body: BODY,
    });
    assertRejected(verify(twice), 'duplicate_header');
    const sameTwice = rawRequest({ headers: { 'stripe-signature': [good(), good()] }, body: BODY });
    assert.equal(verify(sameTwice).ok, true, 'an identical repeat is harmless');
  });

  it('rejects empty bodies and sources without secrets; verifies non-UTF-8 and large bodies as bytes', () => {
    assertRejected(verify(signed(`t=${T},v1=${mac(SECRET, T, '')}`, '')), 'empty_body');
    assertRejected(verify(signed(good()), []), 'no_active_secret');
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
    assert.equal(verify(signed(`t=${T},v1=${mac(SECRET, T, binary)}`, binary)).ok, true);
    const large = Buffer.alloc(5 * 1024 * 1024, 'a');
    assert.equal(verify(signed(`t=${T},v1=${mac(SECRET, T, large)}`, large)).ok, true);
  });

  it('never puts the secret or the expected MAC in a message', () => {
    const expected = mac(SECRET, T, `${BODY}x`);
    for (const header of [good(), `t=${T},v1=${'0'.repeat(64)}`, `t=1,v1=${expected}`]) {
      const verdict = verify(signed(header, `${BODY}x`));
      assert.equal(verdict.ok, false);
      if (!verdict.ok) {
        assert.ok(!verdict.message.includes(SECRET));
        assert.ok(!verdict.message.includes(expected));
      }
    }
  });

  it('parses headers without throwing on anything', () => {
    for (const header of ['', ',,,', '=', 't', '=1', 't==1', 'v1=a=b', '\u0000,t=\uffff']) {
      assert.doesNotThrow(() => parseStripeSignatureHeader(header));
      assert.notEqual(reasonOf(verify(signed(header))), 'accepted');
    }
  });
});

describe('stripe: extraction', () => {
  it('takes id, type and created from the event', () => {
    const extraction = stripe.extract(rawRequest({ body: '' }), undefined);
    assert.equal(extraction.ok, false);
    const ok = stripe.extract(rawRequest({ body: BODY }), undefined);
    assert.ok(ok.ok);
    assert.equal(ok.events.length, 1);
    const [event] = ok.events;
    assert.equal(event?.providerEventId, 'evt_1PqLocal');
    assert.equal(event?.eventType, 'customer.subscription.updated');
    assert.equal(event?.occurredAt, new Date(1_749_999_990_000).toISOString());
    assert.equal(event?.raw.toString(), BODY);
  });

  it('an authentic but non-object body is unusable, not an exception', () => {
    for (const body of ['[]', 'not json', '"evt"', Buffer.from([0xff])]) {
      const extraction = stripe.extract(rawRequest({ body }), undefined);
      assert.equal(extraction.ok, false);
    }
  });
});
