/**
 * Shared set-up of the ingest integration tests: real queues and a bucket in fauxqs, real secrets in the
 * Secrets Manager stand-in, signed provider requests, and reading back what was actually queued.
 */
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ProviderId } from '../../../lambdas/providers/types';
import { createSecretsManagerClient } from '../../../lambdas/shared/aws-clients';
import type { QueueEnvelope } from '../../../lambdas/shared/envelope';
import type { SourceConfig } from '../../../lambdas/shared/source-config';
import {
  generateLocalSecret,
  signHubspot,
  signSendgrid,
  signStandardWebhooks,
  signStripe,
} from '../../../local/signers';
import { uniqueName } from '../../support/emulators';
import type { RequestParts } from '../../unit/ingest/http-events';

export interface Resources {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucket: string;
}

export async function createResources(sqs: SQSClient, s3: S3Client): Promise<Resources> {
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('ingest-q') }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('ingest-dlq') }));
  const bucket = uniqueName('ingest-claims');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (!queue.QueueUrl || !dlq.QueueUrl) throw new Error('fauxqs returned no queue URL');
  return { queueUrl: queue.QueueUrl, dlqUrl: dlq.QueueUrl, bucket };
}

/** Signing material of one test source. */
export interface TestSource {
  readonly config: SourceConfig;
  readonly signingKey: string;
}

/** Creates the source's secret in the Secrets Manager stand-in through the real SDK. */
export async function createSource(
  id: string,
  provider: ProviderId,
  extra: Partial<SourceConfig> = {},
): Promise<TestSource> {
  const generated = generateLocalSecret(provider);
  const secretId = uniqueName(`ingest-${id}`);
  await createSecretsManagerClient().send(
    new CreateSecretCommand({
      Name: secretId,
      SecretString: JSON.stringify({ secrets: [generated.secret] }),
    }),
  );
  return {
    config: { id, provider, secretId, ...extra },
    signingKey: generated.signingKey ?? generated.secret,
  };
}

export interface SignedParts extends RequestParts {
  readonly body: Buffer;
}

/** A Stripe delivery of `body`, signed for `url`. */
export function stripeRequest(source: TestSource, path: string, body: Buffer, url: string): SignedParts {
  const signed = signStripe({ body, url, signingKey: source.signingKey });
  return { path, body, headers: { 'Content-Type': 'application/json', ...signed.headers } };
}

export function standardWebhooksRequest(
  source: TestSource,
  path: string,
  body: Buffer,
  url: string,
  deliveryId: string,
): SignedParts {
  const signed = signStandardWebhooks({ body, url, signingKey: source.signingKey, deliveryId });
  return { path, body, headers: { 'content-type': 'application/json', ...signed.headers } };
}

export function hubspotRequest(source: TestSource, path: string, body: Buffer, url: string): SignedParts {
  const signed = signHubspot({ body, url, signingKey: source.signingKey });
  return { path, body, headers: { 'Content-Type': 'application/json', ...signed.headers } };
}

export function sendgridRequest(source: TestSource, path: string, body: Buffer, url: string): SignedParts {
  const signed = signSendgrid({ body, url, signingKey: source.signingKey });
  return { path, body, headers: { 'Content-Type': 'application/json', ...signed.headers } };
}

/** A Stripe event body of exactly `length` bytes (padded inside `data.object`). */
export function stripeBody(id: string, length: number): Buffer {
  const skeleton = (pad: string) =>
    JSON.stringify({
      id,
      object: 'event',
      type: 'customer.updated',
      created: 1_700_000_000,
      data: { object: { id: 'cus_1', pad } },
    });
  const base = Buffer.byteLength(skeleton(''));
  if (length < base) throw new Error(`A Stripe body needs at least ${base} bytes`);
  return Buffer.from(skeleton('x'.repeat(length - base)));
}

/** A HubSpot batch of `count` events with distinct `eventId`s. */
export function hubspotBatch(count: number): Buffer {
  const events = Array.from({ length: count }, (_, i) => ({
    eventId: 1_000_000 + i,
    subscriptionId: 42,
    portalId: 62515,
    appId: 1160452,
    occurredAt: 1_700_000_000_000 + i,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: 5000 + i,
    propertyName: 'email',
    propertyValue: `user${i}@example.com`,
    changeSource: 'CRM',
  }));
  return Buffer.from(JSON.stringify(events));
}

/** Every message currently in the queue (received and deleted), waiting up to `waitMs` for `expected`. */
export async function drain(
  sqs: SQSClient,
  queueUrl: string,
  expected = 0,
  waitMs = 3000,
): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + waitMs;
  for (;;) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    const batch = received.Messages ?? [];
    messages.push(...batch);
    if (batch.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      continue;
    }
    if (messages.length >= expected || Date.now() > deadline) return messages;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function envelopeOf(message: Message): QueueEnvelope {
  return JSON.parse(message.Body ?? '') as QueueEnvelope;
}

export function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/** The event bytes an envelope carries, following a claim check into S3. */
export async function envelopeBytes(envelope: QueueEnvelope, s3: S3Client): Promise<Buffer> {
  if (envelope.body.kind === 'inline') return Buffer.from(envelope.body.base64, 'base64');
  const object = await s3.send(
    new GetObjectCommand({ Bucket: envelope.body.bucket, Key: envelope.body.key }),
  );
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}

/** Bytes SQS counts for a received message: body plus attribute names, types and values. */
export function receivedSize(message: Message): number {
  let size = Buffer.byteLength(message.Body ?? '');
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    size +=
      Buffer.byteLength(name) + (value.DataType ?? '').length + Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}
