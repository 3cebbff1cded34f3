/**
 * Generic HMAC, configured by data: for providers without a dedicated module whose scheme is "an HMAC of
 * some bytes in some header". The source's `options` say which header, which digest and encoding, what
 * exactly is signed, whether a timestamp is signed (and in which unit), and where the event id lives.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/generic-hmac/): The seed provider's guide ("Working with Webhooks" > "Verifying
 * Webhook Signatures"): `X-Webhook-Signature` = hex HMAC-SHA256 of the raw body, the layout in the example
 * below. Matches.
 *
 * Signed content is a template over `{timestamp}`, `{id}`, `{body}`, `{url}` and `{method}`, e.g.
 * `{timestamp}.{body}`; each placeholder is replaced by the exact header text / raw body bytes / configured
 * public URL, nothing re-serialised. The template must contain `{body}`: a signature that does not cover
 * the body would authenticate nothing the pipeline uses.
 *
 * Ids and types come from signed content only. `idHeader` names the event when the template signs it
 * (`{id}`); otherwise it is an unsigned header that anyone replaying a captured delivery could change, so
 * the id is then `hmac-body:<sha256 of the body>` (with `:<index>` per batch element without its own id):
 * a retry resends the same body and keeps the id, a replay with a fresh header does too. An `idPointer`
 * into the body is always signed (the template must cover `{body}`). `typeHeader` is never signed (no
 * placeholder for it): it is a label only, never part of an id, and generic sources get the same
 * `events` append for every type.
 *
 * Example (the seed provider's `X-Webhook-Signature`, a hex HMAC-SHA256 of the body):
 * `{ "signatureHeader": "X-Webhook-Signature", "algorithm": "sha256", "encoding": "hex",
 *    "idPointer": "/id", "typePointer": "/type", "occurredAtPointer": "/created_at" }`
 */
import {
  ACCEPTED,
  anySignatureMatches,
  asRecord,
  asString,
  checkTimestamp,
  type Digest,
  decodeBase64,
  decodeCanonicalBase64,
  decodeHex,
  hmac,
  optionalHeader,
  parseJson,
  reject,
  signedContentId,
  signedHeaders,
  singleHeader,
  type TimestampUnit,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

/** The layout of a generic HMAC source (`SourceConfig.options`). */
export interface GenericHmacOptions {
  /** Header carrying the signature, e.g. `X-Webhook-Signature`. */
  readonly signatureHeader: string;
  readonly algorithm: Digest;
  /** How the MAC is written in the header. */
  readonly encoding: 'hex' | 'base64';
  /** Text before each signature, e.g. `sha256=`; entries without it are ignored as other versions. */
  readonly prefix?: string;
  /** Splits a header holding several signatures (rotation), e.g. `" "` or `","`. @default one signature */
  readonly signatureSeparator?: string;
  /** What is signed. @default '{body}' */
  readonly signedContent?: string;
  /** How the secret becomes the key. @default 'utf8' (the secret's text as is) */
  readonly keyEncoding?: 'utf8' | 'base64' | 'hex';
  /** Stripped from the secret before decoding it, e.g. `whsec_`. */
  readonly keyPrefix?: string;
  /** Header with the signed timestamp; when set, a replay window applies. */
  readonly timestampHeader?: string;
  /** @default 's' */
  readonly timestampUnit?: TimestampUnit;
  /** Replay window in seconds; the source's `toleranceSeconds` (default 300) when unset. */
  readonly toleranceSeconds?: number;
  /** Header with the delivery/event id (required when the template uses `{id}`). */
  readonly idHeader?: string;
  /** JSON pointer (RFC 6901) to the event id in the body (or in each batch element), e.g. `/id`. */
  readonly idPointer?: string;
  /** Header with the event type. */
  readonly typeHeader?: string;
  /** JSON pointer to the event type, e.g. `/type`. */
  readonly typePointer?: string;
  /** JSON pointer to the event time (ISO string or epoch in `timestampUnit`). */
  readonly occurredAtPointer?: string;
  /** JSON pointer to an array of events when the body is a batch, e.g. `/events`. */
  readonly eventsPointer?: string;
}

const PLACEHOLDERS = ['timestamp', 'id', 'body', 'url', 'method'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const POINTER = /^(\/([^~/]|~[01])*)*$/;

const DIGEST_BYTES: Readonly<Record<Digest, number>> = { sha1: 20, sha256: 32, sha512: 64 };

/** Resolves an RFC 6901 JSON pointer; undefined when any step is missing. `''` is the whole document. */
export function jsonPointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let current: unknown = document;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      current = current[Number(key)];
    } else {
      const record = asRecord(current);
      if (!record || !Object.hasOwn(record, key)) return undefined;
      current = record[key];
    }
  }
  return current;
}

type TemplatePart = { readonly literal: string } | { readonly placeholder: Placeholder };

function parseTemplate(template: string): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] ?? '';
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      return `signedContent has an unknown placeholder {${name}} (allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`;
    }
    if (match.index > last) parts.push({ literal: template.slice(last, match.index) });
    parts.push({ placeholder: name as Placeholder });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  return parts;
}

const isHeaderName = (value: unknown) => typeof value === 'string' && HEADER_NAME.test(value);
const isPointer = (value: unknown) => typeof value === 'string' && POINTER.test(value);

/** Every problem with a generic HMAC layout (empty when it is usable). */
export function validateGenericHmacOptions(options: unknown): string[] {
  const o = asRecord(options);
  if (!o) return ['generic-hmac options must be an object'];
  const problems: string[] = [];
  if (!isHeaderName(o.signatureHeader)) problems.push('signatureHeader must be a header name');
  if (!['sha1', 'sha256', 'sha512'].includes(String(o.algorithm))) {
    problems.push('algorithm must be sha1, sha256 or sha512');
  }
  if (!['hex', 'base64'].includes(String(o.encoding))) problems.push('encoding must be hex or base64');
  for (const name of ['prefix', 'keyPrefix'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'string') problems.push(`${name} must be a string`);
  }
  if (
    o.signatureSeparator !== undefined &&
    (typeof o.signatureSeparator !== 'string' || o.signatureSeparator === '')
  ) {
    problems.push('signatureSeparator must be a non-empty string');
  }
  if (o.keyEncoding !== undefined && !['utf8', 'base64', 'hex'].includes(String(o.keyEncoding))) {
    problems.push('keyEncoding must be utf8, base64 or hex');
  }
  for (const name of ['timestampHeader', 'idHeader', 'typeHeader'] as const) {
    if (o[name] !== undefined && !isHeaderName(o[name])) problems.push(`${name} must be a header name`);
  }
  for (const name of ['idPointer', 'typePointer', 'occurredAtPointer', 'eventsPointer'] as const) {
    if (o[name] !== undefined && !isPointer(o[name])) {
      problems.push(`${name} must be a JSON pointer such as /id (RFC 6901)`);
    }
  }
  if (o.timestampUnit !== undefined && o.timestampUnit !== 's' && o.timestampUnit !== 'ms') {
    problems.push('timestampUnit must be s or ms');
  }
  if (
    o.toleranceSeconds !== undefined &&
    (typeof o.toleranceSeconds !== 'number' ||
      !Number.isInteger(o.toleranceSeconds) ||
      o.toleranceSeconds <= 0)
  ) {
    problems.push('toleranceSeconds must be a positive whole number');
  }
  if (o.signedContent !== undefined && typeof o.signedContent !== 'string') {
    problems.push('signedContent must be a string template');
  } else {
    const template = typeof o.signedContent === 'string' ? o.signedContent : '{body}';
    const parsed = parseTemplate(template);
    if (typeof parsed === 'string') {
      problems.push(parsed);
    } else {
      const used = new Set(parsed.flatMap((p) => ('placeholder' in p ? [p.placeholder] : [])));
      if (!used.has('body')) problems.push('signedContent must include {body}');
      if (used.has('timestamp') && o.timestampHeader === undefined) {
        problems.push('signedContent uses {timestamp} but timestampHeader is not set');
      }
      if (used.has('id') && o.idHeader === undefined) {
        problems.push('signedContent uses {id} but idHeader is not set');
      }
    }
  }
  return problems;
}

function keyOf(secret: string, o: GenericHmacOptions): Buffer | string | undefined {
  const prefix = o.keyPrefix ?? '';
  const text = prefix !== '' && secret.startsWith(prefix) ? secret.slice(prefix.length) : secret;
  switch (o.keyEncoding ?? 'utf8') {
    case 'utf8':
      return text;
    case 'base64':
      return decodeBase64(text);
    case 'hex':
      return decodeHex(text);
  }
}

function decodeSignature(value: string, o: GenericHmacOptions): Buffer | undefined {
  const decoded = o.encoding === 'hex' ? decodeHex(value) : decodeCanonicalBase64(value);
  return decoded?.length === DIGEST_BYTES[o.algorithm] ? decoded : undefined;
}

function verify(request: RawRequest, context: VerifyContext<GenericHmacOptions>): Verdict {
  const problems = validateGenericHmacOptions(context.options);
  if (problems.length > 0) {
    return reject('invalid_secret_config', `generic-hmac options are invalid: ${problems.join('; ')}`);
  }
  const o = context.options;
  const header = signedHeaders(request, context.secrets, o.signatureHeader);
  if (!header.ok) return header;

  const entries = o.signatureSeparator ? header.signature.split(o.signatureSeparator) : [header.signature];
  const prefix = o.prefix ?? '';
  const versioned = entries.map((e) => e.trim()).filter((e) => e.startsWith(prefix));
  if (versioned.length === 0) {
    return reject(
      'unsupported_signature_version',
      `${o.signatureHeader} has no signature starting with ${prefix}`,
    );
  }
  const candidates = versioned
    .map((e) => decodeSignature(e.slice(prefix.length), o))
    .filter((c): c is Buffer => c !== undefined);
  if (candidates.length === 0) {
    return reject(
      'malformed_signature',
      `${o.signatureHeader} is not a ${o.encoding} HMAC-${o.algorithm.toUpperCase()}`,
    );
  }

  const values: Partial<Record<Placeholder, string | Buffer>> = {
    body: request.body,
    url: request.url,
    method: request.method,
  };
  if (o.timestampHeader !== undefined) {
    const timestamp = singleHeader(request, o.timestampHeader, 'missing_timestamp');
    if (!timestamp.ok) return timestamp;
    const tolerance = o.toleranceSeconds ?? context.toleranceSeconds;
    const checked = checkTimestamp(timestamp.value, o.timestampUnit ?? 's', context.nowMs, tolerance);
    if (!checked.ok) return checked;
    values.timestamp = timestamp.value;
  }
  if (o.idHeader !== undefined) {
    const id = optionalHeader(request, o.idHeader);
    if (id !== undefined) values.id = id;
  }

  const parts: (string | Buffer)[] = [];
  const template = parseTemplate(o.signedContent ?? '{body}');
  if (typeof template === 'string') return reject('invalid_secret_config', template);
  for (const part of template) {
    if ('literal' in part) {
      parts.push(part.literal);
      continue;
    }
    const value = values[part.placeholder];
    if (value === undefined) return reject('missing_header', `Missing ${o.idHeader ?? 'id'} header`);
    parts.push(value);
  }

  const usableKeys = context.secrets.filter((s) => keyOf(s, o) !== undefined);
  if (usableKeys.length === 0) {
    return reject('invalid_secret_config', `No secret decodes as ${o.keyEncoding ?? 'utf8'}`);
  }
  const matched = anySignatureMatches(usableKeys, candidates, (secret) => {
    const key = keyOf(secret, o);
    return key === undefined ? undefined : hmac(o.algorithm, key, ...parts);
  });
  return matched ? ACCEPTED : reject('signature_mismatch', `${o.signatureHeader} does not match`);
}

/** Whether the signed-content template covers the `idHeader` value. */
function signsId(o: GenericHmacOptions): boolean {
  const template = parseTemplate(o.signedContent ?? '{body}');
  return (
    typeof template !== 'string' &&
    template.some((part) => 'placeholder' in part && part.placeholder === 'id')
  );
}

/**
 * One event. In a batch, an element without its own id gets the delivery id header plus its position:
 * stable across the provider's retries of the same batch, and distinct per element.
 */
function toEvent(
  document: unknown,
  raw: Buffer,
  request: RawRequest,
  o: GenericHmacOptions,
  index?: number,
): ProviderEvent {
  const fromHeader = (name: string | undefined) =>
    name === undefined ? undefined : optionalHeader(request, name);
  const fromBody = (pointer: string | undefined) =>
    pointer === undefined ? undefined : jsonPointer(document, pointer);
  // The delivery id header names the event only when the signature covers it.
  const deliveryId =
    o.idHeader === undefined
      ? undefined
      : signsId(o)
        ? fromHeader(o.idHeader)
        : signedContentId('hmac-body', request.body);
  const fallbackId = deliveryId !== undefined && index !== undefined ? `${deliveryId}:${index}` : deliveryId;
  return {
    providerEventId: asString(fromBody(o.idPointer)) ?? fallbackId,
    eventType: asString(fromBody(o.typePointer)) ?? fromHeader(o.typeHeader) ?? 'unknown',
    occurredAt: toIso(fromBody(o.occurredAtPointer), o.timestampUnit ?? 's'),
    raw,
  };
}

function extract(request: RawRequest, o: GenericHmacOptions): Extraction {
  const document = parseJson(request.body);
  if (o.eventsPointer === undefined)
    return { ok: true, events: [toEvent(document, request.body, request, o)] };
  const batch = jsonPointer(document, o.eventsPointer);
  if (!Array.isArray(batch) || batch.length === 0) {
    return { ok: false, reason: 'unusable_payload', message: `No event array at ${o.eventsPointer}` };
  }
  return {
    ok: true,
    events: batch.map((element, index) =>
      toEvent(element, Buffer.from(JSON.stringify(element), 'utf8'), request, o, index),
    ),
  };
}

/** Generic HMAC: header, digest, encoding, signed-content template and id location from the source's options. */
export const genericHmac: ProviderScheme<GenericHmacOptions> = {
  id: 'generic-hmac',
  defaultToleranceSeconds: 300,
  validateOptions: validateGenericHmacOptions,
  verify,
  extract,
};
