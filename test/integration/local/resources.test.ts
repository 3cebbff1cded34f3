import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { createS3Client } from '../../../lambdas/shared/s3-client';
import { QUEUE_DEFAULTS, STATE_TABLE } from '../../../lambdas/shared/schema';
import { pipelineConfig } from '../../../lib/pipeline-config';
import { localResourceDefinitions } from '../../../lib/resource-definitions';
import { createLocalResources } from '../../../local/resources';
import { uniqueName, useEmulators } from '../../support/emulators';

describe("local resources created from the stack's resource definitions", () => {
  useEmulators();

  it('creates the queue with its DLQ redrive, the TTL table and the bucket, and can run again', async () => {
    const sqs = createSqsClient();
    const dynamodb = new DynamoDBClient({});
    const s3 = createS3Client();
    const definitions = localResourceDefinitions(
      { ...pipelineConfig, queue: { maxReceiveCount: 3 } },
      uniqueName('res'),
    );
    const resources = await createLocalResources({ sqs, dynamodb, s3 }, definitions);

    const attributes = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['All'] }))
    ).Attributes;
    assert.equal(
      attributes?.VisibilityTimeout,
      String(QUEUE_DEFAULTS.processorTimeoutSeconds * QUEUE_DEFAULTS.visibilityTimeoutMultiplier),
    );
    assert.deepEqual(JSON.parse(attributes?.RedrivePolicy ?? '{}'), {
      deadLetterTargetArn: resources.dlqArn,
      maxReceiveCount: 3,
    });
    const table = await dynamodb.send(new DescribeTableCommand({ TableName: resources.tableName }));
    assert.deepEqual(table.Table?.KeySchema, [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }]);
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: resources.tableName }));
    assert.equal(ttl.TimeToLiveDescription?.AttributeName, STATE_TABLE.ttlAttribute);
    await s3.send(new HeadBucketCommand({ Bucket: resources.bucketName }));

    const again = await createLocalResources({ sqs, dynamodb, s3 }, definitions);
    assert.equal(again.queueUrl, resources.queueUrl);
  });
});
