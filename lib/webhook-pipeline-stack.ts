import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { WebhookPipeline } from './webhook-pipeline';

export { PROJECT_ROOT } from './webhook-pipeline';

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
  /** With a custom domain: `https://<domain>/`. */
  customDomainBaseUrl: 'CustomDomainBaseUrl',
  /** With a custom domain: the regional API Gateway domain name DNS must point to (alias or CNAME). */
  customDomainTarget: 'CustomDomainTarget',
  /** With a custom domain: the hosted zone id of that target, for a Route 53 alias record. */
  customDomainHostedZoneId: 'CustomDomainHostedZoneId',
  /** With a custom domain, followed by the source id without dashes: the URL to register. */
  customDomainUrlPrefix: 'CustomDomainUrl',
} as const;

/** CloudFormation output ids allow only letters and digits; source ids may contain dashes. */
export function outputIdFor(prefix: string, sourceId: string): string {
  return `${prefix}${sourceId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/**
 * The whole pipeline in one stack: the {@link WebhookPipeline} construct, termination protection and the
 * outputs the on-call CLI reads. The configuration is validated by the construct.
 */
export class WebhookPipelineStack extends Stack {
  public readonly pipeline: WebhookPipeline;

  constructor(scope: Construct, id: string, props: WebhookPipelineStackProps) {
    super(scope, id, props);
    // Id 'Default' is left out of logical ids: resources keep the ids they had when they were created
    // directly in this stack (test/infra/logical-ids.test.ts).
    this.pipeline = new WebhookPipeline(this, 'Default', { ...props.config, projectRoot: props.projectRoot });
    const config = this.pipeline.config;
    // An explicit StackProps.terminationProtection (applied by super) wins over the configuration.
    if (props.terminationProtection === undefined) this.terminationProtection = config.terminationProtection;
    const secretArnOf = (sourceId: string): string => this.pipeline.sourceSecret(sourceId).secretArn;

    this.output(
      STACK_OUTPUTS.webhookBaseUrl,
      this.pipeline.ingest.webhookBaseUrl,
      'Base URL of the webhook API',
    );
    const domain = this.pipeline.ingest.customDomain;
    if (domain !== undefined) {
      this.output(
        STACK_OUTPUTS.customDomainBaseUrl,
        domain.baseUrl,
        'Base URL of the webhook API on the custom domain',
      );
      this.output(
        STACK_OUTPUTS.customDomainTarget,
        domain.targetDomainName,
        'Point the custom domain here (Route 53 alias A record, or CNAME)',
      );
      this.output(
        STACK_OUTPUTS.customDomainHostedZoneId,
        domain.targetHostedZoneId,
        'Hosted zone id of the custom domain target (for the Route 53 alias)',
      );
    }
    for (const source of config.sources) {
      const customUrl = this.pipeline.customDomainUrl(source.id);
      // Names stay as they were; with a custom domain, the custom-domain URL is the one to register.
      this.output(
        outputIdFor(STACK_OUTPUTS.webhookUrlPrefix, source.id),
        this.pipeline.ingest.webhookUrl(source.id),
        customUrl === undefined
          ? `Register this URL with ${source.provider} (source ${source.id})`
          : `Direct API URL of source ${source.id}; register ${outputIdFor(STACK_OUTPUTS.customDomainUrlPrefix, source.id)} with ${source.provider} instead`,
      );
      if (customUrl !== undefined) {
        this.output(
          outputIdFor(STACK_OUTPUTS.customDomainUrlPrefix, source.id),
          customUrl,
          `Register this URL with ${source.provider} (source ${source.id}); it survives an API replacement`,
        );
      }
      this.output(
        outputIdFor(STACK_OUTPUTS.sourceSecretArnPrefix, source.id),
        secretArnOf(source.id),
        `Secret holding the signing secret(s) of source ${source.id}`,
      );
    }
    this.output(STACK_OUTPUTS.queueUrl, this.pipeline.queues.queue.queueUrl, 'Main queue URL');
    this.output(
      STACK_OUTPUTS.deadLetterQueueUrl,
      this.pipeline.queues.deadLetterQueue.queueUrl,
      'Dead-letter queue URL',
    );
    this.output(
      STACK_OUTPUTS.stateTableName,
      this.pipeline.stateTable.table.tableName,
      'Dedupe / state table name',
    );
    this.output(
      STACK_OUTPUTS.claimCheckBucketName,
      this.pipeline.claimCheck.bucket.bucketName,
      'Claim-check bucket name',
    );
    this.output(
      STACK_OUTPUTS.alarmTopicArn,
      this.pipeline.monitoring.topic.topicArn,
      'SNS topic receiving every alarm',
    );
    this.output(
      STACK_OUTPUTS.dashboardName,
      this.pipeline.monitoring.dashboard.dashboardName,
      'CloudWatch dashboard',
    );
    this.output(
      STACK_OUTPUTS.cdpApiKeySecretArn,
      this.pipeline.secrets.cdpApiKey.secretArn,
      'Secret holding the CDP API key',
    );
    this.output(
      STACK_OUTPUTS.ingestFunctionName,
      this.pipeline.ingest.function.functionName,
      'Ingest function',
    );
    this.output(
      STACK_OUTPUTS.processorFunctionName,
      this.pipeline.processor.function.functionName,
      'Processor function',
    );
  }

  private output(id: string, value: string, description: string): void {
    new CfnOutput(this, id, { value, description });
  }
}
