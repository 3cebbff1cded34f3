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
 * type = element `topic` (fallback `type`), occurredAt = element `timestamp`/`datetime` or the same fields
 * under `attributes`.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  checkTimestamp,
  decodeHex,
  hmac,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  singleHeader,
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
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const signature = singleHeader(request, SIGNATURE_HEADER, 'missing_signature');
  if (!signature.ok) return signature;
  const timestamp = singleHeader(request, TIMESTAMP_HEADER, 'missing_timestamp');
  if (!timestamp.ok) return timestamp;
  const decoded = decodeHex(signature.value);
  if (decoded?.length !== 32)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex HMAC-SHA256`);
  const checked = checkTimestamp(
    timestamp.value,
    unitOf(timestamp.value),
    context.nowMs,
    context.toleranceSeconds,
  );
  if (!checked.ok) return checked;
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha256', secret, request.body, timestamp.value),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function toEvent(element: Record<string, unknown>): ProviderEvent {
  const attributes = asRecord(element.attributes);
  return {
    providerEventId: asString(element.external_id) ?? asString(element.id),
    eventType: asString(element.topic) ?? asString(element.type) ?? 'unknown',
    occurredAt:
      toIso(element.timestamp) ??
      toIso(element.datetime) ??
      toIso(attributes?.timestamp) ??
      toIso(attributes?.datetime),
    raw: Buffer.from(JSON.stringify(element), 'utf8'),
  };
}

function extract(request: RawRequest): Extraction {
  const data = asRecord(parseJson(request.body))?.data;
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
