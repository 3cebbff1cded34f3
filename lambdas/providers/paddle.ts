/**
 * Paddle Billing (`Paddle-Signature: ts=<epoch s>;h1=<hex>[;h1=<hex>]`): HMAC-SHA256, hex, keyed with the
 * notification destination's secret key (UTF-8) over `ts + ":" + body`.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/paddle/): Paddle docs "Verify webhook signatures": `Paddle-Signature: ts=<epoch
 * s>;h1=<hex>`, signed `ts + ":" + body`, HMAC-SHA256 with the destination's secret key; several `h1` while
 * rotating; a five-second tolerance is the SDK's default. Matches.
 *
 * - Several `h1` entries may arrive while Paddle rotates secrets: any match is accepted (Paddle's Node SDK
 *   keeps only the last one). Unknown keys are ignored for forward compatibility.
 * - Replay window: 5 s by default, as `@paddle/paddle-node-sdk` (`MAX_VALID_TIME_DIFFERENCE`); it bounds the
 *   age only, ours also rejects timestamps more than the window in the future. Sources behind slow networks
 *   or with clock skew widen `toleranceSeconds`.
 *
 * Events: one per request, id = `event_id`, type = `event_type`, occurredAt = `occurred_at`.
 */
import { asRecord, asString, parseJson, toIso } from './common';
import { type TimestampedHmacLayout, verifyTimestampedHexHmac } from './timestamped-hmac';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'Paddle-Signature';

/** The SDK's default: five seconds. */
export const PADDLE_TOLERANCE_SECONDS = 5;

const LAYOUT: TimestampedHmacLayout = {
  header: SIGNATURE_HEADER,
  pairSeparator: ';',
  timestampKey: 'ts',
  signatureKey: 'h1',
  signedSeparator: ':',
};

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  return verifyTimestampedHexHmac(request, context, LAYOUT);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Paddle body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.event_id),
        eventType: asString(body.event_type) ?? 'unknown',
        occurredAt: toIso(body.occurred_at),
        raw: request.body,
      },
    ],
  };
}

/** Paddle Billing webhook signature. */
export const paddle: ProviderScheme<unknown> = {
  id: 'paddle',
  defaultToleranceSeconds: PADDLE_TOLERANCE_SECONDS,
  verify,
  extract,
};
