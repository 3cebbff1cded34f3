/**
 * Segment webhooks (Destination Functions / webhook destinations): `X-Signature` = hex HMAC-SHA1 of the
 * body, keyed with the shared secret as UTF-8. Segment signs no timestamp, so there is no replay window;
 * replays are absorbed by dedupe on each message's `messageId`.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/segment/): Segment "Webhooks (Actions) Destination" (and its source,
 * segmentio/action-destinations `webhook/index.ts`): `X-Signature` = hex HMAC-SHA1 of
 * `JSON.stringify(data)`, which is the body, with the shared secret. A *batched* Webhooks (Actions) mapping
 * sends a JSON array and, because the signing hook only sees single payloads, no `X-Signature` at all: such
 * requests cannot be authenticated and are refused (`missing_signature`); use unbatched mappings. Matches
 * otherwise.
 *
 * Events: the body is a single message or a batch (`{"batch": [...]}`); every message becomes one event
 * with id = `messageId`, type = `type` (`identify`, `track`, `page`, …; the `track` name stays in the
 * event's own JSON as `event`) and occurredAt = `timestamp`.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  decodeHex,
  hmac,
  parseJson,
  reject,
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const HEADER = 'X-Signature';

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, HEADER);
  if (!headers.ok) return headers;
  const decoded = decodeHex(headers.signature);
  if (decoded?.length !== 20) return reject('malformed_signature', `${HEADER} is not a hex HMAC-SHA1`);
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha1', secret, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${HEADER} does not match`);
}

function toEvent(message: Record<string, unknown>, raw: Buffer): ProviderEvent {
  return {
    providerEventId: asString(message.messageId),
    eventType: asString(message.type) ?? 'unknown',
    occurredAt: toIso(message.timestamp) ?? toIso(message.originalTimestamp),
    raw,
  };
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Segment body is not a JSON object' };
  if (!Array.isArray(body.batch)) return { ok: true, events: [toEvent(body, request.body)] };
  const messages = body.batch.map(asRecord).filter((m): m is Record<string, unknown> => m !== undefined);
  // A batch with non-object elements is dead-lettered whole rather than half-processed.
  if (messages.length === 0 || messages.length !== body.batch.length) {
    return { ok: false, reason: 'unusable_payload', message: 'Segment batch is empty or holds non-objects' };
  }
  return {
    ok: true,
    events: messages.map((m) => toEvent(m, Buffer.from(JSON.stringify(m), 'utf8'))),
  };
}

/** Segment `X-Signature` (HMAC-SHA1 hex of the body); batches split per message. */
export const segment: ProviderScheme<unknown> = {
  id: 'segment',
  verify,
  extract,
};
