/**
 * Regression tests of issue 13 through the real processor, DynamoDB Local, fauxqs and the CDP stand-in:
 * an ambiguous CDP write followed by an older update (breach 1, and its crash variant), a redrive days
 * after a dead-letter (breach 5), a provider redelivery while an operation is maybe applied (same key, same
 * payload) and a redriven `unusable_payload` message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@aws-sdk/client-sqs';
import type { DedupeStore } from '../../../lambdas/dedupe/dedupe-store';
import type { EntityGuard } from '../../../lambdas/dedupe/entity-guard';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import { FAILURE_ATTRIBUTES, type QueueEnvelope } from '../../../lambdas/shared/envelope';
import { QUEUE_DEFAULTS } from '../../../lambdas/shared/schema';
import { uniqueName, useEmulators } from '../../support/emulators';
import {
  eventInput,
  fixture,
  githubPush,
  type Harness,
  interceptDedupe,
  interceptGuard,
  shopifyOrderCreated,
  useHarness,
  withHarness,
} from './harness';

const BASE_CREATED = 1_767_225_600;
const DAY_MS = 24 * 3600 * 1000;

/** A Stripe `customer.subscription.updated` for `email`, `createdOffset` seconds after a fixed base. */
function subscriptionUpdate(email: string, createdOffset: number, status: string) {
  const event = JSON.parse(fixture('stripe-customer-subscription-updated.json').toString('utf8'));
  event.id = uniqueName('evt');
  event.created = BASE_CREATED + createdOffset;
  event.data.object.customer_email = email;
  event.data.object.status = status;
  return event as { id: string; created: number };
}

function subscriptionEnvelope(h: Harness, event: { id: string; created: number }): Promise<QueueEnvelope> {
  return h.envelope(
    eventInput('stripe', 'customer.subscription.updated', event, {
      eventId: event.id,
      occurredAt: new Date(event.created * 1000).toISOString(),
    }),
  );
}

function attribute(message: Message | undefined, name: string): string | undefined {
  return message?.MessageAttributes?.[name]?.StringValue;
}

/** First retries come 2-3 s later: what is sent meanwhile is processed before them. */
const SLOW_RETRIES = { baseDelaySeconds: 3, maxDelaySeconds: 6 };

describe('processor: an ambiguous CDP write counts as maybe applied (issue 13, breach 1)', () => {
  useEmulators();

  it('newer A lands but its answer times out, older B comes next, A is retried: the CDP ends on A', async () => {
    await withHarness({ backoff: SLOW_RETRIES }, async (h) => {
      const email = `${uniqueName('lost')}@example.com`;
      const a = await subscriptionEnvelope(h, subscriptionUpdate(email, 120, 'active'));
      const b = await subscriptionEnvelope(h, subscriptionUpdate(email, 60, 'past_due'));
      h.standIn.queueFaults({ timeout: true, applyFirst: true, timeoutMs: 10_000 });
      await h.send(a);
      const first = await h.pollOnce();
      assert.equal(first.failed.length, 1, 'A timed out');
      assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active', 'A landed');
      const maybe = h.logs.lines.find((l) => l.extra[0]?.dedupeKey === a.dedupeKey && l.level === 'warn');
      assert.equal(maybe?.extra[0]?.cdpWrite, 'maybe_applied', 'the log says the write may have landed');

      await h.send(b);
      const second = await h.pollOnce();
      assert.equal(second.received, 1, 'B is processed while A waits for its retry');
      await h.drain();

      assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active');
      const aKey = operationIdempotencyKey(a.dedupeKey, 'profiles.upsert');
      const bKey = operationIdempotencyKey(b.dedupeKey, 'profiles.upsert');
      assert.equal(h.standIn.effects().get(aKey), 1);
      assert.equal(h.standIn.effects().get(bKey), undefined, 'B was refused as stale, never sent');
      assert.equal((await h.dedupeStore.get(a.dedupeKey))?.status, 'COMPLETED');
      assert.equal((await h.dedupeStore.get(b.dedupeKey))?.status, 'COMPLETED');
    });
  });

  it('a crash after the CDP write and before the bookkeeping after it: older B is stale, A’s retry completes, the CDP ends on A', async () => {
    // The write after A's CDP call is its completion (it settles the entity lock too); the crash comes
    // before it, and before a guard commit where there still is one.
    let crashed = false;
    const crashOnce = () => {
      if (crashed) return false;
      crashed = true;
      return true;
    };
    const wrapGuard = (guard: EntityGuard) =>
      interceptGuard(guard, {
        async commit(lock, key, now) {
          if (crashOnce()) throw new Error('injected crash after the CDP write, before the guard commit');
          return guard.commit(lock, key, now);
        },
      });
    // A real crash releases nothing: the claim's lease has to run out before A's retry can take over.
    let releasedAfterCrash = false;
    const wrapDedupe = (store: DedupeStore) =>
      interceptDedupe(store, {
        async markCompleted(claim, now, ttl, last) {
          if (crashOnce()) throw new Error('injected crash after the CDP write, before the completion');
          return store.markCompleted(claim, now, ttl, last);
        },
        async release(claim, now, error) {
          if (crashed && !releasedAfterCrash && !claim.tookOver) {
            releasedAfterCrash = true;
            return;
          }
          return store.release(claim, now, error);
        },
      });
    await withHarness({ remainingMs: 1500, wrapGuard, wrapDedupe, backoff: SLOW_RETRIES }, async (h) => {
      const email = `${uniqueName('crash')}@example.com`;
      const a = await subscriptionEnvelope(h, subscriptionUpdate(email, 120, 'active'));
      const b = await subscriptionEnvelope(h, subscriptionUpdate(email, 60, 'past_due'));
      await h.send(a);
      await h.pollOnce();
      assert.ok(crashed);
      assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active', 'A landed');
      // B comes after the crashed holder's entity lock (1.5 s) ran out, before A's retry (2-3 s).
      await new Promise((resolve) => setTimeout(resolve, 1700));
      await h.send(b);
      const second = await h.pollOnce();
      assert.equal(second.received, 1, 'B is processed before A is retried');
      await h.drain();
      assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active');
      assert.equal(
        h.standIn.effects().get(operationIdempotencyKey(b.dedupeKey, 'profiles.upsert')),
        undefined,
        'B never reached the CDP',
      );
      assert.equal((await h.dedupeStore.get(a.dedupeKey))?.status, 'COMPLETED');
    });
  });

  it('a definite refusal (429) rolls the guard back: an older update still applies, and the newer one wins after its retry', async () => {
    await withHarness({ backoff: SLOW_RETRIES }, async (h) => {
      const email = `${uniqueName('definite')}@example.com`;
      const a = await subscriptionEnvelope(h, subscriptionUpdate(email, 120, 'active'));
      const b = await subscriptionEnvelope(h, subscriptionUpdate(email, 60, 'past_due'));
      h.standIn.queueFaults({ status: 429, retryAfterSeconds: 3 });
      await h.send(a);
      await h.pollOnce();
      await h.send(b);
      await h.pollOnce();
      assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'past_due', 'B was not refused');
      await h.drain();
      assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active');
    });
  });
});

describe('processor: a dead-lettered event’s dedupe record outlives its messages (issue 13, breach 5)', () => {
  useEmulators();

  it('op 1 applied, op 2 refused (422), dead-lettered; redriven 10 days later: op 1 is not applied again', async () => {
    let offsetMs = 0;
    const now = () => Date.now() + offsetMs;
    await withHarness({ now, standIn: { idempotencyRetentionMs: DAY_MS } }, async (h) => {
      const email = `${uniqueName('redrive')}@example.com`;
      const envelope = await h.envelope(
        shopifyOrderCreated(email, 7_100_000 + Math.floor(Math.random() * 1e5)),
      );
      const upsertKey = operationIdempotencyKey(envelope.dedupeKey, 'profiles.upsert');
      const orderKey = operationIdempotencyKey(envelope.dedupeKey, 'orders.upsert');
      h.standIn.queueFaults({ pass: true }, { status: 422 });
      await h.deliver(envelope);
      const [dead] = await h.dlqMessages();
      assert.equal(attribute(dead, FAILURE_ATTRIBUTES.failureClass), 'cdp_rejected');
      const record = await h.dedupeStore.get(envelope.dedupeKey);
      assert.equal(record?.status, 'IN_PROGRESS');
      assert.deepEqual(record?.appliedOperations, [upsertKey]);
      const lifetimeSec = (QUEUE_DEFAULTS.mainRetentionDays + QUEUE_DEFAULTS.dlqRetentionDays) * 86_400;
      assert.ok(
        (record?.expiresAt ?? 0) >= Math.floor(now() / 1000) + lifetimeSec,
        'kept at least main-queue + DLQ retention after its last write',
      );

      // Ten days later (the CDP forgot the keys after one), on-call fixes the cause and redrives with
      // SendMessage, as the CLI's fallback does: a new message, the same envelope.
      offsetMs = 10 * DAY_MS;
      await h.send(dead?.Body ?? '');
      await h.drain();

      assert.equal(h.standIn.effects().get(upsertKey), 1, 'op 1 applied once');
      assert.equal(h.standIn.effects().get(orderKey), 1, 'op 2 applied after the redrive');
      assert.equal(h.standIn.records('orders').filter((o) => o.customer_email === email).length, 1);
      const completed = await h.dedupeStore.get(envelope.dedupeKey);
      assert.equal(completed?.status, 'COMPLETED');
      assert.ok(
        (completed?.expiresAt ?? 0) >= Math.floor(now() / 1000) + lifetimeSec,
        'an event that needed several attempts keeps the long retention once completed',
      );
    });
  });

  it('a record is renewed by every write while the event is not completed', async () => {
    let offsetMs = 0;
    const now = () => Date.now() + offsetMs;
    await withHarness({ now, backoff: SLOW_RETRIES }, async (h) => {
      const envelope = await h.envelope(githubPush());
      h.standIn.queueFaults({ status: 503 });
      await h.send(envelope);
      await h.pollOnce();
      const before = (await h.dedupeStore.get(envelope.dedupeKey))?.expiresAt ?? 0;
      offsetMs = 3 * DAY_MS;
      h.standIn.queueFaults({ status: 503 });
      await new Promise((r) => setTimeout(r, 3500));
      await h.pollOnce();
      const after = (await h.dedupeStore.get(envelope.dedupeKey))?.expiresAt ?? 0;
      assert.ok(after >= before + 3 * 86_400 - 5, `renewed: ${before} → ${after}`);
      await h.drain();
    });
  });
});

describe('processor: same Idempotency-Key, same bytes (issue 13)', () => {
  useEmulators();

  it('a provider redelivery (new envelope, new receivedAt) while the first write is maybe applied sends identical bytes', async () => {
    await withHarness({ backoff: SLOW_RETRIES }, async (h) => {
      const first = await h.envelope(githubPush());
      const redelivery: QueueEnvelope = {
        ...first,
        receivedAt: new Date(Date.parse(first.receivedAt) + 60_000).toISOString(),
      };
      const key = operationIdempotencyKey(first.dedupeKey, 'events.append');
      h.standIn.queueFaults({ timeout: true, applyFirst: true, timeoutMs: 10_000 });
      await h.send(first);
      await h.pollOnce();
      await h.send(redelivery);
      await h.drain();
      const sent = h.standIn.requests.filter((r) => r.idempotencyKey === key);
      assert.ok(sent.length >= 2, 'the operation was sent again under the same key');
      assert.equal(
        sent.filter((r) => r.keyReusedWithDifferentPayload).length,
        0,
        'the CDP never saw a different body under the key',
      );
      for (const request of sent) assert.deepEqual(request.record, sent[0]?.record);
      assert.equal(h.standIn.effects().get(key), 1);
      assert.deepEqual(await h.dlqMessages(), [], 'nothing dead-lettered');
      const rows = h.standIn.records('events').filter((r) => r.dedupe_key === first.dedupeKey);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.received_at, first.receivedAt, 'the first delivery’s time is kept');
    });
  });
});

describe('processor: a redriven unusable_payload message stays out of the CDP (issue 13)', () => {
  const h = useHarness();

  for (const provider of ['stripe', 'github'] as const) {
    it(`${provider}: dead-lettered again with its reason, neither acknowledged as unmapped nor appended`, async () => {
      const body = Buffer.from('{"not":"an event"}');
      const envelope: QueueEnvelope = {
        ...(await h.envelope(eventInput(provider, 'unknown', body))),
        providerEventId: undefined,
        dedupeKey: `${provider}:sha256:${uniqueName('h')}`,
      };
      const reason = 'The payload carries no events';
      // What a native DLQ redrive (StartMessageMoveTask) puts back: the ingest's failure attributes kept.
      await h.send(envelope, {
        [FAILURE_ATTRIBUTES.failureClass]: 'unusable_payload',
        [FAILURE_ATTRIBUTES.failureMessage]: reason,
        [FAILURE_ATTRIBUTES.failedBy]: 'ingest',
      });
      const unmappedBefore = h.metrics.count('UnmappedEventType');
      await h.drain();
      const dead = (await h.dlqMessages()).find((m) => m.Body?.includes(envelope.dedupeKey));
      assert.equal(attribute(dead, FAILURE_ATTRIBUTES.failureClass), 'unusable_payload');
      assert.equal(attribute(dead, FAILURE_ATTRIBUTES.failureMessage), reason);
      assert.equal(h.metrics.count('UnmappedEventType') - unmappedBefore, 0);
      assert.equal(h.standIn.records('events').filter((r) => r.dedupe_key === envelope.dedupeKey).length, 0);
      assert.equal(await h.dedupeStore.get(envelope.dedupeKey), undefined, 'never claimed');
    });
  }
});
