/**
 * What the mapping layer produces: CDP operations described as data, so the processor can dedupe, guard
 * and retry each one on its own. Mappings are pure: no I/O, no clock.
 */
import type { CdpRecord, JsonValue } from '../cdp/client';
import type { ProviderId } from '../providers/types';

/**
 * The request headers a mapping may read. The processor pins them with the event's first claim (so a
 * redelivery maps to the same bytes) and keeps the list short: the dedupe record stays one small item.
 */
export const MAPPED_HEADERS: readonly string[] = ['content-type'];

/** Everything a mapping may look at for one event. */
export interface MappingInput {
  readonly sourceId: string;
  readonly provider: ProviderId;
  readonly eventType: string;
  readonly providerEventId: string | undefined;
  readonly dedupeKey: string;
  /** ISO-8601, when the provider says the event happened. */
  readonly occurredAt: string | undefined;
  /** ISO-8601, when the ingest accepted it. */
  readonly receivedAt: string;
  /** Only {@link MAPPED_HEADERS}: they are pinned with the first claim (same key, same bytes). */
  readonly headers: Readonly<Record<string, string>>;
  /** The event's bytes as the provider sent them. */
  readonly body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON (form-encoded providers). */
  readonly json: JsonValue | undefined;
}

interface OperationBase {
  /** Unique within the event and stable across deploys: it is part of the operation's Idempotency-Key. */
  readonly name: string;
  readonly object: string;
  readonly record: CdpRecord;
}

export interface UpsertOperation extends OperationBase {
  readonly kind: 'upsert';
  readonly matchKey: string;
  /**
   * When the state in `record` was true, epoch ms: the out-of-order guard skips this upsert if a newer one
   * for the same entity was applied. Undefined disables the guard for this operation.
   */
  readonly eventTimeMs: number | undefined;
  /** Narrows the guarded entity (field-level change events update independent fields). */
  readonly guardScope?: string;
}

export interface AppendOperation extends OperationBase {
  readonly kind: 'append';
}

export type CdpOperation = UpsertOperation | AppendOperation;

export type MappingResult =
  | { readonly kind: 'operations'; readonly operations: readonly CdpOperation[] }
  /** A provider we map, but an event type we do not: acknowledged and counted, never failed. */
  | { readonly kind: 'unmapped'; readonly reason: string };

/** The event cannot be mapped (e.g. a required field is missing): permanent, the event goes to the DLQ. */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

/** One event type's mapping. Returns the operations to apply (possibly none). */
export type EventMapper = (input: MappingInput) => readonly CdpOperation[];

/** A provider's mappings by event type. */
export interface ProviderMapping {
  readonly eventTypes: Readonly<Record<string, EventMapper>>;
  /**
   * The key into `eventTypes`, for providers whose event type arrives in a header their signature does
   * not cover (Shopify's topic): derived from the signed body instead, so a rewritten header cannot choose
   * the effect. Undefined means unmapped. Without it, the envelope's `eventType` is the key.
   */
  readonly eventTypeOf?: (input: MappingInput) => string | undefined;
}
