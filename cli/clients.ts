/**
 * SDK clients for the CLI. They come from the shared factories, so `AWS_ENDPOINT_URL_*` points them at the
 * local emulators exactly as it does for the Lambdas; the budgets suit an interactive tool (long polls
 * and purges take longer than a Lambda's hot path). `--region` and `--profile` reach every client as the
 * SDK's own `region`/`profile` settings, so credentials, SSO and region resolve as the AWS CLI's would.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  type ClientSettings,
  type ClientTimeouts,
  createSecretsManagerClient,
  createSqsClient,
} from '../lambdas/shared/aws-clients';
import { createDynamoDocumentClient } from '../lambdas/shared/dynamo-client';
import { createS3Client } from '../lambdas/shared/s3-client';
import { annotateErrors } from './aws-errors';

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
  secretsManager(): SecretsManagerClient;
}

function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

/** Only the settings given: an explicit `undefined` would still be a setting to some SDK resolvers. */
function definedSettings(settings: ClientSettings): ClientSettings {
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
  };
}

export function defaultClients(settings: ClientSettings = {}): CliClients {
  const s = definedSettings(settings);
  return {
    sqs: once(() => annotateErrors(createSqsClient(CLI_TIMEOUTS, s))),
    s3: once(() => annotateErrors(createS3Client(CLI_TIMEOUTS, s))),
    dynamo: once(() => annotateErrors(createDynamoDocumentClient(CLI_TIMEOUTS, s))),
    secretsManager: once(() => annotateErrors(createSecretsManagerClient(CLI_TIMEOUTS, s))),
    cloudFormation: once(() =>
      annotateErrors(
        new CloudFormationClient({
          ...s,
          maxAttempts: CLI_TIMEOUTS.maxAttempts,
          requestHandler: new NodeHttpHandler({
            connectionTimeout: CLI_TIMEOUTS.connectionTimeoutMs,
            requestTimeout: CLI_TIMEOUTS.requestTimeoutMs,
          }),
        }),
      ),
    ),
  };
}
