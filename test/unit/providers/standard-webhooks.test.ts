import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { standardWebhooks } from '../../../lambdas/providers/standard-webhooks';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

// The Standard Webhooks specification's test vector (standard-webhooks/standard-webhooks, used by every
// reference library's tests).
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`;
const NOW = 1_750_000_000_000;
const TS = String(NOW / 1000);
const ID = 'msg_2xLocal0001';
const BODY = '{"type":"invoice.paid","timestamp":"2025-06-15T15:06:40.000Z","data":{"invoice_id":"inv_1"}}';

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

function v1(secret: string | Buffer, id = ID, ts = TS, body: string | Buffer = BODY): string {
  const key = typeof secret === 'string' ? keyOf(secret) : secret;
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')}`;
}

function request(
  headers: { id?: string; ts?: string; sig?: string; prefix?: 'webhook' | 'svix' } = {},
  body: string | Buffer = BODY,
) {
  const prefix = headers.prefix ?? 'webhook';
  const h: Record<string, string> = {};
  if (headers.id !== '') h[`${prefix}-id`] = headers.id ?? ID;
  if (headers.ts !== '') h[`${prefix}-timestamp`] = headers.ts ?? TS;
  if (headers.sig !== '') h[`${prefix}-signature`] = headers.sig ?? v1(SECRET);
  return rawRequest({ headers: h, body });
}

const verify = (req: ReturnType<typeof request>, secrets = [SECRET], nowMs = NOW, toleranceSeconds = 300) =>
  verifyWith(standardWebhooks, req, { secrets, nowMs, toleranceSeconds });

function ed25519(): { publicKey: string; privateKey: KeyObject } {
  const pair = generateKeyPairSync('ed25519');
  const jwk = pair.publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  return { publicKey: `whpk_${raw.toString('base64')}`, privateKey: pair.privateKey };
}

function v1a(privateKey: KeyObject, id = ID, ts = TS, body = BODY): string {
  return `v1a,${sign(null, Buffer.from(`${id}.${ts}.${body}`), privateKey).toString('base64')}`;
}

describe('standard webhooks: specification vector', () => {
  it('accepts the spec example with webhook-* and svix-* headers', () => {
    const nowMs = Number(SPEC.timestamp) * 1000 + 5000;
    for (const prefix of ['webhook', 'svix'] as const) {
      const req = request({ id: SPEC.id, ts: SPEC.timestamp, sig: SPEC.signature, prefix }, SPEC.body);
      assert.deepEqual(verify(req, [SPEC.secret], nowMs), { ok: true });
    }
  });

  it('rejects the spec example keyed with the whsec_ string verbatim (wrong key derivation)', () => {
    const nowMs = Number(SPEC.timestamp) * 1000;
    const verbatim = v1(Buffer.from(SPEC.secret, 'utf8'), SPEC.id, SPEC.timestamp, SPEC.body);
    const req = request({ id: SPEC.id, ts: SPEC.timestamp, sig: verbatim }, SPEC.body);
    assertRejected(verify(req, [SPEC.secret], nowMs), 'signature_mismatch', [SPEC.secret]);
    const bare = request({ id: SPEC.id, ts: SPEC.timestamp, sig: SPEC.signature }, SPEC.body);
    assert.equal(verify(bare, [SPEC.secret.slice(6)], nowMs).ok, true, 'the prefix is optional');
  });
});

describe('standard webhooks: v1 (HMAC)', () => {
  it('accepts a correct request, ignoring unknown versions in the list', () => {
    assert.equal(verify(request()).ok, true);
    assert.equal(verify(request({ sig: `v2,abc v1,${'A'.repeat(43)}= ${v1(SECRET)}` })).ok, true);
  });

  it('binds id, timestamp and body', () => {
    assertRejected(verify(request({ id: 'msg_other' })), 'signature_mismatch');
    assertRejected(verify(request({ ts: String(NOW / 1000 + 1) })), 'signature_mismatch');
    assertRejected(verify(request({}, `${BODY} `)), 'signature_mismatch');
    assertRejected(verify(request(), [OLD_SECRET]), 'signature_mismatch', [OLD_SECRET]);
  });

  it('rotation: several signatures and several active secrets', () => {
    const both = `${v1(OLD_SECRET)} ${v1(SECRET)}`;
    assert.equal(verify(request({ sig: both }), [SECRET]).ok, true);
    assert.equal(verify(request({ sig: both }), [OLD_SECRET]).ok, true);
    assert.equal(verify(request({ sig: v1(OLD_SECRET) }), [SECRET, OLD_SECRET]).ok, true);
  });

  it('rejects hex where base64 is expected, wrong lengths and non-canonical base64', () => {
    const hex = createHmac('sha256', keyOf(SECRET)).update(`${ID}.${TS}.${BODY}`).digest('hex');
    assertRejected(verify(request({ sig: `v1,${hex}` })), 'malformed_signature');
    assertRejected(
      verify(request({ sig: `v1,${Buffer.alloc(20).toString('base64')}` })),
      'malformed_signature',
    );
    assertRejected(verify(request({ sig: 'v1,not base64!' })), 'malformed_signature');
    assertRejected(verify(request({ sig: v1(SECRET).replace(/=$/, '') })), 'malformed_signature');
  });

  it('unknown versions only, missing and garbled signature headers', () => {
    assertRejected(
      verify(request({ sig: v1(SECRET).replace('v1,', 'v2,') })),
      'unsupported_signature_version',
    );
    assertRejected(verify(request({ sig: 'garbage' })), 'unsupported_signature_version');
    assertRejected(verify(request({ sig: '' })), 'missing_signature');
    assertRejected(verify(request({ id: '' })), 'missing_header');
    assertRejected(verify(request({ ts: '' })), 'missing_timestamp');
    const twice = rawRequest({
      headers: {
        'webhook-id': ID,
        'webhook-timestamp': TS,
        'webhook-signature': [v1(SECRET), v1(OLD_SECRET)],
      },
      body: BODY,
    });
    assertRejected(verify(twice), 'duplicate_header');
  });

  it('replay window: ±300 s in seconds, per-source override', () => {
    const at = (ts: number) => request({ ts: String(ts), sig: v1(SECRET, ID, String(ts)) });
    const t = NOW / 1000;
    assert.equal(verify(at(t - 299)).ok, true);
    assert.equal(verify(at(t + 299)).ok, true);
    assertRejected(verify(at(t - 301)), 'timestamp_too_old');
    assertRejected(verify(at(t + 301)), 'timestamp_in_future');
    assertRejected(verify(at(NOW)), 'timestamp_in_future', []);
    assert.equal(verify(at(t - 1000), [SECRET], NOW, 1200).ok, true);
    assertRejected(verify(request({ ts: 'soon', sig: v1(SECRET, ID, 'soon') })), 'malformed_timestamp');
    assertRejected(verify(request({ ts: '1e9', sig: v1(SECRET, ID, '1e9') })), 'malformed_timestamp');
  });

  it('svix-* headers take precedence over webhook-* per header, like the svix SDK', () => {
    const mixed = rawRequest({
      headers: {
        'svix-id': ID,
        'webhook-id': 'msg_ignored',
        'svix-timestamp': TS,
        'svix-signature': v1(SECRET),
        'webhook-signature': 'v1,AAAA',
      },
      body: BODY,
    });
    assert.equal(verify(mixed).ok, true);
  });

  it('empty, binary and large bodies; misconfigured secrets', () => {
    assertRejected(verify(request({ sig: v1(SECRET, ID, TS, '') }, '')), 'empty_body');
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    assert.equal(verify(request({ sig: v1(SECRET, ID, TS, binary) }, binary)).ok, true);
    assertRejected(verify(request(), []), 'no_active_secret');
    assertRejected(verify(request(), ['whsec_!!!not-base64!!!']), 'invalid_secret_config');
    assertRejected(verify(request(), ['whpk_AAAA']), 'invalid_secret_config');
    assert.equal(
      verify(request(), ['whsec_!!!', SECRET]).ok,
      true,
      'one bad secret does not block a good one',
    );
  });
});

describe('standard webhooks: v1a (Ed25519)', () => {
  it('verifies with a whpk_ public key; rejects other keys and tampering', () => {
    const key = ed25519();
    const other = ed25519();
    assert.equal(verify(request({ sig: v1a(key.privateKey) }), [key.publicKey]).ok, true);
    assert.equal(verify(request({ sig: v1a(key.privateKey) }), [other.publicKey, key.publicKey]).ok, true);
    assertRejected(verify(request({ sig: v1a(key.privateKey) }), [other.publicKey]), 'signature_mismatch');
    assertRejected(
      verify(request({ sig: v1a(key.privateKey) }, `${BODY}x`), [key.publicKey]),
      'signature_mismatch',
    );
    assertRejected(verify(request({ sig: 'v1a,AAAA' }), [key.publicKey]), 'malformed_signature');
  });

  it('a source may hold an HMAC secret and a public key; each entry is checked against its own kind', () => {
    const key = ed25519();
    const both = [SECRET, key.publicKey];
    assert.equal(verify(request({ sig: v1a(key.privateKey) }), both).ok, true);
    assert.equal(verify(request({ sig: v1(SECRET) }), both).ok, true);
    assert.equal(verify(request({ sig: `${v1(OLD_SECRET)} ${v1a(key.privateKey)}` }), both).ok, true);
    assertRejected(verify(request({ sig: v1(SECRET) }), [key.publicKey]), 'signature_mismatch');
  });
});

describe('standard webhooks: extraction', () => {
  it('uses the message id, the body type and timestamp', () => {
    const extraction = standardWebhooks.extract(request(), undefined);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [[ID, 'invoice.paid', '2025-06-15T15:06:40.000Z']],
    );
  });

  it('falls back to eventType, the header timestamp, and svix-id', () => {
    const req = request({ prefix: 'svix' }, '{"eventType":"user.created"}');
    const extraction = standardWebhooks.extract(req, undefined);
    assert.ok(extraction.ok);
    const [event] = extraction.events;
    assert.equal(event?.providerEventId, ID);
    assert.equal(event?.eventType, 'user.created');
    assert.equal(event?.occurredAt, new Date(NOW).toISOString());
    const text = standardWebhooks.extract(request({}, 'plain text'), undefined);
    assert.ok(text.ok);
    assert.equal(text.events[0]?.eventType, 'unknown');
  });
});
