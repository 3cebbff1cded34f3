/**
 * Linear (`Linear-Signature`): HMAC-SHA256, hex, keyed with the webhook's signing secret (UTF-8) over the
 * body. The replay check uses the signed body's `webhookTimestamp` (epoch **milliseconds**), which Linear
 * asks receivers to hold within one minute of now: default tolerance 60 s, both directions. The body is
 * parsed for that field only after the signature has matched. As `@linear/sdk` requires, the field must be a
 * JSON number (a string of digits is `malformed_timestamp`; ours also insists on whole milliseconds), and
 * a body that starts with a UTF-8 byte order mark is `malformed_body`, since the SDK's `JSON.parse`
 * rejects it.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/linear/): Linear docs "Webhooks" > "Securing webhooks": `Linear-Signature` = hex
 * HMAC-SHA256 of the raw body; `webhookTimestamp` (epoch ms) in the body, to be within a minute; delivery
 * headers `Linear-Delivery` (UUID) and `Linear-Event`. Matches.
 *
 * Events: one per request. The signature covers the body only, so `Linear-Delivery` and `Linear-Event`
 * (unsigned headers) decide nothing: a captured delivery resent within the minute with a fresh
 * `Linear-Delivery` must not be a second event. id = `linear-body:<sha256 of the body without
 * webhookTimestamp>`, the body's JSON with keys sorted: Linear re-signs each retry with a fresh
 * `webhookTimestamp` (it must, to pass the one-minute window), and everything else in the body (the
 * entity, `action`, `createdAt`, `webhookId`) describes the one event, so retries keep the id while
 * different events (another action, another `updatedAt`) never share it. type = `<type>.<action>` from the
 * body (e.g. `Issue.create`), occurredAt = `createdAt`.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  canonicalJson,
  checkTimestamp,
  decodeHex,
  hmac,
  parseJson,
  reject,
  signedContentId,
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'Linear-Signature';

/** Linear's documented window: one minute. */
export const LINEAR_TOLERANCE_SECONDS = 60;

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER);
  if (!headers.ok) return headers;
  const candidate = decodeHex(headers.signature);
  if (candidate?.length !== 32)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex HMAC-SHA256`);
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) =>
    hmac('sha256', secret, request.body),
  );
  if (!matched) return reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
  // parseJson's decoder drops a leading BOM, which the SDK's JSON.parse would choke on.
  if (startsWithBom(request.body)) return reject('malformed_body', 'Body starts with a byte order mark');
  const body = asRecord(parseJson(request.body));
  const timestamp = body?.webhookTimestamp;
  if (timestamp === undefined) return reject('missing_timestamp', 'Body has no webhookTimestamp');
  if (typeof timestamp !== 'number') {
    return reject('malformed_timestamp', 'webhookTimestamp is not a JSON number');
  }
  const checked = checkTimestamp(String(timestamp), 'ms', context.nowMs, context.toleranceSeconds);
  return checked.ok ? ACCEPTED : checked;
}

function startsWithBom(body: Buffer): boolean {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Linear body is not a JSON object' };
  const type = asString(body.type);
  const action = asString(body.action);
  const { webhookTimestamp: _perAttempt, ...event } = body;
  return {
    ok: true,
    events: [
      {
        providerEventId: signedContentId('linear-body', canonicalJson(event)),
        eventType: type ? (action ? `${type}.${action}` : type) : 'unknown',
        occurredAt: toIso(body.createdAt) ?? toIso(body.webhookTimestamp, 'ms'),
        raw: request.body,
      },
    ],
  };
}

/** Linear webhook signature with the body-timestamp replay check. */
export const linear: ProviderScheme<unknown> = {
  id: 'linear',
  defaultToleranceSeconds: LINEAR_TOLERANCE_SECONDS,
  verify,
  extract,
};
