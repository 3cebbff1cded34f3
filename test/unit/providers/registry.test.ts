import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  authenticate,
  dedupeKeyFor,
  extractEvents,
  SCHEMES,
  schemeFor,
} from '../../../lambdas/providers/index';
import type { ProviderId, RawRequest, RejectReason } from '../../../lambdas/providers/types';

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

const MINE: readonly ProviderId[] = [
  'stripe',
  'standard-webhooks',
  'github',
  'shopify',
  'slack',
  'segment',
  'klaviyo',
  'generic-hmac',
];

const SECRET = 'whsec_cmVnaXN0cnktdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==';
const NOW = 1_750_000_000_000;
const GENERIC_OPTIONS = { signatureHeader: 'X-Signature', algorithm: 'sha256', encoding: 'hex' };

describe('provider registry', () => {
  it('registers every scheme under its own id', () => {
    for (const [id, scheme] of Object.entries(SCHEMES)) assert.equal(scheme?.id, id);
    for (const id of MINE) assert.ok(schemeFor(id), `${id} is registered`);
  });

  it('timestamped schemes declare their default window; untimestamped ones do not', () => {
    for (const id of ['stripe', 'standard-webhooks', 'slack', 'klaviyo'] as const) {
      assert.equal(schemeFor(id)?.defaultToleranceSeconds, 300, id);
    }
    for (const id of ['github', 'shopify', 'segment'] as const) {
      assert.equal(schemeFor(id)?.defaultToleranceSeconds, undefined, id);
    }
  });

  it('authenticate applies the per-source tolerance over the scheme default', () => {
    const body = Buffer.from('{"id":"evt_1"}');
    const t = NOW / 1000 - 600;
    const v1 = createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex');
    const request: RawRequest = {
      method: 'POST',
      url: 'https://h.example/x',
      headers: { 'stripe-signature': [`t=${t},v1=${v1}`] },
      body,
    };
    const base = { provider: 'stripe' as const, request, secrets: [SECRET], nowMs: NOW };
    assert.equal(authenticate(base).ok, false);
    assert.equal(authenticate({ ...base, toleranceSeconds: 900 }).ok, true);
  });

  it('never throws on arbitrary requests and answers with a known reason that leaks no secret', () => {
    const headerNames = fc.constantFrom(
      'stripe-signature',
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
      'svix-signature',
      'x-hub-signature-256',
      'x-hub-signature',
      'x-shopify-hmac-sha256',
      'x-slack-signature',
      'x-slack-request-timestamp',
      'x-signature',
      'klaviyo-signature',
      'klaviyo-timestamp',
    );
    const headerValue = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('t=1,v1=00', 'v1,AAAA', 'sha256=zz', 'v0=', '1750000000', '', ' ', ',,,', '=', 'v1a,'),
    );
    const requestArb = fc.record({
      headers: fc.dictionary(headerNames, fc.array(headerValue, { minLength: 1, maxLength: 3 })),
      body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    });
    fc.assert(
      fc.property(
        requestArb,
        fc.constantFrom(...MINE),
        fc.boolean(),
        ({ headers, body }, provider, withSecret) => {
          const request: RawRequest = { method: 'POST', url: 'https://h.example/x', headers, body };
          const verdict = authenticate({
            provider,
            request,
            secrets: withSecret ? [SECRET, 'whpk_AAAA'] : [],
            nowMs: NOW,
            options: provider === 'generic-hmac' ? GENERIC_OPTIONS : {},
          });
          assert.equal(verdict.ok, false);
          if (!verdict.ok) {
            assert.ok(REASONS.has(verdict.reason), verdict.reason);
            assert.ok(!verdict.message.includes(SECRET));
            assert.ok(!verdict.message.includes(SECRET.slice(6)));
          }
          const extraction = extractEvents(
            provider,
            request,
            provider === 'generic-hmac' ? GENERIC_OPTIONS : {},
          );
          assert.equal(typeof extraction.ok, 'boolean');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('unknown providers are a rejection, not an exception', () => {
    const request: RawRequest = { method: 'POST', url: 'u', headers: {}, body: Buffer.from('x') };
    const verdict = authenticate({ provider: 'nope' as ProviderId, request, secrets: ['s'], nowMs: NOW });
    assert.equal(verdict.ok, false);
  });

  it('dedupe keys: provider id when present, else a hash of the event bytes', () => {
    const raw = Buffer.from('{"a":1}');
    assert.equal(
      dedupeKeyFor('src', { providerEventId: 'evt_1', eventType: 't', occurredAt: undefined, raw }),
      'src:evt_1',
    );
    assert.match(
      dedupeKeyFor('src', { providerEventId: undefined, eventType: 't', occurredAt: undefined, raw }),
      /^src:sha256:[0-9a-f]{64}$/,
    );
  });

  it('hashes provider ids too long for a DynamoDB key, deterministically', () => {
    const raw = Buffer.from('{}');
    const longId = 'x'.repeat(5000);
    const key = dedupeKeyFor('src', { providerEventId: longId, eventType: 't', occurredAt: undefined, raw });
    assert.match(key, /^src:sha256id:[0-9a-f]{64}$/);
    assert.equal(
      key,
      dedupeKeyFor('src', {
        providerEventId: longId,
        eventType: 't',
        occurredAt: undefined,
        raw: Buffer.from('[]'),
      }),
    );
  });
});
