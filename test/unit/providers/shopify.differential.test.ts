/**
 * Differential tests against @shopify/shopify-api's `webhooks.validate` (node adapter), which checks the
 * HMAC header and then requires the topic, shop domain, API version and webhook id headers (plus the event
 * id for the events API). Signatures come from the SDK's own `getHmac` test helper. Every request carries
 * the full header set the SDK requires, for both the classic `X-Shopify-*` and the events API `shopify-*`
 * spellings, so the two verdicts can only differ on the signature.
 *
 * Intended differences, kept out of the generators and asserted on their own: a repeated signature header,
 * or both spellings of it with different values, is rejected by ours, while the SDK reads only the first
 * value of the header its flavour names. The cases where ours used to accept what the SDK rejects (both
 * spellings, the events one wrong; no topic, domain, API version or webhook id headers) are asserted at
 * the end: ours now rejects them too.
 */
import '@shopify/shopify-api/adapters/node';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ApiVersion,
  LogSeverity,
  type Shopify,
  ShopifyEventsHeader,
  ShopifyHeader,
  shopifyApi,
} from '@shopify/shopify-api';
import { getHmac } from '@shopify/shopify-api/test-helpers';
import fc from 'fast-check';
import { shopify } from '../../../lambdas/providers/shopify';
import { type CommonMutation, commonMutations, rawRequest, verifyWith } from './scheme-test-kit';

const RUNS = 200;

type Flavour = 'webhooks' | 'events';
type Headers = Record<string, string | string[]>;

// One SDK instance per secret: the secret is fixed at construction and building one costs a few ms.
const sdkBySecret = new Map<string, Shopify>();
function sdkFor(secret: string): Shopify {
  let api = sdkBySecret.get(secret);
  if (!api) {
    api = shopifyApi({
      apiKey: 'differential-test-api-key',
      apiSecretKey: secret,
      hostName: 'hooks.example.com',
      apiVersion: ApiVersion.July25,
      isEmbeddedApp: false,
      logger: { level: LogSeverity.Error },
    });
    sdkBySecret.set(secret, api);
  }
  return api;
}

async function sdkAccepts(secret: string, body: string, headers: Headers): Promise<boolean> {
  try {
    // The node adapter reads only `headers`, `method` and `url` of the IncomingMessage; node hands it
    // lower-case header names, which is what `shopifyHeaders` builds.
    const result = await sdkFor(secret).webhooks.validate({
      rawBody: body,
      rawRequest: { method: 'POST', url: '/webhooks/shopify', headers },
    });
    return result.valid;
  } catch {
    return false;
  }
}

function oursAccepts(secrets: string[], body: string, headers: Headers): boolean {
  return verifyWith(shopify, rawRequest({ body, headers }), { secrets, nowMs: Date.now() }).ok;
}

/** Every header the SDK requires for the flavour, with `hmac` as the signature. */
function shopifyHeaders(flavour: Flavour, hmac: string | string[]): Headers {
  if (flavour === 'events') {
    return {
      [ShopifyEventsHeader.Hmac]: hmac,
      [ShopifyEventsHeader.Topic]: 'orders/create',
      [ShopifyEventsHeader.Domain]: 'example.myshopify.com',
      [ShopifyEventsHeader.ApiVersion]: ApiVersion.July25,
      [ShopifyEventsHeader.WebhookId]: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      [ShopifyEventsHeader.EventId]: '7e4cbd8d-0e8e-4a8b-9d0e-8e9cbe1b4b2c',
      [ShopifyEventsHeader.TriggeredAt]: '2025-07-01T12:00:00.000Z',
    };
  }
  return {
    [ShopifyHeader.Hmac.toLowerCase()]: hmac,
    [ShopifyHeader.Topic.toLowerCase()]: 'orders/create',
    [ShopifyHeader.Domain.toLowerCase()]: 'example.myshopify.com',
    [ShopifyHeader.ApiVersion.toLowerCase()]: ApiVersion.July25,
    [ShopifyHeader.WebhookId.toLowerCase()]: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    [ShopifyHeader.EventId.toLowerCase()]: '7e4cbd8d-0e8e-4a8b-9d0e-8e9cbe1b4b2c',
    [ShopifyHeader.TriggeredAt.toLowerCase()]: '2025-07-01T12:00:00.000Z',
  };
}

// Blank secrets are refused by design (test/unit/providers/empty-secret.test.ts), unlike the SDK.
const secretArb = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => s.trim() !== '');
const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }),
);
const flavourArb = fc.constantFrom<Flavour>('webhooks', 'events');

type Mutation =
  | CommonMutation
  | { kind: 'unpadded' }
  | { kind: 'hex' }
  | { kind: 'empty-body' }
  | { kind: 'drop-header'; at: number }
  | { kind: 'both-spellings' };

const common = commonMutations({
  // Unmutated requests weigh more so the accepting side of the verdict is well exercised.
  noneWeight: 3,
  textUnit: 'grapheme',
  signatureChars: ['A', 'B', 'a', 'z', '0', '+', '/', '-', '_', '=', ' ', '!'],
});
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  ...common.arbitraries,
  fc.constant({ kind: 'unpadded' as const }),
  fc.constant({ kind: 'hex' as const }),
  fc.constant({ kind: 'empty-body' as const }),
  fc.record({ kind: fc.constant('drop-header' as const), at: fc.nat() }),
  // The same signature under the other spelling too (different values are an intended difference).
  fc.constant({ kind: 'both-spellings' as const }),
);

describe('shopify vs @shopify/shopify-api webhooks.validate', () => {
  it('accepts every signature getHmac makes, for both header spellings and any active secret', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, bodyArb, flavourArb, async (secret, other, body, flavour) => {
        const headers = shopifyHeaders(flavour, getHmac(body, secret));
        assert.equal(await sdkAccepts(secret, body, headers), true);
        assert.equal(oursAccepts([secret], body, headers), true);
        assert.equal(oursAccepts([other, secret], body, headers), true);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges mutated bodies, secrets and signatures like the SDK', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        bodyArb,
        flavourArb,
        mutationArb,
        async (secret, original, flavour, mutation) => {
          let body = original;
          let receiverSecret = secret;
          let signature = getHmac(original, secret);
          let editHeaders = (headers: Headers): Headers => headers;
          switch (mutation.kind) {
            case 'unpadded':
              signature = signature.replace(/=+$/, '');
              break;
            case 'hex':
              signature = Buffer.from(signature, 'base64').toString('hex');
              break;
            case 'empty-body':
              body = '';
              break;
            case 'drop-header':
              editHeaders = (headers) => {
                const names = Object.keys(headers).filter((name) => !name.endsWith('hmac-sha256'));
                const { [names[mutation.at % names.length] ?? '']: _, ...rest } = headers;
                return rest;
              };
              break;
            case 'both-spellings':
              editHeaders = (headers) => ({
                ...headers,
                [flavour === 'events' ? ShopifyHeader.Hmac.toLowerCase() : ShopifyEventsHeader.Hmac]:
                  signature,
              });
              break;
            default:
              ({ body, receiverSecret, signature } = common.apply(
                { body, receiverSecret, signature },
                mutation,
              ));
          }
          const headers = editHeaders(shopifyHeaders(flavour, signature));
          assert.equal(
            oursAccepts([receiverSecret], body, headers),
            await sdkAccepts(receiverSecret, body, headers),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('documents the intended difference: a repeated signature header', async () => {
    // The SDK keeps the first value of a repeated header; ours refuses to pick one.
    const secret = 'shpss_differential';
    const body = '{"id":820982911946154500}';
    const genuine = getHmac(body, secret);
    for (const flavour of ['webhooks', 'events'] as const) {
      const headers = shopifyHeaders(flavour, [genuine, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=']);
      assert.equal(await sdkAccepts(secret, body, headers), true);
      assert.equal(oursAccepts([secret], body, headers), false);
    }
  });
});

describe('shopify: formerly reported cases, now rejected by ours as by the SDK', () => {
  const secret = 'shpss_differential';
  const body = '{"id":820982911946154500}';
  const genuine = getHmac(body, secret);
  const forged = 'bm90IGEgc2lnbmF0dXJl';

  it('both header spellings present: the SDK checks only shopify-hmac-sha256', async () => {
    const eventsForged = { ...shopifyHeaders('events', forged), ...shopifyHeaders('webhooks', genuine) };
    assert.equal(await sdkAccepts(secret, body, eventsForged), false);
    assert.equal(oursAccepts([secret], body, eventsForged), false);

    // Intended difference: the other way round the SDK accepts, ours refuses two signatures that differ.
    const classicForged = { ...shopifyHeaders('webhooks', forged), ...shopifyHeaders('events', genuine) };
    assert.equal(await sdkAccepts(secret, body, classicForged), true);
    assert.equal(oursAccepts([secret], body, classicForged), false);

    // The same value under both spellings is fine for both; the events headers then apply.
    const same = { ...shopifyHeaders('webhooks', genuine), ...shopifyHeaders('events', genuine) };
    assert.equal(await sdkAccepts(secret, body, same), true);
    assert.equal(oursAccepts([secret], body, same), true);
  });

  it('a genuinely signed request without the topic, domain, API version or webhook id headers', async () => {
    for (const flavour of ['webhooks', 'events'] as const) {
      const hmacHeader = flavour === 'events' ? ShopifyEventsHeader.Hmac : ShopifyHeader.Hmac;
      const headers = { [hmacHeader.toLowerCase()]: genuine };
      assert.equal(await sdkAccepts(secret, body, headers), false, flavour);
      assert.equal(oursAccepts([secret], body, headers), false, flavour);
    }
  });

  it('the delivery headers of the other spelling do not stand in', async () => {
    const { [ShopifyEventsHeader.Hmac]: _, ...eventsDelivery } = shopifyHeaders('events', genuine);
    const classicSignature = { ...eventsDelivery, [ShopifyHeader.Hmac.toLowerCase()]: genuine };
    assert.equal(await sdkAccepts(secret, body, classicSignature), false);
    assert.equal(oursAccepts([secret], body, classicSignature), false);
    const { [ShopifyHeader.Hmac.toLowerCase()]: __, ...classicDelivery } = shopifyHeaders(
      'webhooks',
      genuine,
    );
    const eventsSignature = { ...classicDelivery, [ShopifyEventsHeader.Hmac]: genuine };
    assert.equal(await sdkAccepts(secret, body, eventsSignature), false);
    assert.equal(oursAccepts([secret], body, eventsSignature), false);
  });
});
