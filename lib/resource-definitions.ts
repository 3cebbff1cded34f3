/**
 * The settings of every stateful resource and of the event source mapping, derived once from the
 * pipeline configuration. The CDK constructs and local mode both read them, so the queues, table and
 * bucket created locally behave like the deployed ones (visibility, redrive, TTL attribute, batching).
 *
 * No AWS CDK import here on purpose: local mode loads this module without the CDK.
 */
import { LOG_METRIC_NAMES } from '../lambdas/shared/log-metrics';
import { QUEUE_DEFAULTS, STATE_TABLE } from '../lambdas/shared/schema';
import type { SourceConfig } from '../lambdas/shared/source-config';
import {
  type PipelineConfig,
  type ResolvedPipelineConfig,
  resolvePipelineConfig,
  type SourceDefinition,
} from './config';

/** CloudWatch namespace and service names of the functions' Powertools metrics. */
export const METRICS = {
  namespace: 'WebhookPipeline',
  ingestService: 'webhook-ingest',
  processorService: 'webhook-processor',
  /**
   * Ingest: one per event durably queued, dimension `source`: proof that a source really delivers. A metric
   * filter on the "Webhook enqueued" line (lambdas/shared/log-metrics.ts), not EMF. There is no `Received`:
   * requests are the front door's count, and `Enqueued` + `Rejected` split them.
   */
  enqueued: LOG_METRIC_NAMES.enqueued,
  /** Ingest: one per refused request, dimensions `source` and `reason` (the JSON `error` code answered). */
  rejected: 'Rejected',
  /**
   * `Rejected` reasons that are not authentication failures (routing, size, IP allowlist, unusable or
   * misconfigured sources): left out of the signature-rejection spike alarm. Codes from lambdas/ingest/ingest.ts.
   */
  nonSignatureRejectReasons: [
    'unknown_source',
    'method_not_allowed',
    'forbidden_ip',
    'payload_too_large',
    'unusable_payload',
    'secret_unavailable',
    'no_active_secret',
    'invalid_secret_config',
  ],
  /**
   * Ingest: one per 5xx answered (the function does not fail, so Lambda `Errors` never counts these),
   * dimensions `source` and `reason` = the JSON `error` code: `secret_unavailable`, `source_misconfigured`,
   * `enqueue_failed`, `dead_letter_failed`, `internal_error`.
   */
  serverErrors: 'ServerErrors',
  /** Processor: one per failed processing attempt (dimension `class` says why). */
  failed: 'Failed',
  /** Processor: one per event written to the CDP. A metric filter on the "Event processed" line. */
  processed: LOG_METRIC_NAMES.processed,
  /** Processor: one per event sent to the DLQ by the code. */
  deadLettered: 'DeadLettered',
} as const;

/** Settings of the resources the pipeline needs; `localName` is only used by local mode (AWS names are generated). */
export interface ResourceDefinitions {
  readonly queue: {
    readonly localName: string;
    readonly visibilityTimeoutSeconds: number;
    readonly retentionSeconds: number;
  };
  readonly deadLetterQueue: {
    readonly localName: string;
    readonly retentionSeconds: number;
    /** Age of the oldest DLQ message that raises an alarm, well before any message can expire. */
    readonly ageAlarmSeconds: number;
    /** Receives of a message on the main queue before SQS moves it here (redrive policy). */
    readonly maxReceiveCount: number;
  };
  readonly stateTable: {
    readonly localName: string;
    readonly partitionKey: typeof STATE_TABLE.partitionKey;
    readonly ttlAttribute: typeof STATE_TABLE.ttlAttribute;
  };
  readonly claimCheckBucket: {
    readonly localName: string;
    readonly expirationDays: number;
    readonly thresholdBytes: number;
  };
  readonly eventSourceMapping: {
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly reportBatchItemFailures: true;
  };
  readonly ingestFunction: { readonly timeoutSeconds: number; readonly memorySizeMb: number };
  readonly processorFunction: { readonly timeoutSeconds: number; readonly memorySizeMb: number };
}

/** Ingest answers providers synchronously; most expect a reply within 5-30 s, so fail well before that. */
const INGEST_TIMEOUT_SECONDS = 10;
/**
 * Memory sizes, chosen from the cost model's measured CPU and modelled waits (bench/results/cost.md, "Compute").
 * The ingest mostly waits on one SQS send: at 256 MB its CPU share halves, adding ~10 ms to a request and
 * saving a third of its GB-seconds. The processor runs a batch's records in parallel on one thread, so its
 * CPU share bounds events/s per unit of concurrency: 512 MB keeps that.
 */
export const INGEST_MEMORY_MB = 256;
export const PROCESSOR_MEMORY_MB = 512;
const SECONDS_PER_DAY = 86_400;

/** Derives the resource settings from a resolved configuration (the form the constructs consume). */
export function resourceDefinitions(
  config: ResolvedPipelineConfig,
  namePrefix = 'webhook-pipeline',
): ResourceDefinitions {
  const q = config.queue;
  return {
    queue: {
      localName: `${namePrefix}-queue`,
      visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
      retentionSeconds: q.mainRetentionDays * SECONDS_PER_DAY,
    },
    deadLetterQueue: {
      localName: `${namePrefix}-dlq`,
      retentionSeconds: q.dlqRetentionDays * SECONDS_PER_DAY,
      ageAlarmSeconds: deadLetterAgeAlarmSeconds(
        q.mainRetentionDays * SECONDS_PER_DAY,
        q.dlqRetentionDays * SECONDS_PER_DAY,
      ),
      maxReceiveCount: q.maxReceiveCount,
    },
    stateTable: {
      localName: `${namePrefix}-state`,
      partitionKey: STATE_TABLE.partitionKey,
      ttlAttribute: STATE_TABLE.ttlAttribute,
    },
    claimCheckBucket: {
      localName: `${namePrefix}-claim-checks`,
      expirationDays: q.claimCheckExpirationDays,
      thresholdBytes: q.claimCheckThresholdBytes,
    },
    eventSourceMapping: {
      batchSize: q.batchSize,
      maxBatchingWindowSeconds: q.maxBatchingWindowSeconds,
      maxConcurrency: q.maxConcurrency,
      reportBatchItemFailures: true,
    },
    ingestFunction: { timeoutSeconds: INGEST_TIMEOUT_SECONDS, memorySizeMb: INGEST_MEMORY_MB },
    processorFunction: { timeoutSeconds: q.processorTimeoutSeconds, memorySizeMb: PROCESSOR_MEMORY_MB },
  };
}

/**
 * Resource settings for local mode, from the operator's raw configuration (validated; throws
 * `PipelineConfigError` listing every problem).
 */
export function localResourceDefinitions(
  config: PipelineConfig,
  namePrefix = 'webhook-pipeline',
): ResourceDefinitions {
  return resourceDefinitions(resolvePipelineConfig(config), namePrefix);
}

/**
 * The runtime view of the sources (the `PIPELINE_SOURCES` value): deployment-only fields dropped, each
 * source's secret id filled in by `secretIdOf` (a secret ARN in AWS, a local secret name locally).
 */
export function runtimeSources(
  sources: readonly SourceDefinition[],
  secretIdOf: (source: SourceDefinition) => string,
): SourceConfig[] {
  return sources.map((source) => {
    const { existingSecretArn: _arn, expectEventsWithinMinutes: _minutes, ...runtime } = source;
    return { ...runtime, secretId: secretIdOf(source) };
  });
}

/**
 * When the DLQ's oldest message raises an alarm. SQS measures a DLQ message's age from its move to the DLQ
 * but expires it by its original enqueue time, and a message may have spent up to the main queue's retention
 * there first: it is only sure to stay `dlq - main` retention in the DLQ. Alarming at half of that leaves
 * at least as much time again to redrive or export it before it expires.
 */
export function deadLetterAgeAlarmSeconds(mainRetentionSeconds: number, dlqRetentionSeconds: number): number {
  return Math.max(60, Math.floor((dlqRetentionSeconds - mainRetentionSeconds) / 2));
}

/** The visibility timeout SQS needs for an event source mapping: 6x the function timeout (AWS guidance). */
export function minimumVisibilityTimeoutSeconds(processorTimeoutSeconds: number): number {
  return processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier;
}
