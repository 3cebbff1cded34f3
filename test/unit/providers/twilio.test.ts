import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bodySha256Param, twilio, twilioUrlCandidates } from '../../../lambdas/providers/twilio';
import { twilioParamString } from '../../../lambdas/providers/twilio-form';
import type { RawRequest, Verdict } from '../../../lambdas/providers/types';

// Official vectors: twilio-node / twilio-python request-validator tests and Twilio's docs (auth token 12345).
const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const FORM =
  'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212';
const FORM_SIGNATURE = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
const DOCS_FORM =
  'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212';
const DOCS_FORM_SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
const JSON_BODY = '{"property": "value", "boolean": true}';
const JSON_URL = `${URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`;
const JSON_SIGNATURE = 'a9nBmqA0ju/hNViExpshrM61xv4=';

function request(init: {
  url?: string;
  body?: string | Buffer;
  signature?: string | string[];
  method?: string;
  headers?: Record<string, string[]>;
}): RawRequest {
  const headers: Record<string, string[]> = { ...init.headers };
  if (init.signature !== undefined) {
    headers['x-twilio-signature'] = Array.isArray(init.signature) ? init.signature : [init.signature];
  }
  return {
    method: init.method ?? 'POST',
    url: init.url ?? URL,
    headers,
    body: Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body ?? FORM, 'utf8'),
  };
}

function verify(req: RawRequest, secrets: string[] = [TOKEN]): Verdict {
  return twilio.verify(req, { secrets, nowMs: Date.now(), toleranceSeconds: 300, options: {} });
}

function reason(verdict: Verdict): string {
  return verdict.ok ? 'accepted' : verdict.reason;
}

function sign(token: string, data: string): string {
  return createHmac('sha1', token).update(data).digest('base64');
}

describe('twilio official vectors', () => {
  it('accepts the form-encoded vectors, whatever the parameter order', () => {
    assert.deepEqual(verify(request({ signature: FORM_SIGNATURE })), { ok: true });
    const reordered = FORM.split('&').reverse().join('&');
    assert.deepEqual(verify(request({ signature: FORM_SIGNATURE, body: reordered })), { ok: true });
    assert.deepEqual(verify(request({ signature: DOCS_FORM_SIGNATURE, body: DOCS_FORM })), { ok: true });
  });

  it('accepts the JSON bodySHA256 vector and binds the body', () => {
    const req = request({ url: JSON_URL, body: JSON_BODY, signature: JSON_SIGNATURE });
    assert.deepEqual(verify(req), { ok: true });
    assert.equal(
      reason(verify({ ...req, body: Buffer.from('{"property": "other"}') })),
      'signature_mismatch',
    );
  });

  it('accepts the vectors with the default port added or removed', () => {
    assert.deepEqual(
      verify(request({ url: 'https://mycompany.com:443/myapp.php?foo=1&bar=2', signature: FORM_SIGNATURE })),
      { ok: true },
    );
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    const signedWithPort = sign(TOKEN, withPort + twilioParamString(new Map([['a', ['1']]])));
    assert.deepEqual(verify(request({ url: URL, body: 'a=1', signature: signedWithPort })), { ok: true });
    // twilio-node strips any explicit port, not only the default one; ours follows it.
    assert.deepEqual(
      verify(request({ url: 'https://mycompany.com:8443/myapp.php?foo=1&bar=2', signature: FORM_SIGNATURE })),
      { ok: true },
    );
    assert.equal(
      reason(
        verify(request({ url: 'http://mycompany.com/myapp.php?foo=1&bar=2', signature: FORM_SIGNATURE })),
      ),
      'signature_mismatch',
    );
  });
});

describe('twilio form requests', () => {
  it('signs repeated parameters once per distinct value, sorted (twilio-node rules)', () => {
    assert.equal(
      twilioParamString(
        new Map([
          ['b', ['2']],
          ['a', ['z', 'y', 'z']],
        ]),
      ),
      'ayazb2',
    );
    const body = 'MediaUrl=https%3A%2F%2Fb&MediaUrl=https%3A%2F%2Fa&MediaUrl=https%3A%2F%2Fa&Body=hi+there';
    const signature = sign(TOKEN, `${URL}Bodyhi thereMediaUrlhttps://aMediaUrlhttps://b`);
    assert.deepEqual(verify(request({ body, signature })), { ok: true });
  });

  it('rejects tampered parameters, URL, wrong token and wrong encodings', () => {
    const tampered = FORM.replace('Digits=1234', 'Digits=9999');
    assert.equal(
      reason(verify(request({ body: tampered, signature: FORM_SIGNATURE }))),
      'signature_mismatch',
    );
    assert.equal(
      reason(verify(request({ url: `${URL}&x=1`, signature: FORM_SIGNATURE }))),
      'signature_mismatch',
    );
    assert.equal(reason(verify(request({ signature: FORM_SIGNATURE }), ['54321'])), 'signature_mismatch');
    const hex = Buffer.from(FORM_SIGNATURE, 'base64').toString('hex');
    assert.equal(reason(verify(request({ signature: hex }))), 'malformed_signature');
    const sha256 = createHmac('sha256', TOKEN).update(URL).digest('base64');
    assert.equal(reason(verify(request({ signature: sha256 }))), 'malformed_signature');
    assert.equal(
      reason(verify(request({ signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B9=' }))),
      'malformed_signature',
    );
  });

  it('accepts any of several active auth tokens (rotation)', () => {
    assert.deepEqual(verify(request({ signature: FORM_SIGNATURE }), ['new-token', TOKEN]), { ok: true });
  });

  it('rejects missing, duplicated and empty signatures, empty POST bodies and non-UTF-8 forms', () => {
    assert.equal(reason(verify(request({}))), 'missing_signature');
    assert.equal(
      reason(verify(request({ signature: [FORM_SIGNATURE, DOCS_FORM_SIGNATURE] }))),
      'duplicate_header',
    );
    assert.equal(reason(verify(request({ signature: '' }))), 'missing_signature');
    assert.equal(reason(verify(request({ signature: FORM_SIGNATURE, body: '' }))), 'empty_body');
    const bytes = Buffer.from([0x61, 0x3d, 0xff]);
    assert.equal(reason(verify(request({ signature: FORM_SIGNATURE, body: bytes }))), 'malformed_body');
    assert.equal(reason(verify(request({ signature: FORM_SIGNATURE }), [])), 'no_active_secret');
  });

  it('accepts a GET callback that signs the URL alone', () => {
    const url = 'https://hooks.example.com/twilio?CallSid=CA1&CallStatus=ringing';
    assert.deepEqual(verify(request({ method: 'GET', url, body: '', signature: sign(TOKEN, url) })), {
      ok: true,
    });
  });

  it('tries the same URL spellings as twilio-node', () => {
    assert.deepEqual(twilioUrlCandidates('https://a.example/p?q=it%27s'), [
      'https://a.example/p?q=it%27s',
      'https://a.example:443/p?q=it%27s',
      // Node's legacy querystring leaves ' unescaped when it re-encodes.
      "https://a.example/p?q=it's",
      "https://a.example:443/p?q=it's",
    ]);
    assert.deepEqual(twilioUrlCandidates("https://a.example/p?q=it's"), [
      "https://a.example/p?q=it's",
      "https://a.example:443/p?q=it's",
      'https://a.example/p?q=it%27s',
      'https://a.example:443/p?q=it%27s',
    ]);
  });
});

describe('twilio JSON requests', () => {
  it('rejects an empty, upper-case or wrong bodySHA256 even when the URL signature matches', () => {
    for (const hash of ['', sha(JSON_BODY).toUpperCase(), sha(`${JSON_BODY} `)]) {
      const url = `https://a.example/hook?bodySHA256=${hash}`;
      const req = request({ url, body: JSON_BODY, signature: sign(TOKEN, url) });
      assert.equal(reason(verify(req)), 'signature_mismatch');
    }
  });

  it('never leaks the token or the expected MAC', () => {
    const verdict = verify(request({ signature: Buffer.alloc(20, 1).toString('base64') }));
    assert.equal(verdict.ok, false);
    if (!verdict.ok) {
      assert.ok(!verdict.message.includes(TOKEN));
      assert.ok(!verdict.message.includes(FORM_SIGNATURE));
    }
  });
});

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('twilio bodySHA256 lookup', () => {
  /** What twilio-node reads: the WHATWG URL's first bodySHA256 parameter. */
  function reference(url: string): string | undefined {
    try {
      return new globalThis.URL(url).searchParams.get('bodySHA256') ?? undefined;
    } catch {
      return undefined;
    }
  }

  it('reads the parameter exactly as URL.searchParams does, without building a URL for plain queries', () => {
    const piece = fc.constantFrom(
      'bodySHA256',
      '=',
      '&',
      'abc123',
      'x=1',
      '%62odySHA256',
      '+',
      '%',
      '#',
      '?',
      ' ',
      'é',
      '\t',
      '.',
      '~',
      '-',
    );
    const url = fc
      .tuple(
        fc.constantFrom(
          'https://hooks.example.com/p',
          'https://a.example:8443/x/y',
          'https://exa mple.com/p',
          'nonsense',
        ),
        fc.array(piece, { maxLength: 12 }),
      )
      .map(([base, pieces]) => `${base}?${pieces.join('')}`);
    fc.assert(
      fc.property(url, (candidate) => {
        assert.equal(bodySha256Param(candidate), reference(candidate));
      }),
      { numRuns: 3000 },
    );
  });

  it('ignores a fragment and a URL without a query', () => {
    assert.equal(bodySha256Param('https://h.example/p#?bodySHA256=ab'), undefined);
    assert.equal(bodySha256Param('https://h.example/p?x=1#bodySHA256=ab'), undefined);
    assert.equal(bodySha256Param('https://h.example/p?bodySHA256=ab&bodySHA256=cd#f'), 'ab');
    assert.equal(bodySha256Param('https://h.example/p'), undefined);
  });
});

describe('twilio extract', () => {
  it('never uses the unsigned I-Twilio-Idempotency-Token: a fresh token is the same event', () => {
    const withToken = (token: string, body = 'MessageSid=SM1&MessageStatus=delivered') =>
      twilio.extract(request({ body, headers: { 'i-twilio-idempotency-token': [token] } }), {});
    for (const token of ['tok-1', 'tok-2']) {
      const extraction = withToken(token);
      assert.ok(extraction.ok);
      assert.deepEqual(
        extraction.events.map((e) => [e.providerEventId, e.eventType]),
        [['SM1:delivered', 'message.delivered']],
      );
    }
    // Without a sid: the signed parameter string, which reordering or re-encoding cannot change.
    const idOf = (body: string, token: string) => {
      const extraction = withToken(token, body);
      assert.ok(extraction.ok);
      return extraction.events[0]?.providerEventId;
    };
    const id = idOf('Foo=bar&Baz=a+b', 'tok-1');
    assert.match(String(id), /^twilio-params:[0-9a-f]{64}$/);
    assert.equal(idOf('Baz=a%20b&Foo=bar', 'tok-2'), id);
    assert.notEqual(idOf('Foo=bar&Baz=a+c', 'tok-1'), id);
  });

  it('falls back to sid:status(:sequence) for messages and calls', () => {
    const sms = twilio.extract(request({ body: 'SmsSid=SM2&SmsStatus=received&Body=hi' }), {});
    assert.ok(sms.ok);
    assert.equal(sms.events[0]?.providerEventId, 'SM2:received');
    assert.equal(sms.events[0]?.eventType, 'message.received');
    const call = twilio.extract(
      request({
        body: 'CallSid=CA9&CallStatus=completed&SequenceNumber=3&Timestamp=Tue%2C%2014%20Nov%202023%2022%3A13%3A20%20%2B0000',
      }),
      {},
    );
    assert.ok(call.ok);
    assert.deepEqual(
      [call.events[0]?.providerEventId, call.events[0]?.eventType, call.events[0]?.occurredAt],
      ['CA9:completed:3', 'call.completed', '2023-11-14T22:13:20.000Z'],
    );
    const other = twilio.extract(request({ body: 'Foo=bar' }), {});
    assert.ok(other.ok);
    assert.match(String(other.events[0]?.providerEventId), /^twilio-params:/);
    assert.equal(other.events[0]?.eventType, 'twilio.form');
  });

  it('splits JSON arrays of CloudEvents and reads single JSON objects', () => {
    const events = [
      { id: 'ev1', type: 'com.twilio.messaging.message.delivered', time: '2023-11-14T22:13:20Z' },
      { id: 'ev2', type: 'com.twilio.messaging.message.sent', time: '2023-11-14T22:13:21Z' },
    ];
    const url = `https://a.example/h?bodySHA256=${sha(JSON.stringify(events))}`;
    const batch = twilio.extract(request({ url, body: JSON.stringify(events) }), {});
    assert.ok(batch.ok);
    assert.deepEqual(
      batch.events.map((e) => [e.providerEventId, e.eventType, e.occurredAt]),
      [
        ['ev1', 'com.twilio.messaging.message.delivered', '2023-11-14T22:13:20.000Z'],
        ['ev2', 'com.twilio.messaging.message.sent', '2023-11-14T22:13:21.000Z'],
      ],
    );
    const single = twilio.extract(
      request({ url: JSON_URL, body: JSON_BODY, headers: { 'i-twilio-idempotency-token': ['tok'] } }),
      {},
    );
    assert.ok(single.ok);
    assert.equal(single.events[0]?.eventType, 'unknown');
    // No id in the signed body: the body's hash (bodySHA256 binds the body to the signature), not the token.
    assert.equal(single.events[0]?.providerEventId, `twilio-body:${sha(JSON_BODY)}`);
    assert.equal(twilio.extract(request({ url: JSON_URL, body: 'not json' }), {}).ok, false);
  });
});
