/**
 * Lambda adapter of the processor: SQS batch in, `batchItemFailures` out. The dependencies (AWS clients as
 * module singletons with explicit timeouts, created once per container) come from the environment through
 * {@link processorDepsFromEnv}; all logic lives in `processor.ts` and the modules it takes as dependencies.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createObservability, SERVICE_NAMES } from '../shared/observability';
import { withTracing } from '../shared/tracing';
import { processorDepsFromEnv } from './deps';
import { PowertoolsProcessorMetrics } from './observability';
import { createProcessor } from './processor';

const { logger, metrics } = createObservability(SERVICE_NAMES.processor);
const processorMetrics = new PowertoolsProcessorMetrics(metrics);

const processor = createProcessor(processorDepsFromEnv({ logger, metrics: processorMetrics }));

/** The SQS event source mapping must enable `ReportBatchItemFailures`. */
export const handler = withTracing(
  SERVICE_NAMES.processor,
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    try {
      return await processor.handleBatch(event, context);
    } finally {
      // Once per batch: one EMF line per source (and failure class), not one per data point.
      processorMetrics.flush();
    }
  },
);
