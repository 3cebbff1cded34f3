/**
 * Property test of the out-of-order invariant (issue 13, breach 1): for any interleaving of timeouts,
 * crashes, retries and redrives, the CDP's final state of an entity is the state of its newest event.
 *
 * Several Stripe subscription updates of ONE customer, with distinct event times, are delivered in a random
 * order, duplicated and redriven at random, each delivery meeting a random fault: a write that lands and then
 * times out, a timeout that never landed, 503, 429, 422 (dead-lettered, later redriven) or a crash right
 * after the CDP write (nothing after it runs: no guard commit, no completion, no claim release). The real processor domain
 * drives the real DynamoDedupeStore and DynamoEntityGuard on DynamoDB Local and the real CDP client against
 * the CDP stand-in; this file plays SQS (which message comes next, receive counts, the DLQ after
 * `maxReceiveCount`, redrives) on a simulated clock, so every interleaving is reproducible from its seed.
 * At the end every message is delivered (the DLQ redriven) without faults, and the entity must hold the
 * newest event's state, with no operation applied twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { CdpClient } from '../../../lambdas/cdp/client';
import { type DedupeStore, DynamoDedupeStore } from '../../../lambdas/dedupe/dedupe-store';
import { DynamoEntityGuard, type EntityGuard } from '../../../lambdas/dedupe/entity-guard';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import { createProcessor, type RecordOutcome } from '../../../lambdas/processor/processor';
import { createDynamoDocumentClient } from '../../../lambdas/shared/dynamo-client';
import { ENVELOPE_VERSION, type QueueEnvelope } from '../../../lambdas/shared/envelope';
import { type CdpStandIn, type ScriptedFault, startCdpStandIn } from '../../../local/cdp-stand-in';
import { uniqueName, useEmulators } from '../../support/emulators';
import {
  createStateTable,
  fixture,
  interceptDedupe,
  interceptGuard,
  LogRecorder,
  MetricsRecorder,
  SOURCES,
} from './harness';

const STATUSES = ['incomplete', 'trialing', 'past_due', 'active', 'canceled'] as const;
const BASE_CREATED = 1_767_225_600;
const MAX_RECEIVE_COUNT = 5;
/** The simulated invocation's remaining time: the claim lease and the entity lock. */
const REMAINING_MS = 3000;
/** Longer than the guard's quarantine after an ambiguous write (AMBIGUOUS_QUARANTINE_MS, 30 s). */
const PAST_QUARANTINE_MS = 31_000;

type Fault =
  | 'none'
  | 'landThenTimeout'
  | 'timeoutNotLanded'
  | 'status503'
  | 'status429'
  | 'status422'
  | 'crashAfterWrite';

type Step =
  | { readonly kind: 'deliver'; readonly pick: number; readonly fault: Fault; readonly advanceMs: number }
  | { readonly kind: 'redrive'; readonly pick: number; readonly advanceMs: number }
  | { readonly kind: 'redeliver'; readonly pick: number; readonly advanceMs: number };

const STAND_IN_FAULTS: Partial<Record<Fault, ScriptedFault>> = {
  landThenTimeout: { timeout: true, applyFirst: true, timeoutMs: 2000 },
  timeoutNotLanded: { timeout: true, applyFirst: false, timeoutMs: 2000 },
  status503: { status: 503 },
  status429: { status: 429, retryAfterSeconds: 1 },
  status422: { status: 422 },
};

const faultArb = fc.constantFrom<Fault>(
  'none',
  'none',
  'landThenTimeout',
  'landThenTimeout',
  'timeoutNotLanded',
  'status503',
  'status429',
  'status422',
  'crashAfterWrite',
  'crashAfterWrite',
);
/** Up to past a lease, now and then past the guard's quarantine after an ambiguous write. */
const advanceArb = fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.constant(PAST_QUARANTINE_MS));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      pick: fc.nat(),
      fault: faultArb,
      advanceMs: advanceArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('redrive' as const), pick: fc.nat(), advanceMs: advanceArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(), advanceMs: advanceArb }),
  },
);

interface Message {
  readonly event: number;
  receiveCount: number;
}

describe('processor: the newest event’s state wins under any interleaving of faults (property)', () => {
  useEmulators();
  let standIn: CdpStandIn;
  let cdp: CdpClient;
  let tableName: string;
  let clock = Date.now();
  // Crash injection: armed for one delivery; a crash stops everything after the CDP write.
  let crashArmed = false;
  let crashed = false;

  before(async () => {
    tableName = await createStateTable();
    standIn = await startCdpStandIn({ apiKey: 'prop-key', now: () => clock });
    cdp = new CdpClient({
      baseUrl: standIn.url,
      apiKey: { getApiKey: async () => 'prop-key' },
      requestTimeoutMs: 200,
    });
  });
  after(async () => {
    cdp.close();
    await standIn.stop();
  });

  function buildProcessor() {
    const client = createDynamoDocumentClient();
    const realDedupe = new DynamoDedupeStore(client, tableName);
    const realGuard = new DynamoEntityGuard(client, tableName);
    const guard: EntityGuard = interceptGuard(realGuard, {
      async commit(lock, key, now) {
        if (crashArmed) {
          crashArmed = false;
          crashed = true;
          throw new Error('injected crash after the CDP write');
        }
        return realGuard.commit(lock, key, now);
      },
    });
    const dedupe: DedupeStore = interceptDedupe(realDedupe, {
      async recordApplied(claim, key, now) {
        if (crashed) throw new Error('crashed');
        return realDedupe.recordApplied(claim, key, now);
      },
      // The completion is the write right after the last operation's CDP call (it settles the entity lock).
      async markCompleted(claim, now, ttl, last) {
        if (crashArmed) {
          crashArmed = false;
          crashed = true;
          throw new Error('injected crash after the CDP write');
        }
        if (crashed) throw new Error('crashed');
        return realDedupe.markCompleted(claim, now, ttl, last);
      },
      async release(claim, now, error) {
        if (crashed) return; // A dead process releases nothing: the lease runs out.
        return realDedupe.release(claim, now, error);
      },
    });
    return createProcessor({
      dedupe,
      guard,
      cdp,
      queue: { changeVisibility: async () => undefined, sendToDlq: async () => undefined },
      bodies: {
        load: async (body) => {
          if (body.kind !== 'inline') throw new Error('inline bodies only');
          return Buffer.from(body.base64, 'base64');
        },
        retain: async () => 'inline' as const,
        discard: async () => undefined,
      },
      sources: SOURCES,
      logger: new LogRecorder(),
      metrics: new MetricsRecorder(),
      now: () => clock,
      backoff: { baseDelaySeconds: 1, maxDelaySeconds: 4 },
      maxReceiveCount: MAX_RECEIVE_COUNT,
      safetyMarginMs: 100,
      entityBusyWaits: 0,
      sleep: async () => undefined,
    });
  }

  function envelopeOf(email: string, index: number, eventId: string): QueueEnvelope {
    const event = JSON.parse(fixture('stripe-customer-subscription-updated.json').toString('utf8'));
    event.id = eventId;
    event.created = BASE_CREATED + index * 10;
    event.data.object.customer_email = email;
    event.data.object.status = STATUSES[index];
    return {
      v: ENVELOPE_VERSION,
      sourceId: 'stripe',
      provider: 'stripe',
      dedupeKey: `stripe:${eventId}`,
      providerEventId: eventId,
      eventType: 'customer.subscription.updated',
      occurredAt: new Date(event.created * 1000).toISOString(),
      receivedAt: new Date(clock).toISOString(),
      headers: { 'content-type': 'application/json' },
      body: { kind: 'inline', base64: Buffer.from(JSON.stringify(event)).toString('base64') },
    };
  }

  function sqsRecord(envelope: QueueEnvelope, receiveCount: number): SQSRecord {
    return {
      messageId: uniqueName('m'),
      receiptHandle: uniqueName('r'),
      body: JSON.stringify(envelope),
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: String(clock),
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: String(clock),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
      awsRegion: 'us-east-1',
    };
  }

  it('random arrival orders, duplicates, redrives and faults on one entity: the final CDP state is the newest event’s', async () => {
    const processor = buildProcessor();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(stepArb, { minLength: 3, maxLength: 14 }),
        async (eventCount, steps) => {
          const email = `${uniqueName('inv')}@example.com`;
          const envelopes = Array.from({ length: eventCount }, (_, i) =>
            envelopeOf(email, i, uniqueName(`evt${i}`)),
          );
          const queue: Message[] = envelopes.map((_, event) => ({ event, receiveCount: 0 }));
          const dlq: Message[] = [];
          const trace: string[] = [];

          async function deliver(index: number, fault: Fault): Promise<void> {
            const [message] = queue.splice(index, 1);
            if (!message) return;
            const envelope = envelopes[message.event];
            if (!envelope) return;
            message.receiveCount++;
            const scripted = STAND_IN_FAULTS[fault];
            if (scripted) standIn.queueFaults(scripted);
            crashArmed = fault === 'crashAfterWrite';
            crashed = false;
            let outcome: RecordOutcome | 'retry';
            try {
              outcome = await processor.processRecord(
                sqsRecord(envelope, message.receiveCount),
                () => REMAINING_MS,
              );
            } catch {
              outcome = 'retry';
            } finally {
              standIn.clearQueuedFaults();
              crashArmed = false;
              crashed = false;
            }
            trace.push(`#${message.event}(${fault}) → ${outcome}`);
            if (outcome === 'dead_lettered') dlq.push({ event: message.event, receiveCount: 0 });
            else if (outcome === 'retry') {
              // SQS moves the message to the DLQ after maxReceiveCount receives.
              if (message.receiveCount >= MAX_RECEIVE_COUNT)
                dlq.push({ event: message.event, receiveCount: 0 });
              else queue.push(message);
            }
          }

          for (const step of steps) {
            clock += step.advanceMs;
            if (step.kind === 'deliver' && queue.length > 0)
              await deliver(step.pick % queue.length, step.fault);
            if (step.kind === 'redrive' && dlq.length > 0) {
              const [message] = dlq.splice(step.pick % dlq.length, 1);
              if (message) queue.push(message);
            }
            if (step.kind === 'redeliver') queue.push({ event: step.pick % eventCount, receiveCount: 0 });
          }
          // The faults end: everything on the queue is delivered, and the DLQ is redriven until empty.
          for (let round = 0; round < 100 && (queue.length > 0 || dlq.length > 0); round++) {
            // Leases and entity locks of crashed attempts, and quarantines of ambiguous writes, run out.
            clock += Math.max(REMAINING_MS, PAST_QUARANTINE_MS);
            if (queue.length === 0) queue.push(...dlq.splice(0));
            await deliver(0, 'none');
          }
          assert.deepEqual({ queue, dlq }, { queue: [], dlq: [] }, trace.join('\n'));

          const newest = STATUSES[eventCount - 1];
          assert.equal(standIn.record('profiles', email)?.subscription_status, newest, trace.join('\n'));
          for (const envelope of envelopes) {
            const key = operationIdempotencyKey(envelope.dedupeKey, 'profiles.upsert');
            assert.ok((standIn.effects().get(key) ?? 0) <= 1, `applied twice: ${key}\n${trace.join('\n')}`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
