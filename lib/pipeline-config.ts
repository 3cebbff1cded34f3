/**
 * The sources this deployment receives webhooks from, and the stages (environments) it is deployed as.
 * Edit this file to add, remove or tune sources; `cdk deploy` and `npm start` (local mode) both read
 * `pipelineConfig`. Secret values never go here.
 */
import type { PipelineConfig, StageDefinition } from './config';

export const pipelineConfig: PipelineConfig = {
  cdp: { baseUrl: 'https://api.example-cdp.com/public/v1' },
  sources: [
    { id: 'stripe', provider: 'stripe', dedupeTtlHours: 96 },
    { id: 'shopify', provider: 'shopify', dedupeTtlHours: 96 },
    { id: 'github', provider: 'github' },
    { id: 'hubspot', provider: 'hubspot' },
    { id: 'segment', provider: 'segment' },
    { id: 'klaviyo', provider: 'klaviyo' },
    { id: 'slack', provider: 'slack' },
    { id: 'twilio', provider: 'twilio' },
    { id: 'sendgrid', provider: 'sendgrid' },
    { id: 'svix', provider: 'standard-webhooks' },
  ],
};

/** The stage `npx cdk synth|deploy` uses without `-c stage=<name>`. */
export const DEFAULT_STAGE = 'prod';

/**
 * Stages, chosen with `-c stage=<name>`; each config is validated like `pipelineConfig`. `prod` keeps the
 * stack name deployments had before stages existed (`WebhookPipeline`): renaming it would create a second
 * stack with new URLs and an empty state table. Give other stages their own secrets and custom domains.
 */
export const stages: Readonly<Record<string, StageDefinition>> = {
  prod: { stackName: 'WebhookPipeline', production: true, config: pipelineConfig },
  dev: {
    stackName: 'WebhookPipeline-dev',
    production: false,
    config: { ...pipelineConfig, retainDataOnDelete: false, logRetentionDays: 7 },
  },
};
