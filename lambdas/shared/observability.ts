/**
 * Powertools Logger and Metrics for the pipeline's functions, built one way so the ingest and processor
 * share a namespace, key names and local-mode behaviour. Metrics are EMF lines on stdout (no API calls);
 * outside Lambda (`npm start`, tests, benchmarks) `POWERTOOLS_DEV=true` pretty-prints and
 * `POWERTOOLS_METRICS_DISABLED=true` silences them, and nothing needs Lambda's own environment.
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every pipeline metric unless `POWERTOOLS_METRICS_NAMESPACE` overrides it. */
export const METRICS_NAMESPACE = 'WebhookPipeline';

/**
 * Service names: the `service` dimension of metrics and key of log lines. The same names the stack sets in
 * `POWERTOOLS_SERVICE_NAME` (lib/resource-definitions.ts), so local lines look (and weigh) like production's.
 */
export const SERVICE_NAMES = { ingest: 'webhook-ingest', processor: 'webhook-processor' } as const;

export type ServiceName = (typeof SERVICE_NAMES)[keyof typeof SERVICE_NAMES];

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Powertools' keys minus what every line of a function's log group repeats: CloudWatch Logs is billed per
 * byte ingested, and `function_arn`, `function_name`, `function_memory_size` and `sampling_rate` are the
 * same on every line of the group (about 200 bytes a line). Kept: `level`, `message`, `timestamp` (Lambda's
 * JSON log format reads it), `service` (the runbook's queries filter on them), `cold_start` only when true,
 * `xray_trace_id` when tracing is on, and `requestId` (the invocation, as on Lambda's own error and timeout
 * lines) on WARN and ERROR lines only: the success path's one line per request or event is keyed by its
 * dedupe key, and 50 bytes on each of them would be most of what the logs cost.
 */
const WITH_REQUEST_ID: ReadonlySet<string> = new Set(['WARN', 'ERROR', 'CRITICAL']);

export class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        requestId: WITH_REQUEST_ID.has(attributes.logLevel) ? context?.awsRequestId : undefined,
        cold_start: context?.coldStart === true ? true : undefined,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
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
    logger: new Logger({ serviceName, logFormatter: new CompactLogFormatter() }),
    metrics: new Metrics({ namespace, serviceName }),
  };
}
