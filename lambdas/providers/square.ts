/**
 * Square (`x-square-hmacsha256-signature`): HMAC-SHA256, base64, keyed with the subscription's signature
 * key (UTF-8) over `notificationUrl + body`. The notification URL is the exact URL configured in Square's
 * developer portal, i.e. the request's public URL (the source's `publicUrl`), never the Host header.
 * Square's `WebhooksHelper.verifySignature` compares the base64 text, so only canonical base64 is accepted.
 * The legacy HMAC-SHA1 `x-square-signature` is deliberately not supported (Square sends both; SHA-256 wins).
 * No timestamp is signed, so there is no replay window: dedupe on `event_id` is the replay defence.
 *
 * Events: one per request, id = `event_id`, type = `type`, occurredAt = `created_at`.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  decodeCanonicalBase64,
  hmac,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  singleHeader,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'x-square-hmacsha256-signature';

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = singleHeader(request, SIGNATURE_HEADER, 'missing_signature');
  if (!header.ok) return header;
  const candidate = decodeCanonicalBase64(header.value);
  if (candidate?.length !== 32) {
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a base64 HMAC-SHA256`);
  }
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) =>
    hmac('sha256', secret, request.url, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Square body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.event_id),
        eventType: asString(body.type) ?? 'unknown',
        occurredAt: toIso(body.created_at),
        raw: request.body,
      },
    ],
  };
}

/** Square webhook signature (HMAC-SHA256 over notification URL + body). */
export const square: ProviderScheme<unknown> = { id: 'square', verify, extract };
