/**
 * SDK clients, created once per module (per Lambda container) with explicit timeouts and retry budgets.
 * The S3 and DynamoDB factories are modules of their own (s3-client.ts, dynamo-client.ts): a bundle that
 * imports this module for SQS or Secrets Manager must not carry those clients (esbuild keeps an SDK client's
 * code once a module that imports it is bundled, even when nothing calls the factory).
 *
 * Endpoints come only from the SDK's standard configuration (`AWS_REGION`, `AWS_ENDPOINT_URL_SQS`,
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`, …), so the same
 * code runs against AWS and against the local emulators.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadOnce } from './load-once';
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

/** The HTTP handler every client gets: the timeouts of `t`, enforced. */
export function requestHandlerFor(t: ClientTimeouts): NodeHttpHandler {
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
      requestHandler: requestHandlerFor(t),
      useQueueUrlAsEndpoint: false,
    }),
  );
}

/** An S3 client loaded on first use: see {@link lazyS3Client}. */
export type S3ClientLoader = () => Promise<S3Client>;

/**
 * The S3 client, its code loaded by the first call (s3-client.ts, a dynamic `import()`) and the client
 * then reused: one per loader, so a module-level loader is a per-container singleton. The functions touch
 * S3 only for claim-checked bodies (above 256 KB, rare), so the bundle keeps the S3 client in a separate
 * chunk (code splitting, lib/constructs/house-bundle.ts) that an ordinary request never parses. A failed
 * load is retried by the next call ({@link loadOnce}).
 */
export function lazyS3Client(
  t: ClientTimeouts = INGEST_TIMEOUTS,
  settings: ClientSettings = {},
): S3ClientLoader {
  return loadOnce(async () => (await import('./s3-client')).createS3Client(t, settings));
}

export function createSecretsManagerClient(
  t: ClientTimeouts = SECRETS_MANAGER_TIMEOUTS,
  settings: ClientSettings = {},
): SecretsManagerClient {
  return traceClient(
    new SecretsManagerClient({
      ...settings,
      maxAttempts: t.maxAttempts,
      requestHandler: requestHandlerFor(t),
    }),
  );
}
