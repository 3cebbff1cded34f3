/**
 * The S3 client factory (explicit timeouts, standard endpoint configuration: `AWS_ENDPOINT_URL_S3`). Its
 * own module so the Lambda functions load it only for a claim-checked body (`lazyS3Client` in
 * aws-clients.ts); tools and tests that need a client at once import it directly.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { type ClientSettings, type ClientTimeouts, INGEST_TIMEOUTS, requestHandlerFor } from './aws-clients';
import { traceClient } from './tracing';

export function createS3Client(t: ClientTimeouts = INGEST_TIMEOUTS, settings: ClientSettings = {}): S3Client {
  return traceClient(
    new S3Client({ ...settings, maxAttempts: t.maxAttempts, requestHandler: requestHandlerFor(t) }),
  );
}
