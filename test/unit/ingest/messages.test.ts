import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  checkClaimCheckThreshold,
  claimCheckKey,
  envelopeJson,
  forwardedHeaders,
  MAX_CLAIM_CHECK_THRESHOLD_BYTES,
  messageAttributes,
  messageSize,
  packBatches,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_PAYLOAD_BYTES,
  sqsSafe,
} from '../../../lambdas/ingest/messages';
import type { QueueEntry } from '../../../lambdas/ingest/ports';
import { isQueueEnvelope } from '../../../lambdas/shared/envelope';

const entry = (id: string, bytes: number): QueueEntry => ({ id, body: 'x'.repeat(bytes), attributes: {} });

describe('packBatches', () => {
  it('never puts more than 10 entries or 1 MiB in one batch, and keeps every entry once, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 * 1024 }), { maxLength: 120 }), (sizes) => {
        const entries = sizes.map((size, i) => entry(`e${i}`, size));
        const batches = packBatches(entries);
        for (const batch of batches) {
          assert.ok(batch.length >= 1 && batch.length <= SQS_MAX_BATCH_ENTRIES);
          assert.ok(batch.reduce((sum, e) => sum + messageSize(e), 0) <= SQS_MAX_PAYLOAD_BYTES);
        }
        assert.deepEqual(
          batches.flat().map((e) => e.id),
          entries.map((e) => e.id),
        );
      }),
    );
  });

  it('100 small entries make 10 full batches', () => {
    const batches = packBatches(Array.from({ length: 100 }, (_, i) => entry(`e${i}`, 500)));
    assert.deepEqual(
      batches.map((b) => b.length),
      Array(10).fill(10),
    );
  });

  it('counts attribute names, types and values in the size', () => {
    assert.equal(messageSize({ body: 'abc', attributes: { k: 'vv' } }), 3 + 1 + 'String'.length + 2);
  });
});

describe('envelope and attributes', () => {
  const fields = {
    sourceId: 'stripe',
    provider: 'stripe' as const,
    dedupeKey: 'stripe:evt_1',
    providerEventId: 'evt_1',
    eventType: 'invoice.paid',
    occurredAt: undefined,
    receivedAt: '2026-01-02T03:04:05.000Z',
    headers: { 'content-type': 'application/json' },
  };

  it('serialises a valid version-1 envelope', () => {
    const parsed: unknown = JSON.parse(envelopeJson(fields, { kind: 'inline', base64: 'AA==' }));
    assert.ok(isQueueEnvelope(parsed));
  });

  it('replaces characters SQS rejects, in the envelope and in attributes', () => {
    const odd = { ...fields, eventType: 'a\uffffb\u0001' };
    const json = envelopeJson(odd, { kind: 'inline', base64: '' });
    assert.ok(!json.includes('\uffff'));
    assert.equal((JSON.parse(json) as { eventType: string }).eventType, 'a\ufffdb\u0001');
    assert.equal(messageAttributes(odd).eventType, 'a\ufffdb\ufffd');
    assert.equal(sqsSafe('ok 😀'), 'ok 😀');
  });

  it('never forwards signature, authorization or cookie headers', () => {
    const forwarded = forwardedHeaders({
      'content-type': ['application/json'],
      'user-agent': ['Stripe/1.0'],
      'stripe-signature': ['t=1,v1=00'],
      authorization: ['Bearer x'],
      cookie: ['a=b'],
      'x-github-event': ['push'],
      'webhook-signature': ['v1,abc'],
      'x-hubspot-signature-v3': ['abc'],
    });
    assert.deepEqual(forwarded, {
      'content-type': 'application/json',
      'user-agent': 'Stripe/1.0',
      'x-github-event': 'push',
    });
  });

  it('claim-check keys are partitioned by source and UTC day', () => {
    assert.equal(
      claimCheckKey('hubspot', new Date('2026-03-09T23:59:59Z'), '0b6f5c9e-1111-4222-8333-444455556666'),
      'hubspot/2026/03/09/0b6f5c9e-1111-4222-8333-444455556666',
    );
  });

  it('accepts only thresholds that leave room under the SQS limit', () => {
    assert.equal(checkClaimCheckThreshold(256 * 1024), 256 * 1024);
    assert.equal(checkClaimCheckThreshold(MAX_CLAIM_CHECK_THRESHOLD_BYTES), MAX_CLAIM_CHECK_THRESHOLD_BYTES);
    assert.throws(() => checkClaimCheckThreshold(SQS_MAX_PAYLOAD_BYTES));
    assert.throws(() => checkClaimCheckThreshold(0));
    assert.throws(() => checkClaimCheckThreshold(1.5e3 + 0.5));
  });
});
