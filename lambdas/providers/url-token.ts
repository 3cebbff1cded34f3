/**
 * Sources whose provider does not sign (e.g. Mailchimp Marketing) authenticated with a secret token in the
 * webhook URL's query string (`?token=…`), or in a header the provider can be told to send.
 *
 * Checked against the provider's current docs (issue 14 audit; reference deliveries in
 * test/fixtures/deliveries/url-token/): Mailchimp Marketing docs "Sync audience data with webhooks": no
 * signature; form-encoded bodies (`type`, `fired_at` as `YYYY-MM-DD HH:MM:SS`, `data[…]`); a secret in the
 * webhook URL is the recommended protection. Matches.
 *
 * Secret format: the token itself, at least 16 characters (shorter ones are refused as configuration
 * errors: a guessable token authenticates nothing). Several tokens may be active (rotation). Comparison is
 * constant time over SHA-256 digests.
 *
 * Options: `param` (query parameter name, default `token`) or `header` (header name; takes precedence),
 * plus {@link UnsignedExtractionOptions} to locate id, type and time. The token is read from `request.url`,
 * so that URL must carry the query string the request actually arrived with: the ingest (`publicUrlFor`)
 * always takes the query from the request and never from a configured `publicUrl` (configuration
 * validation also rejects a `publicUrl` with a query). The URL holds a credential: it must not be logged.
 */
import {
  extractConfigured,
  matchesAnySecret,
  type UnsignedExtractionOptions,
  validateExtractionOptions,
} from './basic-auth';
import { ACCEPTED, asRecord, reject, requireSecrets, singleHeader } from './common';
import type { ProviderScheme, RawRequest, Verdict, VerifyContext } from './types';

/** Options of a token-in-URL source. */
export interface UrlTokenOptions extends UnsignedExtractionOptions {
  /** Query parameter carrying the token. @default 'token' */
  readonly param?: string;
  /** Header carrying the token instead of the query string. */
  readonly header?: string;
}

/** Shortest token accepted as a secret. */
export const MIN_TOKEN_LENGTH = 16;

function validateOptions(options: unknown): string[] {
  const record = asRecord(options) ?? {};
  const problems = validateExtractionOptions(options);
  for (const key of ['param', 'header'] as const) {
    const value = record[key];
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      problems.push(`${key} must be a non-empty string`);
  }
  return problems;
}

function presentedToken(
  request: RawRequest,
  options: UrlTokenOptions,
): { ok: true; value: string } | Verdict {
  if (options.header) return singleHeader(request, options.header, 'missing_signature');
  const name = options.param ?? 'token';
  let values: string[];
  try {
    values = new URL(request.url).searchParams.getAll(name);
  } catch {
    return reject('malformed_header', 'Request URL cannot be parsed');
  }
  if (values.length === 0 || values.every((v) => v === ''))
    return reject('missing_signature', `Missing ${name} parameter`);
  if (values.length > 1) return reject('duplicate_header', `${name} parameter sent more than once`);
  return { ok: true, value: values[0] ?? '' };
}

function verify(request: RawRequest, context: VerifyContext<UrlTokenOptions>): Verdict {
  const noSecret = requireSecrets(context.secrets);
  if (noSecret) return noSecret;
  const usable = context.secrets.filter((secret) => secret.length >= MIN_TOKEN_LENGTH);
  if (usable.length === 0) {
    return reject('invalid_secret_config', `Tokens must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  const token = presentedToken(request, (asRecord(context.options) ?? {}) as UrlTokenOptions);
  if (!('value' in token)) return token;
  return matchesAnySecret(token.value, usable) ? ACCEPTED : reject('unauthorized', 'Token does not match');
}

/** Shared-token authentication (query parameter or header) for providers that do not sign. */
export const urlToken: ProviderScheme<UrlTokenOptions> = {
  id: 'url-token',
  validateOptions,
  verify,
  extract: extractConfigured,
};
