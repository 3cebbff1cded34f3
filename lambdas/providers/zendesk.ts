/**
 * Zendesk (`X-Zendesk-Webhook-Signature`, `X-Zendesk-Webhook-Signature-Timestamp`): HMAC-SHA256, base64,
 * over `timestamp + body`. The key is the webhook's signing secret used verbatim as UTF-8: it looks like
 * base64 but Zendesk does not decode it.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/zendesk/): Zendesk docs "Verifying webhook authenticity":
 * base64(HMAC-SHA256(timestamp + body)), secret used as given; "Anatomy of a webhook request":
 * `x-zendesk-webhook-signature`, `x-zendesk-webhook-signature-timestamp` (ISO-8601 UTC, e.g.
 * `2021-03-25T05:09:27Z`), `x-zendesk-webhook-id`, `x-zendesk-webhook-invocation-id`,
 * `x-zendesk-account-id`; no window documented. Trigger and automation webhooks may use other methods and no
 * body; the ingest takes POST only and this scheme needs a body. Matches.
 *
 * The timestamp is ISO-8601 (`2024-01-01T12:00:00Z`), not epoch seconds. Zendesk documents no replay window;
 * the source's tolerance applies (default 300 s, both directions).
 *
 * Events: one per request. Event-subscription webhooks carry `id`, `type` and `time`; trigger and automation
 * webhooks carry whatever body the admin templated, so they usually have no id and dedupe falls back to
 * the body hash.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  decodeBase64,
  hmac,
  outsideReplayWindow,
  parseJson,
  reject,
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Rejection, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Zendesk-Webhook-Signature';
const TIMESTAMP_HEADER = 'X-Zendesk-Webhook-Signature-Timestamp';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses Zendesk's ISO-8601 timestamp and checks the replay window. */
export function checkIsoTimestamp(
  raw: string,
  nowMs: number,
  toleranceSeconds: number,
): Rejection | undefined {
  const epochMs = ISO_UTC.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(epochMs))
    return reject('malformed_timestamp', `${TIMESTAMP_HEADER} is not an ISO-8601 time`);
  return outsideReplayWindow(epochMs, nowMs, toleranceSeconds);
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER, TIMESTAMP_HEADER);
  if (!headers.ok) return headers;
  const candidate = decodeBase64(headers.signature);
  if (candidate?.length !== 32) {
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a base64 HMAC-SHA256`);
  }
  const stale = checkIsoTimestamp(headers.timestamp, context.nowMs, context.toleranceSeconds);
  if (stale) return stale;
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) =>
    hmac('sha256', secret, headers.timestamp, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Zendesk body is not a JSON object' };
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.id),
        eventType: asString(body.type) ?? 'unknown',
        occurredAt: toIso(body.time),
        raw: request.body,
      },
    ],
  };
}

/** Zendesk webhook signature (HMAC-SHA256 over ISO timestamp + body, secret used verbatim). */
export const zendesk: ProviderScheme<unknown> = {
  id: 'zendesk',
  defaultToleranceSeconds: 300,
  verify,
  extract,
};
