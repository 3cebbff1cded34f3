/**
 * Calendly (`Calendly-Webhook-Signature: t=<epoch s>,v1=<hex>`): HMAC-SHA256, hex, keyed with the webhook
 * signing key (UTF-8) over `t + "." + body`. Several `v1` entries are accepted (any match). Calendly's
 * sample code uses a 3-minute window: default tolerance 180 s, both directions.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/calendly/): Calendly docs "Webhook Signatures": `Calendly-Webhook-Signature:
 * t=<unix s>,v1=<hex>`, HMAC-SHA256 of `t + "." + body` with the signing key; the sample verifier allows
 * three minutes. Matches.
 *
 * Events: one per request. Calendly documents no event id; the id is `<event>:<payload.uri>` (the invitee
 * or submission URI), which is stable across retries and distinct per event kind (an invitee's
 * `invitee.created` and `invitee.canceled` differ). Without `payload.uri` dedupe falls back to the body
 * hash. type = `event`, occurredAt = `created_at`.
 */
import { asRecord, asString, parseJson, toIso } from './common';
import { type TimestampedHmacLayout, verifyTimestampedHexHmac } from './timestamped-hmac';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'Calendly-Webhook-Signature';

/** Calendly's sample verifier window: three minutes. */
export const CALENDLY_TOLERANCE_SECONDS = 180;

const LAYOUT: TimestampedHmacLayout = {
  header: SIGNATURE_HEADER,
  pairSeparator: ',',
  timestampKey: 't',
  signatureKey: 'v1',
  signedSeparator: '.',
};

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  return verifyTimestampedHexHmac(request, context, LAYOUT);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Calendly body is not a JSON object' };
  const event = asString(body.event);
  const uri = asString(asRecord(body.payload)?.uri);
  return {
    ok: true,
    events: [
      {
        providerEventId: event && uri ? `${event}:${uri}` : undefined,
        eventType: event ?? 'unknown',
        occurredAt: toIso(body.created_at),
        raw: request.body,
      },
    ],
  };
}

/** Calendly webhook signature. */
export const calendly: ProviderScheme<unknown> = {
  id: 'calendly',
  defaultToleranceSeconds: CALENDLY_TOLERANCE_SECONDS,
  verify,
  extract,
};
