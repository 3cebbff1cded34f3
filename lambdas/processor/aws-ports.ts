/**
 * AWS implementations of the processor's ports: SQS for visibility changes and the DLQ, and the body store,
 * which loads its S3 half (s3-body-store.ts) only for the first claim-checked body. Clients come from `lambdas/shared/aws-clients.ts` (explicit timeouts, standard endpoint config).
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3ClientLoader } from '../shared/aws-clients';
import type { EnvelopeBody } from '../shared/envelope';
import { loadOnce } from '../shared/load-once';
import type { BodyStore, OutgoingAttribute, QueuePort, RetainOutcome } from './ports';

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

/**
 * The body store the processor uses: inline bodies answered here, claim-checked ones by {@link S3BodyStore}
 * (s3-body-store.ts), which is loaded with the S3 client by the first claim-checked body. A dynamic
 * `import()`, which the bundle keeps in a separate chunk, so a cold start whose batch holds only inline
 * bodies (nearly all: the claim check is for bodies above 256 KB) does not parse the S3 client. A failed
 * load rejects like a failed S3 call: the record is retried.
 */
export class LazyS3BodyStore implements BodyStore {
  private readonly s3Store: () => Promise<BodyStore>;

  constructor(s3: S3ClientLoader, now: () => number = Date.now) {
    this.s3Store = loadOnce(async () => {
      const [{ S3BodyStore }, client] = await Promise.all([import('./s3-body-store'), s3()]);
      return new S3BodyStore(client, now);
    });
  }

  async retain(
    body: EnvelopeBody,
    options: { readonly messageSentAtMs?: number } = {},
  ): Promise<RetainOutcome> {
    if (body.kind === 'inline') return 'inline';
    return (await this.s3Store()).retain(body, options);
  }

  async discard(body: EnvelopeBody): Promise<void> {
    if (body.kind === 'inline') return;
    await (await this.s3Store()).discard(body);
  }

  async load(body: EnvelopeBody): Promise<Buffer> {
    if (body.kind === 'inline') return Buffer.from(body.base64, 'base64');
    return (await this.s3Store()).load(body);
  }
}
