/**
 * The provider registry and the one entry point the ingest Lambda calls: authenticate a raw request for
 * a source, then split it into events with their dedupe keys.
 */

import { adyen } from './adyen';
import { basicAuth } from './basic-auth';
import { calendly } from './calendly';
import { sha256 } from './common';
import { discord } from './discord';
import { genericHmac } from './generic-hmac';
import { github } from './github';
import { hubspot } from './hubspot';
import { intercom } from './intercom';
import { klaviyo } from './klaviyo';
import { linear } from './linear';
import { mailchimpTransactional } from './mailchimp-transactional';
import { mailgun } from './mailgun';
import { paddle } from './paddle';
import { segment } from './segment';
import { sendgrid } from './sendgrid';
import { shopify } from './shopify';
import { slack } from './slack';
import { square } from './square';
import { standardWebhooks } from './standard-webhooks';
import { stripe } from './stripe';
import { twilio } from './twilio';
import { typeform } from './typeform';
import type { Extraction, ProviderEvent, ProviderId, ProviderScheme, RawRequest, Verdict } from './types';
import { urlToken } from './url-token';
import { zendesk } from './zendesk';

/** Provider event ids longer than this are hashed in the dedupe key. */
export const MAX_RAW_EVENT_ID_BYTES = 256;

/** The common replay window (Stripe, Slack, Standard Webhooks, HubSpot v3 all use five minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Every scheme, by provider id. A provider module exports one `ProviderScheme` and is registered here. */
export const SCHEMES: Partial<Record<ProviderId, ProviderScheme<never>>> = {
  adyen: adyen,
  'basic-auth': basicAuth,
  calendly: calendly,
  discord: discord,
  'generic-hmac': genericHmac,
  github: github,
  hubspot: hubspot,
  intercom: intercom,
  klaviyo: klaviyo,
  linear: linear,
  'mailchimp-transactional': mailchimpTransactional,
  mailgun: mailgun,
  paddle: paddle,
  segment: segment,
  sendgrid: sendgrid,
  shopify: shopify,
  slack: slack,
  square: square,
  'standard-webhooks': standardWebhooks,
  stripe: stripe,
  twilio: twilio,
  typeform: typeform,
  'url-token': urlToken,
  zendesk: zendesk,
};

export function schemeFor(provider: ProviderId): ProviderScheme<unknown> | undefined {
  return SCHEMES[provider] as ProviderScheme<unknown> | undefined;
}

export interface AuthenticateInput {
  readonly provider: ProviderId;
  readonly request: RawRequest;
  readonly secrets: readonly string[];
  readonly nowMs: number;
  /** Per-source replay window override, seconds. */
  readonly toleranceSeconds?: number;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Verifies, never throws: an unexpected error inside a scheme is a rejection, not a 5xx. */
export function authenticate(input: AuthenticateInput): Verdict {
  const scheme = schemeFor(input.provider);
  if (!scheme)
    return { ok: false, reason: 'invalid_secret_config', message: `Unknown provider ${input.provider}` };
  const toleranceSeconds =
    input.toleranceSeconds ?? scheme.defaultToleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  try {
    return scheme.verify(input.request, {
      secrets: input.secrets,
      nowMs: input.nowMs,
      toleranceSeconds,
      options: input.options ?? {},
    });
  } catch {
    return { ok: false, reason: 'malformed_signature', message: 'Signature could not be verified' };
  }
}

export function extractEvents(
  provider: ProviderId,
  request: RawRequest,
  options: Readonly<Record<string, unknown>> = {},
): Extraction {
  const scheme = schemeFor(provider);
  if (!scheme) return { ok: false, reason: 'unusable_payload', message: `Unknown provider ${provider}` };
  try {
    return scheme.extract(request, options);
  } catch {
    return { ok: false, reason: 'unusable_payload', message: 'Events could not be extracted from the body' };
  }
}

/**
 * `<sourceId>:<providerEventId>`; when the provider gives no id, `<sourceId>:sha256:<hex of the event bytes>`.
 * The fallback cannot tell a genuine resend of identical bytes from a new event with identical content,
 * and a provider that re-serialises differently on retry defeats it: see README, "Considerations".
 */
export function dedupeKeyFor(sourceId: string, event: ProviderEvent): string {
  const id = event.providerEventId;
  if (id !== undefined && id !== '') {
    // Keys must fit DynamoDB's 2048-byte partition key and SQS's attribute limits whatever a provider
    // (or an attacker holding a valid secret) puts in an id: very long ids are hashed, deterministically.
    return Buffer.byteLength(id) <= MAX_RAW_EVENT_ID_BYTES
      ? `${sourceId}:${id}`
      : `${sourceId}:sha256id:${sha256(id).toString('hex')}`;
  }
  return `${sourceId}:sha256:${sha256(event.raw).toString('hex')}`;
}
