/**
 * The processor's production dependencies, built from the environment: AWS clients with the processor's
 * explicit timeouts, the dedupe store and entity guard on the state table, the CDP client with its key from
 * Secrets Manager, the queues, the claim-check store and the sources. One place, so the Lambda handler and
 * the chaos/drill runs (which swap in fault injectors and counters) run the same wiring.
 *
 * Environment: STATE_TABLE, CDP_BASE_URL, CDP_API_KEY_SECRET_ID, DLQ_URL, PIPELINE_SOURCES, optional
 * QUEUE_URL (the source queue, used for visibility changes), MAX_RECEIVE_COUNT,
 * VISIBILITY_TIMEOUT_SECONDS (the queue's, which bounds the longest delay SQS accepts), and
 * QUEUE_RETENTION_SECONDS and DLQ_RETENTION_SECONDS (the queues' retentions as the stack set them: how
 * long the dedupe record of an unfinished event must live; defaults from QUEUE_DEFAULTS).
 */
import { CdpClient, secretApiKeyProvider } from '../cdp/client';
import { DynamoDedupeStore, incompleteRecordRetentionSeconds } from '../dedupe/dedupe-store';
import { DynamoEntityGuard } from '../dedupe/entity-guard';
import {
  createSecretsManagerClient,
  createSqsClient,
  lazyS3Client,
  PROCESSOR_TIMEOUTS,
  SECRETS_MANAGER_TIMEOUTS,
} from '../shared/aws-clients';
import { createDynamoDocumentClient } from '../shared/dynamo-client';
import { optionalIntEnv, requireEnv } from '../shared/env';
import { ENV, QUEUE_DEFAULTS } from '../shared/schema';
import { CachedSecretsManagerSource } from '../shared/secrets';
import { parseSources } from '../shared/source-config';
import { LazyS3BodyStore, SqsQueuePort } from './aws-ports';
import { backoffForVisibility } from './backoff';
import type { ProcessorLogger, ProcessorMetrics } from './ports';
import type { ProcessorDeps } from './processor';

const SECONDS_PER_DAY = 86_400;

// The S3 client, loaded by the first claim-checked body of the container and then reused.
const processorS3 = lazyS3Client(PROCESSOR_TIMEOUTS);

export function processorDepsFromEnv(
  observability: { readonly logger: ProcessorLogger; readonly metrics: ProcessorMetrics },
  env: NodeJS.ProcessEnv = process.env,
): ProcessorDeps {
  const tableName = requireEnv(ENV.stateTable, env);
  const dynamo = createDynamoDocumentClient(PROCESSOR_TIMEOUTS);
  const queueUrl = env[ENV.queueUrl];
  return {
    dedupe: new DynamoDedupeStore(dynamo, tableName),
    guard: new DynamoEntityGuard(dynamo, tableName),
    cdp: new CdpClient({
      baseUrl: requireEnv(ENV.cdpBaseUrl, env),
      apiKey: secretApiKeyProvider(
        new CachedSecretsManagerSource(createSecretsManagerClient(SECRETS_MANAGER_TIMEOUTS)),
        requireEnv(ENV.cdpApiKeySecretId, env),
      ),
      connectTimeoutMs: PROCESSOR_TIMEOUTS.connectionTimeoutMs,
      requestTimeoutMs: PROCESSOR_TIMEOUTS.requestTimeoutMs,
    }),
    queue: new SqsQueuePort(
      createSqsClient(PROCESSOR_TIMEOUTS),
      requireEnv(ENV.dlqUrl, env),
      queueUrl ? [queueUrl] : [],
    ),
    bodies: new LazyS3BodyStore(processorS3),
    sources: parseSources(requireEnv(ENV.sources, env)),
    logger: observability.logger,
    metrics: observability.metrics,
    maxReceiveCount: optionalIntEnv(ENV.maxReceiveCount, QUEUE_DEFAULTS.maxReceiveCount, env),
    backoff: backoffForVisibility(
      optionalIntEnv(
        ENV.visibilityTimeoutSeconds,
        QUEUE_DEFAULTS.processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier,
        env,
      ),
    ),
    incompleteRetentionSeconds: incompleteRecordRetentionSeconds({
      queueRetentionSeconds: optionalIntEnv(
        ENV.queueRetentionSeconds,
        QUEUE_DEFAULTS.mainRetentionDays * SECONDS_PER_DAY,
        env,
      ),
      dlqRetentionSeconds: optionalIntEnv(
        ENV.dlqRetentionSeconds,
        QUEUE_DEFAULTS.dlqRetentionDays * SECONDS_PER_DAY,
        env,
      ),
    }),
  };
}
