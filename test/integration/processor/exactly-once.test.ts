import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import { STATE_TABLE } from '../../../lambdas/shared/schema';
import { uniqueName } from '../../support/emulators';
import {
  eventInput,
  fixture,
  githubPush,
  putCompletedRecord,
  putInProgressRecord,
  segmentTrack,
  shopifyOrderCreated,
  stripeInvoicePaid,
  useHarness,
} from './harness';

describe('processor: every event reaches the CDP exactly once in effect', () => {
  const h = useHarness();

  it('a duplicate delivered sequentially has one effect, and the second delivery is acknowledged as a duplicate', async () => {
    const envelope = await h.envelope(segmentTrack());
    await h.deliver(envelope);
    await h.deliver(envelope);
    const key = operationIdempotencyKey(envelope.dedupeKey, 'events.append');
    assert.equal(h.standIn.effects().get(key), 1);
    assert.equal(h.standIn.requests.filter((r) => r.idempotencyKey === key).length, 1);
    assert.equal(h.metrics.count('DuplicateSkipped', { source: 'segment' }), 1);
    const record = await h.dedupeStore.get(envelope.dedupeKey);
    assert.equal(record?.status, 'COMPLETED');
    assert.ok((record?.expiresAt ?? 0) > Date.now() / 1000 + 95 * 3600, 'completed record kept for ~96 h');
  });

  it('a duplicate delivered concurrently: exactly one proceeds, the other is retried later and then acknowledged', async () => {
    const email = `${uniqueName('c')}@example.com`;
    const envelope = await h.envelope(shopifyOrderCreated(email, 9_000_001));
    h.standIn.setFaults({ latencyMs: 300 });
    try {
      const [a, b] = [await h.send(envelope), await h.send(envelope)];
      const first = await h.pollOnce();
      assert.equal(first.received, 2, 'both copies arrive in one batch and run in parallel');
      assert.equal(first.failed.length, 1);
      assert.ok([a, b].includes(first.failed[0] ?? ''));
      const retryDelay = h.visibilityChanges.find((c) => c.messageId === first.failed[0]);
      assert.ok(retryDelay && retryDelay.seconds >= 1, 'the loser waits for the winner before retrying');
      await h.drain();
    } finally {
      h.standIn.setFaults({});
    }
    for (const op of ['profiles.upsert', 'orders.upsert']) {
      assert.equal(h.standIn.effects().get(operationIdempotencyKey(envelope.dedupeKey, op)), 1, op);
    }
    assert.equal(h.standIn.records('orders').filter((o) => o.customer_email === email).length, 1);
    assert.ok(h.metrics.count('DuplicateSkipped', { source: 'shopify' }) >= 1);
  });

  it('a redriven message (new SQS message id, same dedupe key) has no second effect', async () => {
    const envelope = await h.envelope(stripeInvoicePaid());
    const firstId = await h.deliver(envelope);
    // What a DLQ redrive or a provider redelivery through ingest looks like: same envelope, new message.
    const secondId = await h.send(JSON.stringify(envelope));
    assert.notEqual(firstId, secondId);
    await h.drain();
    const key = operationIdempotencyKey(envelope.dedupeKey, 'payments.append');
    assert.equal(h.standIn.effects().get(key), 1);
    assert.equal(h.standIn.requests.filter((r) => r.idempotencyKey === key).length, 1);
  });

  it('an expired-but-undeleted dedupe record is treated as absent', async () => {
    const envelope = await h.envelope(githubPush());
    const nowSec = Math.floor(Date.now() / 1000);
    // DynamoDB TTL deletes lazily: the record is past its expiry but still there.
    await putCompletedRecord(h, envelope.dedupeKey, {
      completedAtMs: (nowSec - 97 * 3600) * 1000,
      expiresAtSec: nowSec - 60,
    });
    await h.deliver(envelope);
    assert.equal(h.standIn.effects().get(operationIdempotencyKey(envelope.dedupeKey, 'events.append')), 1);
    const record = await h.dedupeStore.get(envelope.dedupeKey);
    assert.equal(record?.status, 'COMPLETED');
    assert.ok((record?.[STATE_TABLE.ttlAttribute] ?? 0) > nowSec);
  });

  it('an expired lease of a crashed attempt is taken over and resumes after the operations it applied', async () => {
    const email = `${uniqueName('lease')}@example.com`;
    const envelope = await h.envelope(shopifyOrderCreated(email, 9_000_002));
    const upsertKey = operationIdempotencyKey(envelope.dedupeKey, 'profiles.upsert');
    const appendKey = operationIdempotencyKey(envelope.dedupeKey, 'orders.upsert');
    const nowMs = Date.now();
    await putInProgressRecord(h, envelope.dedupeKey, {
      startedAtMs: nowMs - 60_000,
      leaseExpiresAtMs: nowMs - 1000,
      appliedOperations: [upsertKey],
    });
    await h.deliver(envelope);
    assert.equal(
      h.standIn.requests.filter((r) => r.idempotencyKey === upsertKey).length,
      0,
      'the operation the crashed attempt applied is not sent again',
    );
    assert.equal(h.standIn.effects().get(appendKey), 1);
    const record = await h.dedupeStore.get(envelope.dedupeKey);
    assert.equal(record?.status, 'COMPLETED');
    assert.equal(record?.attempts, 2);
    assert.deepEqual(record?.appliedOperations, [upsertKey, appendKey]);
  });

  it('a live lease of another delivery is not taken over: the message is retried after the lease', async () => {
    const envelope = await h.envelope(segmentTrack());
    const nowMs = Date.now();
    await putInProgressRecord(h, envelope.dedupeKey, {
      startedAtMs: nowMs,
      leaseExpiresAtMs: nowMs + 2500,
      appliedOperations: [],
    });
    const inProgressBefore = h.metrics.count('Deferred', { class: 'in_progress' });
    const messageId = await h.send(envelope);
    const first = await h.pollOnce();
    assert.deepEqual(first.failed, [messageId]);
    const delay = h.visibilityChanges.find((c) => c.messageId === messageId);
    assert.ok(delay && delay.seconds >= 2, `retry waits for the lease (got ${delay?.seconds} s)`);
    assert.equal(h.metrics.count('Deferred', { class: 'in_progress' }), inProgressBefore + 1);
    await h.drain();
    assert.equal(h.standIn.effects().get(operationIdempotencyKey(envelope.dedupeKey, 'events.append')), 1);
  });

  it('claim-checked bodies are read from S3', async () => {
    const envelope = await h.envelope(
      eventInput('segment', 'identify', fixture('segment-identify.json'), { claimCheck: true }),
    );
    assert.equal(envelope.body.kind, 's3');
    await h.deliver(envelope);
    assert.equal(h.standIn.record('profiles', 'ada@example.com')?.first_name, 'Ada');
  });

  it('unknown event types of mapped providers are acknowledged and counted without a CDP call', async () => {
    const envelope = await h.envelope(
      eventInput('stripe', 'charge.refunded', { id: 'evt_x', type: 'charge.refunded', data: { object: {} } }),
    );
    const before = h.standIn.requests.length;
    await h.deliver(envelope);
    assert.equal(h.standIn.requests.length, before);
    assert.equal(h.metrics.count('UnmappedEventType', { source: 'stripe' }), 1);
    assert.equal((await h.dedupeStore.get(envelope.dedupeKey))?.status, 'COMPLETED');
  });
});
