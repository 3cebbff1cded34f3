/**
 * AWS implementations of the processor's ports: SQS for visibility changes and the DLQ, S3 for claim-checked
 * bodies (read, kept alive while a message points to them, deleted once their event completed). Clients come from `lambdas/shared/aws-clients.ts` (explicit timeouts, standard endpoint config).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  claimCheckLastWritten,
  deleteClaimCheck,
  isMissingObjectError,
  needsClockRestart,
  restartClaimCheckClock,
} from '../shared/claim-check';
import type { EnvelopeBody } from '../shared/envelope';
import {
  type BodyStore,
  ClaimCheckMissingError,
  type OutgoingAttribute,
  type QueuePort,
  type RetainOutcome,
} from './ports';

/**
 * The queue URL of an event source ARN (`arn:aws:sqs:<region>:<account>:<name>`). `knownUrls` (e.g. the
 * configured `QUEUE_URL`) win when their last path segment is the queue's name, which also covers
 * endpoints whose URLs do not follow the AWS layout (local emulators, VPC endpoints).
 */
export function queueUrlFromArn(arn: string, knownUrls: readonly string[] = []): string {
  const parts = arn.split(':');
  const [, partition, , region, account, name] = parts;
  if (parts.length !== 6 || !partition || !region || !account || !name) {
    throw new Error(`Not an SQS queue ARN: ${arn}`);
  }
  const known = knownUrls.find((url) => url.replace(/\/+$/, '').split('/').pop() === name);
  if (known) return known;
  const suffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${suffix}/${account}/${name}`;
}

export class SqsQueuePort implements QueuePort {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
    private readonly knownQueueUrls: readonly string[] = [],
  ) {}

  async changeVisibility(eventSourceArn: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrlFromArn(eventSourceArn, this.knownQueueUrls),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  async sendToDlq(body: string, attributes: Readonly<Record<string, OutgoingAttribute>>): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: body,
        MessageAttributes: { ...attributes },
      }),
    );
  }
}

export class S3BodyStore implements BodyStore {
  constructor(
    private readonly s3: S3Client,
    private readonly now: () => number = Date.now,
  ) {}

  async retain(
    body: EnvelopeBody,
    options: { readonly messageSentAtMs?: number } = {},
  ): Promise<RetainOutcome> {
    if (body.kind === 'inline') return 'inline';
    const ref = { bucket: body.bucket, key: body.key };
    if (options.messageSentAtMs !== undefined) {
      const lastWritten = await claimCheckLastWritten(this.s3, ref);
      if (lastWritten === undefined) return 'missing';
      if (!needsClockRestart(lastWritten, options.messageSentAtMs)) return 'current';
    }
    return (await restartClaimCheckClock(this.s3, ref, this.now())) ? 'restarted' : 'missing';
  }

  async discard(body: EnvelopeBody): Promise<void> {
    if (body.kind === 'inline') return;
    await deleteClaimCheck(this.s3, { bucket: body.bucket, key: body.key });
  }

  async load(body: EnvelopeBody): Promise<Buffer> {
    if (body.kind === 'inline') return Buffer.from(body.base64, 'base64');
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: body.bucket, Key: body.key }));
      if (!result.Body)
        throw new ClaimCheckMissingError(`Claim check s3://${body.bucket}/${body.key} is empty`);
      return Buffer.from(await result.Body.transformToByteArray());
    } catch (error) {
      if (isMissingObjectError(error)) {
        throw new ClaimCheckMissingError(`Claim check s3://${body.bucket}/${body.key} no longer exists`);
      }
      throw error;
    }
  }
}
