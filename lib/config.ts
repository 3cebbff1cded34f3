/**
 * The pipeline's typed configuration: declared once (lib/pipeline-config.ts), validated here, used by
 * the CDK app (bin/app.ts) and by local mode (local/start.ts). Non-secret data only: secret values live
 * in Secrets Manager.
 */
import type { SourceConfig } from '../lambdas/shared/source-config';

/** A webhook source as declared by the operator. */
export interface SourceDefinition extends Omit<SourceConfig, 'secretId'> {
  /**
   * ARN of an existing Secrets Manager secret with the source's signing secret(s). When unset, the stack
   * creates an empty secret per source; put the value after the first deploy (see README, Deploy).
   */
  readonly existingSecretArn?: string;
  /** Raise an alarm when no webhook arrives from this source for this many minutes (missing data breaches). */
  readonly expectEventsWithinMinutes?: number;
}

export interface CdpConfig {
  /** Base URL of the CDP records API, e.g. `https://api.example-cdp.com/public/v1`. */
  readonly baseUrl: string;
  /** ARN of an existing secret holding the CDP API key; the stack creates one when unset. */
  readonly existingApiKeySecretArn?: string;
}

export interface PipelineConfig {
  readonly sources: readonly SourceDefinition[];
  readonly cdp: CdpConfig;
}
