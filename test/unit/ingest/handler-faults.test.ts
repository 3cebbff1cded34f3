import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsQueue } from '../../../lambdas/ingest/aws-ports';
import { createIngestHandler, lazyClaimCheckStore } from '../../../lambdas/ingest/handler';
import type { ClaimCheckStore } from '../../../lambdas/ingest/ports';
import { S3ClaimCheckStore } from '../../../lambdas/ingest/s3-claim-check';
import { lazyS3Client, type S3ClientLoader } from '../../../lambdas/shared/aws-clients';
import { MESSAGE_ATTRIBUTES } from '../../../lambdas/shared/envelope';
import { signStripe } from '../../../local/signers';
import { RecordingMetrics, silentLogger, staticSecrets } from './fakes';
import { httpV2Event } from './http-events';

const SECRET = 'whsec_unit_test_secret';
const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);

function handlerWith(
  metrics = new RecordingMetrics(),
  sleeps: number[] = [],
  claimCheck: ClaimCheckStore = new S3ClaimCheckStore(new S3Client({ region: 'us-east-1' }), 'claims'),
) {
  const sqs = new SQSClient({ region: 'us-east-1' });
  return createIngestHandler({
    sources: new Map([['stripe', { id: 'stripe', provider: 'stripe', secretId: 'stripe-secret' }]]),
    secrets: staticSecrets({ 'stripe-secret': [SECRET] }),
    queue: new SqsQueue(sqs, 'https://sqs.us-east-1.amazonaws.com/123456789012/events'),
    deadLetterQueue: new SqsQueue(sqs, 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq'),
    claimCheck,
    logger: silentLogger,
    metrics,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

function delivery(id: string, size = 200) {
  const body = Buffer.from(JSON.stringify({ id, type: 'invoice.paid', pad: 'x'.repeat(size) }));
  const signed = signStripe({ body, url: '', signingKey: SECRET });
  return httpV2Event({ path: '/webhooks/stripe', body, headers: signed.headers });
}

const entriesOf = (call: number): SendMessageBatchRequestEntry[] =>
  (sqsMock.commandCalls(SendMessageBatchCommand)[call]?.args[0].input.Entries ??
    []) as SendMessageBatchRequestEntry[];

describe('ingest adapter against SQS/S3 error responses', () => {
  beforeEach(() => {
    sqsMock.reset();
    s3Mock.reset();
  });

  it('retries only the entries SendMessageBatch refused, then answers 202', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [{ Id: 'e0', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
      })
      .resolves({ Successful: [{ Id: 'e0', MessageId: 'm1', MD5OfMessageBody: 'x' }], Failed: [] });
    const sleeps: number[] = [];
    const metrics = new RecordingMetrics();
    const response = await handlerWith(metrics, sleeps)(delivery('evt_retry'));

    assert.equal(response.statusCode, 202, response.body);
    assert.equal(sqsMock.commandCalls(SendMessageBatchCommand).length, 2);
    assert.equal(entriesOf(1).length, 1);
    assert.equal(
      entriesOf(1)[0]?.MessageAttributes?.[MESSAGE_ATTRIBUTES.dedupeKey]?.StringValue,
      'stripe:evt_retry',
    );
    assert.deepEqual(sleeps, [25]);
    // Queued: no EMF counter (the "Webhook enqueued" line is the metric), and the flush still ran.
    assert.deepEqual(metrics.points, []);
    assert.equal(metrics.flushes, 1);
  });

  it('answers 503 when entries are still refused after every attempt', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'e0', Code: 'InternalError', SenderFault: false }],
    });
    const sleeps: number[] = [];
    const metrics = new RecordingMetrics();
    const response = await handlerWith(metrics, sleeps)(delivery('evt_fails'));

    assert.equal(response.statusCode, 503);
    assert.deepEqual(JSON.parse(response.body), {
      error: 'enqueue_failed',
      message: 'The events could not be queued; please retry',
    });
    assert.equal(sqsMock.commandCalls(SendMessageBatchCommand).length, 3);
    assert.deepEqual(sleeps, [25, 100]);
    assert.equal(metrics.total('EnqueueFailed'), 1);
  });

  it('treats an entry SQS neither confirmed nor refused as not queued', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const response = await handlerWith()(delivery('evt_silent'));
    assert.equal(response.statusCode, 503);
  });

  it('answers 503 when SendMessageBatch itself throws (after the SDK retries)', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const response = await handlerWith()(delivery('evt_throw'));
    assert.equal(response.statusCode, 503);
    assert.equal(JSON.parse(response.body).error, 'enqueue_failed');
  });

  it('claim-checks with SSE and answers 503 when PutObject fails, sending nothing', async () => {
    s3Mock.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    const response = await handlerWith()(delivery('evt_big', 300 * 1024));
    assert.equal(response.statusCode, 503);
    assert.equal(sqsMock.commandCalls(SendMessageBatchCommand).length, 0);
    const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    assert.equal(put?.Bucket, 'claims');
    assert.equal(put?.ServerSideEncryption, 'AES256');
    assert.match(put?.Key ?? '', /^stripe\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}$/);
  });
});

describe('the claim-check store loaded on first use (a separate bundle chunk)', () => {
  beforeEach(() => {
    sqsMock.reset();
    s3Mock.reset();
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: 'e0', MessageId: 'm1', MD5OfMessageBody: 'x' }], Failed: [] });
  });

  it('answers 503 (retry), sending nothing, when the S3 code cannot be loaded, and tries again next time', async () => {
    let loads = 0;
    const missingChunk: S3ClientLoader = async () => {
      loads++;
      throw new Error("Cannot find module '/var/task/chunks/s3-client-XXXXXXXX.mjs'");
    };
    const handler = handlerWith(new RecordingMetrics(), [], lazyClaimCheckStore(missingChunk, 'claims'));
    for (const id of ['evt_big_1', 'evt_big_2']) {
      const response = await handler(delivery(id, 300 * 1024));
      assert.equal(response.statusCode, 503, response.body);
      assert.equal(JSON.parse(response.body).error, 'enqueue_failed');
    }
    assert.equal(loads, 2, 'a failed load is retried by the next claim-checked body');
    assert.equal(sqsMock.commandCalls(SendMessageBatchCommand).length, 0);
    // A body under the threshold never loads the S3 code.
    assert.equal((await handler(delivery('evt_small'))).statusCode, 202);
    assert.equal(loads, 2);
  });

  it('loads the S3 client once per loader and puts through it', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const load = lazyS3Client();
    assert.equal(await load(), await load(), 'one client per container');
    const handler = handlerWith(new RecordingMetrics(), [], lazyClaimCheckStore(load, 'claims'));
    assert.equal((await handler(delivery('evt_big_ok', 300 * 1024))).statusCode, 202);
    assert.equal(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Bucket, 'claims');
  });
});
