/**
 * Paddle Billing (`Paddle-Signature: ts=<epoch s>;h1=<hex>[;h1=<hex>]`): HMAC-SHA256, hex, keyed with the
 * notification destination's secret key (UTF-8) over `ts + ":" + body`.
 *
 * - Several `h1` entries may arrive while Paddle rotates secrets: any match is accepted (Paddle's Node SDK
 *   keeps only the last one). Unknown keys are ignored for forward compatibility.
 * - Replay window: 5 s by default, as `@paddle/paddle-node-sdk` (`MAX_VALID_TIME_DIFFERENCE`); it bounds the
 *   age only, ours also rejects timestamps more than the window in the future. Sources behind slow networks
 *   or with clock skew widen `toleranceSeconds`.
 *
 * Events: one per request, id = `event_id`, type = `event_type`, occurredAt = `occurred_at`.
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
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'Paddle-Signature';

/** The SDK's default: five seconds. */
export const PADDLE_TOLERANCE_SECONDS = 5;

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = singleHeader(request, SIGNATURE_HEADER, 'missing_signature');
  if (!header.ok) return header;
  const timestamps: string[] = [];
  const candidates: Buffer[] = [];
  for (const part of header.value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return reject('malformed_header', `${SIGNATURE_HEADER} is not a list of key=value pairs`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'ts') timestamps.push(value);
    if (key === 'h1') {
      const decoded = decodeHex(value);
      if (decoded?.length !== 32)
        return reject('malformed_signature', 'An h1 entry is not a hex HMAC-SHA256');
      candidates.push(decoded);
    }
  }
  const [ts, ...extra] = timestamps;
  if (ts === undefined) return reject('missing_timestamp', `${SIGNATURE_HEADER} has no ts`);
  if (extra.length > 0) return reject('duplicate_header', `${SIGNATURE_HEADER} has more than one ts`);
  if (candidates.length === 0) {
    return reject('unsupported_signature_version', `${SIGNATURE_HEADER} has no h1 signature`);
  }
  const checked = checkTimestamp(ts, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const matched = anySignatureMatches(context.secrets, candidates, (secret) =>
    hmac('sha256', secret, `${ts}:`, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
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
