/**
 * Creates local mode's queue, DLQ, state table and claim-check bucket in the emulators from the same
 * resource definitions the CDK constructs use (`lib/resource-definitions.ts`): visibility timeout,
 * retention, redrive policy with `maxReceiveCount`, the table's key and TTL attribute. Tests and drills
 * shorten the timings through the configuration's `queue` overrides, validated by the same rules.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ResourceDefinitions } from '../lib/resource-definitions';

export interface LocalResources {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly tableName: string;
  readonly bucketName: string;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = result.Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${queueUrl} reported no QueueArn`);
  return arn;
}

async function createTable(
  dynamodb: DynamoDBClient,
  table: ResourceDefinitions['stateTable'],
): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.localName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: table.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: table.partitionKey, KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    // A persisted table (--persist) is reused as it is.
    if (!(error instanceof ResourceInUseException)) throw error;
    await dynamodb.send(new DescribeTableCommand({ TableName: table.localName }));
    return;
  }
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: table.localName,
      TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
    }),
  );
}

/** Creates (or reuses) the queue pair, the table and the bucket. */
export async function createLocalResources(
  clients: { readonly sqs: SQSClient; readonly dynamodb: DynamoDBClient; readonly s3: S3Client },
  definitions: ResourceDefinitions,
): Promise<LocalResources> {
  const { sqs, dynamodb, s3 } = clients;
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: definitions.deadLetterQueue.localName,
      Attributes: { MessageRetentionPeriod: String(definitions.deadLetterQueue.retentionSeconds) },
    }),
  );
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqArn = await queueArn(sqs, dlqUrl);
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: definitions.queue.localName,
      Attributes: {
        VisibilityTimeout: String(definitions.queue.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(definitions.queue.retentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: definitions.deadLetterQueue.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = main.QueueUrl ?? '';
  await createTable(dynamodb, definitions.stateTable);
  const bucketName = definitions.claimCheckBucket.localName;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  return {
    queueUrl,
    queueArn: await queueArn(sqs, queueUrl),
    dlqUrl,
    dlqArn,
    tableName: definitions.stateTable.localName,
    bucketName,
  };
}
