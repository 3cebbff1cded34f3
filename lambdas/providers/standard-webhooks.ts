/**
 * Standard Webhooks (standardwebhooks.com) and Svix, which is the same scheme under `svix-*` header names.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/standard-webhooks/): Standard Webhooks spec "Webhook headers" / "Signature
 * scheme" and Svix docs "Verifying webhooks manually": `webhook-id`, `webhook-timestamp` (integer epoch
 * seconds), `webhook-signature` as space-delimited `v1,<base64>` (`v1a,<base64>` Ed25519); key = base64
 * after `whsec_`; the same with `svix-*` names; five-minute window. The spec's test vector verifies in the
 * corpus. Matches.
 *
 * - Headers: `webhook-id`, `webhook-timestamp` (epoch s), `webhook-signature`; each may instead arrive as
 *   `svix-id` / `svix-timestamp` / `svix-signature`. Like the svix SDK, the `svix-*` spelling wins per
 *   header when both are present.
 * - Signed bytes: `id + "." + timestamp + "." + body`.
 * - `webhook-signature` is a space-separated list of `version,<base64>`; any entry of a known version that
 *   matches is enough (rotation), unknown versions are ignored.
 *   - `v1`: HMAC-SHA256, key = base64-decode(secret without its `whsec_` prefix).
 *   - `v1a`: Ed25519; the source's "secret" is then the public key, `whpk_` + base64 of the raw 32 bytes.
 *   A source may hold both kinds; each entry is checked against the keys of its own kind.
 * - Replay window: ±300 s by default, both directions, as the reference libraries do.
 * - Signatures must be canonical base64 (the reference libraries compare the base64 text).
 *
 * Events: one per request; id = the message id header, type = body `type` (or `eventType`) when the body is
 * JSON, occurredAt = body `timestamp`, else the signed header timestamp.
 */
import { createPublicKey, type KeyObject, verify as verifyAsymmetric } from 'node:crypto';
import {
  ACCEPTED,
  asRecord,
  asString,
  checkTimestamp,
  decodeBase64,
  decodeCanonicalBase64,
  type HeaderResult,
  hmac,
  parseJson,
  reject,
  requireBody,
  requireSecrets,
  safeEqual,
  singleHeaderValue,
  toIso,
} from './common';
import type { Extraction, ProviderScheme, RawRequest, RejectReason, Verdict, VerifyContext } from './types';

/** The reference libraries' window: five minutes either way. */
export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 300;

const SYMMETRIC_PREFIX = 'whsec_';
const PUBLIC_KEY_PREFIX = 'whpk_';

const HEADER_NAMES = {
  id: ['svix-id', 'webhook-id'],
  timestamp: ['svix-timestamp', 'webhook-timestamp'],
  signature: ['svix-signature', 'webhook-signature'],
} as const;

/** One of the three headers, `svix-*` first (the svix SDK's precedence), then `webhook-*`. */
function messageHeader(
  request: RawRequest,
  name: keyof typeof HEADER_NAMES,
  missing: RejectReason,
): HeaderResult {
  const [svix, webhook] = HEADER_NAMES[name];
  const chosen = request.headers[svix] !== undefined ? svix : webhook;
  return singleHeaderValue(request, chosen, chosen, missing);
}

/** The message id as received, for extraction (verification already required it). */
function messageId(request: RawRequest): string | undefined {
  const id = messageHeader(request, 'id', 'missing_header');
  return id.ok ? id.value : undefined;
}

// Keys are derived once per secret, not per delivery (parsing a public key costs more than the Ed25519
// check itself); sources hold a handful of secrets, and the caches are bounded all the same.
const symmetricKeyCache = new Map<string, Buffer | undefined>();
const publicKeyCache = new Map<string, KeyObject | undefined>();
const MAX_CACHED_KEYS = 256;

/** HMAC key of a `whsec_…` (or bare base64) secret; undefined when it is not base64. */
export function symmetricKey(secret: string): Buffer | undefined {
  if (symmetricKeyCache.has(secret)) return symmetricKeyCache.get(secret);
  const encoded = secret.startsWith(SYMMETRIC_PREFIX) ? secret.slice(SYMMETRIC_PREFIX.length) : secret;
  const key = decodeBase64(encoded);
  if (symmetricKeyCache.size >= MAX_CACHED_KEYS) symmetricKeyCache.clear();
  symmetricKeyCache.set(secret, key);
  return key;
}

/** Ed25519 public key of a `whpk_<base64 raw 32 bytes>` secret; undefined when it is not one. */
export function ed25519PublicKey(secret: string): KeyObject | undefined {
  if (publicKeyCache.has(secret)) return publicKeyCache.get(secret);
  const raw = decodeBase64(secret.slice(PUBLIC_KEY_PREFIX.length));
  let key: KeyObject | undefined;
  if (raw?.length === 32) {
    try {
      key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
        format: 'jwk',
      });
    } catch {
      key = undefined;
    }
  }
  if (publicKeyCache.size >= MAX_CACHED_KEYS) publicKeyCache.clear();
  publicKeyCache.set(secret, key);
  return key;
}

interface Candidates {
  readonly v1: Buffer[];
  readonly v1a: Buffer[];
  readonly known: number;
}

function parseSignatures(header: string): Candidates {
  const v1: Buffer[] = [];
  const v1a: Buffer[] = [];
  let known = 0;
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const version = entry.slice(0, comma);
    const encoded = entry.slice(comma + 1);
    if (version === 'v1') {
      known += 1;
      const decoded = decodeCanonicalBase64(encoded);
      if (decoded?.length === 32) v1.push(decoded);
    } else if (version === 'v1a') {
      known += 1;
      const decoded = decodeCanonicalBase64(encoded);
      if (decoded?.length === 64) v1a.push(decoded);
    }
  }
  return { v1, v1a, known };
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const id = messageHeader(request, 'id', 'missing_header');
  if (!id.ok) return id;
  const timestamp = messageHeader(request, 'timestamp', 'missing_timestamp');
  if (!timestamp.ok) return timestamp;
  const header = messageHeader(request, 'signature', 'missing_signature');
  if (!header.ok) return header;

  const candidates = parseSignatures(header.value);
  if (candidates.known === 0) {
    return reject('unsupported_signature_version', 'webhook-signature has no v1 or v1a entry');
  }
  if (candidates.v1.length === 0 && candidates.v1a.length === 0) {
    return reject('malformed_signature', 'webhook-signature entries are not base64 signatures');
  }

  const hmacKeys: Buffer[] = [];
  const publicKeys: KeyObject[] = [];
  for (const secret of context.secrets) {
    const key = secret.startsWith(PUBLIC_KEY_PREFIX) ? ed25519PublicKey(secret) : symmetricKey(secret);
    if (key === undefined) continue;
    if (Buffer.isBuffer(key)) hmacKeys.push(key);
    else publicKeys.push(key);
  }
  if (hmacKeys.length === 0 && publicKeys.length === 0) {
    return reject(
      'invalid_secret_config',
      'No usable Standard Webhooks secret: expected whsec_<base64> or whpk_<base64 Ed25519 public key>',
    );
  }

  const checked = checkTimestamp(timestamp.value, 's', context.nowMs, context.toleranceSeconds);
  if (!checked.ok) return checked;

  const prefix = `${id.value}.${timestamp.value}.`;
  let matched = false;
  for (const key of candidates.v1.length > 0 ? hmacKeys : []) {
    const mac = hmac('sha256', key, prefix, request.body);
    // No early exit: the work done does not depend on which key or signature matched.
    for (const signature of candidates.v1) if (safeEqual(signature, mac)) matched = true;
  }
  if (!matched && candidates.v1a.length > 0 && publicKeys.length > 0) {
    const signed = Buffer.concat([Buffer.from(prefix, 'utf8'), request.body]);
    for (const key of publicKeys) {
      for (const signature of candidates.v1a) {
        if (verifyAsymmetric(null, signed, key, signature)) matched = true;
      }
    }
  }
  return matched ? ACCEPTED : reject('signature_mismatch', 'webhook-signature does not match');
}

function extract(request: RawRequest): Extraction {
  const body = asRecord(parseJson(request.body));
  const headerTimestamp = messageHeader(request, 'timestamp', 'missing_timestamp');
  return {
    ok: true,
    events: [
      {
        providerEventId: messageId(request),
        eventType: asString(body?.type) ?? asString(body?.eventType) ?? 'unknown',
        occurredAt:
          toIso(body?.timestamp) ?? (headerTimestamp.ok ? toIso(headerTimestamp.value, 's') : undefined),
        raw: request.body,
      },
    ],
  };
}

/** Standard Webhooks / Svix (`v1` HMAC-SHA256 base64 over `id.ts.body`, `v1a` Ed25519). */
export const standardWebhooks: ProviderScheme<unknown> = {
  id: 'standard-webhooks',
  defaultToleranceSeconds: STANDARD_WEBHOOKS_TOLERANCE_SECONDS,
  verify,
  extract,
};
