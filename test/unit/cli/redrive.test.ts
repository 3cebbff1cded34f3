import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { isUnsupportedActionError, redrive } from '../../../cli/dlq';

const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events-dlq';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:events-dlq';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:events';
const fastScan = { waitTimeSeconds: 0 };

function serviceError(name: string, message: string): SQSServiceException {
  return new SQSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

describe('dlq redrive (unit, mocked SQS)', () => {
  const sqs = mockClient(SQSClient);

  beforeEach(() => {
    sqs.reset();
    sqs.on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL, AttributeNames: ['QueueArn'] }).resolves({
      Attributes: { QueueArn: DLQ_ARN },
    });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn'] }).resolves({
      Attributes: { QueueArn: QUEUE_ARN },
    });
    sqs
      .on(GetQueueAttributesCommand, {
        QueueUrl: DLQ_URL,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '4000' } });
    sqs.on(ReceiveMessageCommand).resolves({});
  });

  it('unfiltered redrive starts a native message move task with the requested rate', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    const client = new SQSClient({ region: 'eu-west-1' });
    const result = await redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, rate: 25, scan: fastScan });

    const calls = sqs.commandCalls(StartMessageMoveTaskCommand);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]?.args[0].input, {
      SourceArn: DLQ_ARN,
      DestinationArn: QUEUE_ARN,
      MaxNumberOfMessagesPerSecond: 25,
    });
    assert.equal(result.mode, 'native');
    assert.equal(result.mode === 'native' && result.taskHandle, 'task-1');
    assert.equal(result.mode === 'native' && result.approximateMessages, 4000);
    assert.equal(sqs.commandCalls(ReceiveMessageCommand).length, 0, 'no client-side move');
  });

  it('clamps the native velocity to what SQS accepts (whole messages, 1 to 500 per second)', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-2' });
    const client = new SQSClient({ region: 'eu-west-1' });
    await redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, rate: 10_000, scan: fastScan });
    await redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, rate: 0.2, scan: fastScan });
    const rates = sqs
      .commandCalls(StartMessageMoveTaskCommand)
      .map((c) => c.args[0].input.MaxNumberOfMessagesPerSecond);
    assert.deepEqual(rates, [500, 1]);
  });

  it('falls back to moving messages itself when the endpoint does not know the action', async () => {
    sqs
      .on(StartMessageMoveTaskCommand)
      .rejects(serviceError('InvalidAction', 'Unknown action: StartMessageMoveTask'));
    const client = new SQSClient({ region: 'eu-west-1' });
    const result = await redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, rate: 25, scan: fastScan });
    assert.equal(result.mode, 'move');
    assert.match(result.mode === 'move' ? (result.fallbackReason ?? '') : '', /InvalidAction/);
    assert.equal(sqs.commandCalls(ReceiveMessageCommand).length, 1);
  });

  it('does not fall back on a real failure of the task (e.g. access denied): the error surfaces', async () => {
    sqs.on(StartMessageMoveTaskCommand).rejects(serviceError('AccessDenied', 'not authorized'));
    const client = new SQSClient({ region: 'eu-west-1' });
    await assert.rejects(
      redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, scan: fastScan }),
      /not authorized/,
    );
    assert.equal(sqs.commandCalls(ReceiveMessageCommand).length, 0);
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 0);
  });

  it('filtered, capped or dry-run redrives never start a native task', async () => {
    const client = new SQSClient({ region: 'eu-west-1' });
    await redrive(client, {
      dlqUrl: DLQ_URL,
      queueUrl: QUEUE_URL,
      filter: { source: 'shop-a' },
      scan: fastScan,
    });
    await redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, max: 5, scan: fastScan });
    await redrive(client, { dlqUrl: DLQ_URL, queueUrl: QUEUE_URL, dryRun: true, scan: fastScan });
    assert.equal(sqs.commandCalls(StartMessageMoveTaskCommand).length, 0);
  });

  it('recognises only "unknown action" answers as unsupported', () => {
    assert.equal(isUnsupportedActionError(serviceError('InvalidAction', 'x')), true);
    assert.equal(isUnsupportedActionError(serviceError('UnsupportedOperation', 'x')), true);
    assert.equal(isUnsupportedActionError(serviceError('AccessDenied', 'x')), false);
    assert.equal(isUnsupportedActionError(serviceError('ResourceNotFoundException', 'x')), false);
    assert.equal(isUnsupportedActionError('InvalidAction'), false);
  });
});
