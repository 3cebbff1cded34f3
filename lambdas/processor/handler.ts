/**
 * Lambda adapter of the processor: SQS batch in, `batchItemFailures` out. Wires AWS clients (module
 * singletons with explicit timeouts, created once per container) and the environment into
 * {@link createProcessor}; all logic lives in `processor.ts` and the modules it takes as dependencies.
 *
 * Environment: STATE_TABLE, CDP_BASE_URL, CDP_API_KEY_SECRET_ID, DLQ_URL, PIPELINE_SOURCES, optional
 * QUEUE_URL (the source queue, used for visibility changes) and MAX_RECEIVE_COUNT.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CdpClient, secretApiKeyProvider } from '../cdp/client';
import { DynamoDedupeStore } from '../dedupe/dedupe-store';
import { DynamoEntityGuard } from '../dedupe/entity-guard';
import {
  createDynamoDocumentClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
  PROCESSOR_TIMEOUTS,
} from '../shared/aws-clients';
import { optionalIntEnv, requireEnv } from '../shared/env';
import { createObservability, SERVICE_NAMES } from '../shared/observability';
import { ENV, QUEUE_DEFAULTS } from '../shared/schema';
import { CachedSecretsManagerSource } from '../shared/secrets';
import { parseSources } from '../shared/source-config';
import { S3BodyStore, SqsQueuePort } from './aws-ports';
import { PowertoolsProcessorMetrics } from './observability';
import { createProcessor } from './processor';

const tableName = requireEnv(ENV.stateTable);
const dynamo = createDynamoDocumentClient(PROCESSOR_TIMEOUTS);
const sqs = createSqsClient(PROCESSOR_TIMEOUTS);
const queueUrl = process.env[ENV.queueUrl];
const { logger, metrics } = createObservability(SERVICE_NAMES.processor);

const processor = createProcessor({
  dedupe: new DynamoDedupeStore(dynamo, tableName),
  guard: new DynamoEntityGuard(dynamo, tableName),
  cdp: new CdpClient({
    baseUrl: requireEnv(ENV.cdpBaseUrl),
    apiKey: secretApiKeyProvider(
      new CachedSecretsManagerSource(createSecretsManagerClient(PROCESSOR_TIMEOUTS)),
      requireEnv(ENV.cdpApiKeySecretId),
    ),
    connectTimeoutMs: PROCESSOR_TIMEOUTS.connectionTimeoutMs,
    requestTimeoutMs: PROCESSOR_TIMEOUTS.requestTimeoutMs,
  }),
  queue: new SqsQueuePort(sqs, requireEnv(ENV.dlqUrl), queueUrl ? [queueUrl] : []),
  bodies: new S3BodyStore(createS3Client(PROCESSOR_TIMEOUTS)),
  sources: parseSources(requireEnv(ENV.sources)),
  logger,
  metrics: new PowertoolsProcessorMetrics(metrics),
  maxReceiveCount: optionalIntEnv(ENV.maxReceiveCount, QUEUE_DEFAULTS.maxReceiveCount),
});

/** The SQS event source mapping must enable `ReportBatchItemFailures`. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  return processor.handleBatch(event, context);
}
