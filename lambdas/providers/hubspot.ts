/**
 * HubSpot webhooks (Webhooks API, CRM cards, workflow actions).
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/hubspot/): HubSpot docs "Validating requests from HubSpot": v3 = base64
 * HMAC-SHA256 of method + URI + body + `X-HubSpot-Request-Timestamp` (epoch ms), rejected when older than
 * five minutes, URI with the documented escapes decoded; requests also carry an older signature,
 * `X-HubSpot-Signature` with `X-HubSpot-Signature-Version: v1` for Webhooks API subscriptions (v2 for
 * workflow webhooks and CRM cards), so the version header never says v3. The docs' v1 example verifies in
 * the corpus. Signatures match; accepting v1/v2 alone did not fit a sender that always adds v3 (below).
 *
 * - v3 (preferred whenever `X-HubSpot-Signature-v3` is present): HMAC-SHA256, base64, keyed with the app's
 *   client secret over `METHOD + URI + body + X-HubSpot-Request-Timestamp`, the timestamp in **milliseconds**
 *   and at most 300 000 ms old. HubSpot signs the URI with a fixed set of percent-encoded characters decoded
 *   (its "Validate the v3 request signature" guide), so the exact URL is tried first and that decoded form
 *   second. `@hubspot/api-client`'s `Signature` signs the URL as given, which the first try covers.
 * - v1: plain SHA-256 (not an HMAC), hex, of `clientSecret + body`.
 * - v2: plain SHA-256, hex, of `clientSecret + METHOD + URI + body`.
 *   v1/v2 are chosen by `X-HubSpot-Signature-Version`; they carry no timestamp, so they have no replay window.
 *   HubSpot sends them *beside* v3, so accepting them alone would let anyone holding one captured delivery
 *   strip its v3 headers and replay it forever (after the dedupe TTL, as a new event): they are accepted
 *   only when the source sets `options.allowLegacySignatures: true` (like GitHub's `allowSha1`).
 *
 * Unlike the SDK (which bounds only the age), a v3 timestamp more than the replay window in the future is
 * rejected too: a signature minted for the future would otherwise stay replayable for longer than the window.
 *
 * Events: the body is a JSON array of up to 100 events; each becomes one event with `eventId` as its id,
 * `subscriptionType` as its type and `occurredAt` (epoch ms) as its time.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  checkTimestamp,
  decodeHex,
  hmacBase64,
  isBase64Mac,
  optionalHeader,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  safeEqualText,
  sha256,
  singleHeader,
  singleHeaderValue,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const V3_HEADER = 'X-HubSpot-Signature-v3';
const TIMESTAMP_HEADER = 'X-HubSpot-Request-Timestamp';
const LEGACY_HEADER = 'X-HubSpot-Signature';
const VERSION_HEADER = 'X-HubSpot-Signature-Version';
const V3_KEY = V3_HEADER.toLowerCase();
const TIMESTAMP_KEY = TIMESTAMP_HEADER.toLowerCase();
const LEGACY_KEY = LEGACY_HEADER.toLowerCase();

/** Options of a HubSpot source. */
export interface HubspotOptions {
  /**
   * Accept requests signed only with v1/v2 (no timestamp, so no replay window), for senders that do not
   * send v3. HubSpot sends v3 on every request, so this stays off. @default false
   */
  readonly allowLegacySignatures?: boolean;
}

/** HubSpot's documented v3 replay window: 300 000 ms. */
export const HUBSPOT_TOLERANCE_SECONDS = 300;

/** The percent-escapes HubSpot decodes in the URI before signing v3 (its documented table). */
const DECODED_ESCAPES: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot signs it for v3: the listed percent-escapes decoded (case-insensitively), nothing else. */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (encoded) => {
    return DECODED_ESCAPES[encoded.toUpperCase()] ?? encoded;
  });
}

/** Every secret is tried (no early exit); the signature is compared as the canonical base64 HubSpot sends. */
function v3Matches(
  request: RawRequest,
  secrets: readonly string[],
  signature: string,
  uri: string,
  timestamp: string,
): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = hmacBase64('sha256', secret, request.method + uri, request.body, timestamp);
    if (safeEqualText(signature, expected)) matched = true;
  }
  return matched;
}

function verifyV3(request: RawRequest, context: VerifyContext<unknown>, signature: string): Verdict {
  const timestamp = singleHeaderValue(request, TIMESTAMP_KEY, TIMESTAMP_HEADER, 'missing_timestamp');
  if (!timestamp.ok) return timestamp;
  if (!isBase64Mac(signature, 32)) {
    return reject('malformed_signature', `${V3_HEADER} is not a base64 HMAC-SHA256`);
  }
  const checked = checkTimestamp(timestamp.value, 'ms', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  if (v3Matches(request, context.secrets, signature, request.url, timestamp.value)) return ACCEPTED;
  const signedUri = hubspotSignedUri(request.url);
  if (
    signedUri !== request.url &&
    v3Matches(request, context.secrets, signature, signedUri, timestamp.value)
  ) {
    return ACCEPTED;
  }
  return reject('signature_mismatch', `${V3_HEADER} does not match`);
}

function verifyLegacy(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const version = singleHeader(request, VERSION_HEADER);
  if (!version.ok) return version;
  if (version.value !== 'v1' && version.value !== 'v2') {
    return reject('unsupported_signature_version', `${VERSION_HEADER} must be v1 or v2 (or send v3 headers)`);
  }
  const signature = singleHeader(request, LEGACY_HEADER, 'missing_signature');
  if (!signature.ok) return signature;
  const decoded = decodeHex(signature.value);
  if (decoded?.length !== 32) {
    return reject('malformed_signature', `${LEGACY_HEADER} is not a hex SHA-256`);
  }
  if (version.value === 'v1' && request.body.length === 0)
    return reject('empty_body', 'Request body is empty');
  const signedSuffix = version.value === 'v1' ? [request.body] : [request.method, request.url, request.body];
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    sha256(secret, ...signedSuffix),
  );
  return matched
    ? ACCEPTED
    : reject('signature_mismatch', `${LEGACY_HEADER} (${version.value}) does not match`);
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  // CRM cards sign GET requests with an empty body (v2/v3 bind the method and URI); a v1 signature of an
  // empty body would be a constant, so v1 always needs a body.
  const emptyBody = request.method === 'GET' ? undefined : requireBody(request);
  if (emptyBody) return emptyBody;
  if (request.headers[V3_KEY] !== undefined) {
    const signature = singleHeaderValue(request, V3_KEY, V3_HEADER, 'missing_signature');
    if (!signature.ok) return signature;
    return verifyV3(request, context, signature.value);
  }
  if (optionalHeader(request, VERSION_HEADER) === 'v3') {
    return reject('missing_signature', `Missing ${V3_HEADER} header`);
  }
  if (request.headers[LEGACY_KEY] === undefined) {
    return reject('missing_signature', `Missing ${V3_HEADER} header`);
  }
  if (asRecord(context.options)?.allowLegacySignatures !== true) {
    return reject(
      'unsupported_signature_version',
      `Only ${LEGACY_HEADER} (v1/v2, no timestamp) was sent and this source requires ${V3_HEADER}`,
    );
  }
  return verifyLegacy(request, context);
}

function validateOptions(options: unknown): string[] {
  const record = asRecord(options);
  if (options !== undefined && !record) return ['hubspot options must be an object'];
  const allow = record?.allowLegacySignatures;
  return allow === undefined || typeof allow === 'boolean'
    ? []
    : ['hubspot allowLegacySignatures must be a boolean'];
}

function toEvent(element: unknown): ProviderEvent {
  const record = asRecord(element);
  return {
    providerEventId: asString(record?.eventId),
    eventType: asString(record?.subscriptionType) ?? 'unknown',
    occurredAt: toIso(record?.occurredAt, 'ms'),
    raw: Buffer.from(JSON.stringify(element), 'utf8'),
  };
}

function extract(request: RawRequest): Extraction {
  const parsed = parseJson(request.body);
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) {
      return { ok: false, reason: 'unusable_payload', message: 'HubSpot body is an empty event array' };
    }
    return { ok: true, events: parsed.map(toEvent) };
  }
  // CRM-card and workflow-action requests are single objects rather than event arrays.
  const record = asRecord(parsed);
  if (!record) return { ok: false, reason: 'unusable_payload', message: 'HubSpot body is not a JSON array' };
  return { ok: true, events: [{ ...toEvent(record), raw: request.body }] };
}

/** HubSpot signature v3 (HMAC, timestamped) with v1/v2 (plain SHA-256) fallbacks. */
export const hubspot: ProviderScheme<HubspotOptions> = {
  id: 'hubspot',
  defaultToleranceSeconds: HUBSPOT_TOLERANCE_SECONDS,
  validateOptions,
  verify,
  extract,
};
