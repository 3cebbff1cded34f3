/**
 * Shopify order mappings (the CDP vendor guide's fields): an order refreshes the buyer's `profiles` row
 * (email trimmed and lower-cased, names, order count, lifetime value, last order time) and its own
 * `orders` row (one per order, matched on `shopify_order_id`, as the vendor guide keys Shopify writes by
 * order id).
 *
 * What to write is decided from the signed body, never from `X-Shopify-Topic`: Shopify's HMAC covers the
 * body only, so a replayed delivery can carry any topic. The body's `admin_graphql_api_id`
 * (`gid://shopify/Order/…`) says it is an order; every order topic (`orders/create`, `orders/paid`,
 * `orders/updated`, …) then writes the same two upserts of the order's current state, guarded by its
 * `updated_at`. So a rewritten topic cannot add an `orders` row or choose a different effect, two topics
 * with byte-identical bodies (one dedupe key, lambdas/providers/shopify.ts) lose nothing by being merged,
 * and a later topic of the same order refreshes its row instead of counting the order again. Bodies that
 * are not orders (customers, products, refunds, `orders/delete`'s bare id) are acknowledged as unmapped.
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

function orderUpsert(o: Record<string, JsonValue>, input: MappingInput): CdpOperation {
  const lineItems = o.line_items;
  const id = orderId(o);
  if (id === undefined) throw new MappingError('Shopify order has no usable id');
  return {
    kind: 'upsert',
    name: 'orders.upsert',
    object: 'orders',
    matchKey: 'shopify_order_id',
    eventTimeMs: timeMs(o.updated_at) ?? timeMs(o.created_at) ?? timeMs(input.occurredAt),
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

/** The resource a signed Shopify body describes, from its GraphQL id: `order` for `gid://shopify/Order/…`. */
function resourceOf(input: MappingInput): string | undefined {
  if (!isObject(input.json)) return undefined;
  const gid = str(input.json.admin_graphql_api_id);
  return gid !== undefined && /^gid:\/\/shopify\/Order\/\d+$/.test(gid) ? 'order' : undefined;
}

function orderWritten(input: MappingInput): readonly CdpOperation[] {
  const o = order(input);
  const upsert = profileUpsert(o, input);
  return [...(upsert ? [upsert] : []), orderUpsert(o, input)];
}

export const shopifyMapping: ProviderMapping = {
  eventTypeOf: resourceOf,
  eventTypes: { order: orderWritten },
};
