/**
 * Klaviyo webhooks: `Klaviyo-Signature` = hex HMAC-SHA256 of `body + Klaviyo-Timestamp` (the timestamp is
 * **appended**, not prefixed), keyed with the webhook secret as UTF-8; `Klaviyo-Webhook-Id` names the
 * webhook subscription.
 *
 * Replay window: Klaviyo documents none; ±300 s is used, like the other timestamped schemes. The timestamp
 * is signed as the header text; for the window it is read as epoch milliseconds when it has 13 or more
 * digits and as seconds otherwise, so either spelling is judged in the right unit.
 *
 * Events: the body's `data[]` array, one event per element; id = element `external_id` (fallback `id`),
 * type = element `topic` (fallback `type`), occurredAt = `datetime`/`timestamp` on the element or in its
 * `payload` (a Get Event resource). As Klaviyo's guide asks, a body whose `meta.klaviyo_webhook_id` differs
 * from the `Klaviyo-Webhook-Id` header is not processed (dead-lettered as unusable).
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  checkTimestamp,
  decodeHex,
  hmac,
  optionalHeader,
  parseJson,
  reject,
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'Klaviyo-Signature';
const TIMESTAMP_HEADER = 'Klaviyo-Timestamp';

/** Klaviyo documents no window; five minutes as for the other timestamped schemes. */
export const KLAVIYO_TOLERANCE_SECONDS = 300;

/** 13+ digits is epoch milliseconds (seconds only reach 13 digits in the year 318857). */
function unitOf(timestamp: string): 's' | 'ms' {
  return timestamp.length >= 13 ? 'ms' : 's';
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER, TIMESTAMP_HEADER);
  if (!headers.ok) return headers;
  const decoded = decodeHex(headers.signature);
  if (decoded?.length !== 32)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex HMAC-SHA256`);
  const checked = checkTimestamp(
    headers.timestamp,
    unitOf(headers.timestamp),
    context.nowMs,
    context.toleranceSeconds,
  );
  if (!checked.ok) return checked;
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha256', secret, request.body, headers.timestamp),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

/** The event time: on the element, or in its `payload` (shaped like a Get Event response). */
function occurredAtOf(element: Record<string, unknown>): string | undefined {
  const payload = asRecord(element.payload);
  const candidates = [element, asRecord(element.attributes), asRecord(asRecord(payload?.data)?.attributes)];
  candidates.push(asRecord(payload?.attributes));
  for (const candidate of candidates) {
    const iso = toIso(candidate?.datetime) ?? toIso(candidate?.timestamp);
    if (iso) return iso;
  }
  return undefined;
}

function toEvent(element: Record<string, unknown>): ProviderEvent {
  return {
    providerEventId: asString(element.external_id) ?? asString(element.id),
    eventType: asString(element.topic) ?? asString(element.type) ?? 'unknown',
    occurredAt: occurredAtOf(element),
    raw: Buffer.from(JSON.stringify(element), 'utf8'),
  };
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  // Klaviyo: the signed body's meta.klaviyo_webhook_id must equal the (unsigned) Klaviyo-Webhook-Id header.
  const signedId = asString(asRecord(body?.meta)?.klaviyo_webhook_id);
  const headerId = optionalHeader(request, 'Klaviyo-Webhook-Id');
  if (signedId !== undefined && headerId !== undefined && signedId !== headerId) {
    return {
      ok: false,
      reason: 'unusable_payload',
      message: 'Klaviyo-Webhook-Id does not match meta.klaviyo_webhook_id',
    };
  }
  const data = body?.data;
  if (!Array.isArray(data)) {
    return { ok: false, reason: 'unusable_payload', message: 'Klaviyo body has no data[] array' };
  }
  const elements = data.map(asRecord).filter((e): e is Record<string, unknown> => e !== undefined);
  if (elements.length === 0 || elements.length !== data.length) {
    return { ok: false, reason: 'unusable_payload', message: 'Klaviyo data[] is empty or holds non-objects' };
  }
  return { ok: true, events: elements.map(toEvent) };
}

/** Klaviyo `Klaviyo-Signature` (HMAC-SHA256 hex over body + timestamp). */
export const klaviyo: ProviderScheme<unknown> = {
  id: 'klaviyo',
  defaultToleranceSeconds: KLAVIYO_TOLERANCE_SECONDS,
  verify,
  extract,
};
