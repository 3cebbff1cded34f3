/**
 * Square (`x-square-hmacsha256-signature`): HMAC-SHA256, base64, keyed with the subscription's signature
 * key (UTF-8) over `notificationUrl + body`. The notification URL is the exact URL configured in Square's
 * developer portal, i.e. the request's public URL (the source's `publicUrl`), never the Host header.
 * Square's `WebhooksHelper.verifySignature` compares the base64 text, so only canonical base64 is accepted.
 * The legacy HMAC-SHA1 `x-square-signature` is deliberately not supported (Square sends both; SHA-256 wins).
 * No timestamp is signed, so there is no replay window: dedupe on `event_id` is the replay defence.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/square/): Square docs "Validate notifications": `x-square-hmacsha256-signature` =
 * base64 HMAC-SHA256 of notification URL + body with the subscription's signature key; no timestamp. The
 * SDK's signed vector verifies in the corpus. Matches.
 *
 * Events: one per request, id = `event_id`, type = `type`, occurredAt = `created_at`.
 */
import { asString, toIso } from './common';
import { type HeaderHmacLayout, singleJsonEvent, verifyHeaderHmac } from './header-hmac';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'x-square-hmacsha256-signature';

const LAYOUT: HeaderHmacLayout = {
  header: SIGNATURE_HEADER,
  algorithm: 'sha256',
  encoding: 'base64',
  // Square signs the notification URL it called, then the body.
  signedParts: (request) => [request.url, request.body],
};

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  return verifyHeaderHmac(request, context, LAYOUT);
}

function extract(request: RawRequest): Extraction {
  return singleJsonEvent(request, 'Square', (body) => ({
    providerEventId: asString(body.event_id),
    eventType: asString(body.type),
    occurredAt: toIso(body.created_at),
  }));
}

/** Square webhook signature (HMAC-SHA256 over notification URL + body). */
export const square: ProviderScheme<unknown> = { id: 'square', verify, extract };
