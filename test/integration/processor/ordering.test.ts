import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { operationIdempotencyKey } from '../../../lambdas/mapping/index';
import { uniqueName } from '../../support/emulators';
import { eventInput, fixture, stripeInvoicePaid, useHarness } from './harness';

const BASE_CREATED = 1_767_225_600;

function subscriptionUpdate(email: string, createdOffset: number, status: string) {
  const event = JSON.parse(fixture('stripe-customer-subscription-updated.json').toString('utf8'));
  event.id = uniqueName('evt');
  event.created = BASE_CREATED + createdOffset;
  event.data.object.customer_email = email;
  event.data.object.status = status;
  return event as { id: string; created: number };
}

describe('processor: out-of-order delivery never overwrites newer state', () => {
  const h = useHarness();

  async function enqueue(event: { id: string; created: number }) {
    const envelope = await h.envelope(
      eventInput('stripe', 'customer.subscription.updated', event, {
        eventId: event.id,
        occurredAt: new Date(event.created * 1000).toISOString(),
      }),
    );
    await h.send(envelope);
    return envelope;
  }

  it('Stripe subscription updates delivered newest-first: the newest state stays in the CDP', async () => {
    const email = `${uniqueName('order')}@example.com`;
    const updates = [
      subscriptionUpdate(email, 0, 'trialing'),
      subscriptionUpdate(email, 60, 'past_due'),
      subscriptionUpdate(email, 120, 'active'),
    ];
    const staleBefore = h.metrics.count('StaleSkipped', { source: 'stripe' });
    for (const update of [...updates].reverse()) {
      await enqueue(update);
      await h.drain();
    }
    assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active');
    assert.equal(h.metrics.count('StaleSkipped', { source: 'stripe' }) - staleBefore, 2);
    const upserts = h.standIn.requests.filter((r) => r.object === 'profiles' && r.record?.email === email);
    assert.equal(upserts.length, 1, 'stale updates never reach the CDP');
  });

  it('updates of one profile arriving together in one batch, shuffled: the newest state wins', async () => {
    const email = `${uniqueName('batch')}@example.com`;
    const updates = [
      subscriptionUpdate(email, 10, 'incomplete'),
      subscriptionUpdate(email, 20, 'trialing'),
      subscriptionUpdate(email, 30, 'active'),
      subscriptionUpdate(email, 40, 'canceled'),
    ];
    h.standIn.setFaults({ latencyMs: 100 });
    try {
      for (const update of [updates[2], updates[0], updates[3], updates[1]]) {
        if (update) await enqueue(update);
      }
      await h.drain(40_000);
    } finally {
      h.standIn.setFaults({});
    }
    assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'canceled');
  });

  it('property: any arrival order, batching and duplication, with CDP faults, leaves the newest state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (order, duplicates, seed) => {
          const email = `${uniqueName('prop')}@example.com`;
          const statuses = ['incomplete', 'trialing', 'past_due', 'active', 'canceled'];
          const updates = statuses.map((status, i) => subscriptionUpdate(email, i * 10, status));
          let state = seed;
          const random = () => {
            state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
            return state / 2 ** 31;
          };
          h.standIn.setFaults({ status5xxRate: 0.15 });
          try {
            for (const index of [...order, ...duplicates]) {
              const update = updates[index];
              if (update) await enqueue(update);
              if (random() < 0.4) await h.pollOnce();
            }
            await h.drain(60_000);
          } finally {
            h.standIn.setFaults({});
          }
          assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'canceled');
          const keysForEmail = h.standIn.requests
            .filter((r) => r.record?.email === email && r.idempotencyKey)
            .map((r) => r.idempotencyKey ?? '');
          for (const key of new Set(keysForEmail)) assert.ok((h.standIn.effects().get(key) ?? 0) <= 1);
        },
      ),
      { numRuns: 3 },
    );
  });

  it('HubSpot property changes are ordered per property: an older change of another property still applies', async () => {
    const contactId = String(Date.now() + Math.floor(Math.random() * 1000));
    const change = (eventId: number, occurredAt: number, propertyName: string, propertyValue: string) => ({
      eventId,
      subscriptionType: 'contact.propertyChange',
      portalId: 62515,
      objectId: Number(contactId),
      occurredAt,
      propertyName,
      propertyValue,
    });
    const deliveries = [
      change(1, 3000, 'lastname', 'Newer'),
      change(2, 1000, 'phone', '+1 555 0100'),
      change(3, 2000, 'lastname', 'Older'),
    ];
    for (const delivery of deliveries) {
      await h.deliver(
        await h.envelope(
          eventInput('hubspot', delivery.subscriptionType, delivery, {
            eventId: `${contactId}-${delivery.eventId}`,
          }),
        ),
      );
    }
    const profile = h.standIn.record('profiles', contactId);
    assert.equal(profile?.lastname, 'Newer');
    assert.equal(profile?.phone, '+1 555 0100');
  });

  it('a stale update is skipped but an append of an older event is never skipped', async () => {
    const email = `${uniqueName('mixed')}@example.com`;
    const newer = subscriptionUpdate(email, 500, 'active');
    const older = subscriptionUpdate(email, 100, 'trialing');
    await enqueue(newer);
    await h.drain();
    await enqueue(older);
    const invoice = JSON.parse(fixture('stripe-invoice-payment-succeeded.json').toString('utf8'));
    invoice.created = BASE_CREATED;
    invoice.data.object.id = uniqueName('in');
    invoice.data.object.customer_email = email;
    const invoiceEnvelope = await h.envelope(stripeInvoicePaid(invoice));
    await h.deliver(invoiceEnvelope);
    assert.equal(h.standIn.record('profiles', email)?.subscription_status, 'active');
    assert.equal(
      h.standIn.effects().get(operationIdempotencyKey(invoiceEnvelope.dedupeKey, 'payments.append')),
      1,
    );
  });
});
