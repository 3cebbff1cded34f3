/**
 * Shopify webhooks: `X-Shopify-Hmac-Sha256` (events API: `shopify-hmac-sha256`) = base64 HMAC-SHA256 of
 * the body, keyed with the app's client secret as UTF-8. Several active secrets cover a secret rotation.
 *
 * No replay window by default: Shopify signs no timestamp. `X-Shopify-Triggered-At` is not part of the
 * signed bytes, so anyone replaying a captured delivery could rewrite it, and Shopify's own retries (up
 * to 8 over 4 hours, 48 h on older plans) keep the original value, so a window on it would reject
 * legitimate retries while stopping no attacker. Replays are absorbed by dedupe on the event id instead.
 *
 * Signatures must be canonical base64 (Shopify's libraries compare the base64 text).
 *
 * Events: one per request; id = `X-Shopify-Event-Id` (fallback `X-Shopify-Webhook-Id`), type =
 * `X-Shopify-Topic` (`orders/create`), occurredAt = `X-Shopify-Triggered-At`. The `shopify-*` spellings of
 * the events API are read too.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  decodeCanonicalBase64,
  type HeaderResult,
  hmac,
  optionalHeader,
  reject,
  requireBody,
  requireSecrets,
  singleHeaderValue,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

/** `X-Shopify-<name>`, else the events API's `shopify-<name>`. */
function shopifyHeader(request: RawRequest, name: string): string | undefined {
  return optionalHeader(request, `x-shopify-${name}`) ?? optionalHeader(request, `shopify-${name}`);
}

function signatureHeader(request: RawRequest): HeaderResult {
  if (request.headers['x-shopify-hmac-sha256'] !== undefined) {
    return singleHeaderValue(request, 'x-shopify-hmac-sha256', 'X-Shopify-Hmac-Sha256', 'missing_signature');
  }
  if (request.headers['shopify-hmac-sha256'] !== undefined) {
    return singleHeaderValue(request, 'shopify-hmac-sha256', 'shopify-hmac-sha256', 'missing_signature');
  }
  return reject('missing_signature', 'Missing X-Shopify-Hmac-Sha256 header');
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = signatureHeader(request);
  if (!header.ok) return header;
  const decoded = decodeCanonicalBase64(header.value);
  if (decoded?.length !== 32) {
    return reject('malformed_signature', 'X-Shopify-Hmac-Sha256 is not a base64 HMAC-SHA256');
  }
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha256', secret, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', 'X-Shopify-Hmac-Sha256 does not match');
}

function extract(request: RawRequest): Extraction {
  return {
    ok: true,
    events: [
      {
        providerEventId: shopifyHeader(request, 'event-id') ?? shopifyHeader(request, 'webhook-id'),
        eventType: shopifyHeader(request, 'topic') ?? 'unknown',
        occurredAt: toIso(shopifyHeader(request, 'triggered-at')),
        raw: request.body,
      },
    ],
  };
}

/** Shopify `X-Shopify-Hmac-Sha256` (HMAC-SHA256 base64 of the body). */
export const shopify: ProviderScheme<unknown> = {
  id: 'shopify',
  verify,
  extract,
};
