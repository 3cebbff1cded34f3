/**
 * The package's entry point (`npm run build` compiles it to dist/): the construct, the stack around it and
 * the configuration types and validation they share.
 */
export {
  type AlarmConfig,
  type CdpConfig,
  type CustomDomainConfig,
  type FrontDoor,
  type PipelineConfig,
  PipelineConfigError,
  type QueueOverrides,
  type ResolvedPipelineConfig,
  resolvePipelineConfig,
  type SourceDefinition,
  type ThrottlingConfig,
  validatePipelineConfig,
  type WafConfig,
} from './config';
export { PROJECT_ROOT, WebhookPipeline, type WebhookPipelineProps } from './webhook-pipeline';
export {
  outputIdFor,
  STACK_OUTPUTS,
  WebhookPipelineStack,
  type WebhookPipelineStackProps,
} from './webhook-pipeline-stack';
