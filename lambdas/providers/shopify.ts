/**
 * Shopify webhooks: `X-Shopify-Hmac-Sha256` (events API: `shopify-hmac-sha256`) = base64 HMAC-SHA256 of
 * the body, keyed with the app's client secret as UTF-8. Several active secrets cover a secret rotation.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/shopify/): Shopify docs "Deliver webhooks through HTTPS" (verify, headers):
 * `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body with the app's client secret;
 * `X-Shopify-Topic`, `-Shop-Domain`, `-API-Version` (`YYYY-MM`), `-Webhook-Id`, `-Event-Id`, `-Triggered-At`
 * (ISO-8601, nanoseconds); no signed timestamp. Matches.
 *
 * The signature header picks the header family, as `@shopify/shopify-api`'s `webhooks.validate` does:
 * `shopify-hmac-sha256` means the events API's `shopify-*` headers, otherwise `X-Shopify-*`. When both
 * signature headers are sent they must carry the same value (`duplicate_header` otherwise), so a second
 * copy cannot choose which one is checked; the events family then applies. The delivery headers Shopify
 * sends every time and the SDK requires must be present in that family (`missing_header`): topic, shop
 * domain, API version and webhook id (`X-Shopify-Topic`, `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`,
 * `X-Shopify-Webhook-Id`), plus `shopify-event-id` for the events API. They are not signed, so this only
 * keeps us as strict as the SDK; it authenticates nothing.
 *
 * No replay window by default: Shopify signs no timestamp. `X-Shopify-Triggered-At` is not part of the
 * signed bytes, so anyone replaying a captured delivery could rewrite it, and Shopify's own retries (up
 * to 8 over 4 hours, 48 h on older plans) keep the original value, so a window on it would reject
 * legitimate retries while stopping no attacker. Replays are absorbed by dedupe instead.
 *
 * Signatures must be canonical base64 (Shopify's libraries compare the base64 text).
 *
 * What is signed is the body alone, so nothing the pipeline acts on comes from a header:
 * - id = `shopify-body:<sha256 of the body>`. `X-Shopify-Event-Id` / `X-Shopify-Webhook-Id` are unsigned:
 *   a replay with a fresh one must not be a new event. Shopify's retries resend the same body, so they
 *   get the same id.
 * - type = `X-Shopify-Topic` (`orders/create`), as a label only (metrics, logs). It is unsigned and
 *   deliberately not in the id: the topics of one order (`orders/create`, `orders/paid`, …) can carry
 *   byte-identical bodies, and a rewritten topic must neither make a second event nor a different one.
 *   The Shopify mapping therefore decides what to write from the signed body (the resource named by
 *   `admin_graphql_api_id`), never from the topic, and writes the same state for every topic of the same
 *   body, so merging two topics with identical bodies loses nothing (lambdas/mapping/shopify.ts).
 * - occurredAt = the body's `updated_at` (else `created_at`), not the unsigned `X-Shopify-Triggered-At`.
 *
 * The `shopify-*` spellings of the events API are read too.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  decodeCanonicalBase64,
  hmac,
  optionalHeader,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  signedContentId,
  singleHeaderValue,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Rejection, Verdict, VerifyContext } from './types';

/** `X-Shopify-<name>`, else the events API's `shopify-<name>`. */
function shopifyHeader(request: RawRequest, name: string): string | undefined {
  return optionalHeader(request, `x-shopify-${name}`) ?? optionalHeader(request, `shopify-${name}`);
}

/** One header spelling family: the signature header and the delivery headers the SDK requires with it. */
interface Flavour {
  readonly signature: string;
  /** Lower-case name → the SDK's spelling, for messages. */
  readonly required: readonly (readonly [string, string])[];
}

const WEBHOOKS: Flavour = {
  signature: 'X-Shopify-Hmac-Sha256',
  required: [
    ['x-shopify-topic', 'X-Shopify-Topic'],
    ['x-shopify-shop-domain', 'X-Shopify-Shop-Domain'],
    ['x-shopify-api-version', 'X-Shopify-API-Version'],
    ['x-shopify-webhook-id', 'X-Shopify-Webhook-Id'],
  ],
};

const EVENTS: Flavour = {
  signature: 'shopify-hmac-sha256',
  required: [
    ['shopify-topic', 'shopify-topic'],
    ['shopify-shop-domain', 'shopify-shop-domain'],
    ['shopify-api-version', 'shopify-api-version'],
    ['shopify-webhook-id', 'shopify-webhook-id'],
    ['shopify-event-id', 'shopify-event-id'],
  ],
};

type SignatureResult = { ok: true; value: string; flavour: Flavour } | Rejection;

/**
 * The signature and the header family it selects. Like the SDK, the events API's `shopify-hmac-sha256`
 * wins when both are sent; unlike it, both copies must then agree, so no one can add a second signature
 * header and choose which one is checked.
 */
function signatureHeader(request: RawRequest): SignatureResult {
  const classic =
    request.headers['x-shopify-hmac-sha256'] === undefined
      ? undefined
      : singleHeaderValue(request, 'x-shopify-hmac-sha256', WEBHOOKS.signature, 'missing_signature');
  const events =
    request.headers['shopify-hmac-sha256'] === undefined
      ? undefined
      : singleHeaderValue(request, 'shopify-hmac-sha256', EVENTS.signature, 'missing_signature');
  if (!events) {
    if (!classic) return reject('missing_signature', 'Missing X-Shopify-Hmac-Sha256 header');
    return classic.ok ? { ...classic, flavour: WEBHOOKS } : classic;
  }
  if (!classic) return events.ok ? { ...events, flavour: EVENTS } : events;
  if (classic.ok && events.ok && classic.value === events.value) return { ...events, flavour: EVENTS };
  // Both empty, or both repeated: the same complaint either way.
  if (!classic.ok && !events.ok && classic.reason === events.reason) return classic;
  return reject('duplicate_header', 'X-Shopify-Hmac-Sha256 and shopify-hmac-sha256 differ');
}

function hasHeader(request: RawRequest, lowerName: string): boolean {
  const value = request.headers[lowerName]?.[0];
  return value !== undefined && value.trim() !== '';
}

/** The delivery headers Shopify always sends and `webhooks.validate` requires: missing ones, by name. */
function missingDeliveryHeaders(request: RawRequest, flavour: Flavour): Rejection | undefined {
  const present = ([lowerName]: readonly [string, string]) => hasHeader(request, lowerName);
  if (flavour.required.every(present)) return undefined;
  const missing = flavour.required.filter((header) => !present(header)).map(([, name]) => name);
  return reject('missing_header', `Missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`);
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = signatureHeader(request);
  if (!header.ok) return header;
  const decoded = decodeCanonicalBase64(header.value);
  if (decoded?.length !== 32) {
    return reject('malformed_signature', `${header.flavour.signature} is not a base64 HMAC-SHA256`);
  }
  const missing = missingDeliveryHeaders(request, header.flavour);
  if (missing) return missing;
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha256', secret, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${header.flavour.signature} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  return {
    ok: true,
    events: [
      {
        providerEventId: signedContentId('shopify-body', request.body),
        eventType: shopifyHeader(request, 'topic') ?? 'unknown',
        occurredAt: toIso(body?.updated_at) ?? toIso(body?.created_at),
        raw: request.body,
      },
    ],
  };
}

/** Shopify `X-Shopify-Hmac-Sha256` (HMAC-SHA256 base64 of the body). */
export const shopify: ProviderScheme<unknown> = {
  id: 'shopify',
  verify,
  extract,
};
