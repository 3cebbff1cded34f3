/**
 * SDK clients for the CLI. They come from the shared factories, so `AWS_ENDPOINT_URL_*` points them at the
 * local emulators exactly as it does for the Lambdas; the budgets suit an interactive tool (long polls
 * and purges take longer than a Lambda's hot path).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  type ClientTimeouts,
  createDynamoDocumentClient,
  createS3Client,
  createSqsClient,
} from '../lambdas/shared/aws-clients';

export const CLI_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
  maxAttempts: 5,
};

/** Lazily created clients: a command only pays for the services it uses. */
export interface CliClients {
  sqs(): SQSClient;
  s3(): S3Client;
  dynamo(): DynamoDBDocumentClient;
  cloudFormation(): CloudFormationClient;
}

function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

export function defaultClients(): CliClients {
  return {
    sqs: once(() => createSqsClient(CLI_TIMEOUTS)),
    s3: once(() => createS3Client(CLI_TIMEOUTS)),
    dynamo: once(() => createDynamoDocumentClient(CLI_TIMEOUTS)),
    cloudFormation: once(
      () =>
        new CloudFormationClient({
          maxAttempts: CLI_TIMEOUTS.maxAttempts,
          requestHandler: new NodeHttpHandler({
            connectionTimeout: CLI_TIMEOUTS.connectionTimeoutMs,
            requestTimeout: CLI_TIMEOUTS.requestTimeoutMs,
          }),
        }),
    ),
  };
}
