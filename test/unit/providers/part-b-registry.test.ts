/**
 * The part-B schemes as the ingest reaches them: through the registry's `authenticate` / `extractEvents`
 * and `dedupeKeyFor`, so registration, options plumbing and per-event dedupe keys are covered end to end.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { authenticate, dedupeKeyFor, extractEvents, schemeFor } from '../../../lambdas/providers/index';
import type { ProviderId } from '../../../lambdas/providers/types';
import { rawRequest } from './scheme-test-kit';

const PART_B: ProviderId[] = [
  'hubspot',
  'twilio',
  'sendgrid',
  'square',
  'paddle',
  'intercom',
  'zendesk',
  'linear',
  'typeform',
  'calendly',
  'mailgun',
  'discord',
  'adyen',
  'mailchimp-transactional',
  'basic-auth',
  'url-token',
];

describe('part-B registration', () => {
  it('registers every part-B scheme under its id', () => {
    for (const id of PART_B) assert.equal(schemeFor(id)?.id, id);
  });

  it('authenticates a HubSpot batch and gives each event its own dedupe key', () => {
    const now = 1_700_000_000_000;
    const url = 'https://hooks.example.com/prod/webhooks/hs';
    const body = JSON.stringify([
      { eventId: 11, subscriptionType: 'contact.creation', occurredAt: now - 10 },
      { eventId: 12, subscriptionType: 'contact.deletion', occurredAt: now - 5 },
    ]);
    const signature = createHmac('sha256', 'secret').update(`POST${url}${body}${now}`).digest('base64');
    const request = rawRequest({
      url,
      body,
      headers: { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(now) },
    });
    assert.deepEqual(authenticate({ provider: 'hubspot', request, secrets: ['secret'], nowMs: now }), {
      ok: true,
    });
    // The source's tolerance override reaches the scheme.
    assert.equal(
      authenticate({
        provider: 'hubspot',
        request,
        secrets: ['secret'],
        nowMs: now + 60_000,
        toleranceSeconds: 30,
      }).ok,
      false,
    );
    const extraction = extractEvents('hubspot', request);
    assert.ok(extraction.ok);
    assert.deepEqual(
      extraction.events.map((event) => dedupeKeyFor('src-hs', event)),
      ['src-hs:11', 'src-hs:12'],
    );
  });

  it('passes source options through to the scheme (Adyen platform variant)', () => {
    const key = 'D7DD5BA6146493707BF0BE7496F6404EC7A63616B7158EC927B9F54BB436765F';
    const body = '{"type":"balancePlatform.accountHolder.created","data":{}}';
    const signature = createHmac('sha256', Buffer.from(key, 'hex')).update(body).digest('base64');
    const request = rawRequest({ body, headers: { HmacSignature: signature } });
    const platform = { variant: 'platform' };
    assert.deepEqual(
      authenticate({ provider: 'adyen', request, secrets: [key], nowMs: 0, options: platform }),
      {
        ok: true,
      },
    );
    assert.equal(authenticate({ provider: 'adyen', request, secrets: [key], nowMs: 0 }).ok, false);
    const extraction = extractEvents('adyen', request, platform);
    assert.ok(extraction.ok);
    assert.match(
      dedupeKeyFor('src-adyen', extraction.events[0] ?? assert.fail()),
      /^src-adyen:sha256:[0-9a-f]{64}$/,
    );
  });
});
