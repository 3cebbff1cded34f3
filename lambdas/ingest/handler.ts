/**
 * Lambda adapter of the ingest function: API Gateway REST (v1), HTTP API (v2) or Function URL event in,
 * HTTP answer out. Normalises the event, hands it to the ingest domain (ingest.ts) and flushes metrics once
 * per invocation; all decisions live in the domain.
 *
 * Environment: PIPELINE_SOURCES, QUEUE_URL, DLQ_URL, CLAIM_CHECK_BUCKET, optional CLAIM_CHECK_THRESHOLD_BYTES.
 * AWS endpoints come only from the SDK's standard configuration (`AWS_ENDPOINT_URL_SQS`, …).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import {
  createSecretsManagerClient,
  createSqsClient,
  INGEST_TIMEOUTS,
  lazyS3Client,
  type S3ClientLoader,
  SECRETS_MANAGER_TIMEOUTS,
} from '../shared/aws-clients';
import { optionalIntEnv, requireEnv } from '../shared/env';
import { loadOnce } from '../shared/load-once';
import { createObservability, SERVICE_NAMES } from '../shared/observability';
import { type HttpTriggerEvent, normaliseHttpEvent } from '../shared/request';
import { ENV, QUEUE_DEFAULTS } from '../shared/schema';
import { CachedSecretsManagerSource, type SecretSource } from '../shared/secrets';
import { parseSources } from '../shared/source-config';
import { withTracing } from '../shared/tracing';
import { PowertoolsIngestMetrics, powertoolsIngestLogger, SqsQueue } from './aws-ports';
import { createIngest, type IngestDeps, UNKNOWN_SOURCE_DIMENSION } from './ingest';
import type { ClaimCheckStore, IngestMetrics } from './ports';
import { errorResponse, type HttpResponse } from './responses';

export type IngestHandler = (event: HttpTriggerEvent, context?: Context) => Promise<HttpResponse>;

export interface IngestHandlerDeps extends IngestDeps {
  /** Adds the Lambda context (request id, cold start) to log lines; Powertools Logger in production. */
  readonly contextLogger?: Pick<Logger, 'addContext'>;
}

/**
 * Wraps the ingest domain as a Lambda handler. Always answers (a malformed event is a 400, an unexpected
 * error a 500) and always flushes the invocation's metrics.
 */
export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const ingest = createIngest(deps);
  const metrics: IngestMetrics = deps.metrics;
  return async (event, context) => {
    if (context) deps.contextLogger?.addContext(context);
    try {
      if (typeof event !== 'object' || event === null) {
        return errorResponse(400, 'malformed_request', 'The request could not be read');
      }
      return await ingest.handle(normaliseHttpEvent(event));
    } catch (error) {
      deps.logger.error('Ingest adapter failed', { error: (error as Error).message });
      metrics.count('ServerErrors', UNKNOWN_SOURCE_DIMENSION, 1, 'internal_error');
      return errorResponse(500, 'internal_error', 'Unexpected error; please retry');
    } finally {
      metrics.flush();
    }
  };
}

/** The AWS clients the ingest uses. */
export interface IngestClients {
  readonly sqs: SQSClient;
  /** Loaded by the first claim-checked body (see {@link lazyClaimCheckStore}). */
  readonly s3: S3ClientLoader;
  readonly secrets: SecretSource;
}

// Module singletons, created once per container with the ingest's short timeouts. Constructing a client
// reads no configuration yet (region and endpoint resolve on the first call), so importing stays cheap; the
// S3 client is not even loaded until a body needs it.
const moduleClients: IngestClients = {
  sqs: createSqsClient(INGEST_TIMEOUTS),
  s3: lazyS3Client(INGEST_TIMEOUTS),
  secrets: new CachedSecretsManagerSource(createSecretsManagerClient(SECRETS_MANAGER_TIMEOUTS)),
};

/** The production dependencies, read from the environment (fails fast on missing configuration). */
export function depsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clients: IngestClients = moduleClients,
): IngestHandlerDeps {
  const { logger, metrics } = createObservability(SERVICE_NAMES.ingest, env);
  return {
    sources: parseSources(requireEnv(ENV.sources, env)),
    secrets: clients.secrets,
    queue: new SqsQueue(clients.sqs, requireEnv(ENV.queueUrl, env)),
    deadLetterQueue: new SqsQueue(clients.sqs, requireEnv(ENV.dlqUrl, env)),
    claimCheck: lazyClaimCheckStore(clients.s3, requireEnv(ENV.claimCheckBucket, env)),
    logger: powertoolsIngestLogger(logger),
    contextLogger: logger,
    metrics: new PowertoolsIngestMetrics(metrics),
    claimCheckThresholdBytes: optionalIntEnv(
      ENV.claimCheckThresholdBytes,
      QUEUE_DEFAULTS.claimCheckThresholdBytes,
      env,
    ),
  };
}

/**
 * The claim-check store, with its S3 code loaded by the first body above the threshold: a dynamic
 * `import()`, which the bundle keeps in a separate chunk, so the cold start of an ordinary request does not
 * parse the S3 client. A failed load rejects `put` like a failed PutObject: the ingest answers 503.
 */
export function lazyClaimCheckStore(s3: S3ClientLoader, bucket: string): ClaimCheckStore {
  const store = loadOnce(async () => {
    const [{ S3ClaimCheckStore }, client] = await Promise.all([import('./s3-claim-check'), s3()]);
    return new S3ClaimCheckStore(client, bucket);
  });
  return { put: async (key, body) => (await store()).put(key, body) };
}

let production: IngestHandler | undefined;

/**
 * The Lambda entry point. Dependencies are built on the first invocation of a container (then reused), so
 * importing this module for its factory needs no environment.
 */
export const handler: IngestHandler = withTracing(SERVICE_NAMES.ingest, (event, context) => {
  production ??= createIngestHandler(depsFromEnv());
  return production(event, context);
});
