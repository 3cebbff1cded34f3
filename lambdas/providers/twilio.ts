/**
 * Twilio webhooks (`X-Twilio-Signature`): HMAC-SHA1, base64, keyed with the account's Auth Token (UTF-8).
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/twilio/): Twilio docs "Webhooks security": `X-Twilio-Signature` = base64
 * HMAC-SHA1 with the Auth Token of the URL plus the sorted POST parameters (`name + value`); JSON bodies:
 * `bodySHA256` in the URL, only the URL signed; "Webhooks connection overrides":
 * `I-Twilio-Idempotency-Token` identifies a request across retries. The docs' example (auth token 12345)
 * verifies in the corpus. Matches.
 *
 * - Form-encoded requests: signed = URL + every POST parameter as `name + value`, names sorted; a repeated
 *   name contributes each distinct value once, values sorted (twilio-node's `getExpectedTwilioSignature`).
 *   GET requests carry their parameters in the URL only, so they sign the URL alone.
 * - JSON requests: Twilio appends `bodySHA256=<sha256 hex of the body>` to the URL and signs the URL alone;
 *   the body must then hash to that value (twilio-node's `validateRequestWithBody`).
 * - URL: the exact public URL (the source's `publicUrl`); like Twilio's validators, the URL is also tried
 *   with the default port added and removed, then in its WHATWG-normalised form and with the query string
 *   re-encoded the way Node's legacy `querystring` does, because Twilio signs the URL as configured.
 * - No timestamp, so no replay window: dedupe is the replay defence, on ids made of signed content only.
 *
 * Events (one per request unless a JSON body is an array of CloudEvents, as Event Streams sends):
 * - id: never `I-Twilio-Idempotency-Token`. That header is not signed, so a captured request resent with a
 *   fresh token would be a new event. Instead, for forms, `<MessageSid|SmsSid|CallSid>:<status>` (plus
 *   `:<SequenceNumber>` when present), all signed parameters; other forms get
 *   `twilio-params:<sha256 of the signed parameter string>` (names sorted, `name + value`: what the MAC
 *   covers, so reordering or re-encoding the body cannot change it; GET requests: of the query's). JSON
 *   bodies (bound to the signature by `bodySHA256`) use the CloudEvent `id`, else
 *   `twilio-body:<sha256 of the body>`. Twilio's retries resend the same parameters or body, so they keep
 *   the id.
 * - type: `message.<MessageStatus|SmsStatus>` for messaging callbacks, `call.<CallStatus>` for voice
 *   callbacks, the CloudEvent `type` for JSON, else `twilio.form` / `unknown` (all signed content).
 * - occurredAt: the `Timestamp` parameter (voice status callbacks) or the CloudEvent `time`.
 */
import { hash } from 'node:crypto';
import { parse as parseLegacyQuery, stringify as stringifyLegacyQuery } from 'node:querystring';
import {
  ACCEPTED,
  asRecord,
  asString,
  hmacBase64,
  isBase64Mac,
  parseJson,
  reject,
  requireSecrets,
  safeEqualText,
  signedContentId,
  singleHeaderValue,
  toIso,
} from './common';
import { formValue, parseForm, signedBodyBytes, signedFormBytes, twilioParamString } from './twilio-form';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Twilio-Signature';
const SIGNATURE_KEY = SIGNATURE_HEADER.toLowerCase();

interface UrlParts {
  readonly scheme: string;
  readonly userInfo: string;
  readonly host: string;
  readonly port: string;
  readonly rest: string;
}

/** Splits a URL without normalising it, so the path and query keep the exact characters Twilio signed. */
function splitUrl(url: string): UrlParts | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return undefined;
  const [prefix, scheme = '', authority = ''] = match;
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

/**
 * The URL without and with its port (the scheme's default when it has none), from one split; the URL
 * itself wherever it already has that form, so the common case builds no new string.
 */
function portForms(url: string): [withoutPort: string, withPort: string] {
  const parts = splitUrl(url);
  if (!parts) return [url, url];
  const origin = parts.scheme + parts.userInfo + parts.host;
  if (parts.port) return [origin + parts.rest, url];
  const defaultPort = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return [url, origin + defaultPort + parts.rest];
}

function withLegacyQuery(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1 || queryStart === url.length - 1) return url;
  return `${url.slice(0, queryStart)}?${stringifyLegacyQuery(parseLegacyQuery(url.slice(queryStart + 1)))}`;
}

/**
 * The URLs Twilio may have signed, most likely first: as received (without/with the default port), then
 * normalised. Same candidates and order as twilio-node's `validateRequest`.
 */
export function twilioUrlCandidates(url: string): string[] {
  return [...new Set([...asReceived(url), ...normalisedForms(url)])];
}

/** The URL as received, without and with the default port: what Twilio signs in practice. */
function asReceived(url: string): string[] {
  const [bare, ported] = portForms(url);
  return bare === ported ? [bare] : [bare, ported];
}

/** WHATWG-normalised and legacy-querystring spellings, tried only when the as-received forms fail. */
function normalisedForms(url: string): string[] {
  let normalised: string;
  try {
    normalised = new URL(url).toString();
  } catch {
    return [];
  }
  const [bare, ported] = portForms(normalised);
  return [bare, ported, withLegacyQuery(bare), withLegacyQuery(ported)];
}

/** Query characters the WHATWG URL parser keeps as they are and URLSearchParams does not decode. */
const PLAIN_QUERY = /^[\w.~=&-]*$/;

/**
 * The first `bodySHA256` query parameter, exactly as `new URL(url).searchParams.get('bodySHA256')` gives it
 * (undefined when absent or when the URL does not parse). Plain queries, which every Twilio URL is, are
 * split directly: building a URL object costs more than the rest of a JSON request's checks.
 */
export function bodySha256Param(url: string): string | undefined {
  const queryStart = url.indexOf('?');
  const fragment = url.indexOf('#');
  if (queryStart === -1 || (fragment !== -1 && fragment < queryStart)) return undefined;
  const query = url.slice(queryStart + 1, fragment === -1 ? undefined : fragment);
  if (!PLAIN_QUERY.test(query)) return bodySha256ParamOfParsedUrl(url);
  if (!query.includes('bodySHA256') || !URL.canParse(url)) return undefined;
  for (const pair of query.split('&')) {
    if (pair === 'bodySHA256') return '';
    if (pair.startsWith('bodySHA256=')) return pair.slice('bodySHA256='.length);
  }
  return undefined;
}

function bodySha256ParamOfParsedUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('bodySHA256') ?? undefined;
  } catch {
    return undefined;
  }
}

function isJsonBodyRequest(url: string): boolean {
  return bodySha256Param(url) !== undefined;
}

/**
 * What a URL's signature covers: the URL and then `params`, or for the URL that `signed` already starts
 * with, `signed` as it is (one HMAC update instead of two).
 */
interface SignedContent {
  readonly params: Buffer | undefined;
  readonly signed?: { readonly url: string; readonly bytes: Buffer };
}

function macFor(secret: string, url: string, content: SignedContent): string {
  if (content.signed?.url === url) return hmacBase64('sha1', secret, content.signed.bytes);
  return content.params ? hmacBase64('sha1', secret, url, content.params) : hmacBase64('sha1', secret, url);
}

function matchesAnyUrl(
  secrets: readonly string[],
  signature: string,
  urls: readonly string[],
  content: SignedContent,
): boolean {
  let matched = false;
  for (const url of urls) {
    for (const secret of secrets) {
      // Compared as base64 text, as twilio-node compares it: canonical by construction, nothing to decode.
      if (safeEqualText(signature, macFor(secret, url, content))) matched = true;
    }
    // The URL is public, so stopping at the first URL that matches leaks nothing secret.
    if (matched) return true;
  }
  return false;
}

/** Same candidates and order as twilio-node, but the normalised forms are only built when needed. */
function signatureMatches(
  secrets: readonly string[],
  signature: string,
  url: string,
  content: SignedContent,
  received: readonly string[] = asReceived(url),
): boolean {
  if (matchesAnyUrl(secrets, signature, received, content)) return true;
  const rest = normalisedForms(url).filter((form) => !received.includes(form));
  return matchesAnyUrl(secrets, signature, [...new Set(rest)], content);
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const header = singleHeaderValue(request, SIGNATURE_KEY, SIGNATURE_HEADER, 'missing_signature');
  if (!header.ok) return header;
  const signature = header.value;
  if (!isBase64Mac(signature, 20)) {
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a base64 HMAC-SHA1`);
  }
  const bodyHash = bodySha256Param(request.url);
  if (bodyHash !== undefined) {
    if (!signatureMatches(context.secrets, signature, request.url, { params: undefined })) {
      return reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
    }
    // Neither side is secret (the body and its hash are the caller's), so a plain comparison is safe; the
    // text is compared as twilio-node compares it, lower-case hex.
    return hash('sha256', request.body) === bodyHash
      ? ACCEPTED
      : reject('signature_mismatch', 'Body does not match the bodySHA256 URL parameter');
  }

  if (request.body.length === 0 && request.method !== 'GET') {
    return reject('empty_body', 'Request body is empty');
  }
  const received = asReceived(request.url);
  const [likelyUrl = request.url] = received;
  const bytes = signedBodyBytes(request.body, likelyUrl);
  if (bytes === undefined) return reject('malformed_body', 'Form body is not valid UTF-8');
  const content = { params: bytes.subarray(Buffer.byteLength(likelyUrl)), signed: { url: likelyUrl, bytes } };
  return signatureMatches(context.secrets, signature, request.url, content, received)
    ? ACCEPTED
    : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

/** The signed parameter string of a GET request's query (Twilio signs its URL alone). */
function queryParamString(url: string): string {
  const params = new Map<string, string[]>();
  try {
    for (const [name, value] of new URL(url).searchParams)
      params.set(name, [...(params.get(name) ?? []), value]);
  } catch {
    return url;
  }
  return twilioParamString(params);
}

function formEvent(request: RawRequest): ProviderEvent {
  const params = parseForm(request.body) ?? new Map();
  const messageSid = formValue(params, 'MessageSid', 'SmsSid');
  const callSid = formValue(params, 'CallSid');
  let eventType = 'twilio.form';
  let stateId: string | undefined;
  const sequence = formValue(params, 'SequenceNumber');
  if (messageSid !== undefined) {
    const status = formValue(params, 'MessageStatus', 'SmsStatus') ?? 'unknown';
    eventType = `message.${status}`;
    stateId = `${messageSid}:${status}`;
  } else if (callSid !== undefined) {
    const status = formValue(params, 'CallStatus') ?? 'unknown';
    eventType = `call.${status}`;
    stateId = `${callSid}:${status}`;
  }
  if (stateId !== undefined && sequence !== undefined) stateId += `:${sequence}`;
  const signedParams = request.body.length === 0 ? queryParamString(request.url) : signedFormBytes(params);
  return {
    providerEventId: stateId ?? signedContentId('twilio-params', signedParams),
    eventType,
    occurredAt: toIso(formValue(params, 'Timestamp')),
    raw: request.body,
  };
}

function jsonEvent(element: unknown, raw: Buffer): ProviderEvent {
  const record = asRecord(element);
  return {
    providerEventId: asString(record?.id) ?? signedContentId('twilio-body', raw),
    eventType: asString(record?.type) ?? 'unknown',
    occurredAt: toIso(record?.time ?? record?.timestamp),
    raw,
  };
}

function extract(request: RawRequest): Extraction {
  if (!isJsonBodyRequest(request.url)) return { ok: true, events: [formEvent(request)] };
  const parsed = parseJson(request.body);
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return { ok: false, reason: 'unusable_payload', message: 'Empty event array' };
    // Each CloudEvent keeps its own (signed) id; the element's bytes are part of the signed body.
    return {
      ok: true,
      events: parsed.map((element) => jsonEvent(element, Buffer.from(JSON.stringify(element), 'utf8'))),
    };
  }
  if (parsed === undefined)
    return { ok: false, reason: 'unusable_payload', message: 'Body is not valid JSON' };
  return { ok: true, events: [jsonEvent(parsed, request.body)] };
}

/** Twilio request validation (form-encoded and JSON `bodySHA256`). */
export const twilio: ProviderScheme<unknown> = {
  id: 'twilio',
  verify,
  extract,
};
