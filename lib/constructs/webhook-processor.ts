import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PROCESSOR_LOG_METRICS } from '../../lambdas/shared/log-metrics';
import { ENV, QUEUE_DEFAULTS } from '../../lambdas/shared/schema';
import { minimumVisibilityTimeoutSeconds } from '../resource-definitions';
import type { PipelineQueues } from './pipeline-queues';
import { WebhookFunction } from './webhook-function';

export interface WebhookProcessorProps {
  /** Absolute path of the processor handler entry file. */
  readonly entry: string;
  /** Absolute path of the repository root. */
  readonly projectRoot: string;
  /** The main queue (consumed) and the DLQ (sent to on permanent failures). */
  readonly queues: PipelineQueues;
  /** The dedupe / entity-guard table. */
  readonly table: dynamodb.ITable;
  /** Claim-check bucket the processor reads large bodies from, keeps them alive in and deletes them from. */
  readonly claimCheckBucket: s3.IBucket;
  /** Secret holding the CDP API key. */
  readonly cdpApiKey: secretsmanager.ISecret;
  /** Base URL of the CDP records API. */
  readonly cdpBaseUrl: string;
  /** The `PIPELINE_SOURCES` value (JSON). */
  readonly sourcesJson: string;
  /** Function timeout; the queue's visibility timeout must be at least 6x it. @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Function memory in MB. @default 512 */
  readonly memorySize?: number;
  /** Records per invocation. @default 10 */
  readonly batchSize?: number;
  /** How long to gather records before invoking. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** Most concurrent invocations the event source mapping makes: protects the CDP's rate limit. @default 5 */
  readonly maxConcurrency?: number;
  /** Retention of the function's log group. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** X-Ray active tracing with Powertools Tracer (see `WebhookFunctionProps.tracing`). @default false */
  readonly tracing?: boolean;
  /** Namespace of the processor's metrics (EMF and metric filters). */
  readonly metricsNamespace: string;
  /** Powertools service name: the `service` key of log lines and dimension of metrics. */
  readonly serviceName: string;
}

/**
 * The processor function and its SQS event source mapping with `ReportBatchItemFailures` (a failed record
 * is retried alone, not its whole batch). No `retryAttempts`: it only applies to asynchronous invokes;
 * SQS redrive (`maxReceiveCount`) bounds the retries here.
 */
export class WebhookProcessor extends Construct {
  public readonly function: WebhookFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: WebhookProcessorProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(QUEUE_DEFAULTS.processorTimeoutSeconds);
    const minVisibility = minimumVisibilityTimeoutSeconds(timeout.toSeconds());
    if (props.queues.visibilityTimeout.toSeconds() < minVisibility) {
      throw new Error(
        `${id}: the queue's visibility timeout (${props.queues.visibilityTimeout.toSeconds()} s) must be at least 6x the processor timeout (${minVisibility} s)`,
      );
    }
    const batchSize = props.batchSize ?? QUEUE_DEFAULTS.batchSize;
    const window = props.maxBatchingWindow ?? Duration.seconds(QUEUE_DEFAULTS.maxBatchingWindowSeconds);
    const maxConcurrency = props.maxConcurrency ?? QUEUE_DEFAULTS.maxConcurrency;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new Error(`${id}: batchSize must be a whole number between 1 and 10000`);
    }
    if (batchSize > 10 && window.toSeconds() < 1) {
      throw new Error(`${id}: batchSize above 10 requires a maxBatchingWindow of at least 1 second`);
    }
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      throw new Error(`${id}: maxConcurrency must be a whole number between 2 and 1000`);
    }

    this.function = new WebhookFunction(this, 'Function', {
      entry: props.entry,
      projectRoot: props.projectRoot,
      description: 'Dedupes queued webhook events, maps them and writes them to the CDP',
      timeout,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      serviceName: props.serviceName,
      metricsNamespace: props.metricsNamespace,
      tracing: props.tracing,
      metricFilters: PROCESSOR_LOG_METRICS,
      environment: {
        [ENV.sources]: props.sourcesJson,
        [ENV.cdpBaseUrl]: props.cdpBaseUrl,
        [ENV.maxReceiveCount]: String(props.queues.maxReceiveCount),
        // Bounds the longest retry delay SQS accepts (12 h counted from the receive).
        [ENV.visibilityTimeoutSeconds]: String(props.queues.visibilityTimeout.toSeconds()),
        // How long a message can still carry an unfinished event: its dedupe record must live that long.
        [ENV.queueRetentionSeconds]: String(props.queues.retentionPeriod.toSeconds()),
        [ENV.dlqRetentionSeconds]: String(props.queues.deadLetterRetentionPeriod.toSeconds()),
        // The source queue's URL lets the processor set each failed record's next-attempt delay.
        [ENV.queueUrl]: props.queues.queue.queueUrl,
      },
    })
      .bindTable(ENV.stateTable, props.table, 'readWrite')
      .bindQueue(ENV.dlqUrl, props.queues.deadLetterQueue, 'send')
      .bindSecret(ENV.cdpApiKeySecretId, props.cdpApiKey)
      // Read bodies, restart their lifecycle clock when dead-lettering (a copy onto itself), delete them
      // once their event completed.
      .grantBucket(props.claimCheckBucket, 'get', 'put', 'delete');

    this.eventSource = new SqsEventSource(props.queues.queue, {
      batchSize,
      maxBatchingWindow: window.toSeconds() > 0 ? window : undefined,
      maxConcurrency,
      reportBatchItemFailures: true,
    });
    // Grants receive, delete and ChangeMessageVisibility on the main queue (used for per-record backoff).
    this.function.addEventSource(this.eventSource);
  }
}
