import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@aws-sdk/client-sqs';
import type { DedupeStore } from '../../../lambdas/dedupe/dedupe-store';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import { FAILURE_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../../../lambdas/shared/envelope';
import { uniqueName, useEmulators } from '../../support/emulators';
import {
  githubPush,
  interceptDedupe,
  segmentTrack,
  shopifyOrderCreated,
  stripeInvoicePaid,
  useHarness,
  withHarness,
} from './harness';

function attribute(message: Message | undefined, name: string): string | undefined {
  return message?.MessageAttributes?.[name]?.StringValue;
}

function nonDecreasing(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v >= (values[i - 1] ?? 0));
}

describe('processor: retryable failures are retried with growing delays and applied once', () => {
  const h = useHarness({ cdpRequestTimeoutMs: 400 });

  it('CDP 5xx, then 429 with Retry-After, then a timeout (whose write did land): retried, applied exactly once', async () => {
    const envelope = await h.envelope(stripeInvoicePaid());
    h.standIn.queueFaults(
      { status: 503 },
      { status: 429, retryAfterSeconds: 3 },
      { timeout: true, applyFirst: true },
    );
    const messageId = await h.deliver(envelope, 40_000);

    const key = operationIdempotencyKey(envelope.dedupeKey, 'payments.append');
    const attempts = h.standIn.requests.filter((r) => r.idempotencyKey === key);
    assert.deepEqual(
      attempts.map((r) => r.fault ?? String(r.status)),
      ['503', '429', 'timeout', '201'],
    );
    assert.equal(attempts.at(-1)?.replayed, true, 'the write that timed out is replayed, not applied again');
    assert.equal(h.standIn.effects().get(key), 1);
    assert.equal(
      h.standIn.records('payments').filter((p) => p.stripe_invoice_id === 'in_1PXyzInv').length >= 1,
      true,
    );

    const delays = h.visibilityChanges.filter((c) => c.messageId === messageId).map((c) => c.seconds);
    assert.equal(delays.length, 3);
    assert.ok(nonDecreasing(delays), `delays grow: ${delays.join(', ')}`);
    assert.ok((delays[1] ?? 0) >= 3, 'Retry-After is a floor for the delay after the 429');
    assert.equal(h.metrics.count('Failed', { class: 'cdp_unavailable' }), 1);
    assert.equal(h.metrics.count('Failed', { class: 'cdp_throttled' }), 1);
    assert.equal(h.metrics.count('Failed', { class: 'cdp_timeout' }), 1);
    assert.equal(h.metrics.count('Processed', { source: 'stripe' }), 1);
    assert.equal((await h.dedupeStore.get(envelope.dedupeKey))?.attempts, 4);
  });

  it('CDP 422 sends the event to the DLQ with its reason after the first attempt; a redrive applies it once', async () => {
    const envelope = await h.envelope(segmentTrack());
    h.standIn.queueFaults({ status: 422 });
    await h.deliver(envelope);
    const dlq = await h.dlqMessages();
    const message = dlq.find((m) => attribute(m, MESSAGE_ATTRIBUTES.dedupeKey) === envelope.dedupeKey);
    assert.ok(message, 'the event is in the DLQ');
    assert.equal(message.Body, JSON.stringify(envelope), 'with its original body');
    assert.equal(attribute(message, FAILURE_ATTRIBUTES.failureClass), 'cdp_rejected');
    assert.equal(attribute(message, FAILURE_ATTRIBUTES.failureStatus), '422');
    assert.match(
      attribute(message, FAILURE_ATTRIBUTES.failureMessage) ?? '',
      /422.*CDP_ETL\.VALIDATION\.REQUEST_SCHEMA/,
    );
    assert.equal(attribute(message, FAILURE_ATTRIBUTES.attempts), '1');
    assert.equal(attribute(message, FAILURE_ATTRIBUTES.failedBy), 'processor');
    assert.ok(attribute(message, FAILURE_ATTRIBUTES.failedAt));
    assert.equal(attribute(message, MESSAGE_ATTRIBUTES.sourceId), 'segment', 'original attributes are kept');
    assert.equal(h.metrics.count('DeadLettered', { source: 'segment', class: 'cdp_rejected' }), 1);
    const record = await h.dedupeStore.get(envelope.dedupeKey);
    assert.notEqual(record?.status, 'COMPLETED', 'a redrive after a fix runs the event again');
    assert.match(record?.lastError ?? '', /cdp_rejected/);

    // After the cause is fixed, a redrive (new message, same body) applies the event exactly once.
    await h.deliver(message.Body ?? '');
    assert.equal(h.standIn.effects().get(operationIdempotencyKey(envelope.dedupeKey, 'events.append')), 1);
    assert.equal((await h.dedupeStore.get(envelope.dedupeKey))?.status, 'COMPLETED');
  });

  it('a malformed envelope and a vanished claim check go to the DLQ at once', async () => {
    await h.send('not json at all');
    const envelope = await h.envelope(githubPush());
    await h.send({
      ...envelope,
      body: { kind: 's3', bucket: h.bucket, key: 'gone/never-existed', sizeBytes: 10 },
    });
    await h.drain();
    const dead = await h.dlqMessages();
    const malformed = dead.find((m) => m.Body === 'not json at all');
    assert.equal(attribute(malformed, FAILURE_ATTRIBUTES.failureClass), 'malformed_envelope');
    const vanished = dead.find((m) => m.Body?.includes(envelope.dedupeKey));
    assert.equal(attribute(vanished, FAILURE_ATTRIBUTES.failureClass), 'claim_check_missing');
  });
});

describe('processor: crash safety', () => {
  useEmulators();

  it('a crash between the CDP writes and "completed" causes no double effect after the retry', async () => {
    let crashes = 0;
    const wrapDedupe = (store: DedupeStore) =>
      interceptDedupe(store, {
        async markCompleted(claim, now, ttl, last) {
          if (crashes === 0) {
            crashes++;
            throw new Error('injected crash before completed');
          }
          return store.markCompleted(claim, now, ttl, last);
        },
        // A real crash releases nothing: the lease has to run out before the retry can take over.
        async release(claim, now, error) {
          if (crashes === 1 && !claim.tookOver) return;
          return store.release(claim, now, error);
        },
      });
    await withHarness({ remainingMs: 1500, wrapDedupe }, async (h) => {
      const email = `${uniqueName('crash')}@example.com`;
      const envelope = await h.envelope(shopifyOrderCreated(email));
      await h.deliver(envelope);
      assert.equal(crashes, 1);
      for (const op of ['profiles.upsert', 'orders.upsert']) {
        assert.equal(h.standIn.effects().get(operationIdempotencyKey(envelope.dedupeKey, op)), 1, op);
      }
      assert.equal(h.standIn.records('orders').filter((o) => o.customer_email === email).length, 1);
      const record = await h.dedupeStore.get(envelope.dedupeKey);
      assert.equal(record?.status, 'COMPLETED');
      assert.equal(record?.attempts, 2);
    });
  });

  it('a crash after the first of two operations resumes with the second, sending the first again only as a replay', async () => {
    let crashed = false;
    const wrapDedupe = (store: DedupeStore) =>
      interceptDedupe(store, {
        // The upsert reached the CDP, but the crash hit before it was recorded as applied.
        async recordApplied(claim, key, now) {
          if (!crashed) {
            crashed = true;
            throw new Error('injected crash before recording the operation');
          }
          return store.recordApplied(claim, key, now);
        },
      });
    await withHarness({ remainingMs: 1500, wrapDedupe }, async (h) => {
      const email = `${uniqueName('half')}@example.com`;
      const envelope = await h.envelope(shopifyOrderCreated(email));
      await h.deliver(envelope);
      const upsertKey = operationIdempotencyKey(envelope.dedupeKey, 'profiles.upsert');
      const upserts = h.standIn.requests.filter((r) => r.idempotencyKey === upsertKey);
      assert.deepEqual(
        upserts.map((r) => r.replayed),
        [false, true],
      );
      assert.equal(h.standIn.effects().get(upsertKey), 1);
      assert.equal(h.standIn.effects().get(operationIdempotencyKey(envelope.dedupeKey, 'orders.upsert')), 1);
      assert.equal(h.standIn.record('profiles', email)?.order_count, 3);
    });
  });
});
