/**
 * Bad input for the part-B schemes (HubSpot, Twilio, SendGrid and the tier-2 providers): random and
 * garbled headers, bodies (including non-UTF-8 bytes), URLs, secrets and clocks. Verification must never
 * throw, must answer with a known reason, must not accept what was never signed, and must not echo secret
 * material; extraction must never throw either.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { adyen } from '../../../lambdas/providers/adyen';
import { basicAuth } from '../../../lambdas/providers/basic-auth';
import { calendly } from '../../../lambdas/providers/calendly';
import { discord } from '../../../lambdas/providers/discord';
import { hubspot } from '../../../lambdas/providers/hubspot';
import { intercom } from '../../../lambdas/providers/intercom';
import { linear } from '../../../lambdas/providers/linear';
import { mailchimpTransactional } from '../../../lambdas/providers/mailchimp-transactional';
import { mailgun } from '../../../lambdas/providers/mailgun';
import { paddle } from '../../../lambdas/providers/paddle';
import { sendgrid } from '../../../lambdas/providers/sendgrid';
import { square } from '../../../lambdas/providers/square';
import { twilio } from '../../../lambdas/providers/twilio';
import { typeform } from '../../../lambdas/providers/typeform';
import type { ProviderScheme, RawRequest, RejectReason } from '../../../lambdas/providers/types';
import { urlToken } from '../../../lambdas/providers/url-token';
import { zendesk } from '../../../lambdas/providers/zendesk';

const REASONS: ReadonlySet<RejectReason> = new Set<RejectReason>([
  'missing_header',
  'duplicate_header',
  'malformed_header',
  'missing_signature',
  'malformed_signature',
  'unsupported_signature_version',
  'signature_mismatch',
  'missing_timestamp',
  'malformed_timestamp',
  'timestamp_too_old',
  'timestamp_in_future',
  'empty_body',
  'malformed_body',
  'no_active_secret',
  'invalid_secret_config',
  'unauthorized',
]);

const SCHEMES: [ProviderScheme<never>, string[]][] = [
  [
    hubspot,
    [
      'x-hubspot-signature-v3',
      'x-hubspot-request-timestamp',
      'x-hubspot-signature',
      'x-hubspot-signature-version',
    ],
  ],
  [twilio, ['x-twilio-signature', 'i-twilio-idempotency-token']],
  [sendgrid, ['x-twilio-email-event-webhook-signature', 'x-twilio-email-event-webhook-timestamp']],
  [square, ['x-square-hmacsha256-signature']],
  [paddle, ['paddle-signature']],
  [intercom, ['x-hub-signature']],
  [zendesk, ['x-zendesk-webhook-signature', 'x-zendesk-webhook-signature-timestamp']],
  [linear, ['linear-signature', 'linear-delivery']],
  [typeform, ['typeform-signature']],
  [calendly, ['calendly-webhook-signature']],
  [mailgun, ['content-type']],
  [discord, ['x-signature-ed25519', 'x-signature-timestamp']],
  [adyen, ['hmacsignature', 'protocol']],
  [mailchimpTransactional, ['x-mandrill-signature']],
  [basicAuth, ['authorization']],
  [urlToken, ['x-webhook-token']],
];

const hexArb = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength });

// Values shaped like the real thing as well as plain garbage, so parsers get past their first check.
const valueArb = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    'v1',
    'v2',
    'v3',
    'v4',
    'sha1=',
    'sha256=',
    'Basic ',
    'HmacSHA256',
    '-1',
    '1e3',
    'NaN',
  ),
  fc.integer({ min: 0, max: 2_000_000_000_000 }).map(String),
  fc.uint8Array({ minLength: 0, maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.uint8Array({ minLength: 0, maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('hex')),
  fc.tuple(fc.integer({ min: 0, max: 2_000_000_000 }), hexArb(0, 70)).map(([t, h]) => `t=${t},v1=${h}`),
  fc.tuple(fc.integer({ min: 0, max: 2_000_000_000 }), hexArb(0, 70)).map(([t, h]) => `ts=${t};h1=${h}`),
);
const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.json({ maxDepth: 4 }).map((json) => Buffer.from(json)),
  fc
    .constantFrom(
      '[]',
      '{}',
      '{"notificationItems":[{"NotificationRequestItem":{"additionalData":{"hmacSignature":"AAAA"}}}]}',
      '{"signature":{"timestamp":"1","token":"t","signature":"00"}}',
      'mandrill_events=%5B%5D',
      '{"webhookTimestamp":1}',
    )
    .map((text) => Buffer.from(text)),
);
const secretsArb = fc.array(
  fc.oneof(
    fc.string({ maxLength: 70 }),
    hexArb(64, 64),
    fc.constant(
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
    ),
  ),
  { maxLength: 3 },
);

describe('part-B schemes under bad input', () => {
  for (const [scheme, headerNames] of SCHEMES) {
    it(`${scheme.id}: never throws, never accepts garbage, never echoes secrets`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.constantFrom(...headerNames), fc.array(valueArb, { minLength: 1, maxLength: 2 })),
            {
              maxLength: 5,
            },
          ),
          bodyArb,
          fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string({ maxLength: 30 })),
          secretsArb,
          fc.integer({ min: 0, max: 4_000_000_000_000 }),
          fc.constantFrom('POST', 'GET'),
          fc.constantFrom({}, { variant: 'platform' }, { header: 'x-webhook-token' }, { idPaths: ['id'] }),
          (headerList, body, url, secrets, nowMs, method, options) => {
            const headers: Record<string, string[]> = {};
            for (const [name, values] of headerList) headers[name] = values;
            const request: RawRequest = { method, url, headers, body };
            const verdict = scheme.verify(request, {
              secrets,
              nowMs,
              toleranceSeconds: 300,
              options: options as never,
            });
            if (!verdict.ok) {
              assert.ok(REASONS.has(verdict.reason), verdict.reason);
              for (const secret of secrets) {
                if (secret.length >= 8) assert.ok(!verdict.message.includes(secret));
              }
            } else {
              // Only credential schemes can be satisfied by chance, when a random credential equals a secret.
              assert.ok(scheme.id === 'basic-auth' || scheme.id === 'url-token', 'garbage was accepted');
            }
            const extraction = scheme.extract(request, options as never);
            assert.equal(typeof extraction.ok, 'boolean');
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
