import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSqsClient } from '../../../lambdas/shared/aws-clients';
import { type BatchOutcome, type SqsPoller, startSqsPoller } from '../../../local/sqs-poller';
import { uniqueName, useEmulators } from '../../support/emulators';

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function receiveOne(sqs: SQSClient, queueUrl: string, attempts = 15): Promise<Message> {
  for (let i = 0; i < attempts; i += 1) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (got.Messages?.[0]) return got.Messages[0];
  }
  throw new Error(`nothing arrived on ${queueUrl}`);
}

describe('SQS poller (Lambda event source mapping behaviour) against fauxqs', () => {
  useEmulators();
  const pollers: SqsPoller[] = [];
  after(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
  });

  async function queuePair(visibilitySeconds: number, maxReceiveCount: number) {
    const sqs = createSqsClient();
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('poller-dlq') }));
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: uniqueName('poller'),
        Attributes: {
          VisibilityTimeout: String(visibilitySeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    return { sqs, queueUrl: main.QueueUrl ?? '', dlqUrl: dlq.QueueUrl ?? '' };
  }

  it('delivers records in Lambda shape, with a counting-down context, and deletes them on success', async () => {
    const { sqs, queueUrl } = await queuePair(30, 5);
    const events: SQSEvent[] = [];
    const remaining: number[] = [];
    const outcomes: BatchOutcome[] = [];
    const poller = await startSqsPoller({
      sqs,
      queueUrl,
      maxConcurrency: 1,
      waitTimeSeconds: 1,
      functionTimeoutMs: 7000,
      handler: async (event, context) => {
        events.push(event);
        remaining.push(context.getRemainingTimeInMillis());
        return { batchItemFailures: [] };
      },
      onBatch: (o) => outcomes.push(o),
    });
    pollers.push(poller);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: {
          sourceId: { DataType: 'String', StringValue: 'stripe' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    const outcome = await until(() => outcomes[0]);
    assert.equal(outcome.succeeded.length, 1);
    const record = events[0]?.Records[0];
    assert.ok(record);
    assert.equal(record.body, '{"hello":"world"}');
    assert.equal(record.eventSource, 'aws:sqs');
    assert.equal(record.eventSourceARN, poller.queueArn);
    assert.match(poller.queueArn, /^arn:aws:sqs:/);
    assert.equal(record.attributes.ApproximateReceiveCount, '1');
    assert.match(record.attributes.SentTimestamp, /^\d+$/);
    assert.deepEqual(record.messageAttributes.sourceId, {
      stringValue: 'stripe',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    });
    assert.equal(record.messageAttributes.blob?.binaryValue, 'AQID');
    assert.ok((remaining[0] ?? 0) <= 7000 && (remaining[0] ?? 0) > 6000);
    const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    assert.equal(left.Messages, undefined);
  });

  it('gathers records up to the batch size within the batching window', async () => {
    const { sqs, queueUrl } = await queuePair(30, 5);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 7 }, (_, i) => ({ Id: String(i), MessageBody: `m${i}` })),
      }),
    );
    const sizes: number[] = [];
    pollers.push(
      await startSqsPoller({
        sqs,
        queueUrl,
        batchSize: 5,
        maxBatchingWindowMs: 300,
        maxConcurrency: 1,
        waitTimeSeconds: 1,
        handler: async (event) => {
          sizes.push(event.Records.length);
          return undefined;
        },
      }),
    );
    await until(() => (sizes.reduce((a, b) => a + b, 0) === 7 ? true : undefined));
    assert.deepEqual(sizes, [5, 2]);
  });

  it('deletes only successes of a partial batch response; the failure comes back with a higher receive count', async () => {
    const { sqs, queueUrl } = await queuePair(1, 5);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'ok' },
          { Id: 'b', MessageBody: 'fail-once' },
        ],
      }),
    );
    const seen: { body: string; count: string }[] = [];
    pollers.push(
      await startSqsPoller({
        sqs,
        queueUrl,
        maxConcurrency: 1,
        maxBatchingWindowMs: 200,
        waitTimeSeconds: 1,
        handler: async (event): Promise<SQSBatchResponse> => {
          const failures = [];
          for (const r of event.Records) {
            seen.push({ body: r.body, count: r.attributes.ApproximateReceiveCount });
            if (r.body === 'fail-once' && r.attributes.ApproximateReceiveCount === '1') {
              failures.push({ itemIdentifier: r.messageId });
            }
          }
          return { batchItemFailures: failures };
        },
      }),
    );
    await until(() => (seen.length === 3 ? true : undefined));
    assert.deepEqual(
      seen.map((s) => `${s.body}:${s.count}`),
      ['ok:1', 'fail-once:1', 'fail-once:2'],
    );
  });

  it('fails the whole batch when the handler throws, and the queue redrives it to the DLQ after maxReceiveCount', async () => {
    const { sqs, queueUrl, dlqUrl } = await queuePair(1, 2);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
    const outcomes: BatchOutcome[] = [];
    pollers.push(
      await startSqsPoller({
        sqs,
        queueUrl,
        maxConcurrency: 1,
        maxBatchingWindowMs: 0,
        waitTimeSeconds: 1,
        handler: async () => {
          throw new Error('boom');
        },
        onBatch: (o) => outcomes.push(o),
      }),
    );
    const dead = await receiveOne(sqs, dlqUrl);
    assert.equal(dead.Body, 'poison');
    assert.equal(outcomes.length, 2);
    assert.match(outcomes[0]?.batchError ?? '', /Error: boom/);
    assert.deepEqual(outcomes[0]?.succeeded, []);
  });

  it('treats an unknown itemIdentifier and a timeout as whole-batch failures', async () => {
    const { sqs, queueUrl } = await queuePair(1, 10);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    const outcomes: BatchOutcome[] = [];
    let calls = 0;
    pollers.push(
      await startSqsPoller({
        sqs,
        queueUrl,
        maxConcurrency: 1,
        maxBatchingWindowMs: 0,
        waitTimeSeconds: 1,
        functionTimeoutMs: 200,
        handler: async () => {
          calls += 1;
          if (calls === 1) return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] };
          if (calls === 2) await new Promise((resolve) => setTimeout(resolve, 1000));
          return undefined;
        },
        onBatch: (o) => outcomes.push(o),
      }),
    );
    await until(() => (outcomes.length >= 3 ? true : undefined));
    assert.match(outcomes[0]?.batchError ?? '', /not in the batch/);
    assert.deepEqual(outcomes[0]?.failed.length, 1);
    assert.match(outcomes[1]?.batchError ?? '', /FunctionTimeoutError: Task timed out after 200 ms/);
    assert.equal(outcomes[2]?.succeeded.length, 1);
  });
});
