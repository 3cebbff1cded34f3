import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { hubspot, hubspotSignedUri } from '../../../lambdas/providers/hubspot';
import type { RawRequest, Verdict } from '../../../lambdas/providers/types';

// Official vectors: HubSpot's webhook docs and its SDKs' signature tests (hubspot-api-php WebhooksTest,
// hubspot-api-ruby spec/helpers/signature_spec.rb).
const DOC_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const DOC_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
const DOC_URL = 'https://www.example.com/webhook_uri';
const RUBY_BODY = "{'example_field':'example_value'}";

const SECRET = 'client-secret-0123456789';
const URL = 'https://hooks.example.com/prod/webhooks/hubspot-main';
const NOW = 1_700_000_000_000;

function request(init: {
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  url?: string;
  method?: string;
}): RawRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(init.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  }
  return {
    method: init.method ?? 'POST',
    url: init.url ?? URL,
    headers,
    body: Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body ?? DOC_BODY, 'utf8'),
  };
}

function v3(secret: string, method: string, uri: string, body: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body}${timestamp}`).digest('base64');
}

/** The v1/v2 algorithm tests run on a source that opts in to them; the default is tested on its own. */
function verify(
  req: RawRequest,
  secrets: string[] = [SECRET],
  nowMs = NOW,
  toleranceSeconds = 300,
  options: { allowLegacySignatures?: boolean } = { allowLegacySignatures: true },
): Verdict {
  return hubspot.verify(req, { secrets, nowMs, toleranceSeconds, options });
}

function v3Request(
  overrides: { body?: string; ts?: number; secret?: string; url?: string; signedUrl?: string } = {},
) {
  const body = overrides.body ?? DOC_BODY;
  const ts = overrides.ts ?? NOW - 1000;
  const url = overrides.url ?? URL;
  return request({
    url,
    body,
    headers: {
      'X-HubSpot-Signature-v3': v3(overrides.secret ?? SECRET, 'POST', overrides.signedUrl ?? url, body, ts),
      'X-HubSpot-Request-Timestamp': String(ts),
      'X-HubSpot-Signature-Version': 'v3',
    },
  });
}

function reason(verdict: Verdict): string {
  return verdict.ok ? 'accepted' : verdict.reason;
}

describe('hubspot official vectors', () => {
  it('accepts the documented v1 example', () => {
    const req = request({
      headers: {
        'X-HubSpot-Signature': '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
        'X-HubSpot-Signature-Version': 'v1',
      },
    });
    assert.deepEqual(verify(req, [DOC_SECRET]), { ok: true });
  });

  it('accepts the documented v2 GET example with an empty body', () => {
    const req = request({
      method: 'GET',
      url: DOC_URL,
      body: '',
      headers: {
        'X-HubSpot-Signature': 'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e',
        'X-HubSpot-Signature-Version': 'v2',
      },
    });
    assert.deepEqual(verify(req, [DOC_SECRET]), { ok: true });
  });

  it('accepts the Ruby SDK v1, v2 and v3 vectors', () => {
    const v1 = request({
      body: RUBY_BODY,
      headers: {
        'X-HubSpot-Signature': '69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750',
        'X-HubSpot-Signature-Version': 'v1',
      },
    });
    assert.deepEqual(verify(v1, [DOC_SECRET]), { ok: true });
    const v2 = request({
      url: DOC_URL,
      body: RUBY_BODY,
      headers: {
        'X-HubSpot-Signature': '4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383',
        'X-HubSpot-Signature-Version': 'v2',
      },
    });
    assert.deepEqual(verify(v2, [DOC_SECRET]), { ok: true });
    const v3Vector = request({
      url: DOC_URL,
      body: RUBY_BODY,
      headers: {
        'X-HubSpot-Signature-v3': 'HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=',
        'X-HubSpot-Request-Timestamp': '15000000',
      },
    });
    assert.deepEqual(verify(v3Vector, [DOC_SECRET], 15_000_000), { ok: true });
  });
});

describe('hubspot v3', () => {
  it('accepts a fresh signature and prefers v3 over v1 headers', () => {
    const req = v3Request();
    assert.deepEqual(verify(req), { ok: true });
    const both = request({
      headers: {
        ...Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, [...v]])),
        'X-HubSpot-Signature': '00'.repeat(32),
      },
    });
    assert.deepEqual(verify(both), { ok: true });
  });

  it('accepts the URI with HubSpot-decoded escapes, but only those', () => {
    const url = 'https://hooks.example.com/hs?redirect=https%3A%2F%2Fa.example%2Fx%20y%2A';
    const signed = 'https://hooks.example.com/hs?redirect=https://a.example/x%20y*';
    assert.equal(hubspotSignedUri(url), signed);
    assert.equal(hubspotSignedUri('https://x.example/a%3a%2f'), 'https://x.example/a:/');
    assert.equal(hubspotSignedUri('https://x.example/%253A%20%26'), 'https://x.example/%253A%20%26');
    assert.deepEqual(verify(v3Request({ url, signedUrl: signed })), { ok: true });
    assert.deepEqual(verify(v3Request({ url })), { ok: true });
    assert.equal(
      reason(
        verify(v3Request({ url, signedUrl: 'https://hooks.example.com/hs?redirect=https://a.example/x y*' })),
      ),
      'signature_mismatch',
    );
  });

  it('rejects a tampered body, wrong secret, wrong URL and wrong method', () => {
    const req = v3Request();
    assert.equal(reason(verify({ ...req, body: Buffer.from(`${DOC_BODY} `) })), 'signature_mismatch');
    assert.equal(reason(verify(req, ['other-secret'])), 'signature_mismatch');
    assert.equal(reason(verify({ ...req, url: `${URL}/` })), 'signature_mismatch');
    assert.equal(reason(verify({ ...req, method: 'PUT' })), 'signature_mismatch');
  });

  it('accepts any of several active secrets (rotation)', () => {
    assert.deepEqual(verify(v3Request({ secret: 'old-secret' }), ['new-secret', 'old-secret']), { ok: true });
  });

  it('enforces the millisecond replay window both ways', () => {
    assert.equal(reason(verify(v3Request({ ts: NOW - 300_001 }))), 'timestamp_too_old');
    assert.deepEqual(verify(v3Request({ ts: NOW - 299_999 })), { ok: true });
    assert.equal(reason(verify(v3Request({ ts: NOW + 300_001 }))), 'timestamp_in_future');
    // Seconds instead of milliseconds is 1970 in HubSpot's unit: stale, not accepted.
    assert.equal(reason(verify(v3Request({ ts: Math.floor(NOW / 1000) }))), 'timestamp_too_old');
    assert.equal(reason(verify(v3Request({ ts: NOW - 60_000 }), [SECRET], NOW, 30)), 'timestamp_too_old');
  });

  it('rejects missing, garbled and duplicated headers', () => {
    const req = v3Request();
    const headers = { ...req.headers };
    delete headers['x-hubspot-request-timestamp'];
    assert.equal(reason(verify({ ...req, headers })), 'missing_timestamp');
    const cases: [Record<string, string[]>, string][] = [
      [{ 'x-hubspot-request-timestamp': ['12.5e3'] }, 'malformed_timestamp'],
      [{ 'x-hubspot-request-timestamp': ['soon'] }, 'malformed_timestamp'],
      [{ 'x-hubspot-signature-v3': ['not base64!'] }, 'malformed_signature'],
      [{ 'x-hubspot-signature-v3': [Buffer.alloc(20).toString('base64')] }, 'malformed_signature'],
      [{ 'x-hubspot-signature-v3': [''] }, 'missing_signature'],
      [{ 'x-hubspot-signature-v3': ['a', 'b'] }, 'duplicate_header'],
    ];
    for (const [override, expected] of cases) {
      assert.equal(reason(verify({ ...req, headers: { ...req.headers, ...override } })), expected);
    }
  });

  it('rejects an empty POST body and a source without secrets', () => {
    assert.equal(reason(verify({ ...v3Request(), body: Buffer.alloc(0) })), 'empty_body');
    assert.equal(reason(verify(v3Request(), [])), 'no_active_secret');
  });

  it('verifies non-UTF-8 bodies on their bytes', () => {
    const body = Buffer.from([0x5b, 0xff, 0xfe, 0x5d]);
    const ts = NOW;
    const sig = createHmac('sha256', SECRET)
      .update(`POST${URL}`)
      .update(body)
      .update(String(ts))
      .digest('base64');
    const req = request({
      body,
      headers: { 'X-HubSpot-Signature-v3': sig, 'X-HubSpot-Request-Timestamp': String(ts) },
    });
    assert.deepEqual(verify(req), { ok: true });
    assert.equal(hubspot.extract(req, {}).ok, false);
  });
});

describe('hubspot v1/v2', () => {
  const v2sig = (secret: string, body: string) =>
    createHash('sha256').update(`${secret}POST${URL}${body}`).digest('hex');

  it('accepts v2 bound to method and URL', () => {
    const req = request({
      headers: { 'X-HubSpot-Signature': v2sig(SECRET, DOC_BODY), 'X-HubSpot-Signature-Version': 'v2' },
    });
    assert.deepEqual(verify(req), { ok: true });
    assert.equal(reason(verify({ ...req, url: `${URL}?x=1` })), 'signature_mismatch');
  });

  it('rejects an HMAC where a plain hash is expected (wrong derivation)', () => {
    const hmacHex = createHmac('sha256', SECRET).update(DOC_BODY).digest('hex');
    const req = request({ headers: { 'X-HubSpot-Signature': hmacHex, 'X-HubSpot-Signature-Version': 'v1' } });
    assert.equal(reason(verify(req)), 'signature_mismatch');
  });

  it('rejects base64 where hex is expected, unknown and missing versions', () => {
    const digest = createHash('sha256').update(SECRET + DOC_BODY);
    const b64 = digest.copy().digest('base64');
    const hex = digest.digest('hex');
    const headers = (sig: string, version?: string) =>
      request({
        headers: version
          ? { 'X-HubSpot-Signature': sig, 'X-HubSpot-Signature-Version': version }
          : { 'X-HubSpot-Signature': sig },
      });
    assert.deepEqual(verify(headers(hex, 'v1')), { ok: true });
    assert.equal(reason(verify(headers(b64, 'v1'))), 'malformed_signature');
    assert.equal(reason(verify(headers(hex, 'v4'))), 'unsupported_signature_version');
    assert.equal(reason(verify(headers(hex))), 'missing_header');
    assert.equal(reason(verify(headers(`${hex}00`, 'v1'))), 'malformed_signature');
    assert.equal(reason(verify(request({ headers: {} }))), 'missing_signature');
    assert.equal(
      reason(verify(request({ headers: { 'X-HubSpot-Signature-Version': 'v3' } }))),
      'missing_signature',
    );
  });

  it('never puts the secret or the expected MAC in a reason', () => {
    const expected = createHash('sha256')
      .update(SECRET + DOC_BODY)
      .digest('hex');
    const verdict = verify(
      request({ headers: { 'X-HubSpot-Signature': '11'.repeat(32), 'X-HubSpot-Signature-Version': 'v1' } }),
    );
    assert.equal(verdict.ok, false);
    if (!verdict.ok) {
      assert.ok(!verdict.message.includes(SECRET));
      assert.ok(!verdict.message.includes(expected));
    }
  });
});

describe('hubspot extract', () => {
  it('splits the event array, one event per element', () => {
    const body = JSON.stringify([
      { eventId: 100, subscriptionType: 'contact.creation', occurredAt: 1_700_000_000_000, objectId: 1 },
      { eventId: 101, subscriptionType: 'deal.propertyChange', occurredAt: 1_700_000_000_500, objectId: 2 },
    ]);
    const extraction = hubspot.extract(request({ headers: {}, body }), {});
    assert.ok(extraction.ok);
    assert.equal(extraction.events.length, 2);
    assert.deepEqual(
      extraction.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        ['100', 'contact.creation', '2023-11-14T22:13:20.000Z'],
        ['101', 'deal.propertyChange', '2023-11-14T22:13:20.500Z'],
      ],
    );
    assert.deepEqual(JSON.parse(extraction.events[1]?.raw.toString() ?? ''), JSON.parse(body)[1]);
  });

  it('reports unusable bodies', () => {
    assert.equal(hubspot.extract(request({ headers: {}, body: '[]' }), {}).ok, false);
    assert.equal(hubspot.extract(request({ headers: {}, body: 'nope' }), {}).ok, false);
  });
});

describe('hubspot: v1/v2 alone only where the source allows them', () => {
  const v1sig = createHash('sha256').update(`${SECRET}${DOC_BODY}`).digest('hex');
  const legacyOnly = () =>
    request({
      body: DOC_BODY,
      headers: { 'X-HubSpot-Signature': v1sig, 'X-HubSpot-Signature-Version': 'v1' },
    });

  it('refuses a request signed only with v1 by default: it has no timestamp, so it would replay forever', () => {
    assert.equal(reason(verify(legacyOnly(), [SECRET], NOW, 300, {})), 'unsupported_signature_version');
  });

  it('accepts it when the source sets allowLegacySignatures', () => {
    assert.deepEqual(verify(legacyOnly(), [SECRET], NOW, 300, { allowLegacySignatures: true }), { ok: true });
  });

  it('a real delivery (v3 beside v1) stripped of its v3 headers is refused, and stale v3 never falls back', () => {
    const ts = NOW - 3_600_000;
    const both = request({
      body: DOC_BODY,
      headers: {
        'X-HubSpot-Signature': v1sig,
        'X-HubSpot-Signature-Version': 'v1',
        'X-HubSpot-Signature-v3': createHmac('sha256', SECRET)
          .update(`POST${URL}${DOC_BODY}${ts}`)
          .digest('base64'),
        'X-HubSpot-Request-Timestamp': String(ts),
      },
    });
    assert.equal(reason(verify(both, [SECRET], NOW, 300, {})), 'timestamp_too_old');
    const stripped = request({
      body: DOC_BODY,
      headers: { 'X-HubSpot-Signature': v1sig, 'X-HubSpot-Signature-Version': 'v1' },
    });
    assert.equal(reason(verify(stripped, [SECRET], NOW, 300, {})), 'unsupported_signature_version');
  });

  it('validates the option', () => {
    assert.deepEqual(hubspot.validateOptions?.({ allowLegacySignatures: true }), []);
    assert.deepEqual(hubspot.validateOptions?.({}), []);
    assert.equal(hubspot.validateOptions?.({ allowLegacySignatures: 'yes' }).length, 1);
  });
});
