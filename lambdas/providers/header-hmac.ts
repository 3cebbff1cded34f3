/**
 * The simplest and most common scheme family: one header carrying one HMAC (optionally behind a prefix such
 * as `sha256=`) over fixed parts of the request, and a JSON body holding a single event. Intercom, Typeform
 * and Square are this family; each module only states its layout and where its id, type and time live.
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  type Digest,
  decodeCanonicalBase64,
  decodeHex,
  hmac,
  parseJson,
  reject,
  signedHeaders,
} from './common';
import type { Extraction, ProviderEvent, RawRequest, Verdict, VerifyContext } from './types';

const DIGEST_BYTES: Readonly<Record<Digest, number>> = { sha1: 20, sha256: 32, sha512: 64 };

export interface HeaderHmacLayout {
  readonly header: string;
  /** Text before the signature, e.g. `sha256=`; a header without it is an unsupported version. */
  readonly prefix?: string;
  readonly algorithm: Digest;
  readonly encoding: 'hex' | 'base64';
  /** The signed bytes, in order (the body alone, or e.g. the URL then the body). */
  readonly signedParts: (request: RawRequest) => readonly (string | Buffer)[];
}

export function verifyHeaderHmac(
  request: RawRequest,
  context: VerifyContext<unknown>,
  layout: HeaderHmacLayout,
): Verdict {
  const { header: name, prefix = '', algorithm, encoding } = layout;
  const header = signedHeaders(request, context.secrets, name);
  if (!header.ok) return header;
  if (!header.signature.startsWith(prefix)) {
    return reject('unsupported_signature_version', `${name} must start with ${prefix}`);
  }
  const encoded = header.signature.slice(prefix.length);
  const candidate = encoding === 'hex' ? decodeHex(encoded) : decodeCanonicalBase64(encoded);
  if (candidate?.length !== DIGEST_BYTES[algorithm]) {
    return reject('malformed_signature', `${name} is not a ${encoding} HMAC-${algorithm.toUpperCase()}`);
  }
  const parts = layout.signedParts(request);
  const matched = anySignatureMatches(context.secrets, [candidate], (secret) =>
    hmac(algorithm, secret, ...parts),
  );
  return matched ? ACCEPTED : reject('signature_mismatch', `${name} does not match`);
}

/** One event from a JSON-object body; `pick` says where the provider keeps the id, type and time. */
export function singleJsonEvent(
  request: RawRequest,
  provider: string,
  pick: (
    body: Record<string, unknown>,
  ) => Omit<ProviderEvent, 'raw' | 'eventType'> & { eventType: string | undefined },
): Extraction {
  const body = asRecord(parseJson(request.body));
  if (!body)
    return { ok: false, reason: 'unusable_payload', message: `${provider} body is not a JSON object` };
  const picked = pick(body);
  return { ok: true, events: [{ ...picked, eventType: picked.eventType ?? 'unknown', raw: request.body }] };
}
