/**
 * Klaviyo system webhooks: `Klaviyo-Signature` = hex HMAC-SHA256 of `body + Klaviyo-Timestamp` (the
 * timestamp is **appended**, not prefixed), keyed with the webhook secret as UTF-8; `Klaviyo-Webhook-Id`
 * names the webhook subscription.
 *
 * Checked facts (Klaviyo developer guide "Working with system webhooks", sections "Webhook request
 * structure" and "HMAC signature verification"): the three headers above; `Klaviyo-Timestamp` is "when the
 * webhook request was sent" and its example value is an HTTP-date (`Thu, 04 Jan 2024 18:05:25 GMT`), not
 * epoch digits; the body's `meta` carries `klaviyo_webhook_id` (must equal the header), `klaviyo_account_id`
 * and `timestamp` ("when the webhook request was sent"). No replay window is documented.
 *
 * The header is signed as the text received and never parsed: any spelling Klaviyo sends verifies. It is
 * also not trusted as a clock. A third-party SDK that verified live deliveries (nickdnk/klaviyo-php-sdk,
 * `APIClient::parseWebhookRequest`, its TSDoc and tests) reports the header as local time mislabelled GMT,
 * hours off (e.g. `Fri, 04 Sep 2026 18:16:52 GMT` sent at 13:16:52 GMT), while `meta.timestamp` is a
 * correct ISO-8601 time (`2026-04-13T22:50:12.101159+00:00`); it judges freshness on `meta.timestamp`.
 * So do we: after the MAC matched, the body's `meta.timestamp` (covered by the MAC) must lie within the
 * source's window (default ±300 s). A replayed request keeps its old `meta.timestamp` and is refused once
 * the window has passed; a body without a usable `meta.timestamp` is refused (`missing_timestamp` /
 * `malformed_timestamp`), since nothing else signed says when it was sent. Accepted `meta.timestamp`
 * forms: ISO-8601 date-time (fraction of any length, `Z`, `±hh:mm` or no zone meaning UTC), or epoch
 * seconds / milliseconds (13+ digits) as a JSON number or digit string. Klaviyo documents
 * `meta.timestamp` as the time the request was sent, so a retry (a new send) should carry a new one; no
 * document we found says so outright (Klaviyo's retry schedule is documented for flow webhooks, not for
 * system webhooks), so a source whose retries arrive with older times widens `toleranceSeconds`: the
 * signed `external_id` of each event still absorbs every duplicate.
 *
 * Events: the body's `data[]` array, one event per element; id = element `external_id` (fallback `id`),
 * type = element `topic` (fallback `type`), occurredAt = `datetime`/`timestamp` on the element or in its
 * `payload` (a Get Event resource), all signed. As Klaviyo's guide asks, a body whose
 * `meta.klaviyo_webhook_id` differs from the `Klaviyo-Webhook-Id` header is not processed (dead-lettered
 * as unusable).
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  decodeHex,
  hmac,
  optionalHeader,
  outsideReplayWindow,
  parseJson,
  reject,
  signedHeaders,
  toIso,
} from './common';
import type {
  Extraction,
  ProviderEvent,
  ProviderScheme,
  RawRequest,
  Rejection,
  Verdict,
  VerifyContext,
} from './types';

const SIGNATURE_HEADER = 'Klaviyo-Signature';
const TIMESTAMP_HEADER = 'Klaviyo-Timestamp';

/** Klaviyo documents no window; five minutes as for the other timestamped schemes, on `meta.timestamp`. */
export const KLAVIYO_TOLERANCE_SECONDS = 300;

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Epoch ms of a strict ISO-8601 date-time (no zone means UTC), or undefined. `Date.parse` guesses. */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, fraction = '', zone = 'Z'] = m;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  const check = new Date(utc);
  // Date.UTC rolls 2024-02-30 over into March: refuse what does not round-trip.
  const rolledOver =
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h);
  if (rolledOver || Number(mi) > 59 || Number(sec) > 59) {
    return undefined;
  }
  if (zone === 'Z' || zone === 'z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return utc - sign * offsetMinutes * 60_000;
}

type SentAt = { ok: true; epochMs: number } | Rejection;

/** When the (already authenticated) body says the request was sent: `meta.timestamp`. */
function sentAt(body: Buffer): SentAt {
  const json = asRecord(parseJson(body));
  if (!json) return reject('malformed_body', 'Klaviyo body is not a JSON object');
  const value = asRecord(json.meta)?.timestamp;
  if (value === undefined || value === null || value === '') {
    return reject('missing_timestamp', 'Body has no meta.timestamp');
  }
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text === 'string' && /^\d{1,16}$/.test(text)) {
    const epochMs = text.length >= 13 ? Number(text) : Number(text) * 1000;
    return { ok: true, epochMs };
  }
  const epochMs = typeof text === 'string' ? parseIsoDateTime(text) : undefined;
  return epochMs === undefined
    ? reject('malformed_timestamp', 'meta.timestamp is not an ISO-8601 date-time or epoch number')
    : { ok: true, epochMs };
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER, TIMESTAMP_HEADER);
  if (!headers.ok) return headers;
  const decoded = decodeHex(headers.signature);
  if (decoded?.length !== 32)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex HMAC-SHA256`);
  // The header text exactly as received is what Klaviyo signed; it is not parsed (see the module TSDoc).
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha256', secret, request.body, headers.timestamp),
  );
  if (!matched) return reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
  const sent = sentAt(request.body);
  if (!sent.ok) return sent;
  return outsideReplayWindow(sent.epochMs, context.nowMs, context.toleranceSeconds) ?? ACCEPTED;
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
