/**
 * SendGrid (Twilio SendGrid) signed Event Webhook: ECDSA P-256 with SHA-256 over
 * `X-Twilio-Email-Event-Webhook-Timestamp + body`; the signature header is base64 of a DER-encoded
 * `(r, s)` pair.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/sendgrid/): SendGrid docs "Getting Started with the Event Webhook Security
 * Features": `X-Twilio-Email-Event-Webhook-Signature` (base64 DER ECDSA P-256/SHA-256 over timestamp + raw
 * payload) and `X-Twilio-Email-Event-Webhook-Timestamp` (epoch seconds); the verification key is base64
 * SPKI; the payload is a JSON array (the SDK's signed vector ends in CRLF, so raw bytes matter); no window
 * documented. Matches.
 *
 * Secret format: the "Verification Key" from Mail Settings, i.e. base64 of the DER SubjectPublicKeyInfo
 * (`MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`), optionally PEM-wrapped (`-----BEGIN PUBLIC KEY-----`). Keys
 * that are not P-256 public keys are ignored; a source whose keys are all unusable is rejected as
 * `invalid_secret_config`. Parsed keys are cached per secret string, so a warm Lambda parses each once.
 *
 * Replay window: `@sendgrid/eventwebhook` checks none; we apply the source's tolerance (default 300 s, both
 * directions) to the signed timestamp, so a captured request cannot be replayed later. A source whose
 * deliveries arrive with older timestamps (e.g. retries, if SendGrid were to keep the original timestamp)
 * widens `toleranceSeconds` in its configuration.
 *
 * Events: the body is a JSON array; each element is one event with `sg_event_id` as its id, `event` as its
 * type and `timestamp` (epoch seconds) as its time.
 */
import { createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import {
  ACCEPTED,
  asRecord,
  asString,
  checkTimestamp,
  decodeBase64,
  keyCache,
  parseJson,
  reject,
  signedHeaders,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

function parseKey(secret: string): KeyObject | null {
  try {
    const trimmed = secret.trim();
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey({ key: trimmed, format: 'pem' })
      : (() => {
          const der = decodeBase64(trimmed.replace(/\s+/g, ''));
          return der ? createPublicKey({ key: der, format: 'der', type: 'spki' }) : null;
        })();
    if (key?.asymmetricKeyType !== 'ec') return null;
    return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
}

/** The P-256 public key for a verification-key secret, or null when the secret is not one. Cached. */
export const sendgridPublicKey = keyCache(parseKey);

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const headers = signedHeaders(request, context.secrets, SIGNATURE_HEADER, TIMESTAMP_HEADER);
  if (!headers.ok) return headers;
  const der = decodeBase64(headers.signature);
  // A DER P-256 signature is a SEQUENCE (0x30) of two INTEGERs: 8 to 72 bytes.
  if (!der || der.length < 8 || der.length > 72 || der[0] !== 0x30) {
    return reject('malformed_signature', `${SIGNATURE_HEADER} is not a base64 DER ECDSA signature`);
  }
  const checked = checkTimestamp(headers.timestamp, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;
  const keys = context.secrets.map(sendgridPublicKey).filter((key): key is KeyObject => key !== null);
  if (keys.length === 0) {
    return reject('invalid_secret_config', 'No configured verification key is a P-256 public key');
  }
  const signed = Buffer.concat([Buffer.from(headers.timestamp, 'utf8'), request.body]);
  let matched = false;
  for (const key of keys) {
    try {
      if (verifySignature('sha256', signed, { key, dsaEncoding: 'der' }, der)) matched = true;
    } catch {
      // OpenSSL rejects some malformed DER by throwing rather than returning false: same verdict.
    }
  }
  return matched ? ACCEPTED : reject('signature_mismatch', `${SIGNATURE_HEADER} does not match`);
}

function toEvent(element: unknown): ProviderEvent {
  const record = asRecord(element);
  return {
    providerEventId: asString(record?.sg_event_id),
    eventType: asString(record?.event) ?? 'unknown',
    occurredAt: toIso(record?.timestamp, 's'),
    raw: Buffer.from(JSON.stringify(element), 'utf8'),
  };
}

function extract(request: RawRequest): Extraction {
  const parsed = parseJson(request.body);
  if (!Array.isArray(parsed) || parsed.length === 0) {
    return { ok: false, reason: 'unusable_payload', message: 'SendGrid body is not a non-empty JSON array' };
  }
  return { ok: true, events: parsed.map(toEvent) };
}

/** SendGrid Event Webhook ECDSA verification. */
export const sendgrid: ProviderScheme<unknown> = {
  id: 'sendgrid',
  defaultToleranceSeconds: 300,
  verify,
  extract,
};
