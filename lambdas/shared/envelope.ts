/**
 * The queue message contract between ingest, processor, the DLQ and the on-call CLI. Versioned: a
 * processor must accept every version still possibly in flight (queue retention + DLQ retention).
 */
import type { ProviderId } from '../providers/types';

export const ENVELOPE_VERSION = 1 as const;

/** Where the event bytes live. */
export type EnvelopeBody =
  /** Inline: the event bytes, base64 so that any byte sequence survives SQS's character rules. */
  | { readonly kind: 'inline'; readonly base64: string }
  /** Claim check: the bytes are in the encrypted claim-check bucket. */
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string; readonly sizeBytes: number };

export interface QueueEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly sourceId: string;
  readonly provider: ProviderId;
  /** `<sourceId>:<providerEventId>`, or `<sourceId>:sha256:<hex>` when the provider gives no id. */
  readonly dedupeKey: string;
  readonly providerEventId: string | undefined;
  readonly eventType: string;
  /** ISO-8601, when the provider says the event happened. */
  readonly occurredAt: string | undefined;
  /** ISO-8601, when the ingest Lambda accepted the request. */
  readonly receivedAt: string;
  /** Allowlisted request headers (lower-case names), for mapping and debugging; never signature headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: EnvelopeBody;
}

/** SQS message attribute names on every queued event, for the on-call tools' filters. */
export const MESSAGE_ATTRIBUTES = {
  sourceId: 'sourceId',
  provider: 'provider',
  eventType: 'eventType',
  dedupeKey: 'dedupeKey',
} as const;

/**
 * Extra SQS message attributes on a message sent to the DLQ by our code (ingest: unusable payload;
 * processor: permanent failure). Messages moved by SQS after `maxReceiveCount` carry none of these: the
 * processor's logs and the dedupe record say why (`lastError`).
 */
export const FAILURE_ATTRIBUTES = {
  /** Stable class: `unusable_payload`, `cdp_rejected`, `mapping_failed`, `malformed_envelope`, … */
  failureClass: 'failureClass',
  /** HTTP status from the CDP when there was one. */
  failureStatus: 'failureStatus',
  /** Short human message, at most 256 characters, never secrets. */
  failureMessage: 'failureMessage',
  /** Delivery attempts made before giving up. */
  attempts: 'attempts',
  /** ISO-8601 time of the failure. */
  failedAt: 'failedAt',
  /** `ingest` or `processor`. */
  failedBy: 'failedBy',
} as const;

export type FailureClass =
  | 'unusable_payload'
  | 'malformed_envelope'
  | 'unknown_source'
  | 'mapping_failed'
  | 'cdp_rejected'
  | 'claim_check_missing';

export function isQueueEnvelope(value: unknown): value is QueueEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<QueueEnvelope>;
  return (
    v.v === ENVELOPE_VERSION &&
    typeof v.sourceId === 'string' &&
    typeof v.dedupeKey === 'string' &&
    typeof v.eventType === 'string' &&
    typeof v.receivedAt === 'string' &&
    typeof v.body === 'object' &&
    v.body !== null &&
    (v.body.kind === 'inline' || v.body.kind === 's3')
  );
}
