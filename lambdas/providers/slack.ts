/**
 * Slack request signing: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" + ts + ":" + body>` with
 * `X-Slack-Request-Timestamp` in epoch seconds, keyed with the app's signing secret as UTF-8.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/slack/): Slack docs "Verifying requests from Slack": `X-Slack-Signature:
 * v0=<hex>` over `v0:` + `X-Slack-Request-Timestamp` (epoch seconds) + `:` + body, HMAC-SHA256 with the
 * signing secret; ignore requests more than five minutes from local time. The docs' worked example verifies
 * in the corpus. Matches.
 *
 * Replay window: ±300 s, as Slack's documentation asks ("more than five minutes from local time").
 * Bolt's `verifySlackRequest` only rejects old timestamps; ours also rejects timestamps that far in the
 * future, which Slack never sends. Hex is compared as bytes (upper-case hex of the right MAC is accepted;
 * Bolt compares the text).
 *
 * Events:
 * - Events API JSON (`event_callback`): id = `event_id` (stable across Slack's retries, which add
 *   `X-Slack-Retry-Num`), type = `event.type`, occurredAt = `event_time` (epoch s).
 * - `url_verification` and other JSON without `event_id`: type = `type`, no id (the dedupe key falls back
 *   to the body hash).
 * - Form-encoded interactivity (`payload=<json>`): type = the payload's `type` (`block_actions`, …), id =
 *   its `trigger_id`. Slash commands: type `slash_command`, id = `trigger_id`.
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
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Slack-Signature';
const TIMESTAMP_HEADER = 'X-Slack-Request-Timestamp';
const VERSION = 'v0';

/** Slack's documented five minutes. */
export const SLACK_TOLERANCE_SECONDS = 300;

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER, TIMESTAMP_HEADER);
  if (!headers.ok) return headers;
  const eq = headers.signature.indexOf('=');
  if (eq <= 0 || headers.signature.slice(0, eq) !== VERSION) {
    return reject('unsupported_signature_version', `${SIGNATURE_HEADER} must start with ${VERSION}=`);
  }
  const decoded = decodeHex(headers.signature.slice(eq + 1));
  if (decoded?.length !== 32) {
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex HMAC-SHA256`);
  }
  const checked = checkTimestamp(headers.timestamp, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const prefix = `${VERSION}:${headers.timestamp}:`;
  const matched = anySignatureMatches(context.secrets, [decoded], (secret) =>
    hmac('sha256', secret, prefix, request.body),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function fromJson(body: Record<string, unknown>, raw: Buffer): ProviderEvent {
  const inner = asRecord(body.event);
  return {
    providerEventId: asString(body.event_id),
    eventType: asString(inner?.type) ?? asString(body.type) ?? 'unknown',
    occurredAt: toIso(body.event_time, 's'),
    raw,
  };
}

function fromForm(request: RawRequest): ProviderEvent | undefined {
  const form = new URLSearchParams(request.body.toString('utf8'));
  const payload = form.get('payload');
  if (payload !== null) {
    const interaction = asRecord(parseJson(Buffer.from(payload, 'utf8')));
    if (!interaction) return undefined;
    return {
      providerEventId: asString(interaction.trigger_id),
      eventType: asString(interaction.type) ?? 'interaction',
      occurredAt: undefined,
      raw: request.body,
    };
  }
  if (form.get('command') !== null) {
    return {
      providerEventId: form.get('trigger_id') ?? undefined,
      eventType: 'slash_command',
      occurredAt: undefined,
      raw: request.body,
    };
  }
  return undefined;
}

function extract(request: RawRequest): Extraction {
  const json = asRecord(parseJson(request.body));
  const event = json ? fromJson(json, request.body) : fromForm(request);
  if (!event) {
    return {
      ok: false,
      reason: 'unusable_payload',
      message: 'Slack body is neither Events API JSON nor a known form',
    };
  }
  return { ok: true, events: [event] };
}

/** Slack `X-Slack-Signature` v0 (HMAC-SHA256 hex over `v0:ts:body`). */
export const slack: ProviderScheme<unknown> = {
  id: 'slack',
  defaultToleranceSeconds: SLACK_TOLERANCE_SECONDS,
  verify,
  extract,
};
