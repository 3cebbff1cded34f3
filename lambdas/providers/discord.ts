/**
 * Discord (`X-Signature-Ed25519`, `X-Signature-Timestamp`): Ed25519 over `timestamp + body`. The signature
 * is hex (64 bytes); the secret is the application's **public key** as hex (32 bytes, from the developer
 * portal). Parsed keys are cached per secret string.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/discord/): Discord docs "Interactions" > "Security and Authorization" and
 * "Webhook Events": `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp` (epoch s) + body, checked with
 * the application's hex public key; webhook events are `{version, application_id, type: 0 (PING) | 1, event:
 * {type, timestamp, data}}`; no window documented. Signatures match; the acknowledgement did not: Discord
 * wants an empty 204 for a PING and for events, so this scheme sets `acknowledgeWithNoContent`.
 *
 * Discord documents no replay window and `discord-interactions`' `verifyKey` checks none; the source's
 * tolerance applies to the signed timestamp (default 300 s, both directions) so a captured request cannot
 * be replayed later.
 *
 * Events: interactions carry `id` and a numeric `type` (`interaction.<type>`); webhook events
 * (`{ version, type, event: { type, timestamp, data } }`) have no id, so dedupe falls back to the body hash,
 * type = `event.type` (or `webhook.ping` for the type-0 ping), occurredAt = `event.timestamp`.
 * Interactions expect a synchronous answer (PONG to a PING) that an asynchronous pipeline does not give;
 * this scheme suits Discord's webhook events.
 */
import { createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import {
  ACCEPTED,
  asRecord,
  asString,
  checkTimestamp,
  decodeHex,
  keyCache,
  parseJson,
  reject,
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Signature-Ed25519';
const TIMESTAMP_HEADER = 'X-Signature-Timestamp';
function parseKey(secret: string): KeyObject | null {
  const raw = decodeHex(secret.trim());
  if (raw?.length !== 32) return null;
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return null;
  }
}

/** The Ed25519 public key for a hex secret, or null when it is not 32 hex-encoded bytes. Cached. */
export const discordPublicKey = keyCache(parseKey);

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER, TIMESTAMP_HEADER);
  if (!headers.ok) return headers;
  const candidate = decodeHex(headers.signature);
  if (candidate?.length !== 64)
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a hex Ed25519 signature`);
  const checked = checkTimestamp(headers.timestamp, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const keys = context.secrets.map(discordPublicKey).filter((key): key is KeyObject => key !== null);
  if (keys.length === 0)
    return reject('invalid_secret_config', 'No configured public key is 32 hex-encoded bytes');
  const signed = Buffer.concat([Buffer.from(headers.timestamp, 'utf8'), request.body]);
  let matched = false;
  for (const key of keys) {
    if (verifySignature(null, signed, key, candidate)) matched = true;
  }
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body) return { ok: false, reason: 'unusable_payload', message: 'Discord body is not a JSON object' };
  const event = asRecord(body.event);
  if (event || (body.type === 0 && body.id === undefined)) {
    return {
      ok: true,
      events: [
        {
          providerEventId: undefined,
          eventType: asString(event?.type) ?? 'webhook.ping',
          occurredAt: toIso(event?.timestamp),
          raw: request.body,
        },
      ],
    };
  }
  const type = asString(body.type);
  return {
    ok: true,
    events: [
      {
        providerEventId: asString(body.id),
        eventType: type === undefined ? 'unknown' : `interaction.${type}`,
        occurredAt: undefined,
        raw: request.body,
      },
    ],
  };
}

/** Discord Ed25519 request signature. */
export const discord: ProviderScheme<unknown> = {
  id: 'discord',
  defaultToleranceSeconds: 300,
  // "Webhook Events": a PING (and every event) is acknowledged with 204 and no body.
  acknowledgeWithNoContent: true,
  verify,
  extract,
};
