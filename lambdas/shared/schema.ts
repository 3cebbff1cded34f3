/**
 * Names and settings shared by the code, the CDK constructs and local mode, so the table the code
 * writes and the table the stack creates can never disagree (e.g. the TTL attribute name).
 */

/** The single DynamoDB table: dedupe records and per-entity last-applied times. */
export const STATE_TABLE = {
  partitionKey: 'pk',
  /** Epoch seconds; DynamoDB TTL deletes lazily (up to ~48 h late), so every read also checks it. */
  ttlAttribute: 'expiresAt',
} as const;

/** Partition key prefixes in the state table. */
export const KEY_PREFIX = {
  /** Dedupe record of one event: `evt#<dedupeKey>`. */
  event: 'evt#',
  /** Out-of-order guard of one CDP entity: `ent#<sourceId>#<object>#<matchKeyValue>`. */
  entity: 'ent#',
} as const;

export type DedupeStatus = 'IN_PROGRESS' | 'COMPLETED';

/**
 * What the mappings read of a delivery besides the event's bytes. Pinned by the first claim of an event, so
 * a provider's redelivery (new envelope, new `receivedAt`) maps to byte-identical CDP operations.
 */
export interface DeliveryContext {
  readonly receivedAt: string;
  readonly occurredAt?: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The dedupe record as stored (also read by `webhooks events get`). */
export interface DedupeRecord {
  readonly pk: string;
  readonly status: DedupeStatus;
  /** Epoch ms until which an IN_PROGRESS claim is held; after it, another delivery may take over. */
  readonly leaseExpiresAtMs?: number;
  /** Epoch seconds, TTL attribute. */
  readonly expiresAt: number;
  readonly attempts: number;
  readonly firstSeenAt: string;
  readonly updatedAt: string;
  readonly completedAt?: string;
  /** Idempotency keys of CDP operations already applied, so a half-done event resumes where it stopped. */
  readonly appliedOperations?: readonly string[];
  /** Last retryable error, for on-call inspection. */
  readonly lastError?: string;
  /** The first claim's delivery context (see {@link DeliveryContext}). */
  readonly firstDelivery?: DeliveryContext;
}

/** Queue and event-source-mapping defaults, used by the CDK stack and by local mode's poller. */
export const QUEUE_DEFAULTS = {
  processorTimeoutSeconds: 30,
  /** SQS visibility must be at least 6x the function timeout (AWS guidance for event source mappings). */
  visibilityTimeoutMultiplier: 6,
  /**
   * Receives before SQS moves a message to the DLQ. With the processor's backoff (lambdas/processor/backoff.ts)
   * the last receive comes 2.4-3.4 h after the first failure, so a CDP outage of up to 2 hours heals by itself.
   */
  maxReceiveCount: 12,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  maxConcurrency: 5,
  /**
   * Longer than the longest retry span (every receive may hold a message up to SQS's 12 h visibility limit
   * when the CDP answers a long `Retry-After`): 12 receives x 12 h = 6 days, plus a day of backlog.
   */
  mainRetentionDays: 7,
  /** Longer than the main queue: a standard queue's DLQ keeps the original enqueue timestamp. */
  dlqRetentionDays: 14,
  /** Inline bodies above this go to S3 (SQS's own limit is 1 MiB for the whole message). */
  claimCheckThresholdBytes: 256 * 1024,
} as const;

/** Environment variable names (names and ARNs only, never secret values). */
export const ENV = {
  sources: 'PIPELINE_SOURCES',
  queueUrl: 'QUEUE_URL',
  dlqUrl: 'DLQ_URL',
  claimCheckBucket: 'CLAIM_CHECK_BUCKET',
  stateTable: 'STATE_TABLE',
  cdpBaseUrl: 'CDP_BASE_URL',
  cdpApiKeySecretId: 'CDP_API_KEY_SECRET_ID',
  claimCheckThresholdBytes: 'CLAIM_CHECK_THRESHOLD_BYTES',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  /** The main queue's visibility timeout: bounds how long ago a message was received (backoff ceiling). */
  visibilityTimeoutSeconds: 'VISIBILITY_TIMEOUT_SECONDS',
  /** Main queue and DLQ retention, seconds: how long a dedupe record of an unfinished event must live. */
  queueRetentionSeconds: 'QUEUE_RETENTION_SECONDS',
  dlqRetentionSeconds: 'DLQ_RETENTION_SECONDS',
} as const;
