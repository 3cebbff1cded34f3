import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveResources, stackResources } from '../../../cli/resources';

describe('resources from the deployed stack (unit, mocked CloudFormation)', () => {
  it('reads the stack outputs the CDK stack writes, and lets explicit values win', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand, { StackName: 'WebhookPipeline' }).resolves({
      Stacks: [
        {
          StackName: 'WebhookPipeline',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [
            { OutputKey: 'QueueUrl', OutputValue: 'https://sqs/q' },
            { OutputKey: 'DeadLetterQueueUrl', OutputValue: 'https://sqs/dlq' },
            { OutputKey: 'StateTableName', OutputValue: 'state' },
            { OutputKey: 'ClaimCheckBucketName', OutputValue: 'claims' },
            { OutputKey: 'WebhookBaseUrl', OutputValue: 'https://api' },
          ],
        },
      ],
    });
    const client = new CloudFormationClient({ region: 'eu-west-1' });
    assert.deepEqual(await stackResources(client, 'WebhookPipeline'), {
      queueUrl: 'https://sqs/q',
      dlqUrl: 'https://sqs/dlq',
      tableName: 'state',
      bucketName: 'claims',
    });
    const resolved = await resolveResources({ stack: 'WebhookPipeline', table: 'other' }, {}, (name) =>
      stackResources(client, name),
    );
    assert.equal(resolved.tableName, 'other');
    assert.equal(resolved.dlqUrl, 'https://sqs/dlq');
    assert.equal(cfn.commandCalls(DescribeStacksCommand).length, 2);
    cfn.restore();
  });
});
