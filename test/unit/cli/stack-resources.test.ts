import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { STACK_OUTPUTS as CLI_OUTPUTS, stackResources } from '../../../cli/resources';
import { STACK_OUTPUTS } from '../../../lib/webhook-pipeline-stack';

describe('resources from the deployed stack (unit, mocked CloudFormation)', () => {
  it('reads the stack outputs the CDK stack writes', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand, { StackName: 'WebhookPipeline' }).resolves({
      Stacks: [
        {
          StackName: 'WebhookPipeline',
          StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/WebhookPipeline/abc',
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
    const { stack, ...found } = await stackResources(client, 'WebhookPipeline');
    assert.deepEqual(found, {
      queueUrl: 'https://sqs/q',
      dlqUrl: 'https://sqs/dlq',
      tableName: 'state',
      bucketName: 'claims',
    });
    assert.equal(stack?.name, 'WebhookPipeline');
    assert.equal(stack?.id, 'arn:aws:cloudformation:eu-west-1:111111111111:stack/WebhookPipeline/abc');
    assert.equal(cfn.commandCalls(DescribeStacksCommand).length, 1);
    cfn.restore();
  });

  it('reads the output keys the stack writes (one list of names in lib/webhook-pipeline-stack.ts)', () => {
    const written = new Set<string>(Object.values(STACK_OUTPUTS));
    for (const key of Object.values(CLI_OUTPUTS))
      assert.ok(written.has(key), `${key} is not an output of the stack`);
  });
});
