import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLambdaContext, interpretBatchResponse, toSqsRecord } from '../../../local/sqs-poller';

describe('partial batch responses, interpreted as the event source mapping does', () => {
  const ids = ['a', 'b'];
  it('treats nothing, null, {} and empty or null batchItemFailures as full success', () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      assert.deepEqual(interpretBatchResponse(response, ids), { failed: new Set() });
    }
  });

  it('returns the failed ids', () => {
    assert.deepEqual(interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: 'b' }] }, ids), {
      failed: new Set(['b']),
    });
  });

  it('fails the whole batch for a missing, empty or unknown itemIdentifier, or a malformed response', () => {
    for (const response of [
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: 'a' }] },
      { batchItemFailures: [{ itemIdentifier: 'zzz' }] },
      { batchItemFailures: 'a' },
      'a string',
      [],
    ]) {
      assert.ok('invalid' in interpretBatchResponse(response, ids), JSON.stringify(response));
    }
  });
});

describe('records and context in Lambda shape', () => {
  it('maps system and message attributes to the SQSRecord layout', () => {
    const record = toSqsRecord(
      {
        MessageId: 'm1',
        ReceiptHandle: 'r1',
        Body: 'b',
        MD5OfBody: 'md5',
        MD5OfMessageAttributes: 'md5a',
        Attributes: {
          ApproximateReceiveCount: '3',
          SentTimestamp: '1',
          SenderId: 'S',
          ApproximateFirstReceiveTimestamp: '2',
          AWSTraceHeader: 'Root=1-abc',
        },
        MessageAttributes: {
          n: { DataType: 'Number', StringValue: '42' },
          bin: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      },
      'arn:aws:sqs:us-east-1:000000000000:q',
      'us-east-1',
    );
    assert.deepEqual(record, {
      messageId: 'm1',
      receiptHandle: 'r1',
      body: 'b',
      attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: '1',
        SenderId: 'S',
        ApproximateFirstReceiveTimestamp: '2',
        AWSTraceHeader: 'Root=1-abc',
      },
      messageAttributes: {
        n: { stringValue: '42', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        bin: { binaryValue: 'aGk=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'md5',
      md5OfMessageAttributes: 'md5a',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    });
  });

  it('counts the remaining time down from the function timeout', async () => {
    const context = createLambdaContext('processor', 'us-east-1', 1000);
    assert.equal(context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:processor');
    const first = context.getRemainingTimeInMillis();
    assert.ok(first <= 1000 && first > 900);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(context.getRemainingTimeInMillis() < first);
  });
});
