/**
 * The one small interface every provider scheme implements. Pure: no AWS, no clock or secrets of its
 * own (both are passed in), never throws, never puts secret material in a reason.
 */

/** The request exactly as the provider sent it. */
export interface RawRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /**
   * The exact public URL the provider called, including the query string. URL-bound schemes (Twilio,
   * Square, HubSpot v2/v3, Mandrill) sign it, so it comes from the source's configured `publicUrl` when set.
   */
  readonly url: string;
  /** Header names lower-cased; each name maps to every value received (repeated headers keep all values). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** The raw body bytes, never re-serialised (base64 bodies from API Gateway are decoded first). */
  readonly body: Buffer;
  /** Caller IP as seen by API Gateway, for CIDR allowlists. */
  readonly sourceIp?: string;
}

/** Machine-readable rejection reasons. Stable: they appear in 401 bodies, logs and metrics. */
export type RejectReason =
  | 'missing_header'
  | 'duplicate_header'
  | 'malformed_header'
  | 'missing_signature'
  | 'malformed_signature'
  | 'unsupported_signature_version'
  | 'signature_mismatch'
  | 'missing_timestamp'
  | 'malformed_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'empty_body'
  | 'malformed_body'
  | 'no_active_secret'
  | 'invalid_secret_config'
  | 'unauthorized';

export interface Rejection {
  readonly ok: false;
  readonly reason: RejectReason;
  /** Human-readable, safe to return to the caller and to log: never secrets, expected signatures or bodies. */
  readonly message: string;
}

export interface Accepted {
  readonly ok: true;
}

export type Verdict = Accepted | Rejection;

/** One event carried by an authentic request (batched bodies yield several). */
export interface ProviderEvent {
  /**
   * The event's id, made only of content the signature covers (e.g. Stripe `evt_…`, the signed
   * `webhook-id`, HubSpot `eventId`): never an unsigned header, which a replay could rewrite. Where the
   * provider's own id is unsigned (GitHub, Shopify, Twilio, Linear), it is `<prefix>:<sha256 of the
   * signed bytes>`. Undefined only where none exists; the dedupe key then falls back to a hash of `raw`.
   */
  readonly providerEventId: string | undefined;
  /** Provider event type (`customer.subscription.updated`, `orders/create`, `identify`, …); `unknown` if absent. */
  readonly eventType: string;
  /** When the provider says the event happened, ISO-8601 UTC, if it says. */
  readonly occurredAt: string | undefined;
  /** The event's bytes: the raw body for single-event requests, the element's JSON for batch elements. */
  readonly raw: Buffer;
}

export type Extraction =
  | { readonly ok: true; readonly events: readonly ProviderEvent[] }
  /** Authentic, but no event could be extracted: the ingest dead-letters it with this reason and answers 2xx. */
  | { readonly ok: false; readonly reason: 'unusable_payload'; readonly message: string };

/** What a scheme needs besides the request. */
export interface VerifyContext<Options = unknown> {
  /** Every active secret (or public key) for the source, newest first; any match is accepted (rotation). */
  readonly secrets: readonly string[];
  /** Current time in epoch milliseconds (injected for tests). */
  readonly nowMs: number;
  /** Replay window in seconds: the source's override, else the scheme's `defaultToleranceSeconds`. */
  readonly toleranceSeconds: number;
  /** Scheme-specific options from the source's configuration (tolerance, generic-HMAC layout, …). */
  readonly options: Options;
}

export interface ProviderScheme<Options = unknown> {
  readonly id: ProviderId;
  /** Default replay window in seconds for timestamped schemes; undefined for schemes without timestamps. */
  readonly defaultToleranceSeconds?: number;
  /**
   * The provider requires an empty `204 No Content` as its acknowledgement (Discord webhook events) rather
   * than the ingest's usual 202 with a JSON receipt. @default false
   */
  readonly acknowledgeWithNoContent?: boolean;
  /** Validates scheme options at config time; returns problems (empty when fine). */
  validateOptions?(options: unknown): string[];
  /** Authenticates the raw request. Must run before anything parses the body. */
  verify(request: RawRequest, context: VerifyContext<Options>): Verdict;
  /** Splits an authenticated request into events. Only called after `verify` accepted it. */
  extract(request: RawRequest, options: Options): Extraction;
}

export type ProviderId =
  | 'stripe'
  | 'shopify'
  | 'github'
  | 'hubspot'
  | 'segment'
  | 'klaviyo'
  | 'slack'
  | 'twilio'
  | 'sendgrid'
  | 'standard-webhooks'
  | 'generic-hmac'
  | 'square'
  | 'paddle'
  | 'intercom'
  | 'zendesk'
  | 'linear'
  | 'typeform'
  | 'calendly'
  | 'mailgun'
  | 'discord'
  | 'adyen'
  | 'mailchimp-transactional'
  | 'basic-auth'
  | 'url-token';
