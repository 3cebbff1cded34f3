/**
 * Adyen, two variants chosen by the source option `variant`:
 *
 * - `standard` (default; payment notifications): the signature is inside each
 *   `notificationItems[].NotificationRequestItem.additionalData.hmacSignature`, HMAC-SHA256, base64, over
 *   `pspReference:originalReference:merchantAccountCode:merchantReference:amount.value:amount.currency:eventCode:success`
 *   (missing or null fields are empty strings, numbers and booleans as `String` writes them, values are not
 *   escaped). Every item in the body must verify. As with `@adyen/api-library`'s `HmacValidator`, an item
 *   without an `amount` object is rejected (`malformed_body`); so is a signed field that is an object,
 *   array or other non-scalar, which the SDK would sign as its `String` form and which a signature over an
 *   empty field must not authenticate.
 *   JSON notifications only; Adyen's legacy form-encoded and SOAP notifications are not accepted.
 * - `platform` (Balance Platform / Management webhooks): `HmacSignature` header, HMAC-SHA256, base64, over
 *   the raw body; a `Protocol` header, when present, must be `HmacSHA256`.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/adyen/): Adyen docs "Verify HMAC signatures": the eight colon-joined fields in
 * the documented order, HMAC-SHA256 base64 in `additionalData.hmacSignature`, key = the hex HMAC key
 * decoded; the docs' worked example verifies in the corpus. Matches.
 *
 * Secret format: the HMAC key exactly as the Customer Area shows it, 64 hex characters; the key is the
 * **hex-decoded** bytes, not the text. No timestamp is signed: dedupe is the replay defence.
 *
 * Events: standard, one per notification item, id = `<pspReference>:<eventCode>` (Adyen's duplicate
 * identity), type = `eventCode`, occurredAt = `eventDate`; platform, one per request, id = `id`/`eventId`
 * when present, type = `type`, occurredAt = `timestamp`/`createdAt`.
 */
import {
  ACCEPTED,
  asRecord,
  asString,
  decodeBase64,
  decodeHex,
  hmac,
  optionalHeader,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  safeEqual,
  singleHeader,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

/** Source options for Adyen. */
export interface AdyenOptions {
  /** `standard` (HMAC inside each notification item, the default) or `platform` (`HmacSignature` header). */
  readonly variant?: 'standard' | 'platform';
}

function variantOf(options: unknown): 'standard' | 'platform' {
  return asRecord(options)?.variant === 'platform' ? 'platform' : 'standard';
}

function validateOptions(options: unknown): string[] {
  const variant = asRecord(options)?.variant;
  return variant === undefined || variant === 'standard' || variant === 'platform'
    ? []
    : ['adyen.variant must be "standard" or "platform"'];
}

function keysOf(secrets: readonly string[]): Buffer[] {
  return secrets.map((secret) => decodeHex(secret.trim())).filter((key): key is Buffer => key !== undefined);
}

/** Like `anySignatureMatches`, for keys that are bytes rather than strings; no early exit. */
function anyKeyMatches(keys: readonly Buffer[], candidate: Buffer, mac: (key: Buffer) => Buffer): boolean {
  let matched = false;
  for (const key of keys) {
    if (safeEqual(candidate, mac(key))) matched = true;
  }
  return matched;
}

/**
 * A signed field as the SDK's `Array.prototype.join` writes it: absent or null is "", strings as they are,
 * numbers and booleans through `String`. Undefined for anything else: the SDK would sign an object as
 * "[object Object]" and an array as its joined elements, and ours refuses rather than pick a spelling
 * (a signature over an empty field must not vouch for an object injected in its place).
 */
function signedText(value: unknown): string | undefined {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean')
    return String(value);
  return undefined;
}

type SigningString = { ok: true; value: string } | { ok: false; problem: string };

function signingString(item: Record<string, unknown>): SigningString {
  // The SDK reads `amount.value` unguarded, so an item without an amount object never validates there.
  const amount = asRecord(item.amount);
  if (!amount) return { ok: false, problem: 'has no amount object' };
  const fields: readonly (readonly [string, unknown])[] = [
    ['pspReference', item.pspReference],
    ['originalReference', item.originalReference],
    ['merchantAccountCode', item.merchantAccountCode],
    ['merchantReference', item.merchantReference],
    ['amount.value', amount.value],
    ['amount.currency', amount.currency],
    ['eventCode', item.eventCode],
    ['success', item.success],
  ];
  const parts: string[] = [];
  for (const [name, value] of fields) {
    const part = signedText(value);
    if (part === undefined)
      return { ok: false, problem: `${name} is not a string, finite number or boolean` };
    parts.push(part);
  }
  return { ok: true, value: parts.join(':') };
}

/** The string Adyen signs for one NotificationRequestItem; undefined for an item ours will not verify. */
export function adyenSigningString(item: Record<string, unknown>): string | undefined {
  const signing = signingString(item);
  return signing.ok ? signing.value : undefined;
}

function notificationItems(body: Buffer): Record<string, unknown>[] | undefined {
  const items = asRecord(parseJson(body))?.notificationItems;
  if (!Array.isArray(items) || items.length === 0) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const wrapper of items) {
    const item = asRecord(asRecord(wrapper)?.NotificationRequestItem);
    if (!item) return undefined;
    out.push(item);
  }
  return out;
}

function verifyStandard(request: RawRequest, keys: Buffer[]): Verdict {
  const items = notificationItems(request.body);
  if (!items) return reject('malformed_body', 'Body has no notificationItems[].NotificationRequestItem');
  for (const [index, item] of items.entries()) {
    const signature = asRecord(item.additionalData)?.hmacSignature;
    if (typeof signature !== 'string' || signature === '') {
      return reject('missing_signature', `Notification item ${index} has no additionalData.hmacSignature`);
    }
    const candidate = decodeBase64(signature);
    if (candidate?.length !== 32) {
      return reject(
        'malformed_signature',
        `Notification item ${index} hmacSignature is not a base64 HMAC-SHA256`,
      );
    }
    const signing = signingString(item);
    if (!signing.ok) return reject('malformed_body', `Notification item ${index} ${signing.problem}`);
    const signed = signing.value;
    if (!anyKeyMatches(keys, candidate, (key) => hmac('sha256', key, signed)))
      return reject('signature_mismatch', `Notification item ${index} hmacSignature does not match`);
  }
  return ACCEPTED;
}

function verifyPlatform(request: RawRequest, keys: Buffer[]): Verdict {
  const protocol = optionalHeader(request, 'Protocol');
  if (protocol !== undefined && protocol !== 'HmacSHA256') {
    return reject('unsupported_signature_version', 'Protocol header must be HmacSHA256');
  }
  const header = singleHeader(request, 'HmacSignature', 'missing_signature');
  if (!header.ok) return header;
  const candidate = decodeBase64(header.value);
  if (candidate?.length !== 32)
    return reject('malformed_signature', 'HmacSignature is not a base64 HMAC-SHA256');
  return anyKeyMatches(keys, candidate, (key) => hmac('sha256', key, request.body))
    ? ACCEPTED
    : reject('signature_mismatch', 'HmacSignature does not match');
}

function verify(request: RawRequest, context: VerifyContext<AdyenOptions>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const keys = keysOf(context.secrets);
  if (keys.length === 0) return reject('invalid_secret_config', 'No configured HMAC key is hex-encoded');
  return variantOf(context.options) === 'platform'
    ? verifyPlatform(request, keys)
    : verifyStandard(request, keys);
}

function itemEvent(item: Record<string, unknown>): ProviderEvent {
  const psp = asString(item.pspReference);
  const eventCode = asString(item.eventCode);
  return {
    providerEventId: psp && eventCode ? `${psp}:${eventCode}` : undefined,
    eventType: eventCode ?? 'unknown',
    occurredAt: toIso(item.eventDate),
    raw: Buffer.from(JSON.stringify(item), 'utf8'),
  };
}

function extract(request: RawRequest, options: AdyenOptions): Extraction {
  if (variantOf(options) === 'standard') {
    const items = notificationItems(request.body);
    if (!items) return { ok: false, reason: 'unusable_payload', message: 'Body has no notification items' };
    return { ok: true, events: items.map(itemEvent) };
  }
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Adyen body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.id) ?? asString(body.eventId),
        eventType: asString(body.type) ?? 'unknown',
        occurredAt: toIso(body.timestamp) ?? toIso(body.createdAt),
        raw: request.body,
      },
    ],
  };
}

/** Adyen HMAC signatures: standard notifications (in the body) and platform webhooks (header). */
export const adyen: ProviderScheme<AdyenOptions> = { id: 'adyen', validateOptions, verify, extract };
