/**
 * The DynamoDB document client factory (explicit timeouts, standard endpoint configuration:
 * `AWS_ENDPOINT_URL_DYNAMODB`). Its own module so the ingest, which never calls DynamoDB, does not bundle
 * the client by importing aws-clients.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type ClientSettings,
  type ClientTimeouts,
  PROCESSOR_TIMEOUTS,
  requestHandlerFor,
} from './aws-clients';
import { traceClient } from './tracing';

export function createDynamoDocumentClient(
  t: ClientTimeouts = PROCESSOR_TIMEOUTS,
  settings: ClientSettings = {},
): DynamoDBDocumentClient {
  // The document client shares the base client's middleware, so tracing the base traces both.
  const client = traceClient(
    new DynamoDBClient({ ...settings, maxAttempts: t.maxAttempts, requestHandler: requestHandlerFor(t) }),
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
