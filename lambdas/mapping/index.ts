/**
 * The mapping registry: provider → event type → small function, with the CDP vendor guide's mappings as
 * defaults. Providers with a dedicated mapping acknowledge unknown event types (counted, never failed);
 * every other provider gets the generic `events` append.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../cdp/client';
import type { ProviderId } from '../providers/types';
import { genericEventAppend } from './generic';
import { hubspotMapping } from './hubspot';
import { segmentMapping } from './segment';
import { shopifyMapping } from './shopify';
import { stripeMapping } from './stripe';
import { MappingError, type MappingInput, type MappingResult, type ProviderMapping } from './types';

export type { AppendOperation, CdpOperation, MappingInput, MappingResult, UpsertOperation } from './types';
export { MAPPED_HEADERS, MappingError } from './types';

/** Dedicated mappings by provider. */
export const DEFAULT_MAPPINGS: Partial<Record<ProviderId, ProviderMapping>> = {
  stripe: stripeMapping,
  shopify: shopifyMapping,
  segment: segmentMapping,
  hubspot: hubspotMapping,
};

/** Parses a body as JSON, or undefined when it is not JSON (form-encoded providers, binary bodies). */
export function parseJsonBody(body: Buffer): JsonValue | undefined {
  const first = body.subarray(0, 64).toString('utf8').trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as JsonValue;
  } catch {
    return undefined;
  }
}

/**
 * Maps one event to CDP operations. Throws `MappingError` when a mapped event lacks what it needs (a
 * permanent failure: the event goes to the DLQ with the reason).
 */
export function mapEvent(
  input: MappingInput,
  mappings: Partial<Record<ProviderId, ProviderMapping>> = DEFAULT_MAPPINGS,
): MappingResult {
  const mapping = mappings[input.provider];
  if (!mapping) return { kind: 'operations', operations: genericEventAppend(input) };
  const type = mapping.eventTypeOf ? mapping.eventTypeOf(input) : input.eventType;
  const mapper =
    type !== undefined && Object.hasOwn(mapping.eventTypes, type) ? mapping.eventTypes[type] : undefined;
  if (!mapper) {
    return { kind: 'unmapped', reason: `No ${input.provider} mapping for event type ${input.eventType}` };
  }
  const operations = mapper(input);
  const names = new Set(operations.map((op) => op.name));
  if (names.size !== operations.length) {
    throw new MappingError(`Mapping for ${input.provider} ${input.eventType} repeats an operation name`);
  }
  return { kind: 'operations', operations };
}

/**
 * The Idempotency-Key of one operation of one event: derived from the dedupe key (the provider's event id,
 * scoped to the source) and the operation name, so it is the same on every retry and redrive and never
 * depends on the SQS message id. Hashed to a fixed, header-safe length.
 */
export function operationIdempotencyKey(dedupeKey: string, operationName: string): string {
  return `whk_${createHash('sha256').update(dedupeKey).update('\n').update(operationName).digest('base64url')}`;
}
