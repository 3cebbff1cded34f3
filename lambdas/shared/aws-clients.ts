/**
 * SDK clients, created once per module (per Lambda container) with explicit timeouts and retry budgets.
 *
 * Endpoints come only from the SDK's standard configuration (`AWS_REGION`, `AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`, …), so the same
 * code runs against AWS and against the local emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { traceClient } from './tracing';

export interface ClientTimeouts {
  /** TCP connect timeout. */
  readonly connectionTimeoutMs: number;
  /** Time allowed for the whole request once connected. */
  readonly requestTimeoutMs: number;
  /** SDK attempts including the first (standard retry mode with backoff). */
  readonly maxAttempts: number;
}

/**
 * Region and named profile for a client, as the SDK's own `region`/`profile` settings (the on-call CLI's
 * `--region`/`--profile`). Unset, the SDK's standard chain applies (`AWS_REGION`, `AWS_PROFILE`, ~/.aws).
 */
export interface ClientSettings {
  readonly region?: string;
  readonly profile?: string;
}

/** Ingest answers providers within milliseconds: fail fast so the provider can retry on a 503. */
export const INGEST_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  maxAttempts: 3,
};
/**
 * Secrets Manager answers GetSecretValue in tens of milliseconds. A read only blocks a request when nothing
 * usable is cached (cold container, or values past the cache's maximum staleness), so its worst case is
 * what a cold request pays during an outage: about 2 x (0.5 s + 1 s) plus one backoff, not 6 s. Refreshes
 * of cached values run in the background (lambdas/shared/secrets.ts) and cost requests nothing.
 */
export const SECRETS_MANAGER_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 500,
  requestTimeoutMs: 1000,
  maxAttempts: 2,
};
/** The processor has a larger budget, bounded by its Lambda timeout. */
export const PROCESSOR_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 5000,
  maxAttempts: 3,
};

function handler(t: ClientTimeouts): NodeHttpHandler {
  // throwOnRequestTimeout: without it the SDK only logs a warning when requestTimeout passes and keeps
  // waiting, so a hung SQS call would hold the provider's request open instead of failing fast into a 503.
  return new NodeHttpHandler({
    connectionTimeout: t.connectionTimeoutMs,
    requestTimeout: t.requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
}

export function createSqsClient(
  t: ClientTimeouts = INGEST_TIMEOUTS,
  settings: ClientSettings = {},
): SQSClient {
  // On AWS the queue URL's host is the regional endpoint anyway; resolving the endpoint from configuration
  // (not from the queue URL) keeps FIPS/dual-stack/AWS_ENDPOINT_URL_SQS settings authoritative.
  return traceClient(
    new SQSClient({
      ...settings,
      maxAttempts: t.maxAttempts,
      requestHandler: handler(t),
      useQueueUrlAsEndpoint: false,
    }),
  );
}

export function createS3Client(t: ClientTimeouts = INGEST_TIMEOUTS, settings: ClientSettings = {}): S3Client {
  return traceClient(new S3Client({ ...settings, maxAttempts: t.maxAttempts, requestHandler: handler(t) }));
}

export function createDynamoDocumentClient(
  t: ClientTimeouts = PROCESSOR_TIMEOUTS,
  settings: ClientSettings = {},
): DynamoDBDocumentClient {
  // The document client shares the base client's middleware, so tracing the base traces both.
  const client = traceClient(
    new DynamoDBClient({ ...settings, maxAttempts: t.maxAttempts, requestHandler: handler(t) }),
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSecretsManagerClient(
  t: ClientTimeouts = SECRETS_MANAGER_TIMEOUTS,
  settings: ClientSettings = {},
): SecretsManagerClient {
  return traceClient(
    new SecretsManagerClient({ ...settings, maxAttempts: t.maxAttempts, requestHandler: handler(t) }),
  );
}
