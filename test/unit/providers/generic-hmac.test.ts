import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type GenericHmacOptions,
  genericHmac,
  jsonPointer,
  validateGenericHmacOptions,
} from '../../../lambdas/providers/generic-hmac';
import { assertRejected, rawRequest, verifyWith } from './scheme-test-kit';

const SECRET = 'generic-secret-0123';
const OLD_SECRET = 'generic-secret-old';
const NOW = 1_750_000_000_000;
const URL = 'https://hooks.example.com/prod/webhooks/acme';
// The seed provider's documented payload (its "Webhook Payload" section).
const BODY =
  '{"id":"evt_abc123","type":"resource.created","created_at":"2025-02-18T10:30:00Z","data":{"object":{"id":"res_xyz789","name":"New Resource","status":"active"}},"previous_data":null}';

/** The seed provider: `X-Webhook-Signature` = hex HMAC-SHA256 of the body. */
const SEED: GenericHmacOptions = {
  signatureHeader: 'X-Webhook-Signature',
  algorithm: 'sha256',
  encoding: 'hex',
  idPointer: '/id',
  typePointer: '/type',
  occurredAtPointer: '/created_at',
};

const mac = (alg: 'sha1' | 'sha256' | 'sha512', key: string | Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac(alg, key);
  for (const part of parts) h.update(part);
  return h.digest();
};

function verify(
  options: GenericHmacOptions,
  headers: Record<string, string | string[]>,
  body: string | Buffer = BODY,
  secrets = [SECRET],
  nowMs = NOW,
) {
  return verifyWith(genericHmac, rawRequest({ headers, body, url: URL }), { secrets, nowMs, options });
}

describe('generic-hmac: the seed provider layout', () => {
  it('accepts the seed recipe (hex HMAC-SHA256 of the raw body, secret as UTF-8)', () => {
    const signature = mac('sha256', SECRET, BODY).toString('hex');
    assert.equal(verify(SEED, { 'X-Webhook-Signature': signature }).ok, true);
    assertRejected(verify(SEED, { 'X-Webhook-Signature': signature }, `${BODY} `), 'signature_mismatch', [
      SECRET,
    ]);
    assertRejected(
      verify(SEED, { 'X-Webhook-Signature': signature }, BODY, [OLD_SECRET]),
      'signature_mismatch',
    );
    assert.equal(verify(SEED, { 'X-Webhook-Signature': signature }, BODY, [OLD_SECRET, SECRET]).ok, true);
    assertRejected(verify(SEED, {}), 'missing_signature');
    assertRejected(
      verify(SEED, { 'X-Webhook-Signature': mac('sha256', SECRET, BODY).toString('base64') }),
      'malformed_signature',
    );
  });

  it('extracts id, type and time through JSON pointers', () => {
    const extraction = genericHmac.extract(rawRequest({ body: BODY }), SEED);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [['evt_abc123', 'resource.created', '2025-02-18T10:30:00.000Z']],
    );
  });
});

describe('generic-hmac: layouts', () => {
  it('algorithms sha1/sha256/sha512 × hex/base64, with a prefix', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      for (const encoding of ['hex', 'base64'] as const) {
        const options: GenericHmacOptions = {
          signatureHeader: 'X-Sig',
          algorithm,
          encoding,
          prefix: `${algorithm}=`,
        };
        const signature = `${algorithm}=${mac(algorithm, SECRET, BODY).toString(encoding)}`;
        assert.equal(verify(options, { 'X-Sig': signature }).ok, true, `${algorithm}/${encoding}`);
        assertRejected(
          verify(options, { 'X-Sig': signature.slice(algorithm.length + 1) }),
          'unsupported_signature_version',
        );
        const other = encoding === 'hex' ? 'base64' : 'hex';
        const wrongEncoding = `${algorithm}=${mac(algorithm, SECRET, BODY).toString(other)}`;
        assert.equal(verify(options, { 'X-Sig': wrongEncoding }).ok, false);
      }
    }
  });

  it('a timestamped template like Stripe or Slack: replay window in the configured unit', () => {
    const options: GenericHmacOptions = {
      signatureHeader: 'X-Sig',
      algorithm: 'sha256',
      encoding: 'hex',
      signedContent: 'v0:{timestamp}:{body}',
      timestampHeader: 'X-Ts',
      timestampUnit: 'ms',
    };
    const at = (ts: number) => ({
      'X-Sig': mac('sha256', SECRET, `v0:${ts}:`, BODY).toString('hex'),
      'X-Ts': String(ts),
    });
    assert.equal(verify(options, at(NOW - 1000)).ok, true);
    assertRejected(verify(options, at(NOW - 301_000)), 'timestamp_too_old');
    assertRejected(verify(options, at(NOW + 301_000)), 'timestamp_in_future');
    assert.equal(verify({ ...options, toleranceSeconds: 600 }, at(NOW - 400_000)).ok, true);
    assertRejected(verify(options, { 'X-Sig': at(NOW)['X-Sig'] }), 'missing_timestamp');
    assertRejected(verify(options, { ...at(NOW), 'X-Ts': 'x' }), 'malformed_timestamp');
    assertRejected(verify(options, { ...at(NOW), 'X-Ts': String(NOW - 1) }), 'signature_mismatch');
  });

  it('an id-and-url template like Standard Webhooks with a base64-decoded key and several signatures', () => {
    const raw = Buffer.from('0123456789abcdef0123456789abcdef');
    const options: GenericHmacOptions = {
      signatureHeader: 'X-Sig',
      algorithm: 'sha256',
      encoding: 'base64',
      prefix: 'v1,',
      signatureSeparator: ' ',
      signedContent: '{method} {url}\n{id}.{timestamp}.{body}',
      keyEncoding: 'base64',
      keyPrefix: 'whsec_',
      timestampHeader: 'X-Ts',
      idHeader: 'X-Id',
    };
    const ts = String(NOW / 1000);
    const good = `v1,${mac('sha256', raw, `POST ${URL}\nmsg_1.${ts}.`, BODY).toString('base64')}`;
    const headers = {
      'X-Id': 'msg_1',
      'X-Ts': ts,
      'X-Sig': `v2,abc v1,${Buffer.alloc(32).toString('base64')} ${good}`,
    };
    assert.equal(verify(options, headers, BODY, [`whsec_${raw.toString('base64')}`]).ok, true);
    assertRejected(
      verify(options, headers, BODY, [`whsec_${raw.toString('hex')}!`]),
      'invalid_secret_config',
    );
    assertRejected(verify(options, headers, BODY, [raw.toString('utf8')]), 'signature_mismatch');
    assertRejected(
      verify(options, { ...headers, 'X-Id': 'msg_2' }, BODY, [`whsec_${raw.toString('base64')}`]),
      'signature_mismatch',
    );
    const { 'X-Id': _, ...noId } = headers;
    assertRejected(verify(options, noId, BODY, [`whsec_${raw.toString('base64')}`]), 'missing_header');
  });

  it('batches: one event per element, ids from the element or the signed delivery id plus position', () => {
    const signedId: GenericHmacOptions = {
      ...SEED,
      eventsPointer: '/events',
      idHeader: 'X-Delivery',
      signedContent: '{id}.{body}',
    };
    const body = JSON.stringify({ events: [{ id: 'e1', type: 'a' }, { type: 'b' }] });
    const extraction = genericHmac.extract(rawRequest({ body, headers: { 'X-Delivery': 'd-9' } }), signedId);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType]),
      [
        ['e1', 'a'],
        ['d-9:1', 'b'],
      ],
    );
    assert.equal(genericHmac.extract(rawRequest({ body: '{"events":[]}' }), signedId).ok, false);
  });

  it('an id header the template does not sign names nothing: the body hash does, whatever the header says', () => {
    const unsignedId: GenericHmacOptions = {
      ...SEED,
      idPointer: undefined,
      idHeader: 'X-Delivery',
      typeHeader: 'X-Event',
    };
    const body = '{"type":"order.paid","amount":5}';
    const bodyId = `hmac-body:${createHash('sha256').update(body).digest('hex')}`;
    const deliveries: [string, string][] = [
      ['d-1', 'order.paid'],
      ['d-2-replayed', 'order.refunded'],
    ];
    for (const [delivery, type] of deliveries) {
      const extraction = genericHmac.extract(
        rawRequest({ body, headers: { 'X-Delivery': delivery, 'X-Event': type } }),
        unsignedId,
      );
      assert.ok(extraction.ok);
      assert.equal(extraction.events[0]?.providerEventId, bodyId);
    }
    const batch = genericHmac.extract(
      rawRequest({ body: '{"events":[{"a":1},{"a":1}]}', headers: { 'X-Delivery': 'd-3' } }),
      { ...unsignedId, eventsPointer: '/events' },
    );
    assert.ok(batch.ok);
    assert.deepEqual(
      batch.events.map((e) => e.providerEventId?.replace(/[0-9a-f]{64}/, 'H')),
      ['hmac-body:H:0', 'hmac-body:H:1'],
    );
  });

  it('invalid options are a rejection, never an exception', () => {
    const verdict = verify({ signatureHeader: 'X-Sig' } as GenericHmacOptions, { 'X-Sig': 'ab' });
    assertRejected(verdict, 'invalid_secret_config');
    assert.match(verdict.ok ? '' : verdict.message, /algorithm/);
  });
});

describe('generic-hmac: validateOptions', () => {
  it('accepts the seed layout and reports every problem of a bad one', () => {
    assert.deepEqual(validateGenericHmacOptions(SEED), []);
    assert.deepEqual(validateGenericHmacOptions(null), ['generic-hmac options must be an object']);
    const problems = validateGenericHmacOptions({
      signatureHeader: 'bad header',
      algorithm: 'md5',
      encoding: 'binary',
      signedContent: '{timestamp}.{id}.{payload}',
      timestampUnit: 'us',
      idPointer: 'id',
      toleranceSeconds: -1,
      keyEncoding: 'latin1',
    });
    for (const expected of [
      /signatureHeader/,
      /algorithm must be sha1, sha256 or sha512/,
      /encoding must be hex or base64/,
      /unknown placeholder \{payload\}/,
      /timestampUnit/,
      /idPointer must be a JSON pointer/,
      /toleranceSeconds/,
      /keyEncoding/,
    ]) {
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${expected} in ${problems.join(' | ')}`,
      );
    }
  });

  it('a template must cover the body, and its placeholders need their headers', () => {
    const base = { signatureHeader: 'X-Sig', algorithm: 'sha256', encoding: 'hex' };
    assert.deepEqual(validateGenericHmacOptions({ ...base, signedContent: '{timestamp}' }), [
      'signedContent must include {body}',
      'signedContent uses {timestamp} but timestampHeader is not set',
    ]);
    assert.deepEqual(validateGenericHmacOptions({ ...base, signedContent: '{id}{body}' }), [
      'signedContent uses {id} but idHeader is not set',
    ]);
  });
});

describe('jsonPointer', () => {
  it('follows RFC 6901, including escapes and array indexes', () => {
    const doc = { a: { 'b/c': [10, { 'd~e': 'x' }] } };
    assert.equal(jsonPointer(doc, '/a/b~1c/1/d~0e'), 'x');
    assert.equal(jsonPointer(doc, '/a/b~1c/0'), 10);
    assert.equal(jsonPointer(doc, '/a/missing'), undefined);
    assert.equal(jsonPointer(doc, '/a/b~1c/01'), undefined);
    assert.equal(jsonPointer(doc, ''), doc);
    assert.equal(jsonPointer({ toString: 1 }, '/constructor'), undefined);
  });
});
