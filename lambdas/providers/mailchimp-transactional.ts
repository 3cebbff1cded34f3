/**
 * Mailchimp Transactional, formerly Mandrill (`X-Mandrill-Signature`): HMAC-SHA1, base64, keyed with the
 * webhook's key (UTF-8) over the webhook URL followed by every POST field as `name + value`, names sorted
 * (Mandrill's documented `generate_signature`). The URL is the exact one registered with Mandrill, i.e. the
 * source's `publicUrl`. Mandrill posts a single field, `mandrill_events` (a JSON array); a repeated field
 * name is rejected because its signed value would be ambiguous.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/mailchimp-transactional/): Mailchimp Transactional docs "Authenticating webhook
 * requests": `X-Mandrill-Signature` = base64 HMAC-SHA1 with the webhook key of the webhook URL followed by
 * each POST field `key + value`, keys sorted; the body is the form field `mandrill_events` (a JSON array).
 * Matches.
 *
 * Mandrill checks a new webhook URL with an unsigned HEAD request; that never reaches `verify` with a body
 * and is rejected like any unsigned request. No timestamp is signed: dedupe is the replay defence.
 *
 * Events: one per element of `mandrill_events`; id = `<_id>:<event>:<ts>` (a message has one `_id` but
 * several events, and `ts` tells repeated opens/clicks apart), type = `event` (sync events: `type`),
 * occurredAt = `ts` (epoch s). Inbound and sync events carry no `_id`: dedupe falls back to the hash.
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
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Mandrill-Signature';

function decodeUtf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

/** Form fields in signing order, or undefined when a name repeats. */
function sortedFields(text: string): [string, string][] | undefined {
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (fields.has(name)) return undefined;
    fields.set(name, value);
  }
  return [...fields.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER);
  if (!headers.ok) return headers;
  const candidate = decodeCanonicalBase64(headers.signature);
  if (candidate?.length !== 20)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a base64 HMAC-SHA1`);
  const text = decodeUtf8(request.body);
  if (text === undefined) return reject('malformed_body', 'Form body is not valid UTF-8');
  const fields = sortedFields(text);
  if (!fields) return reject('malformed_body', 'Form body repeats a field name');
  const signed = request.url + fields.map(([name, value]) => name + value).join('');
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) => hmac('sha1', secret, signed));
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function toEvent(element: unknown): ProviderEvent {
  const record = asRecord(element);
  const id = asString(record?._id);
  const event = asString(record?.event);
  const ts = asString(record?.ts);
  return {
    providerEventId: id && event && ts ? `${id}:${event}:${ts}` : undefined,
    eventType: event ?? asString(record?.type) ?? 'unknown',
    occurredAt: toIso(record?.ts),
    raw: Buffer.from(JSON.stringify(element), 'utf8'),
  };
}

function extract(request: RawRequest): Extraction {
  const events = new URLSearchParams(decodeUtf8(request.body) ?? '').get('mandrill_events');
  const parsed = events === null ? undefined : parseJson(Buffer.from(events, 'utf8'));
  if (!Array.isArray(parsed) || parsed.length === 0) {
    return {
      ok: false,
      reason: 'unusable_payload',
      message: 'mandrill_events is not a non-empty JSON array',
    };
  }
  return { ok: true, events: parsed.map(toEvent) };
}

/** Mailchimp Transactional (Mandrill) webhook signature. */
export const mailchimpTransactional: ProviderScheme<unknown> = {
  id: 'mailchimp-transactional',
  verify,
  extract,
};
