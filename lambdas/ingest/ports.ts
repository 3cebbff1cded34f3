/**
 * What the ingest domain needs from the outside world. The Lambda adapter wires AWS implementations
 * (aws-ports.ts); tests wire emulators or fakes.
 */

/** One SQS message to send: `id` is unique within a batch. */
export interface QueueEntry {
  readonly id: string;
  readonly body: string;
  /** String message attributes. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface FailedEntry {
  readonly id: string;
  readonly code: string;
  /** SQS says the request itself was wrong; retried anyway, since the provider would only resend it. */
  readonly senderFault: boolean;
}

/** A queue that takes up to 10 entries per call (SendMessageBatch semantics). */
export interface QueuePort {
  /**
   * Sends one batch (at most 10 entries, at most 1 MiB in total). Resolves with the entries SQS did not
   * accept; rejects when the call as a whole failed (after the SDK's own retries).
   */
  sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]>;
}

/** The encrypted claim-check bucket. */
export interface ClaimCheckStore {
  /** Stores the bytes under `key`; resolves with the bucket name once durable. */
  put(key: string, body: Buffer): Promise<{ readonly bucket: string }>;
}

/** Structured logging (Powertools Logger satisfies it). Attributes never include bodies at info level. */
export interface IngestLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/**
 * The EMF counters: failure and rare paths only. `Enqueued` is a metric filter on the "Webhook enqueued"
 * line (lambdas/shared/log-metrics.ts), so a healthy request writes no EMF line; there is no `Received`
 * (the front door's request count, or `Enqueued` + `Rejected`, say the same).
 * `ServerErrors`: one per 5xx answered, dimensions `source` and `reason` (the JSON `error` code:
 * `secret_unavailable`, `source_misconfigured`, `enqueue_failed`, `dead_letter_failed`, `internal_error`).
 */
export const INGEST_EMF_METRICS = ['Rejected', 'ClaimChecked', 'EnqueueFailed', 'ServerErrors'] as const;

export type IngestMetricName = (typeof INGEST_EMF_METRICS)[number];

/** Counters by source (and by reason for `Rejected` and `ServerErrors`), flushed once per invocation. */
export interface IngestMetrics {
  count(name: IngestMetricName, source: string, value?: number, reason?: string): void;
  /** Writes everything recorded during the invocation. */
  flush(): void;
}
