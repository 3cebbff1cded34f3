/**
 * Building blocks shared by the provider schemes. Hand-written on `node:crypto` rather than pulling in the
 * providers' SDKs: the ingest Lambda's cold start and bundle stay small, and the SDKs are used as test
 * oracles instead (test/unit/providers/*.differential.test.ts).
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  type Hmac,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { isUsableSecret } from '../shared/secret-value';
import type { RawRequest, Rejection, RejectReason, Verdict } from './types';

export const ACCEPTED: Verdict = Object.freeze({ ok: true as const });

export function reject(reason: RejectReason, message: string): Rejection {
  return { ok: false, reason, message };
}

export type HeaderResult = { ok: true; value: string } | Rejection;

/**
 * Exactly one value of a header. A missing header, an empty one, or one sent several times with different
 * values is a rejection (an attacker must not be able to pick which copy we verify).
 */
export function singleHeader(
  request: RawRequest,
  name: string,
  missingReason: RejectReason = 'missing_header',
): HeaderResult {
  const values = request.headers[name.toLowerCase()];
  if (!values || values.length === 0 || values.every((v) => v.trim() === '')) {
    return reject(missingReason, `Missing ${name} header`);
  }
  const distinct = new Set(values.map((v) => v.trim()));
  if (distinct.size > 1) return reject('duplicate_header', `${name} header sent more than once`);
  return { ok: true, value: values[0]?.trim() ?? '' };
}

/**
 * `singleHeader` for the hot path: the same verdicts, without its allocations when the header arrived
 * once with a non-empty value (every genuine delivery). `lowerName` is `name.toLowerCase()`, computed once
 * by the caller; `name` is the spelling used in messages.
 */
export function singleHeaderValue(
  request: RawRequest,
  lowerName: string,
  name: string,
  missingReason: RejectReason = 'missing_header',
): HeaderResult {
  const values = request.headers[lowerName];
  const only = values?.length === 1 ? values[0]?.trim() : undefined;
  if (only) return { ok: true, value: only };
  return singleHeader(request, name, missingReason);
}

/** The value of an optional header (first one), or undefined. */
export function optionalHeader(request: RawRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()]?.[0]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * Strict hex decoding: undefined for odd length or non-hex characters. Buffer.from stops at the first
 * invalid pair, so a full-length result proves every character was hex, without a regex pass on the hot path.
 */
export function decodeHex(value: string): Buffer | undefined {
  if (value.length === 0 || value.length % 2 !== 0) return undefined;
  const decoded = Buffer.from(value, 'hex');
  return decoded.length * 2 === value.length ? decoded : undefined;
}

/** Strict base64 (standard or URL alphabet) decoding: undefined for anything Buffer.from would guess at. */
export function decodeBase64(value: string): Buffer | undefined {
  if (value.length === 0) return undefined;
  const standard = BASE64.test(value);
  if (!standard && !BASE64URL.test(value)) return undefined;
  const unpadded = value.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  const decoded = Buffer.from(value, standard ? 'base64' : 'base64url');
  return decoded.length === 0 ? undefined : decoded;
}

/**
 * Standard-alphabet base64 that must be exactly how Node would encode the decoded bytes (padding included,
 * unused trailing bits zero). For schemes whose reference verifiers compare the base64 text itself, so a
 * non-canonical spelling of a valid MAC is rejected just as they reject it.
 */
export function decodeCanonicalBase64(value: string): Buffer | undefined {
  // No alphabet check needed: Buffer.from skips what is not base64, and then the text cannot round-trip.
  const decoded = Buffer.from(value, 'base64');
  return decoded.length > 0 && decoded.toString('base64') === value ? decoded : undefined;
}

export type Digest = 'sha1' | 'sha256' | 'sha512';

/**
 * The key an empty or whitespace-only secret is replaced with: random, per container, never stored or
 * shown, so a MAC "keyed with the empty secret" matches nothing anyone can compute. Defence in depth: the
 * secret cache and the ingest already drop such secrets, and schemes never throw, so refusing the key by
 * making it unguessable is how key preparation fails closed.
 */
const REFUSED_KEY = createSecretKey(randomBytes(32));

/**
 * String secrets as prepared HMAC keys, once per container: `createHmac` re-imports a string key on every
 * call, about a tenth of a 2 KB verification.
 */
const preparedHmacKey = keyCache<KeyObject>(
  (secret) => createSecretKey(Buffer.from(secret, 'utf8')),
  // Every active secret of every source a container serves (a few each), with room to spare.
  256,
);

/** The HMAC key of a secret: prepared once, and never an empty one (see {@link REFUSED_KEY}). */
function hmacKey(key: string | Buffer): KeyObject | Buffer {
  if (typeof key === 'string') return preparedHmacKey(key) ?? REFUSED_KEY;
  return key.length === 0 ? REFUSED_KEY : key;
}

function startHmac(algorithm: Digest, key: string | Buffer, parts: readonly (string | Buffer)[]): Hmac {
  const mac = createHmac(algorithm, hmacKey(key));
  for (const part of parts) mac.update(part);
  return mac;
}

export function hmac(algorithm: Digest, key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  return startHmac(algorithm, key, parts).digest();
}

/** The MAC as standard base64 text, for comparing with {@link safeEqualText}. */
export function hmacBase64(algorithm: Digest, key: string | Buffer, ...parts: (string | Buffer)[]): string {
  return startHmac(algorithm, key, parts).digest('base64');
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const base64MacShapes = new Map<number, RegExp>();

/**
 * Whether `value` is the canonical base64 of some `bytes`-byte MAC: exact length, alphabet, padding and
 * zero unused bits; what {@link decodeCanonicalBase64} accepts, without decoding anything.
 */
export function isBase64Mac(value: string, bytes: number): boolean {
  const dataChars = Math.ceil((bytes * 8) / 6);
  const padding = (3 - (bytes % 3)) % 3;
  let shape = base64MacShapes.get(bytes);
  if (!shape) {
    shape = new RegExp(`^[A-Za-z0-9+/]{${dataChars}}={${padding}}$`);
    base64MacShapes.set(bytes, shape);
  }
  if (!shape.test(value)) return false;
  const unusedBits = dataChars * 6 - bytes * 8;
  return (BASE64_ALPHABET.indexOf(value.charAt(dataChars - 1)) & ((1 << unusedBits) - 1)) === 0;
}

export function sha256(...parts: (string | Buffer)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * Constant-time comparison of two texts; different lengths are simply unequal. For MACs compared in their
 * encoded form, as HubSpot's and Twilio's own verifiers compare them: the expected text is canonical by
 * construction, and no buffers are allocated (at 2 KB, decoding and comparing buffers costs a fifth of the
 * verification; bench/verify.ts).
 */
export function safeEqualText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Constant-time comparison of two byte strings; different lengths are simply unequal. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Tries every candidate signature against every secret's expected MAC (secret rotation on both sides).
 * `expected` computes the MAC for one secret; candidates are already decoded bytes.
 */
export function anySignatureMatches(
  secrets: readonly string[],
  candidates: readonly Buffer[],
  expected: (secret: string) => Buffer | undefined,
): boolean {
  let matched = false;
  for (const secret of secrets) {
    if (!isUsableSecret(secret)) continue;
    const mac = expected(secret);
    if (!mac) continue;
    for (const candidate of candidates) {
      // No early exit: the work done does not depend on which secret or candidate matched.
      if (safeEqual(candidate, mac)) matched = true;
    }
  }
  return matched;
}

export type TimestampUnit = 's' | 'ms';

export type TimestampResult = { ok: true; epochMs: number } | Rejection;

/**
 * Parses a numeric timestamp and checks it against the replay window. `allowFuture` is how far ahead a
 * timestamp may be (clock skew), in seconds; Stripe's SDK, for example, only bounds the age.
 */
export function checkTimestamp(
  raw: string,
  unit: TimestampUnit,
  nowMs: number,
  toleranceSeconds: number,
  allowFutureSeconds = toleranceSeconds,
): TimestampResult {
  if (!/^\d{1,16}$/.test(raw)) return reject('malformed_timestamp', 'Timestamp is not a whole number');
  const epochMs = unit === 's' ? Number(raw) * 1000 : Number(raw);
  if (!Number.isSafeInteger(epochMs)) return reject('malformed_timestamp', 'Timestamp is out of range');
  const outside = outsideReplayWindow(epochMs, nowMs, toleranceSeconds, allowFutureSeconds);
  return outside ?? { ok: true, epochMs };
}

/** The replay-window check shared by every timestamp format: a rejection, or undefined when inside. */
export function outsideReplayWindow(
  epochMs: number,
  nowMs: number,
  toleranceSeconds: number,
  allowFutureSeconds = toleranceSeconds,
): Rejection | undefined {
  if (nowMs - epochMs > toleranceSeconds * 1000) {
    return reject('timestamp_too_old', `Timestamp is older than the ${toleranceSeconds} s replay window`);
  }
  if (epochMs - nowMs > allowFutureSeconds * 1000) {
    return reject('timestamp_in_future', `Timestamp is more than ${allowFutureSeconds} s in the future`);
  }
  return undefined;
}

/**
 * Parsed keys by secret string, so a key is parsed once per container, not per request. Bounded: a
 * source's secrets are few, and clearing on overflow keeps a misconfiguration from growing it forever.
 * An empty or whitespace-only secret is never a key (null), whatever `parse` would make of it.
 */
export function keyCache<K>(parse: (secret: string) => K | null, limit = 64): (secret: string) => K | null {
  const cache = new Map<string, K | null>();
  return (secret) => {
    if (!isUsableSecret(secret)) return null;
    const cached = cache.get(secret);
    if (cached !== undefined) return cached;
    const key = parse(secret);
    if (cache.size >= limit) cache.clear();
    cache.set(secret, key);
    return key;
  };
}

export type SignedHeaders = { ok: true; signature: string; timestamp: string } | Rejection;

/**
 * The checks every header-signed scheme starts with, in this order (the first failure is the reason):
 * an active secret, a non-empty body, exactly one signature header and, when `timestampHeader` is given,
 * exactly one timestamp header (`timestamp` is '' otherwise). Header names as spelled in messages.
 */
export function signedHeaders(
  request: RawRequest,
  secrets: readonly string[],
  signatureHeader: string,
  timestampHeader?: string,
): SignedHeaders {
  const noSecret = requireSecrets(secrets);
  if (noSecret) return noSecret;
  const emptyBody = requireBody(request);
  if (emptyBody) return emptyBody;
  const signature = singleHeaderValue(
    request,
    signatureHeader.toLowerCase(),
    signatureHeader,
    'missing_signature',
  );
  if (!signature.ok) return signature;
  if (timestampHeader === undefined) return { ok: true, signature: signature.value, timestamp: '' };
  const timestamp = singleHeaderValue(
    request,
    timestampHeader.toLowerCase(),
    timestampHeader,
    'missing_timestamp',
  );
  return timestamp.ok ? { ok: true, signature: signature.value, timestamp: timestamp.value } : timestamp;
}

/** Rejects a source with no usable secret: none at all, or only empty/whitespace-only ones. */
export function requireSecrets(secrets: readonly string[]): Rejection | undefined {
  return secrets.some(isUsableSecret)
    ? undefined
    : reject('no_active_secret', 'No active secret is configured for this source');
}

export function requireBody(request: RawRequest): Rejection | undefined {
  return request.body.length === 0 ? reject('empty_body', 'Request body is empty') : undefined;
}

/** Parses JSON from the raw body *after* verification; undefined when it is not valid UTF-8 JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
}

/** Epoch seconds/milliseconds or ISO string → ISO-8601 UTC, or undefined. */
export function toIso(value: unknown, unit: TimestampUnit = 's'): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(unit === 's' ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value === 'string' && value !== '') {
    if (/^\d+$/.test(value)) return toIso(Number(value), unit);
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return undefined;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * An event id made only of signed content: `<prefix>:<sha256 hex of the parts>`, 64 hex digits plus a
 * short prefix, well under the 256-byte id limit. For schemes whose own delivery id travels in a header
 * the signature does not cover (GitHub, Shopify, Linear, …): anyone holding one captured delivery could
 * resend it with a fresh id, so the id must come from what the signature protects. A provider's retry
 * resends the same signed content and gets the same id; a replay with rewritten unsigned headers does too.
 */
export function signedContentId(prefix: string, ...parts: (string | Buffer)[]): string {
  return `${prefix}:${sha256(...parts).toString('hex')}`;
}

/**
 * JSON with object keys sorted, recursively: the same text for the same parsed value whatever the key
 * order on the wire. For hashing signed JSON after removing a field that changes on every retry.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
