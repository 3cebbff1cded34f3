/**
 * Typeform (`Typeform-Signature: sha256=<base64>`): HMAC-SHA256, **base64**, keyed with the webhook secret
 * (UTF-8) over the body. No timestamp is signed, so no replay window: dedupe on `event_id` is the defence.
 *
 * Events: one per request, id = `event_id`, type = `event_type` (`form_response`), occurredAt =
 * `form_response.submitted_at`.
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

const SIGNATURE_HEADER = 'Typeform-Signature';

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = singleHeader(request, SIGNATURE_HEADER, 'missing_signature');
  if (!header.ok) return header;
  if (!header.value.startsWith('sha256=')) {
    return reject('unsupported_signature_version', `${SIGNATURE_HEADER} must start with sha256=`);
  }
  const candidate = decodeCanonicalBase64(header.value.slice('sha256='.length));
  if (candidate?.length !== 32) {
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a base64 HMAC-SHA256`);
  }
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) =>
    hmac('sha256', secret, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Typeform body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.event_id),
        eventType: asString(body.event_type) ?? 'unknown',
        occurredAt: toIso(asRecord(body.form_response)?.submitted_at),
        raw: request.body,
      },
    ],
  };
}

/** Typeform webhook signature (base64 HMAC-SHA256 of the body). */
export const typeform: ProviderScheme<unknown> = { id: 'typeform', verify, extract };
