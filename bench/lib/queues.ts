/**
 * Reading queues for reconciliation: drain (receive and delete) every message of a queue, and wait until
 * a queue is quiet. Bench-only helpers on the real SQS API (fauxqs locally).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueDepth } from '../../cli/dlq';
import { isQueueEnvelope, type QueueEnvelope } from '../../lambdas/shared/envelope';

export interface DrainedMessage {
  readonly message: Message;
  /** The envelope, when the body is one. */
  readonly envelope: QueueEnvelope | undefined;
  /** String message attributes. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Receives and deletes until `emptyReceives` consecutive receives come back empty. */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { readonly emptyReceives?: number } = {},
): Promise<DrainedMessage[]> {
  const out: DrainedMessage[] = [];
  let empty = 0;
  while (empty < (options.emptyReceives ?? 2)) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    for (const message of messages) {
      let envelope: QueueEnvelope | undefined;
      try {
        const parsed: unknown = JSON.parse(message.Body ?? '');
        envelope = isQueueEnvelope(parsed) ? parsed : undefined;
      } catch {
        envelope = undefined;
      }
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
        if (value.StringValue !== undefined) attributes[name] = value.StringValue;
      }
      out.push({ message, envelope, attributes });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return out;
}

/** The event bytes an envelope carries (inline, or from the claim-check bucket). */
export async function envelopeBytes(s3: S3Client, envelope: QueueEnvelope): Promise<Buffer> {
  if (envelope.body.kind === 'inline') return Buffer.from(envelope.body.base64, 'base64');
  const object = await s3.send(
    new GetObjectCommand({ Bucket: envelope.body.bucket, Key: envelope.body.key }),
  );
  return Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
}

/** Visible + in flight + delayed, as SQS reports it (the CLI's `queueDepth`). */
export async function queueTotal(sqs: SQSClient, queueUrl: string): Promise<number> {
  return (await queueDepth(sqs, queueUrl)).total;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `probe` stays true for `stableMs`, or the deadline passes; returns whether it settled.
 */
export async function waitUntilStable(
  probe: () => Promise<boolean>,
  options: { readonly timeoutMs: number; readonly stableMs?: number; readonly intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let since: number | undefined;
  while (Date.now() < deadline) {
    if (await probe()) {
      since ??= Date.now();
      if (Date.now() - since >= (options.stableMs ?? 1500)) return true;
    } else {
      since = undefined;
    }
    await sleep(options.intervalMs ?? 250);
  }
  return false;
}

/** Runs `task` over `items` with at most `limit` in flight, preserving nothing but completion. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
