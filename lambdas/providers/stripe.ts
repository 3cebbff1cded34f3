/**
 * Stripe webhooks: `Stripe-Signature: t=<epoch s>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each `v1` is the
 * hex HMAC-SHA256 of `t + "." + body`, keyed with the endpoint's `whsec_…` string **as UTF-8, verbatim**
 * (not base64-decoded, unlike Standard Webhooks).
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/stripe/): Stripe docs "Receive Stripe events in your webhook endpoint" > "Verify
 * signatures manually": `Stripe-Signature: t=<epoch s>,v1=<hex>[,v0=<hex>]`, signed `t + "." + body`,
 * HMAC-SHA256 hex with the `whsec_` secret as text; one `v1` per active secret while rolling; `v0` is
 * test-mode legacy; default tolerance five minutes (stripe-node `DEFAULT_TOLERANCE` 300 s). Matches.
 *
 * - Rotation: Stripe sends one `v1` per active endpoint secret while an old one is being rolled; any `v1`
 *   matching any of our active secrets is enough. `v0` (test-mode legacy) and unknown schemes are ignored.
 * - Replay window: like stripe-node, a timestamp older than the window is rejected. Unlike stripe-node,
 *   a timestamp more than the window ahead of our clock is rejected too: a signature minted for the future
 *   would otherwise stay replayable for longer than the window, and Stripe never sends one.
 * - Hex case: the signature is decoded and compared as bytes, so upper-case hex of the right MAC is
 *   accepted (stripe-node compares the text and would refuse it). Knowing the MAC in any spelling proves
 *   knowledge of the secret.
 *
 * Events: one per request; id = body `id` (`evt_…`), type = `type`, occurredAt = `created` (epoch s).
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
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const HEADER = 'Stripe-Signature';
const SCHEME = 'v1';

/** stripe-node's `DEFAULT_TOLERANCE`: 300 s. */
export const STRIPE_TOLERANCE_SECONDS = 300;

/** The pieces of a `Stripe-Signature` header. */
export interface StripeSignatureHeader {
  readonly timestamp: string | undefined;
  /** Raw `v1` values, in order. */
  readonly signatures: readonly string[];
  /** True when another scheme (`v0`, a future `v2`, …) was present. */
  readonly otherSchemes: boolean;
  /** True when `t=` appeared more than once (an attacker must not choose which one we use). */
  readonly repeatedTimestamp: boolean;
}

/** Splits `t=..,v1=..,v1=..` into its parts; never throws. Exported for the tests. */
export function parseStripeSignatureHeader(header: string): StripeSignatureHeader {
  let timestamp: string | undefined;
  let repeatedTimestamp = false;
  let otherSchemes = false;
  const signatures: string[] = [];
  // indexOf rather than split/map: this runs on every delivery, before the HMAC.
  let start = 0;
  while (start <= header.length) {
    const comma = header.indexOf(',', start);
    const end = comma === -1 ? header.length : comma;
    const eq = header.indexOf('=', start);
    if (eq > start && eq < end) {
      const key = header.slice(start, eq).trim();
      const value = header.slice(eq + 1, end).trim();
      if (key === 't') {
        if (timestamp !== undefined) repeatedTimestamp = true;
        timestamp = value;
      } else if (key === SCHEME) {
        signatures.push(value);
      } else if (key !== '') {
        otherSchemes = true;
      }
    }
    start = end + 1;
  }
  return { timestamp, signatures, otherSchemes, repeatedTimestamp };
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, HEADER);
  if (!headers.ok) return headers;

  const parsed = parseStripeSignatureHeader(headers.signature);
  if (parsed.repeatedTimestamp) return reject('malformed_header', `${HEADER} carries more than one t=`);
  if (parsed.timestamp === undefined && parsed.signatures.length === 0 && !parsed.otherSchemes) {
    return reject('malformed_header', `${HEADER} is not in the t=..,${SCHEME}=.. format`);
  }
  if (parsed.timestamp === undefined) return reject('missing_timestamp', `${HEADER} has no t= timestamp`);
  if (parsed.signatures.length === 0) {
    return parsed.otherSchemes
      ? reject('unsupported_signature_version', `${HEADER} has no ${SCHEME} signature`)
      : reject('missing_signature', `${HEADER} has no ${SCHEME} signature`);
  }
  const candidates = parsed.signatures.map(decodeHex).filter((sig): sig is Buffer => sig?.length === 32);
  if (candidates.length === 0) {
    return reject('malformed_signature', `${HEADER} ${SCHEME} is not a hex HMAC-SHA256`);
  }
  const checked = checkTimestamp(parsed.timestamp, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;

  const prefix = `${parsed.timestamp}.`;
  const matched = anySignatureMatches(context.secrets, candidates, (secret) =>
    hmac('sha256', secret, prefix, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const event = asRecord(parseJson(request.body));
  if (!event) return { ok: false, reason: 'unusable_payload', message: 'Stripe body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(event.id),
        eventType: asString(event.type) ?? 'unknown',
        occurredAt: toIso(event.created, 's'),
        raw: request.body,
      },
    ],
  };
}

/** Stripe `Stripe-Signature` v1 (HMAC-SHA256 hex over `t.body`, key = the `whsec_` string as UTF-8). */
export const stripe: ProviderScheme<unknown> = {
  id: 'stripe',
  defaultToleranceSeconds: STRIPE_TOLERANCE_SECONDS,
  verify,
  extract,
};
