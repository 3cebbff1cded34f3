import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
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

export interface WebhookPipelineStackProps extends StackProps {
  /** The operator's configuration (lib/pipeline-config.ts); validated in the constructor. */
  readonly config: PipelineConfig;
  /** Repository root holding `lambdas/` and package-lock.json. @default the directory above lib/ */
  readonly projectRoot?: string;
}

/** Names of the stack-level outputs the on-call CLI reads. */
export const STACK_OUTPUTS = {
  webhookBaseUrl: 'WebhookBaseUrl',
  queueUrl: 'QueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  stateTableName: 'StateTableName',
  claimCheckBucketName: 'ClaimCheckBucketName',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
  cdpApiKeySecretArn: 'CdpApiKeySecretArn',
  ingestFunctionName: 'IngestFunctionName',
  processorFunctionName: 'ProcessorFunctionName',
  /** Followed by the source id without dashes, e.g. `WebhookUrlstripe`. */
  webhookUrlPrefix: 'WebhookUrl',
  /** Followed by the source id without dashes. */
  sourceSecretArnPrefix: 'SecretArn',
} as const;

/** CloudFormation output ids allow only letters and digits; source ids may contain dashes. */
export function outputIdFor(prefix: string, sourceId: string): string {
  return `${prefix}${sourceId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/**
 * The whole pipeline in one stack: composition and outputs only. Each construct owns its secure defaults
 * and rejects bad combinations; this class wires them from the validated configuration.
 */
export class WebhookPipelineStack extends Stack {
  public readonly config: ResolvedPipelineConfig;
  public readonly queues: PipelineQueues;
  public readonly stateTable: StateTable;
  public readonly claimCheck: ClaimCheckBucket;
  public readonly secrets: PipelineSecrets;
  public readonly ingest: WebhookIngest;
  public readonly processor: WebhookProcessor;
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: WebhookPipelineStackProps) {
    super(scope, id, props);
    const config = resolvePipelineConfig(props.config);
    this.config = config;
    // An explicit StackProps.terminationProtection (applied by super) wins over the configuration.
    if (props.terminationProtection === undefined) this.terminationProtection = config.terminationProtection;
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
    const secretArnOf = (sourceId: string): string => {
      const secret = this.secrets.sourceSecrets.get(sourceId);
      if (secret === undefined) throw new Error(`No secret for source ${sourceId}`);
      return secret.secretArn;
    };
    const sourcesJson = this.toJsonString(runtimeSources(config.sources, (s) => secretArnOf(s.id)));

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
      throttleRateLimit: config.throttling.rateLimit,
      throttleBurstLimit: config.throttling.burstLimit,
      wafRateLimitPer5Minutes: config.waf?.rateLimitPer5Minutes,
      wafAllowedCidrs: config.waf?.allowedCidrs,
      timeout: Duration.seconds(defs.ingestFunction.timeoutSeconds),
      memorySize: defs.ingestFunction.memorySizeMb,
      logRetention,
      metricsNamespace: METRICS.namespace,
      serviceName: METRICS.ingestService,
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

    this.output(STACK_OUTPUTS.webhookBaseUrl, this.ingest.webhookBaseUrl, 'Base URL of the webhook API');
    for (const source of config.sources) {
      this.output(
        outputIdFor(STACK_OUTPUTS.webhookUrlPrefix, source.id),
        this.ingest.webhookUrl(source.id),
        `Register this URL with ${source.provider} (source ${source.id})`,
      );
      this.output(
        outputIdFor(STACK_OUTPUTS.sourceSecretArnPrefix, source.id),
        secretArnOf(source.id),
        `Secret holding the signing secret(s) of source ${source.id}`,
      );
    }
    this.output(STACK_OUTPUTS.queueUrl, this.queues.queue.queueUrl, 'Main queue URL');
    this.output(
      STACK_OUTPUTS.deadLetterQueueUrl,
      this.queues.deadLetterQueue.queueUrl,
      'Dead-letter queue URL',
    );
    this.output(STACK_OUTPUTS.stateTableName, this.stateTable.table.tableName, 'Dedupe / state table name');
    this.output(
      STACK_OUTPUTS.claimCheckBucketName,
      this.claimCheck.bucket.bucketName,
      'Claim-check bucket name',
    );
    this.output(
      STACK_OUTPUTS.alarmTopicArn,
      this.monitoring.topic.topicArn,
      'SNS topic receiving every alarm',
    );
    this.output(STACK_OUTPUTS.dashboardName, this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    this.output(
      STACK_OUTPUTS.cdpApiKeySecretArn,
      this.secrets.cdpApiKey.secretArn,
      'Secret holding the CDP API key',
    );
    this.output(STACK_OUTPUTS.ingestFunctionName, this.ingest.function.functionName, 'Ingest function');
    this.output(
      STACK_OUTPUTS.processorFunctionName,
      this.processor.function.functionName,
      'Processor function',
    );
  }

  private output(id: string, value: string, description: string): void {
    new CfnOutput(this, id, { value, description });
  }
}
