/**
 * Intercom (`X-Hub-Signature: sha1=<hex>`): HMAC-SHA1, hex, keyed with the app's `client_secret` (UTF-8)
 * over the body. No timestamp is signed, so no replay window: dedupe on the notification `id` is the defence.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/intercom/): Intercom docs "Setting up webhooks" > "Signed notifications":
 * `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body with the app's `client_secret`; notifications
 * carry `id` (`notif_…`), `topic` and `created_at` (epoch s); no signed timestamp. Matches.
 *
 * Events: one per request, id = `id` (`notif_…`), type = `topic`, occurredAt = `created_at` (epoch s).
 */
import { asString, toIso } from './common';
import { type HeaderHmacLayout, singleJsonEvent, verifyHeaderHmac } from './header-hmac';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Hub-Signature';

const LAYOUT: HeaderHmacLayout = {
  header: SIGNATURE_HEADER,
  prefix: 'sha1=',
  algorithm: 'sha1',
  encoding: 'hex',
  signedParts: (request) => [request.body],
};

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  return verifyHeaderHmac(request, context, LAYOUT);
}

function extract(request: RawRequest): Extraction {
  return singleJsonEvent(request, 'Intercom', (body) => ({
    providerEventId: asString(body.id),
    eventType: asString(body.topic),
    occurredAt: toIso(body.created_at),
  }));
}

/** Intercom webhook signature (HMAC-SHA1 of the body). */
export const intercom: ProviderScheme<unknown> = { id: 'intercom', verify, extract };
