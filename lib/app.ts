import { App, type AppProps, Aspects, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PipelineConfig } from './config';
import { HouseFunctionChecker } from './constructs/webhook-function';
import { WebhookPipelineStack } from './webhook-pipeline-stack';

export interface CreateAppOptions {
  /** The operator's configuration. */
  readonly config: PipelineConfig;
  /** @default 'WebhookPipeline' */
  readonly stackName?: string;
  /** Passed to `App` (tests set `outdir` and context). @default - CDK CLI defaults */
  readonly appProps?: AppProps;
  /** Repository root. @default the directory above lib/ */
  readonly projectRoot?: string;
}

/**
 * The CDK app: one environment-agnostic stack (no account or region lookups, so `cdk synth` needs no
 * credentials), cdk-nag's AwsSolutions checks and the house-function check over everything.
 */
export function createApp(options: CreateAppOptions): { app: App; stack: WebhookPipelineStack } {
  const app = new App(options.appProps);
  const stack = new WebhookPipelineStack(app, options.stackName ?? 'WebhookPipeline', {
    config: options.config,
    projectRoot: options.projectRoot,
    description:
      'Verified webhook ingestion: API Gateway -> ingest -> SQS -> processor -> CDP, with DLQ and alarms',
  });
  Tags.of(stack).add('app', 'webhook-pipeline');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  Aspects.of(app).add(new HouseFunctionChecker());
  return { app, stack };
}
