/**
 * Sources whose provider does not sign (Postmark, Mailchimp Marketing, …) authenticated with HTTP Basic
 * credentials that the provider sends (e.g. `https://user:pass@host/path` in Postmark's webhook URL).
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/basic-auth/): Postmark docs "Webhooks overview": no signature; basic HTTP
 * authentication is put in the webhook URL (`https://user:pass@host/path`) and sent as `Authorization: Basic
 * …`. Matches.
 *
 * Secret format: `username:password`, exactly the text that is base64-encoded in `Authorization: Basic …`
 * (the username must not contain `:`). Several secrets may be active (rotation). Comparison is constant
 * time: SHA-256 digests of the presented and configured credentials are compared, so neither length nor
 * content leaks through timing.
 *
 * Such sources have no event identity of their own, so extraction is configured by data
 * ({@link UnsignedExtractionOptions}); without an `idPaths` match dedupe falls back to the body hash.
 */
import {
  ACCEPTED,
  asRecord,
  asString,
  parseJson,
  reject,
  requireSecrets,
  safeEqual,
  sha256,
  singleHeader,
  toIso,
} from './common';
import type { Extraction, ProviderEvent, ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

/**
 * Where an unsigned source's events keep their id, type and time. Paths are dot-separated keys into a JSON
 * body (`Message.ID`, `items.0.id`) or literal field names of a form body (`data[id]`). A JSON array body
 * yields one event per element, paths then being relative to the element.
 */
export interface UnsignedExtractionOptions {
  /** Fields whose values, joined with `:`, form the event id (e.g. Postmark `["MessageID", "RecordType"]`). */
  readonly idPaths?: readonly string[];
  /** Field holding the event type (e.g. Postmark `RecordType`, Mailchimp `type`). */
  readonly typePath?: string;
  /** Field holding the event time, ISO-8601 or epoch seconds (e.g. Mailchimp `fired_at`). */
  readonly occurredAtPath?: string;
}

function stringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
}

/** Config-time checks of {@link UnsignedExtractionOptions} fields (shared with url-token). */
export function validateExtractionOptions(options: unknown): string[] {
  const record = asRecord(options) ?? {};
  const problems: string[] = [];
  if (record.idPaths !== undefined && !stringList(record.idPaths))
    problems.push('idPaths must be a list of non-empty strings');
  for (const key of ['typePath', 'occurredAtPath'] as const) {
    const value = record[key];
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      problems.push(`${key} must be a non-empty string`);
  }
  return problems;
}

function readPath(source: unknown, path: string): unknown {
  let current = source;
  for (const key of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(key)) current = current[Number(key)];
    else current = asRecord(current)?.[key];
    if (current === undefined) return undefined;
  }
  return current;
}

function eventFrom(
  read: (path: string) => unknown,
  options: UnsignedExtractionOptions,
  raw: Buffer,
): ProviderEvent {
  const idParts = (options.idPaths ?? []).map((path) => asString(read(path)));
  const complete = idParts.length > 0 && idParts.every((part) => part !== undefined);
  return {
    providerEventId: complete ? idParts.join(':') : undefined,
    eventType: (options.typePath && asString(read(options.typePath))) || 'unknown',
    occurredAt: options.occurredAtPath ? toIso(read(options.occurredAtPath)) : undefined,
    raw,
  };
}

/** Events of an unsigned source, located by {@link UnsignedExtractionOptions}. */
export function extractConfigured(request: RawRequest, options: unknown): Extraction {
  const config = (asRecord(options) ?? {}) as UnsignedExtractionOptions;
  const json = parseJson(request.body);
  if (Array.isArray(json)) {
    if (json.length === 0)
      return { ok: false, reason: 'unusable_payload', message: 'Body is an empty array' };
    return {
      ok: true,
      events: json.map((element) =>
        eventFrom((path) => readPath(element, path), config, Buffer.from(JSON.stringify(element), 'utf8')),
      ),
    };
  }
  if (asRecord(json))
    return { ok: true, events: [eventFrom((path) => readPath(json, path), config, request.body)] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
  } catch {
    return { ok: false, reason: 'unusable_payload', message: 'Body is neither JSON nor a UTF-8 form' };
  }
  const form = new URLSearchParams(text);
  return { ok: true, events: [eventFrom((path) => form.get(path) ?? undefined, config, request.body)] };
}

/** Constant-time "is `presented` one of `secrets`", comparing SHA-256 digests; no early exit. */
export function matchesAnySecret(presented: string, secrets: readonly string[]): boolean {
  const digest = sha256(presented);
  let matched = false;
  for (const secret of secrets) {
    if (safeEqual(digest, sha256(secret))) matched = true;
  }
  return matched;
}

function verify(request: RawRequest, context: VerifyContext<unknown>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const header = singleHeader(request, 'Authorization');
  if (!header.ok) return header;
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header.value);
  if (!match?.[1]) return reject('malformed_header', 'Authorization is not Basic credentials');
  let credentials: string;
  try {
    credentials = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(match[1], 'base64'));
  } catch {
    return reject('malformed_header', 'Basic credentials are not UTF-8');
  }
  if (!credentials.includes(':'))
    return reject('malformed_header', 'Basic credentials have no user:password');
  return matchesAnySecret(credentials, context.secrets)
    ? ACCEPTED
    : reject('unauthorized', 'Credentials do not match');
}

/** HTTP Basic authentication for providers that do not sign. */
export const basicAuth: ProviderScheme<UnsignedExtractionOptions> = {
  id: 'basic-auth',
  validateOptions: validateExtractionOptions,
  verify,
  extract: extractConfigured,
};
