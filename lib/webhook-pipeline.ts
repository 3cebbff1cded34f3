import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type PipelineConfig, type ResolvedPipelineConfig, resolvePipelineConfig } from './config';
import { ClaimCheckBucket } from './constructs/claim-check-bucket';
import { PipelineMonitoring } from './constructs/pipeline-monitoring';
import { PipelineQueues } from './constructs/pipeline-queues';
import { PipelineSecrets } from './constructs/pipeline-secrets';
import { StateTable } from './constructs/state-table';
import { WebhookIngest } from './constructs/webhook-ingest';
import { WebhookProcessor } from './constructs/webhook-processor';
import { METRICS, resourceDefinitions, runtimeSources } from './resource-definitions';

/** Repository root, found from this file's location (never from the working directory). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/**
 * The pipeline's settings: every field of {@link PipelineConfig} (each documents its `@default`) except
 * `terminationProtection`, a property of the stack the construct is placed in (`StackProps`).
 */
export interface WebhookPipelineProps extends Omit<PipelineConfig, 'terminationProtection'> {
  /** Directory holding `lambdas/` and package-lock.json. @default the directory above lib/ */
  readonly projectRoot?: string;
}

/**
 * The whole webhook pipeline as one construct to place in any stack: API -> ingest -> SQS -> processor ->
 * CDP, with the dedupe table, claim-check bucket, secrets, DLQ and alarms. The props are validated in the
 * constructor and every problem is listed at once (`PipelineConfigError`).
 *
 * Logical ids include the construct path. `WebhookPipelineStack` places it with the id `Default`, which
 * CDK leaves out of logical ids, so stacks deployed before this construct existed keep every resource
 * (test/infra/logical-ids.test.ts). Another stack may use any id; keep it once deployed.
 */
export class WebhookPipeline extends Construct {
  /** The validated props with every default applied. */
  public readonly config: ResolvedPipelineConfig;
  public readonly queues: PipelineQueues;
  public readonly stateTable: StateTable;
  public readonly claimCheck: ClaimCheckBucket;
  public readonly secrets: PipelineSecrets;
  public readonly ingest: WebhookIngest;
  public readonly processor: WebhookProcessor;
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: WebhookPipelineProps) {
    super(scope, id);
    // A stack pinned to a region lets the validator check the certificate's region at synth time.
    const region = Stack.of(this).region;
    const config = resolvePipelineConfig(props, Token.isUnresolved(region) ? {} : { region });
    this.config = config;
    const defs = resourceDefinitions(config);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const dataRemoval = config.retainDataOnDelete ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.queues = new PipelineQueues(this, 'Queues', {
      consumerTimeout: Duration.seconds(defs.processorFunction.timeoutSeconds),
      visibilityTimeout: Duration.seconds(defs.queue.visibilityTimeoutSeconds),
      maxReceiveCount: defs.deadLetterQueue.maxReceiveCount,
      retentionPeriod: Duration.seconds(defs.queue.retentionSeconds),
      deadLetterRetentionPeriod: Duration.seconds(defs.deadLetterQueue.retentionSeconds),
    });
    this.stateTable = new StateTable(this, 'State', { removalPolicy: dataRemoval });
    this.claimCheck = new ClaimCheckBucket(this, 'ClaimCheck', {
      expiration: Duration.days(defs.claimCheckBucket.expirationDays),
      removalPolicy: dataRemoval,
    });
    this.secrets = new PipelineSecrets(this, 'Secrets', {
      sources: config.sources.map((s) => ({ sourceId: s.id, existingSecretArn: s.existingSecretArn })),
      existingCdpApiKeySecretArn: config.cdp.existingApiKeySecretArn,
      removalPolicy: dataRemoval,
    });
    const sourcesJson = Stack.of(this).toJsonString(
      runtimeSources(config.sources, (s) => this.sourceSecret(s.id).secretArn),
    );

    this.ingest = new WebhookIngest(this, 'Ingest', {
      entry: `${projectRoot}/lambdas/ingest/handler.ts`,
      projectRoot,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      claimCheckBucket: this.claimCheck.bucket,
      claimCheckThresholdBytes: defs.claimCheckBucket.thresholdBytes,
      sourcesJson,
      sourceSecrets: this.secrets.allSourceSecrets,
      sourceIds: config.sources.map((s) => s.id),
      frontDoor: config.frontDoor,
      customDomain: config.customDomain,
      throttleRateLimit: config.throttling.rateLimit,
      throttleBurstLimit: config.throttling.burstLimit,
      wafRateLimitPer5Minutes: config.waf?.rateLimitPer5Minutes,
      wafAllowedCidrs: config.waf?.allowedCidrs,
      timeout: Duration.seconds(defs.ingestFunction.timeoutSeconds),
      memorySize: defs.ingestFunction.memorySizeMb,
      logRetention,
      metricsNamespace: METRICS.namespace,
      serviceName: METRICS.ingestService,
      tracing: config.tracing,
    });
    this.processor = new WebhookProcessor(this, 'Processor', {
      entry: `${projectRoot}/lambdas/processor/handler.ts`,
      projectRoot,
      queues: this.queues,
      table: this.stateTable.table,
      claimCheckBucket: this.claimCheck.bucket,
      cdpApiKey: this.secrets.cdpApiKey,
      cdpBaseUrl: config.cdp.baseUrl,
      sourcesJson,
      timeout: Duration.seconds(defs.processorFunction.timeoutSeconds),
      memorySize: defs.processorFunction.memorySizeMb,
      batchSize: defs.eventSourceMapping.batchSize,
      maxBatchingWindow: Duration.seconds(defs.eventSourceMapping.maxBatchingWindowSeconds),
      maxConcurrency: defs.eventSourceMapping.maxConcurrency,
      logRetention,
      metricsNamespace: METRICS.namespace,
      serviceName: METRICS.processorService,
      tracing: config.tracing,
    });
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
      processorFunction: this.processor.function,
      apiServerErrors: this.ingest.metricServerErrors({ period: Duration.minutes(5) }),
      apiRequests: this.ingest.metricRequests({ period: Duration.minutes(5) }),
      metricsNamespace: METRICS.namespace,
      email: config.alarms.email,
      oldestMessageAgeSeconds: config.alarms.oldestMessageAgeSeconds,
      deadLetterAgeAlarmSeconds: defs.deadLetterQueue.ageAlarmSeconds,
      rejectionsPer5Minutes: config.alarms.rejectionsPer5Minutes,
      cdpFailuresPer5Minutes: config.alarms.cdpFailuresPer5Minutes,
      api5xxPer5Minutes: config.alarms.api5xxPer5Minutes,
      watchedSources: config.sources.flatMap((s) =>
        s.expectEventsWithinMinutes === undefined
          ? []
          : [{ sourceId: s.id, expectEventsWithinMinutes: s.expectEventsWithinMinutes }],
      ),
    });
  }

  /** The main queue the ingest writes to and the processor reads. */
  public get queue(): sqs.IQueue {
    return this.queues.queue;
  }

  /** The dead-letter queue: events that could not be applied, with their reason. */
  public get deadLetterQueue(): sqs.IQueue {
    return this.queues.deadLetterQueue;
  }

  /** The dedupe / state table. */
  public get table(): dynamodb.ITable {
    return this.stateTable.table;
  }

  /** The claim-check bucket holding bodies too large for SQS. */
  public get claimCheckBucket(): s3.IBucket {
    return this.claimCheck.bucket;
  }

  /** The SNS topic every alarm notifies. */
  public get alarmTopic(): sns.ITopic {
    return this.monitoring.topic;
  }

  /** The ingest function behind the API. */
  public get ingestFunction(): lambda.IFunction {
    return this.ingest.function;
  }

  /** The processor function fed by the queue. */
  public get processorFunction(): lambda.IFunction {
    return this.processor.function;
  }

  /** The secret holding the CDP API key. */
  public get cdpApiKeySecret(): secretsmanager.ISecret {
    return this.secrets.cdpApiKey;
  }

  /** Base URL of the webhook API (`…/webhooks/<sourceId>` below it). */
  public get webhookBaseUrl(): string {
    return this.ingest.webhookBaseUrl;
  }

  /** The execute-api (or Function URL) URL of `sourceId`; register {@link customDomainUrl} when there is one. */
  public webhookUrl(sourceId: string): string {
    return this.ingest.webhookUrl(sourceId);
  }

  /** The custom-domain URL of `sourceId` (what survives an API replacement); undefined without `customDomain`. */
  public customDomainUrl(sourceId: string): string | undefined {
    return this.ingest.customDomainUrl(sourceId);
  }

  /** The secret holding the signing secret(s) of `sourceId`. */
  public sourceSecret(sourceId: string): secretsmanager.ISecret {
    const secret = this.secrets.sourceSecrets.get(sourceId);
    if (secret === undefined) throw new Error(`No source ${sourceId} in this WebhookPipeline`);
    return secret;
  }
}
