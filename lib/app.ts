import { App, type AppProps, Aspects, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type PipelineConfig, STAGE_CONTEXT_KEY, type StageDefinition, selectStage } from './config';
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

const APP_TAG = { key: 'app', value: 'webhook-pipeline' } as const;

/** One pipeline stack in `app`, tagged; the construct validates `config`. */
export function addPipelineStack(
  app: App,
  stackName: string,
  config: PipelineConfig,
  projectRoot?: string,
): WebhookPipelineStack {
  const stack = new WebhookPipelineStack(app, stackName, {
    config,
    projectRoot,
    description:
      'Verified webhook ingestion: API Gateway -> ingest -> SQS -> processor -> CDP, with DLQ and alarms',
    // Explicit stack tag: with the recommended @aws-cdk/core:explicitStackTags flag, tags added through
    // Tags.of(stack) reach the resources only, and the deployed stack would lose the tag it always had.
    tags: { [APP_TAG.key]: APP_TAG.value },
  });
  Tags.of(stack).add(APP_TAG.key, APP_TAG.value);
  return stack;
}

/** cdk-nag's AwsSolutions checks and the house-function check over everything in `app`. */
function addChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  Aspects.of(app).add(new HouseFunctionChecker());
}

/**
 * The CDK app: one environment-agnostic stack (no account or region lookups, so `cdk synth` needs no
 * credentials), cdk-nag's AwsSolutions checks and the house-function check over everything.
 */
export function createApp(options: CreateAppOptions): { app: App; stack: WebhookPipelineStack } {
  const app = new App(options.appProps);
  const stack = addPipelineStack(
    app,
    options.stackName ?? 'WebhookPipeline',
    options.config,
    options.projectRoot,
  );
  addChecks(app);
  return { app, stack };
}

export interface CreateStageAppOptions {
  /** The declared stages (lib/pipeline-config.ts). */
  readonly stages: Readonly<Record<string, StageDefinition>>;
  /** The stage used when the context names none. */
  readonly defaultStage: string;
  /** Passed to `App`; the CLI's `-c stage=<name>` arrives through it. @default - CDK CLI defaults */
  readonly appProps?: AppProps;
  /** Repository root. @default the directory above lib/ */
  readonly projectRoot?: string;
}

/**
 * The CDK app of one stage, chosen by the `stage` context value (`npx cdk deploy -c stage=dev`), else
 * `defaultStage`. An unknown stage throws `PipelineConfigError` listing the declared ones.
 */
export function createStageApp(options: CreateStageAppOptions): {
  app: App;
  stack: WebhookPipelineStack;
  stageName: string;
} {
  const app = new App(options.appProps);
  const requested: unknown = app.node.tryGetContext(STAGE_CONTEXT_KEY);
  const stage = selectStage(
    options.stages,
    requested === undefined ? options.defaultStage : String(requested),
  );
  const stack = addPipelineStack(app, stage.stackName, stage.config, options.projectRoot);
  addChecks(app);
  return { app, stack, stageName: stage.name };
}
