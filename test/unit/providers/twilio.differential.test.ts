/**
 * Differential tests against the twilio SDK: requests signed with `getExpectedTwilioSignature` are accepted
 * by ours, and mutated requests are judged the same by ours and by `validateRequest` (form-encoded) or
 * `validateRequestWithBody` (JSON with `bodySHA256`).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import twilioSdk from 'twilio';
import { twilio } from '../../../lambdas/providers/twilio';
import type { RawRequest } from '../../../lambdas/providers/types';
import { replaceCharAt, signatureCharArb } from './scheme-test-kit';

const RUNS = 200;

type Params = Record<string, string | string[]>;

function formBody(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
  }
  return search.toString();
}

function ours(token: string | string[], signature: string, url: string, body: string): boolean {
  const request: RawRequest = {
    method: 'POST',
    url,
    headers: { 'x-twilio-signature': [signature] },
    body: Buffer.from(body, 'utf8'),
  };
  const secrets = Array.isArray(token) ? token : [token];
  return twilio.verify(request, { secrets, nowMs: Date.now(), toleranceSeconds: 300, options: {} }).ok;
}

function sdkForm(token: string, signature: string, url: string, params: Params): boolean {
  try {
    return twilioSdk.validateRequest(token, signature, url, params);
  } catch {
    return false;
  }
}

function sdkJson(token: string, signature: string, url: string, body: string): boolean {
  try {
    return twilioSdk.validateRequestWithBody(token, signature, url, body);
  } catch {
    return false;
  }
}

// Blank tokens are refused by design (test/unit/providers/empty-secret.test.ts), unlike the SDK.
const tokenArb = fc.string({ minLength: 1, maxLength: 32 }).filter((s) => s.trim() !== '');
// Short values, and values long enough (over 64 bytes) that the parser hands their rest to native searches.
const textArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 200, unit: 'grapheme' }) },
  // Long plain text whose only escapes are spaces (`+`).
  {
    weight: 1,
    arbitrary: fc
      .array(fc.constantFrom('a', 'Z', '1', ' ', '.'), { minLength: 60, maxLength: 200 })
      .map((chars) => chars.join('')),
  },
);
const paramsArb: fc.Arbitrary<Params> = fc.dictionary(
  // Prefixed so no generated name is special on a plain object (e.g. __proto__).
  fc.string({ minLength: 0, maxLength: 10, unit: 'grapheme' }).map((name) => `p${name}`),
  fc.oneof(textArb, fc.array(textArb, { minLength: 1, maxLength: 4 })),
  { minKeys: 1, maxKeys: 8 },
);
const urlArb = fc.webUrl({ withQueryParameters: true });

type Mutation =
  | { kind: 'none' }
  | { kind: 'token' }
  | { kind: 'url'; suffix: string }
  | { kind: 'port' }
  | { kind: 'signature'; at: number; char: string }
  | { kind: 'param'; name: string; value: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'none' }),
  fc.constant<Mutation>({ kind: 'token' }),
  fc.constant<Mutation>({ kind: 'port' }),
  fc.record({ kind: fc.constant('url' as const), suffix: fc.constantFrom('x', '/', '&a=1', "'", '%27') }),
  signatureCharArb(['A', 'a', '0', '+', '/', '=', '-', '_']),
  fc.record({
    kind: fc.constant('param' as const),
    name: fc.constantFrom('pA', 'p', 'Body'),
    value: textArb,
  }),
);

function withPort(url: string): string {
  return url.replace(/^(https?:\/\/[^/?#:]*)/i, (origin) =>
    origin.toLowerCase().startsWith('https') ? `${origin}:443` : `${origin}:80`,
  );
}

describe('twilio form-encoded vs twilio.validateRequest', () => {
  it('accepts every request signed with getExpectedTwilioSignature', () => {
    fc.assert(
      fc.property(tokenArb, urlArb, paramsArb, (token, url, params) => {
        const signature = twilioSdk.getExpectedTwilioSignature(token, url, params);
        assert.equal(sdkForm(token, signature, url, params), true);
        assert.equal(ours(token, signature, url, formBody(params)), true);
        assert.equal(ours(['rotated-new', token], signature, url, formBody(params)), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated requests like the SDK', () => {
    fc.assert(
      fc.property(tokenArb, urlArb, paramsArb, mutationArb, (token, url, params, mutation) => {
        const signature = twilioSdk.getExpectedTwilioSignature(token, url, params);
        let req = { token, signature, url, params };
        switch (mutation.kind) {
          case 'token':
            req = { ...req, token: `${token}x` };
            break;
          case 'url':
            req = { ...req, url: url + mutation.suffix };
            break;
          case 'port':
            req = { ...req, url: withPort(url) };
            break;
          case 'signature':
            req = { ...req, signature: replaceCharAt(signature, mutation.at, mutation.char) };
            break;
          case 'param': {
            const existing = params[mutation.name];
            const merged = existing === undefined ? mutation.value : [existing, mutation.value].flat();
            req = { ...req, params: { ...params, [mutation.name]: merged } };
            break;
          }
          case 'none':
            break;
        }
        const expected = sdkForm(req.token, req.signature, req.url, req.params);
        assert.equal(ours(req.token, req.signature, req.url, formBody(req.params)), expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('twilio JSON vs twilio.validateRequestWithBody', () => {
  const bodyArb = fc.json({ maxDepth: 3 });
  const jsonUrl = (url: string, body: string) =>
    `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${createHash('sha256').update(body).digest('hex')}`;

  it('accepts every request signed over its bodySHA256 URL', () => {
    fc.assert(
      fc.property(tokenArb, urlArb, bodyArb, (token, base, body) => {
        const url = jsonUrl(base, body);
        const signature = twilioSdk.getExpectedTwilioSignature(token, url, {});
        assert.equal(sdkJson(token, signature, url, body), true);
        assert.equal(ours(token, signature, url, body), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated body, URL, token and signature like the SDK', () => {
    fc.assert(
      fc.property(
        tokenArb,
        urlArb,
        bodyArb,
        fc.constantFrom('body', 'url', 'token', 'signature', 'none'),
        fc.nat(),
        (token, base, body, kind, at) => {
          const url = jsonUrl(base, body);
          const signature = twilioSdk.getExpectedTwilioSignature(token, url, {});
          const req = {
            token: kind === 'token' ? `${token}x` : token,
            url: kind === 'url' ? `${url}0` : url,
            body: kind === 'body' ? `${body} ` : body,
            signature: kind === 'signature' ? replaceCharAt(signature, at, 'Q') : signature,
          };
          const expected = sdkJson(req.token, req.signature, req.url, req.body);
          assert.equal(ours(req.token, req.signature, req.url, req.body), expected);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
