/**
 * The hostile generators of `npm run chaos` (issue 13): what a kind proof never sends.
 * - Entity streams: several events that write the SAME CDP entity (a Stripe customer's subscription, a
 *   Shopify order's buyer, a Segment user), each with its own event time and state, sent in shuffled order
 *   with re-deliveries, so the out-of-order guard must keep the newest state through timeouts and crashes.
 * - Replays: a captured, validly signed delivery sent again byte for byte with fresh values in the headers
 *   its signature does not cover (event ids, delivery ids, topics).
 * - Forged requests for sources whose secret is empty or blank, signed with that empty or blank key.
 * Everything is drawn from the run's seeded PRNG; bodies are built here (not from the fixtures, whose
 * tokens are random), so a seed reproduces the same events.
 */
import type { SourceDefinition } from '../../lib/config';
import type { Delivery, DeliveryFactory } from './deliveries';
import type { Rng } from './prng';
import type { EmptySecretForm } from './secret-phases';

/** Providers whose mapping orders upserts by an event time from the body. */
export type StreamKind = 'stripe' | 'shopify' | 'segment';
export const STREAM_KINDS: readonly StreamKind[] = ['stripe', 'shopify', 'segment'];

const JSON_TYPE = 'application/json';

function hex(rng: Rng, bytes: number): string {
  return rng.bytes(bytes).toString('hex');
}

/** A v4-shaped UUID from the PRNG. */
export function seededUuid(rng: Rng): string {
  const h = hex(rng, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const STRIPE_STATUSES = ['trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete'];
const PLANS = ['Starter monthly', 'Pro monthly', 'Pro yearly', 'Team', 'Enterprise'];
const SHOPIFY_TOPICS = ['orders/updated', 'orders/paid', 'orders/fulfilled', 'orders/cancelled'];

interface StreamEventInput {
  readonly rng: Rng;
  readonly entity: string;
  /** 0 = oldest. */
  readonly seq: number;
  readonly eventTimeMs: number;
  readonly firstTimeMs: number;
}

function stripeEvent(i: StreamEventInput): { body: unknown; headers: Record<string, string> } {
  const created = Math.floor(i.eventTimeMs / 1000);
  return {
    headers: { 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    body: {
      id: `evt_${hex(i.rng, 12)}`,
      object: 'event',
      api_version: '2024-06-20',
      created,
      type: 'customer.subscription.updated',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: {
        object: {
          id: `sub_${i.entity}`,
          object: 'subscription',
          customer: `cus_${i.entity}`,
          customer_email: `stripe.${i.entity}@example.com`,
          status: i.rng.pick(STRIPE_STATUSES),
          currency: 'usd',
          // Distinct per event, so every state of the entity is recognisable in the CDP.
          current_period_end: created + 30 * 24 * 3600,
          trial_end: null,
          plan: { id: `price_${i.seq}`, object: 'plan', nickname: `${i.rng.pick(PLANS)} #${i.seq}` },
          metadata: {},
        },
      },
    },
  };
}

function shopifyEvent(i: StreamEventInput): { body: unknown; headers: Record<string, string> } {
  const topic = i.seq === 0 ? 'orders/create' : i.rng.pick(SHOPIFY_TOPICS);
  const orderId = `${Number.parseInt(hex(i.rng, 3), 16) + 5_000_000_000}`;
  const email = `shop.${i.entity}@example.com`;
  return {
    headers: {
      'X-Shopify-Topic': topic,
      'X-Shopify-Shop-Domain': 'local-dev-shop.myshopify.com',
      'X-Shopify-API-Version': '2024-07',
      'X-Shopify-Webhook-Id': seededUuid(i.rng),
      'X-Shopify-Event-Id': seededUuid(i.rng),
      'X-Shopify-Triggered-At': new Date(i.eventTimeMs).toISOString(),
      'User-Agent': 'Shopify-Captain-Hook',
    },
    body: {
      id: Number(orderId),
      admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
      name: `#${1000 + i.seq}`,
      email,
      created_at: new Date(i.firstTimeMs).toISOString(),
      updated_at: new Date(i.eventTimeMs).toISOString(),
      currency: 'USD',
      total_price: '49.00',
      financial_status: i.rng.pick(['pending', 'paid', 'refunded']),
      customer: {
        id: Number.parseInt(hex(i.rng, 3), 16),
        email,
        first_name: `Buyer${i.seq}`,
        last_name: i.entity,
        orders_count: i.seq + 1,
        total_spent: `${(i.seq + 1) * 49}.00`,
      },
      line_items: [{ id: 1, title: 'Keyboard', quantity: 1, price: '49.00' }],
    },
  };
}

function segmentEvent(i: StreamEventInput): { body: unknown; headers: Record<string, string> } {
  const at = new Date(i.eventTimeMs).toISOString();
  return {
    headers: {},
    body: {
      type: 'identify',
      messageId: `ajs-next-${hex(i.rng, 16)}`,
      userId: `user_${i.entity}`,
      anonymousId: seededUuid(i.rng),
      traits: {
        email: `seg.${i.entity}@example.com`,
        plan: i.rng.pick(PLANS),
        loginCount: i.seq + 1,
        lastSeenAt: at,
      },
      timestamp: at,
      sentAt: at,
      version: 2,
    },
  };
}

const BUILDERS: Record<
  StreamKind,
  (i: StreamEventInput) => { body: unknown; headers: Record<string, string> }
> = {
  stripe: stripeEvent,
  shopify: shopifyEvent,
  segment: segmentEvent,
};

export interface EntityStreamOptions {
  readonly factory: DeliveryFactory;
  readonly source: SourceDefinition;
  readonly kind: StreamKind;
  readonly rng: Rng;
  /** Unique per run and stream (becomes part of emails and ids). */
  readonly entity: string;
  /** Distinct events on the entity. */
  readonly events: number;
  /** Share of events re-delivered (re-signed, same bytes). */
  readonly duplicateRate: number;
  /** Time of the oldest event, epoch ms; each later one is a few seconds newer (whole seconds: Stripe). */
  readonly baseTimeMs: number;
}

/** The events of one entity, in a shuffled sending order with re-deliveries mixed in. */
export function entityStream(options: EntityStreamOptions): Delivery[] {
  const { rng, factory } = options;
  const build = BUILDERS[options.kind];
  const originals: Delivery[] = [];
  for (let seq = 0; seq < options.events; seq++) {
    const eventTimeMs = options.baseTimeMs + seq * 7000;
    const made = build({ rng, entity: options.entity, seq, eventTimeMs, firstTimeMs: options.baseTimeMs });
    originals.push(
      factory.custom(options.source, {
        body: Buffer.from(JSON.stringify(made.body), 'utf8'),
        contentType: JSON_TYPE,
        headers: made.headers,
        fixture: `stream:${options.kind}`,
      }),
    );
  }
  const order: Delivery[] = [...originals];
  for (const d of originals) if (rng.chance(options.duplicateRate)) order.push(d);
  return shuffle(order, rng);
}

/** Fisher–Yates with the run's PRNG. */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/** One way of re-sending a captured delivery. */
export interface ReplayMutation {
  /** For reports: `shopify:new-event-id`, … */
  readonly label: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Unsigned-header mutations per provider: each scheme's signature leaves these headers out, and today's
 * extraction takes the event id (or the event type) from them.
 */
export function replayMutations(provider: string, rng: Rng): ReplayMutation[] {
  switch (provider) {
    case 'shopify':
      return [
        {
          label: 'shopify:new-ids',
          headers: { 'X-Shopify-Event-Id': seededUuid(rng), 'X-Shopify-Webhook-Id': seededUuid(rng) },
        },
        {
          label: 'shopify:new-ids+topic',
          headers: {
            'X-Shopify-Event-Id': seededUuid(rng),
            'X-Shopify-Webhook-Id': seededUuid(rng),
            'X-Shopify-Topic': 'orders/cancelled',
          },
        },
        { label: 'shopify:topic', headers: { 'X-Shopify-Topic': 'orders/paid' } },
      ];
    case 'github':
      return [{ label: 'github:new-delivery', headers: { 'X-GitHub-Delivery': seededUuid(rng) } }];
    case 'twilio':
      return [
        { label: 'twilio:new-idempotency-token', headers: { 'I-Twilio-Idempotency-Token': seededUuid(rng) } },
      ];
    case 'linear':
      return [{ label: 'linear:new-delivery', headers: { 'Linear-Delivery': seededUuid(rng) } }];
    default:
      return [];
  }
}

/** A Linear delivery (no committed fixture): an issue created now, signed body with `webhookTimestamp`. */
export function linearDelivery(factory: DeliveryFactory, source: SourceDefinition, rng: Rng): Delivery {
  const now = Date.now();
  const body = {
    action: 'create',
    type: 'Issue',
    createdAt: new Date(now).toISOString(),
    data: { id: seededUuid(rng), identifier: `ENG-${rng.int(1, 99_999)}`, title: 'Chaos issue' },
    url: 'https://linear.app/example/issue/ENG-1',
    organizationId: seededUuid(rng),
    webhookId: seededUuid(rng),
    webhookTimestamp: now,
  };
  return factory.custom(source, {
    body: Buffer.from(JSON.stringify(body), 'utf8'),
    contentType: JSON_TYPE,
    headers: { 'Linear-Delivery': seededUuid(rng), 'Linear-Event': 'Issue', 'User-Agent': 'Linear-Webhook' },
    fixture: 'replay:linear',
  });
}

/**
 * Empty or blank secret forms as a templated `put-secret-value` produces them, with the key that an
 * attacker signs with (the empty or blank string the pipeline would verify with).
 */
export const EMPTY_SECRET_FORMS: readonly EmptySecretForm[] = [
  { label: 'secret-empty', secretString: '{"secret":""}', signingKey: '' },
  { label: 'apikey-empty', secretString: '{"apiKey":""}', signingKey: '' },
  { label: 'secret-blank', secretString: '{"secret":"   "}', signingKey: '   ' },
  { label: 'secrets-blank', secretString: '{"secrets":[" "]}', signingKey: ' ' },
  { label: 'plain-blank', secretString: '  ', signingKey: '  ' },
];
