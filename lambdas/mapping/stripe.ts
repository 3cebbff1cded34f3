/**
 * Stripe mappings (the CDP vendor guide's defaults): `customer.subscription.updated` → `profiles` upsert by
 * email, `invoice.payment_succeeded` → `payments` append. Stripe stamps events with `created` (unix
 * seconds), which orders subscription updates for the out-of-order guard.
 */
import type { JsonValue } from '../cdp/client';
import { at, compact, isObject, normalizeEmail, num, str, timeMs, unixToIso } from './fields';
import { type CdpOperation, MappingError, type MappingInput, type ProviderMapping } from './types';

/** Currencies whose amounts Stripe gives in whole units rather than cents. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
/** Currencies whose amounts Stripe gives in thousandths. */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** A Stripe minor-unit amount in major units (cents → dollars, yen stay yen). */
export function stripeAmount(minor: number, currency: string): number {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return minor;
  if (THREE_DECIMAL.has(c)) return minor / 1000;
  return minor / 100;
}

function dataObject(input: MappingInput): Record<string, JsonValue> {
  const object = at(input.json, 'data.object');
  if (!isObject(object)) throw new MappingError('Stripe event has no data.object');
  return object;
}

function eventTime(input: MappingInput): number | undefined {
  return timeMs(at(input.json, 'created')) ?? timeMs(input.occurredAt);
}

function subscriptionUpdated(input: MappingInput): readonly CdpOperation[] {
  const sub = dataObject(input);
  const customer = sub.customer;
  const customerId = str(isObject(customer) ? customer.id : customer);
  // Subscriptions rarely carry the email; an expanded customer or metadata may. Without one the profile is
  // matched on the Stripe customer id instead of calling Stripe from here (no Stripe API key in the pipeline).
  const email =
    normalizeEmail(sub.customer_email) ??
    normalizeEmail(isObject(customer) ? customer.email : undefined) ??
    normalizeEmail(at(sub, 'metadata.email'));
  if (!email && !customerId)
    throw new MappingError('Stripe subscription has neither a customer email nor id');
  const plan =
    str(at(sub, 'plan.nickname')) ??
    str(at(sub, 'items.data.0.price.nickname')) ??
    str(at(sub, 'items.data.0.plan.nickname')) ??
    str(at(sub, 'plan.id')) ??
    str(at(sub, 'items.data.0.price.id'));
  // Newer API versions moved the period to the subscription items.
  const periodEnd = sub.current_period_end ?? at(sub, 'items.data.0.current_period_end');
  const record = compact({
    email,
    stripe_customer_id: customerId,
    stripe_subscription_id: str(sub.id),
    subscription_status: str(sub.status) ?? null,
    subscription_plan: plan ?? null,
    // The vendor guide's field: the end of the current period, so campaigns can filter on fresh data.
    subscription_updated_at: unixToIso(periodEnd),
    trial_end_at: unixToIso(sub.trial_end),
  });
  return [
    {
      kind: 'upsert',
      name: 'profiles.upsert',
      object: 'profiles',
      record,
      matchKey: email ? 'email' : 'stripe_customer_id',
      eventTimeMs: eventTime(input),
    },
  ];
}

function invoicePaymentSucceeded(input: MappingInput): readonly CdpOperation[] {
  const invoice = dataObject(input);
  const invoiceId = str(invoice.id);
  const currency = str(invoice.currency);
  const amountPaid = num(invoice.amount_paid);
  if (!invoiceId || !currency || amountPaid === undefined) {
    throw new MappingError('Stripe invoice lacks id, currency or amount_paid');
  }
  const record = compact({
    stripe_invoice_id: invoiceId,
    stripe_customer_id: str(isObject(invoice.customer) ? invoice.customer.id : invoice.customer),
    customer_email: normalizeEmail(invoice.customer_email) ?? null,
    amount_paid: stripeAmount(amountPaid, currency),
    currency: currency.toUpperCase(),
    paid_at: unixToIso(at(invoice, 'status_transitions.paid_at') ?? at(input.json, 'created')),
  });
  return [{ kind: 'append', name: 'payments.append', object: 'payments', record }];
}

export const stripeMapping: ProviderMapping = {
  eventTypes: {
    'customer.subscription.updated': subscriptionUpdated,
    'invoice.payment_succeeded': invoicePaymentSucceeded,
  },
};
