/**
 * Breach 3 of issue 13, at the scheme layer: no empty or whitespace-only secret verifies anything, for
 * any scheme (HMAC and public-key alike). The ingest and the secret cache drop such values already; this
 * is the last line, in the key preparation every scheme shares (lambdas/providers/common.ts).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmac, hmacBase64, keyCache, requireSecrets } from '../../../lambdas/providers/common';
import { authenticate, SCHEMES } from '../../../lambdas/providers/index';
import type { ProviderId, RawRequest } from '../../../lambdas/providers/types';
import { generateLocalSecret, SIGNERS } from '../../../local/signers';

const BLANKS = ['', ' ', '   ', '\n', '\t \r\n'];

function rawRequest(url: string, headers: Readonly<Record<string, string>>, body: Buffer): RawRequest {
  const lower: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = [value];
  return { method: 'POST', url, headers: lower, body, sourceIp: '127.0.0.1' };
}

const body = (nowMs: number) =>
  Buffer.from(
    JSON.stringify({ id: 'evt_1', event_id: 'evt_1', type: 'ping', webhookTimestamp: nowMs, data: {} }),
  );

describe('key preparation refuses empty keys', () => {
  it('an HMAC keyed with an empty or blank string is not the HMAC anyone can compute with that key', () => {
    for (const blank of BLANKS) {
      const forged = createHmac('sha256', blank).update('payload').digest();
      assert.notDeepEqual(hmac('sha256', blank, 'payload'), forged, JSON.stringify(blank));
      assert.notEqual(hmacBase64('sha256', blank, 'payload'), forged.toString('base64'));
    }
    const forged = createHmac('sha256', Buffer.alloc(0)).update('payload').digest();
    assert.notDeepEqual(hmac('sha256', Buffer.alloc(0), 'payload'), forged);
  });

  it('real keys are untouched', () => {
    const expected = createHmac('sha256', 'k').update('payload').digest();
    assert.deepEqual(hmac('sha256', 'k', 'payload'), expected);
    assert.deepEqual(hmac('sha256', Buffer.from('k'), 'payload'), expected);
  });

  it('keyCache never parses a blank secret into a key', () => {
    let parsed = 0;
    const cache = keyCache((secret) => {
      parsed++;
      return secret;
    });
    for (const blank of BLANKS) assert.equal(cache(blank), null);
    assert.equal(parsed, 0);
    assert.equal(cache('k'), 'k');
  });

  it('requireSecrets counts only usable secrets', () => {
    assert.equal(requireSecrets([])?.reason, 'no_active_secret');
    assert.equal(requireSecrets(['', ' '])?.reason, 'no_active_secret');
    assert.equal(requireSecrets(['', 'k']), undefined);
  });
});

describe('no scheme verifies with an empty secret', () => {
  const nowMs = Date.now();
  for (const provider of Object.keys(SCHEMES) as ProviderId[]) {
    it(`${provider}: only blank secrets is a misconfiguration (503 at the ingest), whatever the request`, () => {
      const signer = SIGNERS[provider];
      const { secret, signingKey } = generateLocalSecret(provider);
      const url = `https://hooks.example.com/webhooks/${provider}`;
      const payload = body(nowMs);
      // A genuinely signed request (so only the secret can make it fail), or a bare one without a signer.
      const signed = signer?.({
        body: payload,
        url,
        signingKey: signingKey ?? secret,
        nowMs,
        contentType: 'application/json',
      });
      const request = rawRequest(
        signed?.url ?? url,
        { 'content-type': 'application/json', ...signed?.headers },
        payload,
      );
      for (const blank of BLANKS) {
        const verdict = authenticate({ provider, request, secrets: [blank], nowMs });
        assert.equal(verdict.ok, false, `${provider} accepted secret ${JSON.stringify(blank)}`);
        // generic-hmac without options says invalid_secret_config first; both are answered 503.
        assert.ok(!verdict.ok && ['no_active_secret', 'invalid_secret_config'].includes(verdict.reason));
      }
    });
  }

  const hmacSigned = (Object.keys(SIGNERS) as ProviderId[]).filter((p) => {
    const { signingKey } = generateLocalSecret(p);
    return signingKey === undefined;
  });
  for (const provider of hmacSigned) {
    it(`${provider}: a request signed with the empty key fails even beside a real secret`, () => {
      const signer = SIGNERS[provider];
      assert.ok(signer);
      const { secret } = generateLocalSecret(provider);
      const url = `https://hooks.example.com/webhooks/${provider}`;
      const payload = body(nowMs);
      for (const blank of BLANKS) {
        let signed: ReturnType<typeof signer>;
        try {
          signed = signer({ body: payload, url, signingKey: blank, nowMs, contentType: 'application/json' });
        } catch {
          continue; // a signer that cannot sign with this key (e.g. base64 secrets): nothing to forge
        }
        const request = rawRequest(
          signed.url,
          { 'content-type': 'application/json', ...signed.headers },
          payload,
        );
        const verdict = authenticate({ provider, request, secrets: [blank, secret], nowMs });
        assert.equal(
          verdict.ok,
          false,
          `${provider} accepted a request signed with ${JSON.stringify(blank)}`,
        );
      }
    });
  }
});
