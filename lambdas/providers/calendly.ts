/**
 * Calendly (`Calendly-Webhook-Signature: t=<epoch s>,v1=<hex>`): HMAC-SHA256, hex, keyed with the webhook
 * signing key (UTF-8) over `t + "." + body`. Several `v1` entries are accepted (any match). Calendly's
 * sample code uses a 3-minute window: default tolerance 180 s, both directions.
 *
 * Events: one per request. Calendly documents no event id; the id is `<event>:<payload.uri>` (the invitee
 * or submission URI), which is stable across retries and distinct per event kind (an invitee's
 * `invitee.created` and `invitee.canceled` differ). Without `payload.uri` dedupe falls back to the body
 * hash. type = `event`, occurredAt = `created_at`.
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

const SIGNATURE_HEADER = 'Calendly-Webhook-Signature';

/** Calendly's sample verifier window: three minutes. */
export const CALENDLY_TOLERANCE_SECONDS = 180;

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const header = singleHeader(request, SIGNATURE_HEADER, 'missing_signature');
  if (!header.ok) return header;
  const timestamps: string[] = [];
  const candidates: Buffer[] = [];
  for (const part of header.value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return reject('malformed_header', `${SIGNATURE_HEADER} is not a list of key=value pairs`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamps.push(value);
    if (key === 'v1') {
      const decoded = decodeHex(value);
      if (decoded?.length !== 32) return reject('malformed_signature', 'A v1 entry is not a hex HMAC-SHA256');
      candidates.push(decoded);
    }
  }
  const [t, ...extra] = timestamps;
  if (t === undefined) return reject('missing_timestamp', `${SIGNATURE_HEADER} has no t`);
  if (extra.length > 0) return reject('duplicate_header', `${SIGNATURE_HEADER} has more than one t`);
  if (candidates.length === 0) {
    return reject('unsupported_signature_version', `${SIGNATURE_HEADER} has no v1 signature`);
  }
  const checked = checkTimestamp(t, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const matched = anySignatureMatches(context.secrets, candidates, (secret) =>
    hmac('sha256', secret, `${t}.`, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Calendly body is not a JSON object' };
  const event = asString(body.event);
  const uri = asString(asRecord(body.payload)?.uri);
  return {
    ok: true,
    events: [
      {
        providerEventId: event && uri ? `${event}:${uri}` : undefined,
        eventType: event ?? 'unknown',
        occurredAt: toIso(body.created_at),
        raw: request.body,
      },
    ],
  };
}

/** Calendly webhook signature. */
export const calendly: ProviderScheme<unknown> = {
  id: 'calendly',
  defaultToleranceSeconds: CALENDLY_TOLERANCE_SECONDS,
  verify,
  extract,
};
