import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSecretsManagerClient, createSqsClient } from '../../lambdas/shared/aws-clients';
import { CachedSecretsManagerSource } from '../../lambdas/shared/secrets';
import { uniqueName, useEmulators } from '../support/emulators';

describe('emulators reached through the SDK standard endpoint configuration', () => {
  useEmulators();

  it('SQS round-trips a message', async () => {
    const sqs = createSqsClient();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('q') }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    assert.equal(received.Messages?.[0]?.Body, 'hello');
  });

  it('S3 round-trips an object', async () => {
    const s3 = new S3Client({});
    const Bucket = uniqueName('b');
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'k/1', Body: 'body' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'k/1' }));
    assert.equal(await got.Body?.transformToString(), 'body');
  });

  it('DynamoDB Local creates a table', async () => {
    const ddb = new DynamoDBClient({});
    const TableName = uniqueName('t');
    await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const described = await ddb.send(new DescribeTableCommand({ TableName }));
    assert.equal(described.Table?.TableName, TableName);
  });

  it('the Secrets Manager stand-in serves the real SDK, and rotation lists both secrets', async () => {
    const client = createSecretsManagerClient();
    const SecretId = uniqueName('s');
    await client.send(new CreateSecretCommand({ Name: SecretId, SecretString: '{"secrets":["new","old"]}' }));
    const source = new CachedSecretsManagerSource(client);
    assert.deepEqual(await source.getActiveSecrets(SecretId), ['new', 'old']);
  });
});
