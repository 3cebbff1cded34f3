import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { queueUrlFromArn } from '../../../lambdas/processor/aws-ports';

describe('processor Lambda adapter', () => {
  it('wires from the environment and answers an empty batch without touching AWS', async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      STATE_TABLE: 'state',
      CDP_BASE_URL: 'http://127.0.0.1:1',
      CDP_API_KEY_SECRET_ID: 'cdp-key',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
      PIPELINE_SOURCES: JSON.stringify([{ id: 'stripe', provider: 'stripe', secretId: 's' }]),
    });
    const { handler } = await import('../../../lambdas/processor/handler');
    const context = { getRemainingTimeInMillis: () => 30_000 } as Context;
    assert.deepEqual(await handler({ Records: [] }, context), { batchItemFailures: [] });
  });

  it('derives queue URLs from event source ARNs, preferring a configured URL of the same queue', () => {
    assert.equal(
      queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:events'),
      'https://sqs.eu-west-1.amazonaws.com/123456789012/events',
    );
    assert.equal(
      queueUrlFromArn('arn:aws:sqs:us-east-1:000000000000:events', [
        'http://127.0.0.1:4566/000000000000/events',
      ]),
      'http://127.0.0.1:4566/000000000000/events',
    );
    assert.throws(() => queueUrlFromArn('not-an-arn'));
  });
});
