/**
 * The processor's outside world, as small interfaces: the queue (visibility and DLQ), the claim-check
 * store, logs and metrics. The Lambda adapter wires AWS implementations; tests wire fakes or wrappers.
 */
import type { EnvelopeBody } from '../shared/envelope';

/** A message attribute as SQS takes it on SendMessage. */
export interface OutgoingAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

export interface QueuePort {
  /** Keeps a failed message invisible for `seconds` from now (its next attempt's delay). */
  changeVisibility(eventSourceArn: string, receiptHandle: string, seconds: number): Promise<void>;
  /** Sends a message to the dead-letter queue. */
  sendToDlq(body: string, attributes: Readonly<Record<string, OutgoingAttribute>>): Promise<void>;
}

/** How {@link BodyStore.retain} found the body. */
export type RetainOutcome = 'inline' | 'restarted' | 'current' | 'missing';

export interface BodyStore {
  /** The event bytes of an envelope (inline or claim check). Throws `ClaimCheckMissingError` when gone. */
  load(body: EnvelopeBody): Promise<Buffer>;
  /**
   * Keeps a claim-checked body readable for as long as a new message pointing to it can exist, by
   * restarting its lifecycle clock (lambdas/shared/claim-check.ts). With `messageSentAtMs` (a message that
   * already exists), only when that message was created well after the body's last write, e.g. by SQS's
   * own redrive task. Never throws for a missing body (`missing`); inline bodies need nothing.
   */
  retain(body: EnvelopeBody, options?: { readonly messageSentAtMs?: number }): Promise<RetainOutcome>;
  /** Deletes a claim-checked body once its event completed (idempotent; inline bodies need nothing). */
  discard(body: EnvelopeBody): Promise<void>;
}

/** The claim-check object no longer exists (expired or deleted): retrying cannot bring it back. */
export class ClaimCheckMissingError extends Error {
  override readonly name = 'ClaimCheckMissingError';
}

/**
 * The EMF metrics: failure and rare paths only. `Processed`, `DuplicateSkipped` and `CdpLatency` are metric
 * filters on the event's log line (lambdas/shared/log-metrics.ts), so a healthy event writes no EMF.
 */
export const PROCESSOR_EMF_METRICS = [
  'StaleSkipped',
  'UnmappedEventType',
  'Failed',
  /** Retried later because a concurrent delivery holds the event or the entity (dimension `class`). */
  'Deferred',
  'DeadLettered',
] as const;

export type ProcessorMetricName = (typeof PROCESSOR_EMF_METRICS)[number];

/**
 * Every dimension takes a bounded set of values: each combination is a custom metric billed per month.
 * The event type is unbounded (providers add types) so it is not a dimension; log lines carry it instead.
 */
export interface MetricDimensions {
  readonly source: string;
  /** Failure class, on `Failed`, `Deferred` and `DeadLettered` only. */
  readonly class?: string;
}

export interface ProcessorMetrics {
  /** Counts. */
  record(name: ProcessorMetricName, dimensions: MetricDimensions, value?: number): void;
}

/** The subset of Powertools' Logger the domain uses. */
export interface ProcessorLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}
