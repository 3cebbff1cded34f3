/**
 * Powertools Logger and Metrics for the pipeline's functions, built one way so the ingest and processor
 * share a namespace, key names and local-mode behaviour. Metrics are EMF lines on stdout (no API calls);
 * outside Lambda (`npm start`, tests, benchmarks) `POWERTOOLS_DEV=true` pretty-prints and
 * `POWERTOOLS_METRICS_DISABLED=true` silences them, and nothing needs Lambda's own environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every pipeline metric unless `POWERTOOLS_METRICS_NAMESPACE` overrides it. */
export const METRICS_NAMESPACE = 'WebhookPipeline';

/** Service names: the `service` dimension of metrics and key of log lines. */
export const SERVICE_NAMES = { ingest: 'ingest', processor: 'processor' } as const;

export type ServiceName = (typeof SERVICE_NAMES)[keyof typeof SERVICE_NAMES];

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * One Logger and one Metrics per function container. Environment overrides (`POWERTOOLS_SERVICE_NAME`,
 * `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`, …) still apply, so operators can retune without a
 * code change.
 */
export function createObservability(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): Observability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? service;
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace, serviceName }),
  };
}
