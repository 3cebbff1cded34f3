import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { LazyS3BodyStore } from '../../../lambdas/processor/aws-ports';
import { S3BodyStore } from '../../../lambdas/processor/s3-body-store';
import { CLOCK_RESTART_SLACK_MS, needsClockRestart } from '../../../lambdas/shared/claim-check';
import type { EnvelopeBody } from '../../../lambdas/shared/envelope';

const BODY: EnvelopeBody = { kind: 's3', bucket: 'claims', key: 'stripe/2026/01/01/a b', sizeBytes: 300_000 };
const DAY = 86_400_000;

describe('claim-check body lifecycle (S3 calls)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('restarts the clock by copying the object onto itself, with the key URL-encoded', async () => {
    s3.on(CopyObjectCommand).resolves({});
    const store = new S3BodyStore(new S3Client({ region: 'us-east-1' }), () => 1_000);
    assert.equal(await store.retain(BODY), 'restarted');
    const input = s3.commandCalls(CopyObjectCommand)[0]?.args[0].input;
    assert.equal(input?.Bucket, 'claims');
    assert.equal(input?.Key, 'stripe/2026/01/01/a b');
    assert.equal(input?.CopySource, 'claims/stripe/2026/01/01/a%20b');
    assert.equal(input?.MetadataDirective, 'REPLACE');
    assert.equal(input?.ServerSideEncryption, 'AES256');
  });

  it('restarts it on receive only for a message created well after the body was last written', async () => {
    const written = Date.UTC(2026, 0, 1);
    s3.on(HeadObjectCommand).resolves({ LastModified: new Date(written) });
    s3.on(CopyObjectCommand).resolves({});
    const store = new S3BodyStore(new S3Client({ region: 'us-east-1' }));
    // Sent by the ingest right after the put, or by our own senders right after a restart: nothing to do.
    assert.equal(await store.retain(BODY, { messageSentAtMs: written + 50 }), 'current');
    assert.equal(s3.commandCalls(CopyObjectCommand).length, 0);
    // Created by SQS's redrive task ten days later: the body's clock restarts.
    assert.equal(await store.retain(BODY, { messageSentAtMs: written + 10 * DAY }), 'restarted');
    assert.equal(s3.commandCalls(CopyObjectCommand).length, 1);
    assert.ok(!needsClockRestart(written, written + CLOCK_RESTART_SLACK_MS));
    assert.ok(needsClockRestart(written, written + CLOCK_RESTART_SLACK_MS + 1));
  });

  it('reports a vanished body instead of throwing, and deletes idempotently', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    s3.on(DeleteObjectCommand).resolves({});
    const store = new S3BodyStore(new S3Client({ region: 'us-east-1' }));
    assert.equal(await store.retain(BODY, { messageSentAtMs: Date.now() }), 'missing');
    await store.discard(BODY);
    await store.discard({ kind: 'inline', base64: '' });
    assert.equal(s3.commandCalls(DeleteObjectCommand).length, 1);
    assert.equal(await store.retain({ kind: 'inline', base64: '' }), 'inline');
  });
});

describe('the body store loaded on first use (a separate bundle chunk)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const inline: EnvelopeBody = { kind: 'inline', base64: Buffer.from('{}').toString('base64') };

  it('answers inline bodies without loading S3, rejects (retry) while S3 cannot load, then loads once', async () => {
    let loads = 0;
    let failing = true;
    const store = new LazyS3BodyStore(async () => {
      loads++;
      if (failing) throw new Error('Cannot find module chunks/s3-client.mjs');
      return new S3Client({ region: 'us-east-1' });
    });
    assert.equal((await store.load(inline)).toString(), '{}');
    assert.equal(await store.retain(inline), 'inline');
    await store.discard(inline);
    assert.equal(loads, 0);
    await assert.rejects(store.load(BODY), /Cannot find module/);
    failing = false;
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(CopyObjectCommand).resolves({});
    await store.discard(BODY);
    assert.equal(await store.retain(BODY), 'restarted');
    assert.equal(loads, 2, 'loaded again after the failure, then reused');
    assert.equal(s3.commandCalls(DeleteObjectCommand).length, 1);
  });
});
