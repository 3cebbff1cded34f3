import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { toSnakeCase } from '../../../lambdas/mapping/fields';
import {
  type CdpOperation,
  MappingError,
  type MappingInput,
  mapEvent,
  operationIdempotencyKey,
  parseJsonBody,
} from '../../../lambdas/mapping/index';
import { stripeAmount } from '../../../lambdas/mapping/stripe';
import type { ProviderId } from '../../../lambdas/providers/types';

function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/payloads/${name}`, import.meta.url));
}

function input(
  provider: ProviderId,
  eventType: string,
  body: Buffer,
  extra: Partial<MappingInput> = {},
): MappingInput {
  return {
    sourceId: provider,
    provider,
    eventType,
    providerEventId: 'evt-1',
    dedupeKey: `${provider}:evt-1`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    receivedAt: '2026-01-01T00:00:01.000Z',
    headers: { 'content-type': 'application/json' },
    body,
    json: parseJsonBody(body),
    ...extra,
  };
}

function operations(provider: ProviderId, eventType: string, file: string): readonly CdpOperation[] {
  const result = mapEvent(input(provider, eventType, fixture(file)));
  assert.equal(result.kind, 'operations');
  return result.kind === 'operations' ? result.operations : [];
}

describe('Stripe mappings (vendor guide defaults)', () => {
  it('customer.subscription.updated upserts the profile by normalised email with status, plan, period end, trial end', () => {
    const [op, ...rest] = operations(
      'stripe',
      'customer.subscription.updated',
      'stripe-customer-subscription-updated.json',
    );
    assert.equal(rest.length, 0);
    assert.deepEqual(op, {
      kind: 'upsert',
      name: 'profiles.upsert',
      object: 'profiles',
      matchKey: 'email',
      record: {
        email: 'jane.doe@example.com',
        stripe_customer_id: 'cus_QxYz123',
        stripe_subscription_id: 'sub_1PXyzAbc',
        subscription_status: 'active',
        subscription_plan: 'Pro Monthly',
        subscription_updated_at: '2026-02-01T00:00:00.000Z',
        trial_end_at: '2026-01-08T00:00:00.000Z',
      },
      eventTimeMs: 1767225600 * 1000,
    });
  });

  it('a subscription without an email is matched on the Stripe customer id; a missing trial end clears the field', () => {
    const event = JSON.parse(fixture('stripe-customer-subscription-updated.json').toString('utf8'));
    delete event.data.object.customer_email;
    event.data.object.trial_end = null;
    const result = mapEvent(
      input('stripe', 'customer.subscription.updated', Buffer.from(JSON.stringify(event))),
    );
    assert.ok(result.kind === 'operations');
    const [op] = result.operations;
    assert.ok(op?.kind === 'upsert');
    assert.equal(op.matchKey, 'stripe_customer_id');
    assert.equal(op.record.email, undefined);
    assert.equal(op.record.trial_end_at, null);
  });

  it('invoice.payment_succeeded appends a payment in major units with an upper-case currency', () => {
    const [op] = operations('stripe', 'invoice.payment_succeeded', 'stripe-invoice-payment-succeeded.json');
    assert.deepEqual(op, {
      kind: 'append',
      name: 'payments.append',
      object: 'payments',
      record: {
        stripe_invoice_id: 'in_1PXyzInv',
        stripe_customer_id: 'cus_QxYz123',
        customer_email: 'jane.doe@example.com',
        amount_paid: 49,
        currency: 'USD',
        paid_at: '2026-01-01T00:01:30.000Z',
      },
    });
  });

  it('zero-decimal currencies are not divided by 100', () => {
    assert.equal(stripeAmount(500, 'JPY'), 500);
    assert.equal(stripeAmount(4900, 'usd'), 49);
    assert.equal(stripeAmount(1230, 'kwd'), 1.23);
  });

  it('an unknown Stripe event type is unmapped (acknowledged), not an error', () => {
    const result = mapEvent(
      input('stripe', 'charge.refunded', Buffer.from('{"id":"evt_x","data":{"object":{}}}')),
    );
    assert.equal(result.kind, 'unmapped');
  });

  it('a subscription event without data.object is a mapping error (permanent)', () => {
    assert.throws(
      () => mapEvent(input('stripe', 'customer.subscription.updated', Buffer.from('{"id":"evt_x"}'))),
      MappingError,
    );
  });
});

describe('Shopify mappings', () => {
  it('an order upserts the profile (trimmed, lower-cased email, names, count, ltv, last order) and its orders row', () => {
    const ops = operations('shopify', 'orders/create', 'shopify-orders-create.json');
    assert.deepEqual(
      ops.map((o) => o.name),
      ['profiles.upsert', 'orders.upsert'],
    );
    const [profile, order] = ops;
    assert.ok(profile?.kind === 'upsert');
    assert.equal(profile.matchKey, 'email');
    assert.deepEqual(profile.record, {
      email: 'jon.snow@example.com',
      first_name: 'Jon',
      last_name: 'Snow',
      order_count: 3,
      ltv: 597,
      last_order_at: '2026-01-01T10:00:00-05:00',
    });
    assert.equal(profile.eventTimeMs, Date.parse('2026-01-01T10:00:05-05:00'));
    assert.ok(order?.kind === 'upsert');
    assert.equal(order.matchKey, 'shopify_order_id');
    assert.equal(order.eventTimeMs, Date.parse('2026-01-01T10:00:05-05:00'));
    assert.deepEqual(order.record, {
      shopify_order_id: '5832349794567',
      customer_email: 'jon.snow@example.com',
      total: 199,
      currency: 'USD',
      line_item_count: 2,
      placed_at: '2026-01-01T10:00:00-05:00',
    });
  });

  it('the unsigned topic chooses nothing: every topic of the same signed body maps to the same operations', () => {
    const expected = operations('shopify', 'orders/create', 'shopify-orders-create.json');
    for (const topic of ['orders/paid', 'orders/updated', 'orders/cancelled', 'customers/create', 'x']) {
      assert.deepEqual(operations('shopify', topic, 'shopify-orders-create.json'), expected, topic);
    }
  });

  it('what the signed body is decides: a non-order body under an order topic is unmapped', () => {
    const customer = { id: 7, email: 'a@example.com', admin_graphql_api_id: 'gid://shopify/Customer/7' };
    for (const body of [customer, { id: 450789469 }, { ...customer, admin_graphql_api_id: undefined }]) {
      const result = mapEvent(input('shopify', 'orders/create', Buffer.from(JSON.stringify(body))));
      assert.equal(result.kind, 'unmapped', JSON.stringify(body));
    }
  });

  it('an order without an email still writes the order', () => {
    const order = JSON.parse(fixture('shopify-orders-create.json').toString('utf8'));
    delete order.email;
    delete order.customer.email;
    const result = mapEvent(input('shopify', 'orders/create', Buffer.from(JSON.stringify(order))));
    assert.ok(result.kind === 'operations');
    assert.deepEqual(
      result.operations.map((o) => o.name),
      ['orders.upsert'],
    );
  });
});

describe('Segment mappings', () => {
  it('identify upserts the profile by email with every trait in snake_case', () => {
    const [op] = operations('segment', 'identify', 'segment-identify.json');
    assert.ok(op?.kind === 'upsert');
    assert.deepEqual(op.record, {
      email: 'ada@example.com',
      segment_user_id: 'user-42',
      first_name: 'Ada',
      last_name: 'Lovelace',
      phone: '+44 20 7946 0000',
      company: 'Analytical Engines',
      plan: 'enterprise',
      created_at: '2025-12-01T00:00:00.000Z',
      address: '{"city":"London"}',
    });
    assert.equal(op.eventTimeMs, Date.parse('2026-01-01T12:00:00.000Z'));
  });

  it('track appends an event with the properties as JSON', () => {
    const [op] = operations('segment', 'track', 'segment-track.json');
    assert.deepEqual(op, {
      kind: 'append',
      name: 'events.append',
      object: 'events',
      record: {
        event_name: 'Order Completed',
        user_email: 'ada@example.com',
        properties: '{"order_id":"o-1","revenue":42.5,"currency":"USD"}',
        occurred_at: '2026-01-01T12:05:00.000Z',
      },
    });
  });

  it('page calls are unmapped', () => {
    assert.equal(mapEvent(input('segment', 'page', Buffer.from('{"type":"page"}'))).kind, 'unmapped');
  });
});

describe('HubSpot mappings', () => {
  it('contact.creation upserts a profile matched on the HubSpot contact id', () => {
    const [op] = operations('hubspot', 'contact.creation', 'hubspot-contact-creation.json');
    assert.ok(op?.kind === 'upsert');
    assert.equal(op.matchKey, 'hubspot_contact_id');
    assert.deepEqual(op.record, {
      hubspot_contact_id: '123',
      hubspot_portal_id: '62515',
      hubspot_created_at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('contact.propertyChange sets the one property, guarded per property', () => {
    const [op] = operations('hubspot', 'contact.propertyChange', 'hubspot-contact-property-change.json');
    assert.ok(op?.kind === 'upsert');
    assert.deepEqual(op.record, { hubspot_contact_id: '123', lifecyclestage: 'customer' });
    assert.equal(op.guardScope, 'property:lifecyclestage');
    assert.equal(op.eventTimeMs, 1767225660000);
  });

  it('deal.creation upserts the deal', () => {
    const [op] = operations('hubspot', 'deal.creation', 'hubspot-deal-creation.json');
    assert.ok(op?.kind === 'upsert');
    assert.equal(op.object, 'deals');
    assert.equal(op.record.hubspot_deal_id, '987');
  });
});

describe('generic mapping for every other provider', () => {
  it('appends one events row with the verbatim payload', () => {
    const body = fixture('github-push.json');
    const result = mapEvent(input('github', 'push', body));
    assert.ok(result.kind === 'operations');
    const [op] = result.operations;
    assert.equal(op?.object, 'events');
    assert.equal(op?.record.payload, body.toString('utf8'));
    assert.equal(op?.record.payload_encoding, 'utf8');
    assert.equal(op?.record.event_type, 'push');
    assert.equal(op?.record.source, 'github');
  });

  it('keeps non-UTF-8 bodies as base64', () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const result = mapEvent(input('twilio', 'message', body));
    assert.ok(result.kind === 'operations');
    assert.equal(result.operations[0]?.record.payload_encoding, 'base64');
    assert.equal(result.operations[0]?.record.payload, body.toString('base64'));
  });
});

describe('idempotency keys and helpers', () => {
  it('are stable per (dedupe key, operation) and differ between operations and events', () => {
    const a = operationIdempotencyKey('shopify:123', 'profiles.upsert');
    assert.equal(a, operationIdempotencyKey('shopify:123', 'profiles.upsert'));
    assert.notEqual(a, operationIdempotencyKey('shopify:123', 'orders.append'));
    assert.notEqual(a, operationIdempotencyKey('shopify:124', 'profiles.upsert'));
    assert.match(a, /^whk_[A-Za-z0-9_-]{43}$/);
  });

  it('snake-cases camelCase, acronyms and dashes', () => {
    assert.equal(toSnakeCase('firstName'), 'first_name');
    assert.equal(toSnakeCase('HTTPStatus'), 'http_status');
    assert.equal(toSnakeCase('plan-tier'), 'plan_tier');
    assert.equal(toSnakeCase('already_snake'), 'already_snake');
  });
});
