/**
 * Typeform (`Typeform-Signature: sha256=<base64>`): HMAC-SHA256, **base64**, keyed with the webhook secret
 * (UTF-8) over the body. No timestamp is signed, so no replay window: dedupe on `event_id` is the defence.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/typeform/): Typeform docs "Secure your webhooks": `Typeform-Signature:
 * sha256=<base64 HMAC-SHA256 of the raw body>` with the webhook secret; no timestamp. Matches.
 *
 * Events: one per request, id = `event_id`, type = `event_type` (`form_response`), occurredAt =
 * `form_response.submitted_at`.
 */
import { asRecord, asString, toIso } from './common';
import { type HeaderHmacLayout, singleJsonEvent, verifyHeaderHmac } from './header-hmac';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'Typeform-Signature';

const LAYOUT: HeaderHmacLayout = {
  header: SIGNATURE_HEADER,
  prefix: 'sha256=',
  algorithm: 'sha256',
  encoding: 'base64',
  signedParts: (request) => [request.body],
};

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  return verifyHeaderHmac(request, context, LAYOUT);
}

function extract(request: RawRequest): Extraction {
  return singleJsonEvent(request, 'Typeform', (body) => ({
    providerEventId: asString(body.event_id),
    eventType: asString(body.event_type),
    occurredAt: toIso(asRecord(body.form_response)?.submitted_at),
  }));
}

/** Typeform webhook signature (base64 HMAC-SHA256 of the body). */
export const typeform: ProviderScheme<unknown> = { id: 'typeform', verify, extract };
