/**
 * The local signers (`npm run send`, chaos, fuzz) against the delivery corpus: for each provider with a
 * signer, signing a documented delivery's body must produce the headers that delivery carries, in the
 * documented spelling, with timestamps in the documented format, and a request the registry accepts.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { authenticate } from '../../../lambdas/providers/index';
import type { ProviderId, RawRequest } from '../../../lambdas/providers/types';
import { SIGNERS } from '../../../local/signers';

const CORPUS = fileURLToPath(new URL('../../fixtures/deliveries/', import.meta.url));

interface Delivery {
  readonly source: string;
  readonly method: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly bodyText?: string;
  readonly bodyBase64?: string;
  readonly secrets: readonly string[];
  readonly verifyAtMs: number;
  readonly todo?: string;
}

/** Providers whose source secret is a public key: the signer needs a private key, made fresh here. */
const KEY_PAIRS: Partial<Record<ProviderId, () => { secret: string; signingKey: string }>> = {
  sendgrid: () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return {
      secret: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  },
  discord: () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const der = publicKey.export({ format: 'der', type: 'spki' });
    return {
      secret: der.subarray(der.length - 32).toString('hex'),
      signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  },
};

/** The shape of a header value: digits become `9`, so units and formats compare but values do not. */
const shape = (value: string) => value.replace(/[0-9]/g, '9');

/** Headers that carry a timestamp of their own (Stripe-like headers carry it inside the signature header). */
const isTimestampHeader = (name: string) => /timestamp/i.test(name);

function firstDelivery(provider: string): Delivery | undefined {
  const files = readdirSync(join(CORPUS, provider))
    .filter((file) => file.endsWith('.json'))
    .sort();
  const deliveries = files.map(
    (file) => JSON.parse(readFileSync(join(CORPUS, provider, file), 'utf8')) as Delivery,
  );
  // A delivery whose headers are all the provider's own (no docs vector that omits headers the signer adds).
  return deliveries.find((d) => d.source !== 'docs-with-signature') ?? deliveries[0];
}

describe('local signers produce the documented header formats (delivery corpus)', () => {
  for (const [provider, signer] of Object.entries(SIGNERS) as [
    ProviderId,
    NonNullable<(typeof SIGNERS)[ProviderId]>,
  ][]) {
    const delivery = firstDelivery(provider);
    if (!delivery) continue;
    it(`${provider}: headers as documented, and the registry accepts the signed delivery`, () => {
      const body =
        delivery.bodyBase64 !== undefined
          ? Buffer.from(delivery.bodyBase64, 'base64')
          : Buffer.from(delivery.bodyText ?? '', 'utf8');
      const pair = KEY_PAIRS[provider]?.();
      const contentType = delivery.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1];
      const deliveryId = delivery.headers.find(([name]) => /^(webhook|svix)-id$/i.test(name))?.[1];
      const signed = signer({
        body,
        url: delivery.url,
        method: delivery.method,
        signingKey: pair?.signingKey ?? delivery.secrets[0] ?? '',
        nowMs: delivery.verifyAtMs,
        ...(contentType ? { contentType } : {}),
        ...(deliveryId ? { deliveryId } : {}),
      });
      const documented = new Map(
        delivery.headers.map(([name, value]) => [name.toLowerCase(), { name, value }]),
      );
      for (const [name, value] of Object.entries(signed.headers)) {
        const doc = documented.get(name.toLowerCase());
        assert.ok(doc, `${name} is a header the provider documents for this delivery`);
        assert.equal(name, doc.name, `${name} is spelled as documented`);
        if (isTimestampHeader(name)) assert.equal(shape(value), shape(doc.value), `${name} format`);
      }
      // Every signature and timestamp header the documented delivery carries, the signer produces too.
      const signedNames = new Set(Object.keys(signed.headers).map((name) => name.toLowerCase()));
      const producedByProvider = [...documented.keys()].filter((name) =>
        /signature|timestamp|hmac/.test(name),
      );
      for (const name of producedByProvider) assert.ok(signedNames.has(name), `signer sends ${name}`);

      // The signed delivery (documented headers, the signer's in their place) verifies at the signing time.
      const headers: Record<string, string[]> = {};
      for (const [name, { value }] of documented) headers[name] = [value];
      for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = [value];
      const request: RawRequest = { method: delivery.method, url: signed.url, headers, body };
      const verdict = authenticate({
        provider,
        request,
        secrets: pair ? [pair.secret] : delivery.secrets,
        nowMs: delivery.verifyAtMs,
      });
      assert.deepEqual(verdict, { ok: true });
    });
  }
});
