/**
 * Shopify order mappings (the CDP vendor guide's defaults): every order topic refreshes the buyer's
 * `profiles` row (email trimmed and lower-cased, names, order count, lifetime value, last order time);
 * `orders/create` also appends the order to `orders`. Later topics of the same order do not append again,
 * which would count one order several times.
 */
import type { JsonValue } from '../cdp/client';
import { at, compact, isObject, normalizeEmail, num, str, timeMs } from './fields';
import { type CdpOperation, MappingError, type MappingInput, type ProviderMapping } from './types';

function order(input: MappingInput): Record<string, JsonValue> {
  if (!isObject(input.json)) throw new MappingError('Shopify order body is not a JSON object');
  if (input.json.id === undefined) throw new MappingError('Shopify order has no id');
  return input.json;
}

/**
 * The order id as text. Shopify ids can exceed 2^53, which JSON.parse rounds, so the GraphQL id (a string)
 * is preferred when present.
 */
function orderId(o: Record<string, JsonValue>): string | undefined {
  const gid = str(o.admin_graphql_api_id);
  const fromGid = gid?.split('/').pop();
  return fromGid && /^\d+$/.test(fromGid) ? fromGid : str(o.id);
}

function profileUpsert(o: Record<string, JsonValue>, input: MappingInput): CdpOperation | undefined {
  // POS and draft orders can come without an email: nothing to match a profile on.
  const email = normalizeEmail(o.email) ?? normalizeEmail(at(o, 'customer.email'));
  if (!email) return undefined;
  const totalSpent = num(at(o, 'customer.total_spent'));
  return {
    kind: 'upsert',
    name: 'profiles.upsert',
    object: 'profiles',
    matchKey: 'email',
    record: compact({
      email,
      first_name: str(at(o, 'billing_address.first_name')) ?? str(at(o, 'customer.first_name')),
      last_name: str(at(o, 'billing_address.last_name')) ?? str(at(o, 'customer.last_name')),
      order_count: num(at(o, 'customer.orders_count')),
      ltv: totalSpent,
      last_order_at: str(o.created_at),
    }),
    eventTimeMs: timeMs(o.updated_at) ?? timeMs(o.created_at) ?? timeMs(input.occurredAt),
  };
}

function orderAppend(o: Record<string, JsonValue>): CdpOperation {
  const lineItems = o.line_items;
  return {
    kind: 'append',
    name: 'orders.append',
    object: 'orders',
    record: compact({
      shopify_order_id: orderId(o),
      customer_email: normalizeEmail(o.email) ?? normalizeEmail(at(o, 'customer.email')) ?? null,
      total: num(o.total_price),
      currency: str(o.currency),
      line_item_count: Array.isArray(lineItems) ? lineItems.length : 0,
      placed_at: str(o.created_at),
    }),
  };
}

function orderCreated(input: MappingInput): readonly CdpOperation[] {
  const o = order(input);
  const upsert = profileUpsert(o, input);
  return [...(upsert ? [upsert] : []), orderAppend(o)];
}

function orderChanged(input: MappingInput): readonly CdpOperation[] {
  const upsert = profileUpsert(order(input), input);
  return upsert ? [upsert] : [];
}

export const shopifyMapping: ProviderMapping = {
  eventTypes: {
    'orders/create': orderCreated,
    'orders/updated': orderChanged,
    'orders/paid': orderChanged,
    'orders/fulfilled': orderChanged,
    'orders/partially_fulfilled': orderChanged,
    'orders/cancelled': orderChanged,
  },
};
